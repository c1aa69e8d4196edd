"""API shapes for alert sources and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tocsin.alerts.models import (
    Alert,
    AlertCreation,
    AlertLogEntry,
    AlertSource,
    AlertState,
    LogKind,
    Priority,
    PriorityRule,
    Severity,
    SourceStatus,
)
from tocsin.alerts.priority import WEEKDAYS, parse_clock_time
from tocsin.durations import format_duration, parse_duration
from tocsin.integrations import source_settings
from tocsin.integrations.catalog import integration_email, integration_url
from tocsin.schemas import ApiInput, ApiModel, UserRef
from tocsin.timezones import require_timezone

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class IdRef(ApiInput):
    id: int = Field(ge=1, le=2**53)


class NamedRef(ApiModel):
    id: int
    name: str


class DayWindow(ApiInput):
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["17:00"])

    @model_validator(mode="after")
    def _ordered(self) -> DayWindow:
        start, end = parse_clock_time(self.start), parse_clock_time(self.end)
        if self.start == "24:00" or start >= end:
            raise ValueError("start must be before end within one day (HH:MM, end may be 24:00)")
        return self


class SupportHours(ApiInput):
    timezone: str = Field(max_length=64, examples=["Europe/Berlin"])
    support_days: dict[str, DayWindow | None] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return require_timezone(value)

    @field_validator("support_days")
    @classmethod
    def _days(cls, value: dict[str, DayWindow | None]) -> dict[str, DayWindow | None]:
        unknown = set(value) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        return value


def _duration_seconds(value: str | None) -> int | None:
    return int(parse_duration(value).total_seconds()) if value is not None else None


class AlertSourceIn(ApiInput):
    """Create an alert source; on update, omitted fields keep their value."""

    name: Name
    integration_type: str = Field(default="API", max_length=64)
    escalation_policy: IdRef | None = None
    teams: list[IdRef] = Field(default_factory=list, max_length=50)
    status: SourceStatus = SourceStatus.ACTIVE
    alert_creation: AlertCreation = AlertCreation.ONE_OPEN_ALERT_PER_KEY
    alert_grouping_window: str | None = Field(default=None, examples=["PT5M"], max_length=40)
    auto_resolution_timeout: str | None = Field(default=None, examples=["PT4H"], max_length=40)
    alert_priority_rule: PriorityRule = PriorityRule.HIGH
    support_hours: SupportHours | None = None
    ignore_event_priority: bool = False
    integration_settings: dict[str, Any] = Field(
        default_factory=dict, description="What the integration type needs, e.g. a signing secret or a field mapping"
    )

    @field_validator("alert_grouping_window", "auto_resolution_timeout")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    def changes(self, *, partial: bool) -> dict[str, Any]:
        """AlertSource attribute values; when partial, only for the fields the client sent."""
        policy_id = self.escalation_policy.id if self.escalation_policy else None
        hours = self.support_hours.model_dump(by_alias=True) if self.support_hours else None
        values: dict[str, tuple[str, Any]] = {
            "name": ("name", (self.name or "").strip()),
            "integration_type": ("integration_type", self.integration_type),
            "escalation_policy": ("escalation_policy_id", policy_id),
            "teams": ("team_ids", [t.id for t in self.teams]),
            "status": ("status", self.status.value),
            "alert_creation": ("alert_creation", self.alert_creation.value),
            "alert_grouping_window": ("grouping_window_seconds", _duration_seconds(self.alert_grouping_window)),
            "auto_resolution_timeout": ("auto_resolution_seconds", _duration_seconds(self.auto_resolution_timeout)),
            "alert_priority_rule": ("priority_rule", self.alert_priority_rule.value),
            "support_hours": ("support_hours", hours),
            "ignore_event_priority": ("ignore_event_priority", self.ignore_event_priority),
            "integration_settings": ("integration_settings", self.integration_settings),
        }
        sent = self.model_fields_set if partial else set(values)
        if self.name is None:
            sent = sent - {"name"}
        return dict(values[field] for field in sent)


class AlertSourceUpdate(AlertSourceIn):
    name: Name | None = None  # type: ignore[assignment]


class AlertSourceOut(ApiModel):
    id: int
    name: str
    integration_type: str
    integration_key_hint: str = Field(description="Last four characters of the integration key")
    integration_key: str | None = Field(
        default=None, description="The full key: only in the answer to create and rotate-key"
    )
    integration_url: str | None = Field(default=None, description="Where to send events (create and rotate only)")
    integration_email: str | None = Field(default=None, description="EMAIL sources: the address mail goes to "
                                                                    "(create and rotate only)")
    escalation_policy: IdRef | None
    teams: list[NamedRef]
    status: SourceStatus
    alert_creation: AlertCreation
    alert_grouping_window: str | None
    auto_resolution_timeout: str | None
    alert_priority_rule: PriorityRule
    support_hours: dict[str, Any] | None
    ignore_event_priority: bool
    integration_settings: dict[str, Any] = Field(description="Secret values (e.g. a signing secret) read as "
                                                             "'********'; sending that back keeps the secret")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, source: AlertSource, *, key: str | None = None, base_url: str = "",
           email_domain: str = "") -> AlertSourceOut:
        def dur(seconds: int | None) -> str | None:
            return format_duration(timedelta(seconds=seconds)) if seconds else None

        return cls(
            id=source.id,
            name=source.name,
            integration_type=source.integration_type,
            integration_key_hint=source.key_hint,
            integration_key=key,
            integration_url=integration_url(source.integration_type, base_url, key) if key else None,
            integration_email=integration_email(source.integration_type, email_domain, key) if key else None,
            escalation_policy=IdRef(id=source.escalation_policy_id) if source.escalation_policy_id else None,
            teams=[NamedRef(id=t.id, name=t.name) for t in source.teams],
            status=SourceStatus(source.status),
            alert_creation=AlertCreation(source.alert_creation),
            alert_grouping_window=dur(source.grouping_window_seconds),
            auto_resolution_timeout=dur(source.auto_resolution_seconds),
            alert_priority_rule=PriorityRule(source.priority_rule),
            support_hours=source.support_hours,
            ignore_event_priority=source.ignore_event_priority,
            integration_settings=source_settings.public(source.integration_type, source.integration_settings),
            created_at=source.created_at,
            updated_at=source.updated_at,
        )


class Image(BaseModel):
    model_config = ConfigDict(extra="ignore")
    src: str = Field(min_length=1, max_length=2048)
    href: str | None = Field(default=None, max_length=2048)
    alt: str | None = Field(default=None, max_length=1024)


class Link(BaseModel):
    model_config = ConfigDict(extra="ignore")
    href: str = Field(min_length=1, max_length=2048)
    text: str | None = Field(default=None, max_length=1024)


class AlertOut(ApiModel):
    id: int
    summary: str
    details: str | None
    alert_key: str
    state: AlertState
    priority: Priority
    severity: Severity | None
    alert_source: NamedRef
    images: list[dict[str, Any]]
    links: list[dict[str, Any]]
    labels: dict[str, str]
    custom_details: dict[str, Any]
    event_count: int
    created_at: datetime
    last_event_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    accepted_by: UserRef | None
    resolved_by: UserRef | None
    assigned_to: UserRef | None
    escalation_policy: IdRef | None
    escalation_level: int | None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        def ref(user: Any) -> UserRef | None:
            return UserRef(id=user.id, name=user.name) if user is not None else None

        return cls(
            id=alert.id,
            summary=alert.summary,
            details=alert.details,
            alert_key=alert.alert_key,
            state=AlertState(alert.state),
            priority=Priority(alert.priority),
            severity=Severity(alert.severity) if alert.severity else None,
            alert_source=NamedRef(id=alert.source.id, name=alert.source.name),
            images=alert.images,
            links=alert.links,
            labels=alert.labels,
            custom_details=alert.custom_details,
            event_count=alert.event_count,
            created_at=alert.created_at,
            last_event_at=alert.last_event_at,
            accepted_at=alert.accepted_at,
            resolved_at=alert.resolved_at,
            accepted_by=ref(alert.accepted_by),
            resolved_by=ref(alert.resolved_by),
            assigned_to=ref(alert.assigned_to),
            escalation_policy=IdRef(id=alert.escalation_policy_id) if alert.escalation_policy_id else None,
            escalation_level=alert.escalation_level,
        )


class AlertCount(ApiModel):
    count: int


class AssignIn(ApiInput):
    user_id: int = Field(ge=1, le=2**53)


class CommentIn(ApiInput):
    content: str = Field(min_length=1, max_length=10_000, pattern=r"\S")


class LogEntryOut(ApiModel):
    id: int
    at: datetime
    kind: LogKind
    message: str
    actor: UserRef | None
    inbound_event_id: int | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AlertLogEntry) -> LogEntryOut:
        actor = UserRef(id=entry.actor.id, name=entry.actor.name) if entry.actor else None
        return cls(
            id=entry.id, at=entry.at, kind=LogKind(entry.kind), message=entry.message, actor=actor,
            inbound_event_id=entry.inbound_event_id, data=entry.data,
        )
