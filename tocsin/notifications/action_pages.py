"""One-click accept and resolve from a message, without logging in: /actions/{token}.

GET shows what the link would do and a button; only the button's POST changes anything, so a mail
scanner that fetches every link in a message accepts nothing. The signed token is the credential
(one user, one alert, one action, an expiry); the action runs as that user through the alert service,
which checks that they may still see the alert and act on it.

No Origin check on the POST: these pages send no Referer and, under `Referrer-Policy: no-referrer`,
browsers send `Origin: null` on their own form posts. A forged cross-site POST would need the token,
and whoever has the token can use it directly.
"""

from __future__ import annotations

import html
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import service
from tocsin.alerts.models import Alert, AlertState
from tocsin.auth.models import User
from tocsin.auth.service import can_respond
from tocsin.clock import Clock
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import ActionGrant, AlertAction, InvalidToken
from tocsin.notifications.models import AppSecret

router = APIRouter(tags=["actions"], include_in_schema=False)

MAX_TOKEN_LENGTH = 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>$title · tocsin</title>
<style>
body{margin:0;padding:24px 16px;background:#f4f4f5;color:#18181b;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.45}
main{max-width:480px;margin:0 auto;padding:24px;background:#fff;border-radius:10px}
h1{margin:0 0 16px;font-size:1.3rem}
.meta{margin:0 0 6px;color:#52525b;font-size:.9rem}
.summary{margin:0 0 20px;font-size:1.1rem;overflow-wrap:anywhere}
button{width:100%;padding:14px;border:0;border-radius:8px;background:#b91c1c;color:#fff;font-size:1.1rem;
font-weight:600;cursor:pointer}
button.resolve{background:#15803d}
.note{color:#52525b;font-size:.9rem}
a{color:#1d4ed8}
</style></head>
<body><main>
<h1>$title</h1>
$body
</main></body></html>
""")

_VERB = {AlertAction.ACCEPT: "Accept", AlertAction.RESOLVE: "Resolve"}
_DONE = {AlertAction.ACCEPT: "accepted", AlertAction.RESOLVE: "resolved"}


class Refusal(Exception):
    """The link cannot be used; rendered as a page, never as a stack trace."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def page(status: int, title: str, body: str) -> HTMLResponse:
    """`title` is plain text; `body` is HTML the caller has escaped."""
    return HTMLResponse(_PAGE.substitute(title=html.escape(title), body=body), status_code=status,
                        headers=SECURITY_HEADERS)


def _message(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _alert_block(alert: Alert) -> str:
    meta = f"{alert.priority} alert #{alert.id} · {alert.source.name} · {alert.state.lower()}"
    return f'<p class="meta">{html.escape(meta)}</p><p class="summary">{html.escape(alert.summary)}</p>'


def _open_link(alert: Alert, base_url: str) -> str:
    url = f"{base_url}/alerts/{alert.id}"
    return f'<p class="note"><a href="{html.escape(url, quote=True)}">Open alert #{alert.id} in tocsin</a></p>'


def _by(user: User | None) -> str:
    return f" by {user.name}" if user is not None else ""


def _grant(session: Session, clock: Clock, token: str) -> tuple[ActionGrant, User]:
    # No signing key yet means no token was ever issued; checking first keeps a GET from creating it.
    has_key = session.scalar(select(AppSecret.name).where(AppSecret.name == action_tokens.KEY_NAME))
    if len(token) > MAX_TOKEN_LENGTH or has_key is None:
        raise InvalidToken("malformed action token")
    grant = action_tokens.verify(session, clock, token)
    user = session.get(User, grant.user_id)
    if user is None:
        raise InvalidToken("the user of this link no longer exists")
    return grant, user


def _check(session: Session, clock: Clock, token: str) -> tuple[ActionGrant, User, Alert]:
    """The grant, its user and its alert, if the link may be used by that user at all; else Refusal."""
    try:
        grant, user = _grant(session, clock, token)
    except InvalidToken as exc:
        if "expired" in str(exc):
            raise Refusal(400, "This link has expired",
                          "Links in messages work for a limited time. Open the alert in tocsin to act on it.") from None
        raise Refusal(400, "This link is not valid",
                      "It may have been cut short by your mail program. Open the alert in tocsin to act on it.") \
            from None
    try:
        alert = service.get_visible_alert(session, user, grant.alert_id)
    except Problem:
        raise _no_access() from None
    if not can_respond(user):
        raise Refusal(403, "You cannot act on alerts", "Your role in tocsin gives read-only access to alerts.")
    return grant, user, alert


def _no_access() -> Refusal:
    return Refusal(403, "You cannot act on this alert",
                   "You no longer have access to this alert (or it was deleted).")


def _refusal_page(refusal: Refusal) -> HTMLResponse:
    return page(refusal.status, refusal.title, _message(refusal.message))


def _already_resolved(alert: Alert, base_url: str) -> HTMLResponse:
    return page(409, f"Alert #{alert.id} is already resolved",
                _alert_block(alert) + _message(f"It was resolved{_by(alert.resolved_by)}; nothing to do.")
                + _open_link(alert, base_url))


def _already_accepted(alert: Alert, base_url: str) -> HTMLResponse:
    return page(200, f"Alert #{alert.id} is already accepted",
                _alert_block(alert) + _message(f"It was accepted{_by(alert.accepted_by)}; nothing to do.")
                + _open_link(alert, base_url))


@router.get("/actions/{token}", response_class=HTMLResponse)
def confirm_page(token: str, session: DbSession, state: State) -> HTMLResponse:
    """What the link would do, and a button that does it. Changes nothing."""
    try:
        grant, user, alert = _check(session, state.clock, token)
    except Refusal as refusal:
        return _refusal_page(refusal)
    base_url = state.settings.base_url
    if alert.state == AlertState.RESOLVED.value:
        return _already_resolved(alert, base_url)
    if grant.action is AlertAction.ACCEPT and alert.state == AlertState.ACCEPTED.value:
        return _already_accepted(alert, base_url)
    verb = _VERB[grant.action]
    form = (f'<form method="post"><button type="submit" class="{grant.action.value}">'
            f"{verb} alert #{alert.id}</button></form>")
    return page(200, f"{verb} alert #{alert.id}?",
                _alert_block(alert) + form + _message(f"You act as {user.name}.") + _open_link(alert, base_url))


@router.post("/actions/{token}", response_class=HTMLResponse)
def perform_action(token: str, session: DbSession, state: State) -> HTMLResponse:
    """Accept or resolve the token's alert as the token's user."""
    try:
        grant, user, _seen = _check(session, state.clock, token)
    except Refusal as refusal:
        return _refusal_page(refusal)
    base_url = state.settings.base_url
    before = session.scalar(select(Alert.state).where(Alert.id == grant.alert_id))
    try:
        if grant.action is AlertAction.ACCEPT:
            alert = service.accept(session, state.clock, user, grant.alert_id)
        else:
            alert = service.resolve(session, state.clock, user, grant.alert_id)
    except Problem as problem:
        current = session.get(Alert, grant.alert_id)
        if problem.status == 409 and current is not None:
            return _already_resolved(current, base_url)
        return _refusal_page(_no_access() if problem.status in (403, 404) else
                             Refusal(problem.status, "This did not work", problem.detail))
    if before == AlertState.RESOLVED.value or (grant.action is AlertAction.RESOLVE and alert.resolved_by_id != user.id):
        return _already_resolved(alert, base_url)
    if grant.action is AlertAction.ACCEPT and (before == AlertState.ACCEPTED.value or alert.accepted_by_id != user.id):
        return _already_accepted(alert, base_url)
    done = _DONE[grant.action]
    note = _message("Escalation has stopped.") if grant.action is AlertAction.ACCEPT else ""
    return page(200, f"You {done} alert #{alert.id}", _alert_block(alert) + note + _open_link(alert, base_url))
