"""Job handlers, registered by kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.db import Database
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


@dataclass(frozen=True)
class IoContext:
    """What an I/O handler gets: no open transaction, so it may talk to the network for a while.

    It opens its own short sessions on `db` to read what it needs and to record what happened.
    """

    db: Database
    clock: Clock
    job_id: int
    payload: dict[str, Any]
    attempts: int
    max_attempts: int

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


IoHandler = Callable[[IoContext], None]


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
        self._io_handlers: dict[str, IoHandler] = {}

    def declare(self, kind: str) -> None:
        self._handlers.setdefault(kind, [])

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._io_handlers:
            raise ValueError(f"job kind {kind!r} already has an I/O handler")
        self._handlers.setdefault(kind, []).append(handler)

    def register_io(self, kind: str, handler: IoHandler) -> None:
        """A kind whose single handler does slow I/O (sending a message) outside any transaction."""
        if kind in self._io_handlers or kind in self._handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self._io_handlers[kind] = handler

    def io_handler(self, kind: str) -> IoHandler | None:
        return self._io_handlers.get(kind)

    def handlers(self, kind: str) -> list[Handler]:
        """The handlers of `kind` in registration order (empty for a declared extension point)."""
        try:
            return list(self._handlers[kind])
        except KeyError:
            raise UnknownJobKind(f"no handler is registered for job kind {kind!r}") from None

    def kinds(self) -> list[str]:
        return sorted({*self._handlers, *self._io_handlers})
