"""The two event wire formats: ilert's Events API and PagerDuty's Events API v2."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

from tocsin.alerts.events import MAX_KEY_LENGTH, MAX_SUMMARY_LENGTH, Comment, Event
from tocsin.alerts.models import EventType, Priority, Severity
from tocsin.alerts.schemas import Image, Link
from tocsin.schemas import StorableInput, Timestamp


def _fits_lower_cased(key: str) -> str:
    # Keys are matched lower-cased, and lower-casing may lengthen a text ("İ" becomes "i̇").
    if len(key.strip().lower()) > MAX_KEY_LENGTH:
        raise ValueError(f"must be at most {MAX_KEY_LENGTH} characters, also when lower-cased")
    return key


AlertKey = Annotated[str, Field(max_length=MAX_KEY_LENGTH), AfterValidator(_fits_lower_cased)]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class IlertComment(StorableInput):
    model_config = ConfigDict(extra="ignore")
    creator: str | None = Field(default=None, max_length=200)
    content: str = Field(min_length=1, max_length=10_000)


def _required_when(field: str, value: str, required: str, *, otherwise: str | None = None) -> JsonDict:
    """JSON Schema for "`required` must be there (and not blank) when `field` is `value`" (else `otherwise`)."""

    def present(name: str) -> JsonDict:
        return {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}

    rule: JsonDict = {"if": {"properties": {field: {"const": value}}, "required": [field]},
                            "then": present(required)}
    if otherwise:
        rule["else"] = present(otherwise)
    return rule


# What IlertEvent._required() enforces, stated in the OpenAPI document.
_ILERT_RULES: JsonDict = {"allOf": [
    _required_when("eventType", "ALERT", "summary", otherwise="alertKey"),
    {"if": {"properties": {"eventType": {"const": "COMMENT"}}, "required": ["eventType"]},
     "then": {"required": ["comments"], "properties": {"comments": {"type": "array", "minItems": 1}}}},
]}


class IlertEvent(StorableInput):
    """ilert Events API body. Unknown fields are ignored, as ilert does."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", json_schema_extra=_ILERT_RULES
    )

    integration_key: str | None = Field(default=None, max_length=200)
    event_type: EventType
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_LENGTH)
    details: str | None = Field(default=None, max_length=100_000)
    alert_key: AlertKey | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    images: list[Image] = Field(default_factory=list, max_length=50)
    links: list[Link] = Field(default_factory=list, max_length=50)
    comments: list[IlertComment] = Field(default_factory=list, max_length=50)
    custom_details: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict, max_length=100)

    @field_validator("event_type", "priority", "severity", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        return _upper(value)

    @model_validator(mode="after")
    def _required(self) -> IlertEvent:
        if self.event_type is EventType.ALERT and not (self.summary and self.summary.strip()):
            raise ValueError("summary is required when eventType is ALERT")
        if self.event_type is not EventType.ALERT and not (self.alert_key and self.alert_key.strip()):
            raise ValueError(f"alertKey is required when eventType is {self.event_type.value}")
        if self.event_type is EventType.COMMENT and not self.comments:
            raise ValueError("comments are required when eventType is COMMENT")
        return self

    def to_event(self) -> Event:
        return Event(
            event_type=self.event_type,
            alert_key=self.alert_key,
            summary=self.summary.strip() if self.summary else None,
            details=self.details,
            priority=self.priority,
            severity=self.severity,
            images=[i.model_dump(exclude_none=True) for i in self.images],
            links=[link.model_dump(exclude_none=True) for link in self.links],
            comments=[Comment(content=c.content, creator=c.creator) for c in self.comments],
            custom_details=self.custom_details,
            labels=self.labels,
            origin="ilert",
        )


class EventAccepted(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    status: Literal["accepted"] = "accepted"
    alert_key: str
    outcome: str = Field(description="CREATED, APPENDED, APPLIED or IGNORED")
    reason: str | None = None


# --- PagerDuty Events API v2 ----------------------------------------------------------------

PD_ACTIONS = {"trigger": EventType.ALERT, "acknowledge": EventType.ACCEPT, "resolve": EventType.RESOLVE}


class PagerDutyPayload(StorableInput):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    summary: str = Field(min_length=1, max_length=MAX_SUMMARY_LENGTH)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: Timestamp | None = None
    component: str | None = Field(default=None, max_length=255)
    group: str | None = Field(default=None, max_length=255)
    class_: str | None = Field(default=None, alias="class", max_length=255)
    custom_details: Any = None

    @field_validator("severity", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


# What PagerDutyEvent._required() enforces, stated in the OpenAPI document.
_PAGERDUTY_RULES: JsonDict = {"allOf": [
    {"if": {"properties": {"event_action": {"const": "trigger"}}, "required": ["event_action"]},
     "then": {"required": ["payload"], "properties": {"payload": {"type": "object"}}},
     "else": {"required": ["dedup_key"], "properties": {"dedup_key": {"type": "string", "pattern": r"\S"}}}},
]}


class PagerDutyEvent(StorableInput):
    """PagerDuty Events API v2 body (`POST /v2/enqueue`)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_PAGERDUTY_RULES)

    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: AlertKey | None = None
    payload: PagerDutyPayload | None = None
    client: str | None = Field(default=None, max_length=255)
    client_url: str | None = Field(default=None, max_length=2048)
    images: list[Image] = Field(default_factory=list, max_length=50)
    links: list[Link] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _required(self) -> PagerDutyEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("'payload' is missing or null (required for trigger)")
        if self.event_action != "trigger" and not (self.dedup_key and self.dedup_key.strip()):
            raise ValueError(f"'dedup_key' is required for {self.event_action}")
        return self

    def to_event(self) -> Event:
        # PagerDuty makes up a key for a trigger without one and hands it back.
        key = self.dedup_key if self.dedup_key and self.dedup_key.strip() else uuid.uuid4().hex
        links = [link.model_dump(exclude_none=True) for link in self.links]
        if self.client_url:
            links.append({"href": self.client_url, "text": self.client or self.client_url})
        p = self.payload
        labels: dict[str, str] = {}
        custom: dict[str, Any] = {}
        if p is not None:
            labels = {k: v for k, v in (("source", p.source), ("component", p.component),
                                        ("group", p.group), ("class", p.class_)) if v}
            if isinstance(p.custom_details, dict):
                custom = p.custom_details
            elif p.custom_details is not None:
                custom = {"details": p.custom_details}
        return Event(
            event_type=PD_ACTIONS[self.event_action],
            alert_key=key,
            summary=p.summary if p else None,
            severity=Severity(p.severity.upper()) if p else None,
            images=[i.model_dump(exclude_none=True) for i in self.images],
            links=links,
            custom_details=custom,
            labels=labels,
            origin="pagerduty",
            client=self.client,
            client_url=self.client_url,
        )


class PagerDutyAccepted(BaseModel):
    status: Literal["success"] = "success"
    message: Literal["Event processed"] = "Event processed"
    dedup_key: str


class PagerDutyInvalid(BaseModel):
    status: str = "invalid event"
    message: str = "Event object is invalid"
    errors: list[str] = Field(default_factory=list)
