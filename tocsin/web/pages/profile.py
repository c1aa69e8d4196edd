"""Profile: name and time zone, contact methods with "send test", notification rules, push on this device."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tocsin.alerts.models import Priority
from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.auth.schemas import ProfileUpdate
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.notifications import contact_methods
from tocsin.notifications.models import Channel
from tocsin.notifications.rules import RuleStep, rules_for, set_rules
from tocsin.notifications.schemas import MANUAL_CHANNELS, ContactMethodIn, NotificationRulesIo
from tocsin.schemas import PathId
from tocsin.web import forms
from tocsin.web.layout import page, toast
from tocsin.web.routing import is_htmx, redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

BLANK_RULE_ROWS = 2
CHANNEL_NAMES = {Channel.PUSH: "Push", Channel.EMAIL: "Email", Channel.SMS: "SMS", Channel.VOICE: "Voice call",
                 Channel.SLACK: "Slack", Channel.TEAMS: "Microsoft Teams", Channel.WEBHOOK: "Webhook"}
ADDRESS_HINTS = {"EMAIL": "name@example.com", "SMS": "+4915112345678", "VOICE": "+4915112345678",
                 "SLACK": "https://hooks.slack.com/…", "TEAMS": "https://…", "WEBHOOK": "https://…"}


@cache
def timezones() -> list[str]:
    return [*sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))), "UTC"]


def _zones_for(user: User) -> list[str]:
    zones = timezones()
    return zones if user.timezone in zones else [user.timezone, *zones]


def _page(request: Request, session: Session, user: User, *, error: str | None = None, section: str | None = None,
          status: int = 200) -> Response:
    rules = {p.value: rules_for(session, user.id, p) for p in Priority}
    return page(request, session, user, "profile/index.html", title="Profile", active="profile",
                methods=contact_methods.list_own(session, user), rules=rules, blank_rows=BLANK_RULE_ROWS,
                channels=[(c.value, CHANNEL_NAMES[c]) for c in Channel],
                manual_channels=[(c.value, CHANNEL_NAMES[c]) for c in Channel if c in MANUAL_CHANNELS],
                channel_names={c.value: n for c, n in CHANNEL_NAMES.items()}, address_hints=ADDRESS_HINTS,
                timezones=_zones_for(user), error=error, error_section=section, status=status)


@router.get("/profile")
def profile(request: Request, session: DbSession, user: WebUser) -> Response:
    return _page(request, session, user)


@router.post("/profile")
def update_profile(request: Request, session: DbSession, user: WebUser, form: forms.Form) -> Response:
    try:
        body = forms.parse(ProfileUpdate, {"name": forms.text(form, "name"), "timezone": forms.text(form, "timezone")},
                           {"name": "Name", "timezone": "Time zone"})
    except Problem as problem:
        return _page(request, session, user, error=problem.detail, section="profile", status=problem.status)
    auth.update_profile(user, name=body.name, timezone=body.timezone, language=None)
    return redirect(request, "/profile")


@router.post("/profile/contact-methods")
def add_contact_method(request: Request, session: DbSession, user: WebUser, state: State,
                       form: forms.Form) -> Response:
    data = {"channel": forms.text(form, "channel"), "address": forms.text(form, "address"),
            "label": forms.optional(form, "label"), "sendUpdates": forms.checked(form, "send_updates")}
    try:
        body = forms.parse(ContactMethodIn, data, {"channel": "Channel", "address": "Address", "label": "Label"})
        contact_methods.add(session, state.clock, state.settings, user, body)
    except Problem as problem:
        session.rollback()
        return _page(request, session, user, error=problem.detail, section="methods", status=problem.status)
    return redirect(request, "/profile#contact-methods")


@router.post("/profile/contact-methods/{method_id}/test")
def test_contact_method(request: Request, session: DbSession, user: WebUser, state: State,
                        method_id: PathId) -> Response:
    method = contact_methods.get_own(session, user, method_id)
    contact_methods.send_test(session, state.clock, user, method)
    message = f"Test message queued for {method.label or CHANNEL_NAMES[Channel(method.channel)]}."
    return toast(request, message) if is_htmx(request) else redirect(request, "/profile#contact-methods")


@router.post("/profile/contact-methods/{method_id}/delete")
def delete_contact_method(request: Request, session: DbSession, user: WebUser, method_id: PathId) -> Response:
    session.delete(contact_methods.get_own(session, user, method_id))
    return redirect(request, "/profile#contact-methods")


@router.post("/profile/notification-rules")
def save_rules(request: Request, session: DbSession, user: WebUser, form: forms.Form) -> Response:
    steps: dict[str, list[dict[str, str]]] = {}
    for priority in Priority:
        key = priority.value.lower()
        channels, delays = form.getlist(f"{key}_channel"), form.getlist(f"{key}_delay")
        removed = set(forms.texts(form, f"{key}_remove"))
        steps[priority.value] = [{"channel": str(c), "delayMin": str(d).strip() or "0"}
                                 for n, (c, d) in enumerate(zip(channels, delays, strict=False))
                                 if c and str(n) not in removed]
    try:
        body = forms.parse(NotificationRulesIo, steps)
    except Problem as problem:
        return _page(request, session, user, error=problem.detail, section="rules", status=problem.status)
    set_rules(session, user.id, Priority.HIGH, [RuleStep(s.channel, s.delay_min) for s in body.high])
    set_rules(session, user.id, Priority.LOW, [RuleStep(s.channel, s.delay_min) for s in body.low])
    return redirect(request, "/profile#rules")
