"""Signed alert action tokens: round trip, expiry, tampering."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.notifications.action_tokens import AlertAction, InvalidToken, issue, verify


def test_round_trip_and_expiry(db: Database, clock: FrozenClock) -> None:
    with db.session(write=True) as session:
        token = issue(session, clock, 42, AlertAction.ACCEPT, 7, timedelta(hours=1))
    with db.session(write=True) as session:
        grant = verify(session, clock, token)
        assert (grant.alert_id, grant.action, grant.user_id) == (42, AlertAction.ACCEPT, 7)
        clock.advance(timedelta(hours=1))
        with pytest.raises(InvalidToken, match="expired"):
            verify(session, clock, token)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: t.split(".")[0],
    lambda t: "x" + t,
    lambda t: "",
])
def test_tampered_tokens_are_refused(db: Database, clock: FrozenClock, mangle: object) -> None:
    with db.session(write=True) as session:
        token = issue(session, clock, 1, AlertAction.RESOLVE, 1, timedelta(hours=1))
        with pytest.raises(InvalidToken):
            verify(session, clock, mangle(token))  # type: ignore[operator]


def test_body_swapped_between_tokens_is_refused(db: Database, clock: FrozenClock) -> None:
    with db.session(write=True) as session:
        accept = issue(session, clock, 1, AlertAction.ACCEPT, 1, timedelta(hours=1))
        resolve = issue(session, clock, 1, AlertAction.RESOLVE, 1, timedelta(hours=1))
        forged = resolve.split(".")[0] + "." + accept.split(".")[1]
        with pytest.raises(InvalidToken, match="signature"):
            verify(session, clock, forged)
