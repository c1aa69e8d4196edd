"""API shapes for heartbeat monitors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, StrictInt, field_validator

from tocsin.alerts.schemas import IdRef, Name, NamedRef
from tocsin.durations import format_duration, parse_duration
from tocsin.heartbeats import service
from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatState, HeartbeatStatus
from tocsin.schemas import ApiInput, ApiModel

MIN_INTERVAL = timedelta(seconds=25)
MAX_INTERVAL = timedelta(days=31)
MAX_GRACE = timedelta(days=31)
DEFAULT_GRACE_SECONDS = 60

# An ISO 8601 duration ("PT5M") or a number of seconds (300).
Duration = Annotated[StrictInt | Annotated[str, Field(max_length=40)], Field(examples=["PT5M", 300])]


def to_seconds(value: int | str, *, allow_zero: bool = False) -> int:
    if isinstance(value, int):
        seconds = value
    elif value.strip().isdigit():
        seconds = int(value.strip())
    else:
        zero = value.strip().upper() in {"PT0S", "PT0M", "PT0H", "P0D"}
        seconds = 0 if zero and allow_zero else int(parse_duration(value).total_seconds())
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError("must be longer than zero" if not allow_zero else "must not be negative")
    return seconds


class HeartbeatIn(ApiInput):
    """Create a heartbeat monitor; on update, omitted fields keep their value."""

    name: Name
    interval: Duration = Field(description="How often the tool pings: 25 s to 31 days (ISO 8601 or seconds)")
    grace_period: Duration = Field(
        default=DEFAULT_GRACE_SECONDS, description="Extra time after the interval before the alert (0 to 31 days)"
    )
    alert_source: IdRef = Field(description="Where the alert for a missed ping opens (a source you can change)")
    summary: str | None = Field(default=None, max_length=1024, description="The alert's summary (default: generated)")
    status: HeartbeatStatus = HeartbeatStatus.ACTIVE

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            seconds = to_seconds(value)
            if not MIN_INTERVAL.total_seconds() <= seconds <= MAX_INTERVAL.total_seconds():
                raise ValueError("must be between 25 seconds (PT25S) and 31 days (P31D)")
        return value

    @field_validator("grace_period")
    @classmethod
    def _grace(cls, value: int | str | None) -> int | str | None:
        if value is not None and to_seconds(value, allow_zero=True) > MAX_GRACE.total_seconds():
            raise ValueError("must be at most 31 days (P31D)")
        return value

    def changes(self, *, partial: bool) -> dict[str, Any]:
        """HeartbeatMonitor attribute values; when partial, only for the fields the client sent (null means
        "keep", except for summary, where it means "the generated one")."""
        sent = self.model_fields_set if partial else set(type(self).model_fields)
        out: dict[str, Any] = {}
        if "name" in sent and self.name is not None:
            out["name"] = self.name.strip()
        if "interval" in sent and self.interval is not None:
            out["interval_seconds"] = to_seconds(self.interval)
        if "grace_period" in sent and self.grace_period is not None:
            out["grace_seconds"] = to_seconds(self.grace_period, allow_zero=True)
        if "alert_source" in sent and self.alert_source is not None:
            out["alert_source_id"] = self.alert_source.id
        if "summary" in sent:
            out["summary"] = self.summary.strip() or None if self.summary else None
        if "status" in sent and self.status is not None:
            out["status"] = self.status.value
        return out


class HeartbeatUpdate(HeartbeatIn):
    name: Name | None = None  # type: ignore[assignment]
    interval: Duration | None = None  # type: ignore[assignment]
    grace_period: Duration | None = None  # type: ignore[assignment]
    alert_source: IdRef | None = None  # type: ignore[assignment]
    status: HeartbeatStatus | None = None  # type: ignore[assignment]


class HeartbeatOut(ApiModel):
    id: int
    name: str
    interval: str = Field(description="ISO 8601 duration")
    interval_seconds: int
    grace_period: str
    grace_period_seconds: int
    alert_source: NamedRef
    summary: str | None
    status: HeartbeatStatus
    state: HeartbeatState
    last_ping_at: datetime | None
    due_at: datetime | None = Field(description="When a missing ping becomes an alert (none while paused)")
    ping_key_hint: str = Field(description="Last four characters of the ping key")
    ping_key: str | None = Field(default=None, description="The full key: only in the answer to create and rotate-key")
    ping_url: str | None = Field(default=None, description="Where to ping (create and rotate-key only)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, monitor: HeartbeatMonitor, now: datetime, *, key: str | None = None, base_url: str = ""
    ) -> HeartbeatOut:
        active = monitor.status == HeartbeatStatus.ACTIVE.value
        return cls(
            id=monitor.id,
            name=monitor.name,
            interval=format_duration(timedelta(seconds=monitor.interval_seconds)),
            interval_seconds=monitor.interval_seconds,
            grace_period=format_duration(timedelta(seconds=monitor.grace_seconds)),
            grace_period_seconds=monitor.grace_seconds,
            alert_source=NamedRef(id=monitor.source.id, name=monitor.source.name),
            summary=monitor.summary,
            status=HeartbeatStatus(monitor.status),
            state=service.state(monitor, now),
            last_ping_at=monitor.last_ping_at,
            due_at=service.due_at(monitor) if active else None,
            ping_key_hint=monitor.key_hint,
            ping_key=key,
            ping_url=f"{base_url}/api/heartbeats/{key}" if key else None,
            created_at=monitor.created_at,
            updated_at=monitor.updated_at,
        )


class PingAccepted(ApiModel):
    status: str = "accepted"
    state: HeartbeatState
