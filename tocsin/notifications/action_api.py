"""POST /api/actions/{token}: the JSON twin of the one-click action pages, for push notification buttons.

The service worker calls it when a notification's Accept or Resolve button is pressed, without opening
the app and without a login: the signed token (one user, one alert, one action, 12 hours) is the
credential. The action runs as the token's user through the alert service, which checks that they may
still see the alert and act on it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field
from sqlalchemy import select

from tocsin.alerts import service
from tocsin.alerts.schemas import AlertOut
from tocsin.auth.models import User
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import AlertAction, InvalidToken
from tocsin.notifications.models import AppSecret
from tocsin.schemas import ApiModel

router = APIRouter(prefix="/api", tags=["actions"])

Token = Annotated[str, Path(min_length=1, max_length=1024, description="The token from the message")]


class TokenActionOut(ApiModel):
    action: AlertAction
    changed: bool = Field(description="False when the alert already was in that state")
    alert: AlertOut


def _invalid(detail: str) -> Problem:
    return Problem(400, detail, slug="invalid-action-token", title="Invalid action token")


@router.post("/actions/{token}", response_model=TokenActionOut)
def use_action_token(token: Token, session: DbSession, state: State) -> TokenActionOut:
    """Accept or resolve the token's alert as the token's user. 400 for a bad or expired token; 404 when
    the user can no longer see the alert; 403 for a read-only role; 409 when accepting a resolved alert."""
    # No signing key yet means no token was ever issued; checking first keeps a POST from creating it.
    if session.scalar(select(AppSecret.name).where(AppSecret.name == action_tokens.KEY_NAME)) is None:
        raise _invalid("malformed action token")
    try:
        grant = action_tokens.verify(session, state.clock, token)
    except InvalidToken as exc:
        raise _invalid(str(exc)) from None
    user = session.get(User, grant.user_id)
    if user is None:
        raise _invalid("the user of this token no longer exists")
    before = service.get_visible_alert(session, user, grant.alert_id).state
    if grant.action is AlertAction.ACCEPT:
        alert = service.accept(session, state.clock, user, grant.alert_id)
    else:
        alert = service.resolve(session, state.clock, user, grant.alert_id)
    return TokenActionOut(action=grant.action, changed=alert.state != before, alert=AlertOut.of(alert))
