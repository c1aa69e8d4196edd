"""Job handlers, registered by kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine.models import Job


@dataclass
class JobContext:
    """What a handler gets: the job, and a session whose transaction also marks the job done.

    A handler's writes commit together with the DONE mark, or roll back with it when any handler of
    the job raises (the job is then retried). Handlers must not commit or roll back the session.
    """

    session: Session
    clock: Clock
    job: Job

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload


Handler = Callable[[JobContext], None]


class UnknownJobKind(LookupError):
    pass


class JobRegistry:
    """Maps a job kind to its handlers.

    A kind may be declared with no handler yet (an extension point such as `alert.created`, which
    the escalation engine subscribes to); its jobs complete as no-ops. A kind nobody declared is an
    error, so a typo cannot make jobs vanish.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def declare(self, kind: str) -> None:
        self._handlers.setdefault(kind, [])

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def handlers(self, kind: str) -> list[Handler]:
        """The handlers of `kind` in registration order (empty for a declared extension point)."""
        try:
            return list(self._handlers[kind])
        except KeyError:
            raise UnknownJobKind(f"no handler is registered for job kind {kind!r}") from None

    def kinds(self) -> list[str]:
        return sorted(self._handlers)
