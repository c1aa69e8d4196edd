"""Opsgenie's Alert API bodies, for teams leaving Opsgenie (the routes are in tocsin.integrations.opsgenie).

Create: ``message`` → summary, ``alias`` → alert key, ``description`` → details, ``priority`` P1/P2 → HIGH,
P3-P5 → LOW (absent: the alert source's rule), ``tags`` → labels (``key:value`` tags as key=value, others with
an empty value), ``entity`` and ``source`` → labels, ``details`` → custom details, ``note`` → a comment.
``responders``, ``visibleTo`` and ``actions`` are accepted and ignored: routing is the alert source's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tocsin.alerts.events import Comment, Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.schemas import check_storable

PRIORITIES = {"P1": Priority.HIGH, "P2": Priority.HIGH, "P3": Priority.LOW, "P4": Priority.LOW, "P5": Priority.LOW}
Short = Annotated[str, Field(max_length=512)]


class OpsgenieBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return check_storable(value)


class CreateAlert(OpsgenieBody):
    message: Annotated[str, Field(max_length=10_000)]
    alias: Short | None = None
    description: Annotated[str, Field(max_length=15_000)] | None = None
    priority: Literal["P1", "P2", "P3", "P4", "P5"] | None = None
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100)
    details: dict[str, Any] = Field(default_factory=dict)
    entity: Short | None = None
    source: Short | None = None
    user: Short | None = None
    note: Annotated[str, Field(max_length=25_000)] | None = None
    responders: Any = None
    visible_to: Any = Field(default=None, alias="visibleTo")
    actions: Any = None

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Message can not be empty.")
        return value

    @field_validator("priority", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class AlertAction(OpsgenieBody):
    """Close, acknowledge and add-note bodies."""

    user: Short | None = None
    source: Short | None = None
    note: Annotated[str, Field(max_length=25_000)] | None = None


def validation_problem(exc: ValidationError) -> Problem:
    errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body",
               "message": e["msg"].removeprefix("Value error, ")} for e in exc.errors(include_url=False)]
    first = errors[0]
    return Problem(422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors)


def read(model: type[OpsgenieBody], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def tag_labels(tags: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for tag in tags:
        name, sep, value = tag.partition(":")
        if name.strip():
            labels[name.strip()] = value.strip() if sep else ""
    return labels


def create_event(alert: CreateAlert) -> Event:
    labels = tag_labels(alert.tags)
    labels.update({k: v for k, v in (("entity", alert.entity), ("source", alert.source)) if v})
    return Event(
        event_type=EventType.ALERT,
        alert_key=alert.alias,
        summary=alert.message.strip(),
        details=alert.description,
        priority=PRIORITIES[alert.priority] if alert.priority else None,
        labels=labels,
        custom_details=alert.details,
        comments=[Comment(content=alert.note, creator=alert.user)] if alert.note and alert.note.strip() else [],
        origin="opsgenie",
    )


def action_events(event_type: EventType, key: str, action: AlertAction) -> list[Event]:
    """The note (as a comment, while the alert is still open), then the action itself."""
    note = (action.note or "").strip()
    events = [Event(EventType.COMMENT, alert_key=key, comments=[Comment(note, action.user)], origin="opsgenie")] \
        if note else []
    if event_type is not EventType.COMMENT:
        events.append(Event(event_type, alert_key=key, summary=note or None, origin="opsgenie"))
    return events


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    """A create-alert body posted to /api/integrations/{integrationKey}."""
    try:
        alert = read(CreateAlert, request.json_object())
    except Problem as problem:
        raise BadPayload(problem.detail, field=problem.field) from None
    return Parsed(events=[create_event(alert)])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#2684ff"/>'
    '<circle cx="12" cy="8" r="3.5" fill="#fff"/><path d="M5 15c3 4 11 4 14 0" fill="none" stroke="#fff" '
    'stroke-width="2"/></svg>'
)

INTEGRATION = Integration(
    type="OPSGENIE",
    name="Opsgenie Alert API (compatible)",
    parse=parse,
    category="compatibility",
    logo_svg=LOGO,
    url_path="",
    setup_steps=(
        "Where the tool asks for Opsgenie's API URL (https://api.opsgenie.com), enter {url}.",
        "Use the alert source's integration key as the API key: the tool sends 'Authorization: GenieKey <key>'.",
        "POST /v2/alerts creates (alias deduplicates), /v2/alerts/{identifier}/close, /acknowledge and /notes "
        "act on it (identifierType=alias, or id for a tocsin alert id). P1/P2 → HIGH, P3-P5 → LOW.",
        "Responders, visibleTo and actions are ignored: the alert source's escalation policy decides who is paged.",
    ),
)
