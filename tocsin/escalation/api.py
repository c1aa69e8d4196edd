"""Routes: /api/escalation-policies, and escalation actions on alerts."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from tocsin.alerts import service as alerts
from tocsin.alerts.lifecycle import add_log
from tocsin.alerts.models import LogKind
from tocsin.alerts.schemas import AlertOut
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.errors import conflict
from tocsin.escalation import actions, engine, preview, service
from tocsin.escalation.schemas import PolicyIn, PolicyOut, PolicyPreview, PreviewLevel
from tocsin.notifications import dispatch
from tocsin.schemas import PathId, Timestamp, UserRef

router = APIRouter(prefix="/api")


@router.get("/escalation-policies", response_model=list[PolicyOut], tags=["escalation policies"])
def list_policies(session: DbSession, user: CurrentUser) -> list[PolicyOut]:
    return [PolicyOut.of(p) for p in service.list_policies(session, user)]


@router.post("/escalation-policies", status_code=201, response_model=PolicyOut, tags=["escalation policies"])
def create_policy(body: PolicyIn, session: DbSession, user: CurrentUser, state: State) -> PolicyOut:
    return PolicyOut.of(service.create_policy(session, state.clock, user, body.spec()))


@router.get("/escalation-policies/{policy_id}", response_model=PolicyOut, tags=["escalation policies"])
def get_policy(policy_id: PathId, session: DbSession, user: CurrentUser) -> PolicyOut:
    return PolicyOut.of(service.get_visible_policy(session, user, policy_id))


@router.put("/escalation-policies/{policy_id}", response_model=PolicyOut, tags=["escalation policies"])
def update_policy(policy_id: PathId, body: PolicyIn, session: DbSession, user: CurrentUser, state: State) -> PolicyOut:
    """Replace the policy (name, levels, options). Alerts already escalating continue with the new levels."""
    policy = service.get_visible_policy(session, user, policy_id)
    service.update_policy(session, state.clock, user, policy, body.spec())
    return PolicyOut.of(policy)


@router.delete("/escalation-policies/{policy_id}", status_code=204, tags=["escalation policies"])
def delete_policy(policy_id: PathId, session: DbSession, user: CurrentUser) -> Response:
    service.delete_policy(session, user, service.get_visible_policy(session, user, policy_id))
    return Response(status_code=204)


@router.get("/escalation-policies/{policy_id}/preview", response_model=PolicyPreview, tags=["escalation policies"])
def preview_policy(
    policy_id: PathId, session: DbSession, user: CurrentUser, state: State,
    at: Timestamp | None = Query(default=None, description="Default: now"),
) -> PolicyPreview:
    """Who each level would page for an alert opened at `at` that nobody accepts (changes nothing)."""
    policy = service.get_visible_policy(session, user, policy_id)
    start = at or state.clock.now()
    levels = [PreviewLevel(level=step.level, at=step.at, users=[UserRef(id=u.id, name=u.name) for u in step.users],
                           fallback=step.fallback) for step in preview.preview(session, policy, start)]
    return PolicyPreview(policy_id=policy.id, at=start, levels=levels)


@router.put("/alerts/{alert_id}/escalate", response_model=AlertOut, tags=["alerts"])
def escalate_alert(alert_id: PathId, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    """Page the next escalation level now (an accepted alert becomes pending again)."""
    return AlertOut.of(actions.escalate(session, state.clock, user, alert_id))


@router.post("/alerts/{alert_id}/renotify", response_model=AlertOut, tags=["alerts"])
def renotify_alert(alert_id: PathId, session: DbSession, user: CurrentUser, state: State) -> AlertOut:
    """Page again whoever the current level pages (or the assignee), as if the level had just started."""
    alert = alerts.get_actionable(session, user, alert_id)
    if alert.state != "PENDING":
        raise conflict(f"the alert is {alert.state.lower()}; only pending alerts are paged")
    targets = [alert.assigned_to] if alert.assigned_to else engine.current_level_users(session, state.clock, alert)
    if not targets:
        raise conflict("nobody to notify: the alert has no assignee and no escalation level in progress")
    stamp = int(state.clock.now().timestamp())
    add_log(session, state.clock, alert, LogKind.NOTIFICATION,
            f"Re-notified by {user.name}: {', '.join(u.name for u in targets)}", actor=user)
    for target in targets:
        dispatch.page_user(session, state.clock, alert, target, reason=f"renotify{stamp}")
    return AlertOut.of(alert)
