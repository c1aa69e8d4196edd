"""Profile: name and time zone, contact methods with "send test", notification rules, push on this device,
calendar (iCal) links and the on-call shift reminder."""

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
from tocsin.schedules import ical, reminders
from tocsin.schedules import service as schedules
from tocsin.schedules.models import CalendarFeed
from tocsin.schedules.schemas import ShiftReminderIo
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


REMINDER_CHOICES = ((15, "15 minutes"), (30, "30 minutes"), (60, "1 hour"), (120, "2 hours"), (720, "12 hours"),
                    (1440, "1 day"))


def _feeds(session: Session, user: User) -> list[tuple[CalendarFeed, str]]:
    """My calendar feeds, each with what it shows."""
    found = ical.list_feeds(session, user)
    names = {s.id: s.name for s in schedules.list_schedules(session, user)}
    return [(f, names.get(f.schedule_id, "a schedule") if f.schedule_id else "My shifts") for f in found]


def _page(request: Request, session: Session, user: User, *, error: str | None = None, section: str | None = None,
          status: int = 200, new_feed_url: str | None = None) -> Response:
    rules = {p.value: rules_for(session, user.id, p) for p in Priority}
    reminder = reminders.get_reminder(session, user.id)
    choices = list(REMINDER_CHOICES)
    if reminder is not None and reminder not in dict(choices):
        choices.append((reminder, f"{reminder} minutes"))
    return page(request, session, user, "profile/index.html", title="Profile", active="profile",
                feeds=_feeds(session, user), schedules=schedules.list_schedules(session, user),
                new_feed_url=new_feed_url, reminder=reminder, reminder_choices=sorted(choices),
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


@router.post("/profile/calendar-feeds")
def create_calendar_feed(request: Request, session: DbSession, user: WebUser, state: State,
                         form: forms.Form) -> Response:
    """A secret iCal address for my shifts or a schedule (as POST /api/calendar-feeds); shown this once."""
    choice = forms.text(form, "schedule")
    schedule = None
    if choice:
        if not choice.isdigit() or len(choice) > 15:
            return _page(request, session, user, error="Calendar: pick a schedule", section="calendar", status=400)
        schedule = schedules.get_visible_schedule(session, user, int(choice))
    feed, token = ical.create_feed(session, state.clock, user, schedule)
    return _page(request, session, user, new_feed_url=ical.feed_url(state.settings.base_url, feed, token))


@router.post("/profile/calendar-feeds/{feed_id}/revoke")
def revoke_calendar_feed(request: Request, session: DbSession, user: WebUser, feed_id: PathId) -> Response:
    ical.revoke_feed(session, user, feed_id)
    return redirect(request, "/profile#calendar")


@router.post("/profile/shift-reminder")
def save_shift_reminder(request: Request, session: DbSession, user: WebUser, state: State,
                        form: forms.Form) -> Response:
    try:
        body = forms.parse(ShiftReminderIo, {"minutesBefore": forms.optional(form, "minutes_before")},
                           {"minutesBefore": "Remind me"})
    except Problem as problem:
        return _page(request, session, user, error=problem.detail, section="reminder", status=problem.status)
    reminders.set_reminder(session, state.clock, user, body.minutes_before)
    return redirect(request, "/profile#reminder")
