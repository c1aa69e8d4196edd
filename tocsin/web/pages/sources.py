"""Alert sources: list, create with the integration picker (then the URL and key to paste), edit,
rotate the key, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tocsin.alerts import sources
from tocsin.alerts.models import AlertCreation, AlertSource, PriorityRule, SourceStatus
from tocsin.alerts.schemas import AlertSourceIn, AlertSourceOut, AlertSourceUpdate
from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.escalation import service as policies
from tocsin.integrations import catalog
from tocsin.schemas import PathId
from tocsin.settings import Settings
from tocsin.web import forms
from tocsin.web.layout import page
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

LABELS = {"name": "Name", "integrationType": "Integration", "alertGroupingWindow": "Grouping window",
          "autoResolutionTimeout": "Auto-resolve after", "teams": "Teams", "escalationPolicy": "Escalation policy"}


def integration_types() -> list[tuple[str, str]]:
    """Every type of the catalog (API, EMAIL, HEARTBEAT, then the tools by name)."""
    return [(entry.type, entry.name) for entry in catalog.catalog("", "")]


def setup_steps(integration_type: str, settings: Settings, key: str) -> list[str]:
    """The catalog's steps for the type, with this source's URL or address in them."""
    entry = catalog.entry(integration_type, settings.base_url, settings.email_domain)
    return [step.replace(catalog.KEY_PLACEHOLDER, key) for step in entry.setup_steps] if entry else []


@dataclass
class SourceDraft:
    name: str = ""
    integration_type: str = "API"
    teams: tuple[int, ...] = ()
    escalation_policy: str = ""
    status: str = SourceStatus.ACTIVE.value
    alert_creation: str = AlertCreation.ONE_OPEN_ALERT_PER_KEY.value
    grouping_window: str = ""
    auto_resolution: str = ""
    priority_rule: str = PriorityRule.HIGH.value
    ignore_event_priority: bool = False

    @classmethod
    def of(cls, source: AlertSource) -> SourceDraft:
        out = AlertSourceOut.of(source)
        return cls(out.name, out.integration_type, tuple(sorted(source.team_ids)),
                   str(source.escalation_policy_id or ""), out.status.value, out.alert_creation.value,
                   out.alert_grouping_window or "", out.auto_resolution_timeout or "", out.alert_priority_rule.value,
                   out.ignore_event_priority)

    @classmethod
    def read(cls, form: forms.FormData) -> SourceDraft:
        return cls(forms.text(form, "name"), forms.text(form, "integration_type") or "API",
                   tuple(forms.ids(form, "team")), forms.text(form, "escalation_policy"), forms.text(form, "status"),
                   forms.text(form, "alert_creation"), forms.text(form, "grouping_window"),
                   forms.text(form, "auto_resolution"), forms.text(form, "priority_rule"),
                   forms.checked(form, "ignore_event_priority"))

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "integrationType": self.integration_type,
            "teams": [{"id": team_id} for team_id in self.teams],
            "escalationPolicy": {"id": self.escalation_policy} if self.escalation_policy else None,
            "status": self.status,
            "alertCreation": self.alert_creation,
            "alertGroupingWindow": self.grouping_window or None,
            "autoResolutionTimeout": self.auto_resolution or None,
            "alertPriorityRule": self.priority_rule,
            "ignoreEventPriority": self.ignore_event_priority,
        }


def _form_page(request: Request, session: Session, user: User, draft: SourceDraft, *, source: AlertSource | None,
               error: str | None = None, status: int = 200) -> Response:
    title = "New alert source" if source is None else f"Edit {source.name}"
    return page(request, session, user, "sources/form.html", title=title, active="sources", draft=draft,
                source=source, error=error, status=status, types=integration_types(), teams=auth.list_teams(session),
                policies=policies.list_policies(session, user), statuses=[s.value for s in SourceStatus],
                creations=[c.value for c in AlertCreation], rules=[r.value for r in PriorityRule])


def _key_page(request: Request, session: Session, user: User, state: State, source: AlertSource, key: str,
              *, created: bool) -> Response:
    out = AlertSourceOut.of(source, key=key, base_url=state.settings.base_url)
    url = out.integration_url or catalog.integration_email(source.integration_type, state.settings.email_domain,
                                                           key) or ""
    return page(request, session, user, "sources/key.html", title=source.name, active="sources", source=source,
                key=key, url=url, steps=setup_steps(source.integration_type, state.settings, key), created=created,
                base_url=state.settings.base_url)


def _can_manage(user: User, source: AlertSource) -> bool:
    try:
        sources.require_can_manage(user, source)
    except Problem:
        return False
    return True


@router.get("/alert-sources")
def source_list(request: Request, session: DbSession, user: WebUser) -> Response:
    names = dict(integration_types())
    return page(request, session, user, "sources/list.html", title="Alert sources", active="sources",
                sources=sources.list_sources(session, user), type_names=names, can_create=auth.can_configure(user))


@router.get("/alert-sources/new")
def source_new(request: Request, session: DbSession, user: WebUser, type: str | None = None) -> Response:
    if not auth.can_configure(user):
        raise Problem(403, "your role may not create alert sources")
    draft = SourceDraft(integration_type=type if type in dict(integration_types()) else "API",
                        teams=tuple(sorted(user.team_ids))[:1])
    return _form_page(request, session, user, draft, source=None)


@router.post("/alert-sources/new")
def source_create(request: Request, session: DbSession, user: WebUser, state: State, form: forms.Form) -> Response:
    draft = SourceDraft.read(form)
    try:
        body = forms.parse(AlertSourceIn, draft.body(), LABELS)
        source, key = sources.create_source(session, state.clock, user, body.changes(partial=False))
    except Problem as problem:
        session.rollback()
        return _form_page(request, session, user, draft, source=None, error=problem.detail, status=problem.status)
    return _key_page(request, session, user, state, source, key, created=True)


@router.get("/alert-sources/{source_id}")
def source_edit(request: Request, session: DbSession, user: WebUser, source_id: PathId) -> Response:
    source = sources.get_visible_source(session, user, source_id)
    if not _can_manage(user, source):
        return page(request, session, user, "sources/view.html", title=source.name, active="sources",
                    source=source, type_names=dict(integration_types()))
    return _form_page(request, session, user, SourceDraft.of(source), source=source)


@router.post("/alert-sources/{source_id}")
def source_update(request: Request, session: DbSession, user: WebUser, state: State, source_id: PathId,
                  form: forms.Form) -> Response:
    source = sources.get_visible_source(session, user, source_id)
    draft = SourceDraft.read(form)
    try:
        body = forms.parse(AlertSourceUpdate, draft.body(), LABELS)
        sources.update_source(session, state.clock, user, source, body.changes(partial=True))
    except Problem as problem:
        session.rollback()
        source = sources.get_visible_source(session, user, source_id)
        return _form_page(request, session, user, draft, source=source, error=problem.detail, status=problem.status)
    return redirect(request, "/alert-sources")


@router.post("/alert-sources/{source_id}/rotate-key")
def source_rotate_key(request: Request, session: DbSession, user: WebUser, state: State,
                      source_id: PathId) -> Response:
    source = sources.get_visible_source(session, user, source_id)
    key = sources.rotate_key(session, state.clock, user, source)
    return _key_page(request, session, user, state, source, key, created=False)


@router.post("/alert-sources/{source_id}/delete")
def source_delete(request: Request, session: DbSession, user: WebUser, source_id: PathId) -> Response:
    sources.delete_source(session, user, sources.get_visible_source(session, user, source_id))
    return redirect(request, "/alert-sources")
