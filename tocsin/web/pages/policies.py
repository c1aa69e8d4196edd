"""Escalation policies: view with who would be paged now, and create/edit/delete for those who may."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.escalation import preview, service
from tocsin.escalation.models import EscalationPolicy
from tocsin.escalation.schemas import PolicyIn
from tocsin.schemas import PathId
from tocsin.web import forms
from tocsin.web.layout import page
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()


@dataclass
class LevelDraft:
    timeout: str = "15"
    targets: list[str] = field(default_factory=list)  # "USER:3", "TEAM:2", "SCHEDULE:5"


@dataclass
class PolicyDraft:
    """The edit form's values, also when they are not valid yet."""

    name: str = ""
    teams: list[int] = field(default_factory=list)
    levels: list[LevelDraft] = field(default_factory=lambda: [LevelDraft()])
    repeating: bool = False
    repeat_times: str = "1"
    fallback: str = ""

    @classmethod
    def of(cls, policy: EscalationPolicy) -> PolicyDraft:
        levels = [LevelDraft(str(level.timeout_minutes), [f"{t.kind}:{t.target_id}" for t in level.targets])
                  for level in policy.levels]
        return cls(policy.name, sorted(policy.team_ids), levels, policy.repeating, str(policy.repeat_times or 1),
                   str(policy.fallback_user_id or ""))

    @classmethod
    def read(cls, form: forms.FormData) -> PolicyDraft:
        count = min(int(forms.text(form, "level_count") or 0) if forms.text(form, "level_count").isdigit() else 0,
                    service.MAX_LEVELS)
        levels = [LevelDraft(forms.text(form, f"timeout_{i}"), forms.texts(form, f"target_{i}")) for i in range(count)]
        return cls(forms.text(form, "name"), forms.ids(form, "team"), levels, forms.checked(form, "repeating"),
                   forms.text(form, "repeat_times") or "1", forms.text(form, "fallback"))

    def body(self) -> dict[str, Any]:
        levels = []
        for level in self.levels:
            targets = []
            for target in level.targets:
                kind, _, target_id = target.partition(":")
                targets.append({"type": kind, "id": target_id})
            levels.append({"escalationTimeout": level.timeout, "targets": targets})
        return {"name": self.name, "levels": levels, "repeating": self.repeating,
                "repeatTimes": self.repeat_times if self.repeating else 0,
                "fallbackUser": {"id": self.fallback} if self.fallback else None,
                "teams": [{"id": team_id} for team_id in self.teams]}


_LEVEL_FIELD = re.compile(r"^levels\.(\d+)\.(\w+)")


def _label(path: str) -> str:
    match = _LEVEL_FIELD.match(path)
    if match:
        what = {"escalationTimeout": "minutes", "targets": "who to page"}.get(match[2], match[2])
        return f"Level {int(match[1]) + 1}, {what}"
    names = {"repeatTimes": "Repeat times", "fallbackUser": "Fallback", "name": "Name", "levels": "Levels"}
    return names.get(path, path)


def _parse(draft: PolicyDraft) -> PolicyIn:
    try:
        return PolicyIn.model_validate(draft.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first.get("loc", ()))
        raise Problem(400, f"{_label(path)}: {str(first['msg']).removeprefix('Value error, ')}") from None


def _names(session: Session) -> dict[str, str]:
    """'USER:3' -> 'Alice', 'TEAM:2' -> 'Team Platform' for every user and team."""
    names = {f"USER:{u.id}": u.name for u in auth.list_users(session)}
    names.update({f"TEAM:{t.id}": f"Team {t.name}" for t in auth.list_teams(session)})
    return names


def _target_name(names: dict[str, str], target: str) -> str:
    if target in names:
        return names[target]
    kind, _, target_id = target.partition(":")
    return f"{kind.title()} #{target_id}"


@router.get("/escalation-policies")
def policy_list(request: Request, session: DbSession, user: WebUser) -> Response:
    return page(request, session, user, "policies/list.html", title="Escalation policies", active="policies",
                policies=service.list_policies(session, user), can_create=service.can_manage(user, None))


