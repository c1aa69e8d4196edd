"""API shapes for contact methods and notification rules."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from tocsin.notifications.models import Channel, ContactMethod
from tocsin.schemas import ApiInput, ApiModel

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Push subscriptions are added by the browser through /api/users/me/push-subscriptions.
MANUAL_CHANNELS = {Channel.EMAIL, Channel.SMS, Channel.VOICE, Channel.SLACK, Channel.TEAMS, Channel.WEBHOOK}


class ContactMethodIn(ApiInput):
    channel: Channel
    address: str = Field(min_length=3, max_length=2048,
                         description="Email address, E.164 phone number (+4917…), or webhook URL, by channel")
    label: str | None = Field(default=None, max_length=200)
    send_updates: bool = Field(default=True, description="Also tell me when an alert I was paged for is accepted "
                                                          "or resolved")
    secret: str | None = Field(default=None, min_length=16, max_length=256,
                               description="WEBHOOK only: HMAC-SHA256 signing secret")

    @model_validator(mode="after")
    def _address(self) -> ContactMethodIn:
        if self.channel not in MANUAL_CHANNELS:
            raise ValueError("push subscriptions are registered by the browser at /api/users/me/push-subscriptions")
        address = self.address.strip()
        if self.channel is Channel.EMAIL and not EMAIL.match(address):
            raise ValueError("address must be an email address")
        if self.channel in (Channel.SMS, Channel.VOICE) and not E164.match(address):
            raise ValueError("address must be a phone number in E.164 form, such as +4915112345678")
        if self.channel in (Channel.SLACK, Channel.TEAMS, Channel.WEBHOOK) and not address.startswith(
            ("https://", "http://")
        ):
            raise ValueError("address must be an http(s) URL")
        if self.secret is not None and self.channel is not Channel.WEBHOOK:
            raise ValueError("only WEBHOOK contact methods take a secret")
        self.address = address
        return self


class ContactMethodUpdate(ApiInput):
    label: str | None = Field(default=None, max_length=200)
    send_updates: bool | None = None


class ContactMethodOut(ApiModel):
    id: int
    channel: Channel
    address: str
    label: str | None
    send_updates: bool
    created_at: datetime

    @classmethod
    def of(cls, method: ContactMethod) -> ContactMethodOut:
        address = method.address
        if method.channel == Channel.PUSH.value:
            # The endpoint is a capability (anyone holding it can push): show only where it points.
            parts = urlsplit(address)
            address = f"{parts.scheme}://{parts.netloc}/…"
        return cls(id=method.id, channel=Channel(method.channel), address=address, label=method.label,
                   send_updates=method.send_updates, created_at=method.created_at)


class RuleStepIo(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    channel: Channel
    delay_min: int = Field(ge=0, le=24 * 60)


class NotificationRulesIo(ApiModel):
    """Ordered steps per alert priority: after `delayMin` minutes (if still pending), use `channel`."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", alias_generator=str.upper)

    high: list[RuleStepIo] = Field(max_length=20)
    low: list[RuleStepIo] = Field(max_length=20)


class TestSent(ApiModel):
    notification_id: int
    status: str


def contact_data(body: ContactMethodIn) -> dict[str, Any]:
    return {"secret": body.secret} if body.secret else {}
