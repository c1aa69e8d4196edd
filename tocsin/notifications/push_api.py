"""Routes for Web Push: the VAPID public key, and the caller's browser subscriptions.

The service worker fetches the key, calls PushManager.subscribe({applicationServerKey, userVisibleOnly}),
and posts subscription.toJSON() here; the subscription becomes a PUSH contact method of the caller.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field, model_validator
from sqlalchemy import select

from tocsin.deps import CurrentUser, DbSession, State
from tocsin.errors import bad_request, not_found
from tocsin.notifications.channels.webpush import (
    MAX_ENDPOINT_LENGTH,
    application_server_key,
    endpoint_problem,
    keys_problem,
    load_vapid_key,
)
from tocsin.notifications.models import Channel, ContactMethod
from tocsin.notifications.schemas import ContactMethodOut
from tocsin.schemas import ApiInput, ApiModel

router = APIRouter(tags=["notifications"])


class VapidPublicKey(ApiModel):
    application_server_key: str = Field(description="The server's VAPID public key: base64url of the "
                                                    "uncompressed P-256 point, for PushManager.subscribe()")


class SubscriptionKeys(ApiInput):
    p256dh: str = Field(min_length=1, max_length=200, description="base64url P-256 public key of the browser")
    auth: str = Field(min_length=1, max_length=100, description="base64url 16-byte auth secret")

    @model_validator(mode="after")
    def _valid(self) -> SubscriptionKeys:
        problem = keys_problem({"p256dh": self.p256dh, "auth": self.auth})
        if problem:
            raise ValueError(problem)
        return self


class PushSubscriptionIn(ApiInput):
    """What the browser's PushSubscription.toJSON() gives, and an optional label for the device."""

    endpoint: str = Field(min_length=8, max_length=MAX_ENDPOINT_LENGTH, description="The push service URL (https)")
    expiration_time: int | None = Field(default=None, ge=0, description="When the subscription expires (ms since "
                                                                        "the epoch), if the browser says")
    keys: SubscriptionKeys
    label: str | None = Field(default=None, max_length=200, description="A name for the device, e.g. 'Phone'")


class PushSubscriptionRef(ApiInput):
    endpoint: str = Field(min_length=1, max_length=MAX_ENDPOINT_LENGTH)


def _own_subscriptions(session: DbSession, user_id: int, endpoint: str) -> list[ContactMethod]:
    query = select(ContactMethod).where(ContactMethod.user_id == user_id, ContactMethod.channel == Channel.PUSH.value,
                                        ContactMethod.address == endpoint).order_by(ContactMethod.id)
    return list(session.scalars(query))


@router.get("/api/push/vapid-public-key", response_model=VapidPublicKey)
def vapid_public_key(user: CurrentUser, state: State) -> VapidPublicKey:
    """The key a browser subscribes with. Made on first use and kept in the database."""
    return VapidPublicKey(application_server_key=application_server_key(load_vapid_key(state.db, state.clock)))


@router.post("/api/users/me/push-subscriptions", status_code=201, response_model=ContactMethodOut,
             responses={200: {"model": ContactMethodOut, "description": "This endpoint was already registered "
                                                                       "for the caller; its keys were updated"}})
def add_push_subscription(body: PushSubscriptionIn, response: Response, session: DbSession, user: CurrentUser,
                          state: State) -> ContactMethodOut:
    """Register this browser for push notifications (a PUSH contact method of the caller)."""
    problem = endpoint_problem(body.endpoint, allow_http=state.settings.push_allow_http,
                               allow_private=state.settings.allow_private_webhooks)
    if problem:
        raise bad_request(problem, field="endpoint")
    data: dict[str, Any] = {"keys": {"p256dh": body.keys.p256dh, "auth": body.keys.auth}}
    if body.expiration_time is not None:
        data["expirationTime"] = body.expiration_time
    existing = _own_subscriptions(session, user.id, body.endpoint)
    if existing:
        method = existing[0]
        method.data = data
        if body.label is not None:
            method.label = body.label
        response.status_code = 200
        return ContactMethodOut.of(method)
    method = ContactMethod(user_id=user.id, channel=Channel.PUSH.value, address=body.endpoint,
                           label=body.label or "Browser", data=data, send_updates=True,
                           created_at=state.clock.now())
    session.add(method)
    session.flush()
    return ContactMethodOut.of(method)


@router.delete("/api/users/me/push-subscriptions", status_code=204)
def remove_push_subscription(body: PushSubscriptionRef, session: DbSession, user: CurrentUser) -> Response:
    """Forget this browser's subscription (on logout, or when the user turns push off)."""
    methods = _own_subscriptions(session, user.id, body.endpoint)
    if not methods:
        raise not_found("push subscription")
    for method in methods:
        session.delete(method)
    return Response(status_code=204)