@router.get("/escalation-policies/new")
def policy_new(request: Request, session: DbSession, user: WebUser) -> Response:
    if not service.can_manage(user, None):
        raise Problem(403, "your role may not create escalation policies")
    draft = PolicyDraft(teams=sorted(user.team_ids)[:1], levels=[LevelDraft(targets=[f"USER:{user.id}"])])
    return _form_page(request, session, user, draft, policy_id=None)


@router.post("/escalation-policies/new")
def policy_create(request: Request, session: DbSession, user: WebUser, state: State, form: forms.Form) -> Response:
    return _submit(request, session, user, state, form, None)


@router.get("/escalation-policies/{policy_id}")
def policy_view(request: Request, session: DbSession, user: WebUser, state: State, policy_id: PathId) -> Response:
    policy = service.get_visible_policy(session, user, policy_id)
    steps = preview.preview(session, policy, state.clock.now())
    return page(request, session, user, "policies/view.html", title=policy.name, active="policies", policy=policy,
                steps=steps, names=_names(session), target_name=_target_name,
                can_manage=service.can_manage(user, policy))


def _form_page(request: Request, session: Session, user: User, draft: PolicyDraft, *, policy_id: int | None,
               error: str | None = None, status: int = 200) -> Response:
    names = _names(session)
    options = [(key, name) for key, name in names.items() if key.startswith("USER:")]
    options += [(key, name) for key, name in names.items() if key.startswith("TEAM:")]
    kept = {t for level in draft.levels for t in level.targets if t not in names}
    options += [(key, _target_name(names, key)) for key in sorted(kept)]
    title = "New escalation policy" if policy_id is None else f"Edit {draft.name or 'policy'}"
    return page(request, session, user, "policies/edit.html", title=title, active="policies", draft=draft,
                policy_id=policy_id, target_options=options, users=auth.list_users(session),
                teams=auth.list_teams(session), error=error, status=status, max_levels=service.MAX_LEVELS)


def _submit(request: Request, session: Session, user: User, state: State, form: forms.FormData,
            policy: EscalationPolicy | None) -> Response:
    draft = PolicyDraft.read(form)
    op = forms.text(form, "op")
    policy_id = policy.id if policy else None
    if op == "add_level" and len(draft.levels) < service.MAX_LEVELS:
        draft.levels.append(LevelDraft())
        return _form_page(request, session, user, draft, policy_id=policy_id)
    if op.startswith("remove_") and op[7:].isdigit() and len(draft.levels) > 1:
        del draft.levels[min(int(op[7:]), len(draft.levels) - 1)]
        return _form_page(request, session, user, draft, policy_id=policy_id)
    try:
        spec = _parse(draft).spec()
        if policy is None:
            policy = service.create_policy(session, state.clock, user, spec)
        else:
            service.update_policy(session, state.clock, user, policy, spec)
    except Problem as problem:
        session.rollback()
        return _form_page(request, session, user, draft, policy_id=policy_id, error=problem.detail,
                          status=problem.status)
    return redirect(request, f"/escalation-policies/{policy.id}")


@router.get("/escalation-policies/{policy_id}/edit")
def policy_edit(request: Request, session: DbSession, user: WebUser, policy_id: PathId) -> Response:
    policy = service.get_visible_policy(session, user, policy_id)
    if not service.can_manage(user, policy):
        raise Problem(403, "only admins and members of the policy's teams may change it")
    return _form_page(request, session, user, PolicyDraft.of(policy), policy_id=policy.id)


@router.post("/escalation-policies/{policy_id}/edit")
def policy_update(request: Request, session: DbSession, user: WebUser, state: State, policy_id: PathId,
                  form: forms.Form) -> Response:
    return _submit(request, session, user, state, form, service.get_visible_policy(session, user, policy_id))


@router.post("/escalation-policies/{policy_id}/delete")
def policy_delete(request: Request, session: DbSession, user: WebUser, policy_id: PathId) -> Response:
    service.delete_policy(session, user, service.get_visible_policy(session, user, policy_id))
    return redirect(request, "/escalation-policies")
