"""Delivering outbox rows: one job per message, the provider call made outside any transaction.

A message is marked SENT in the same transaction that records the provider's answer. A crash
between the provider call and that commit can repeat the call on retry, so providers get the
message's idempotency key where their API takes one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts import lifecycle
from tocsin.alerts.models import Alert, AlertState, LogKind
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.engine.registry import IoContext, JobRegistry
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import EMAIL_TOKEN_LIFETIME, PUSH_TOKEN_LIFETIME, AlertAction
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure, Sender
from tocsin.notifications.content import alert_summary
from tocsin.notifications.dispatch import SEND
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, MessageStatus, Notification

log = logging.getLogger(__name__)


class NotificationSender:
    def __init__(self, senders: Mapping[Channel, Sender], base_url: str) -> None:
        self.senders = dict(senders)
        self.base_url = base_url

    def register(self, registry: JobRegistry) -> None:
        registry.register_io(SEND, self.handle)

    def handle(self, ctx: IoContext) -> None:
        notification_id = int(ctx.payload["notificationId"])
        # A write session: the first message ever also creates the action-token signing key.
        with ctx.db.session(write=True) as session:
            message = self._prepare(session, ctx.clock, notification_id)
        if message is None:
            return
        if isinstance(message, str):
            self._finish(ctx, notification_id, MessageStatus.SKIPPED, error=message)
            return
        sender = self.senders.get(message.channel)
        if sender is None:
            self._finish(ctx, notification_id, MessageStatus.FAILED,
                         error=f"the {message.channel.value} channel is not configured on this server")
            return
        try:
            answer = sender.send(message)
        except PermanentFailure as exc:
            self._finish(ctx, notification_id, MessageStatus.FAILED, error=str(exc))
            return
        except Exception as exc:
            if ctx.last_attempt:
                self._finish(ctx, notification_id, MessageStatus.FAILED, error=f"gave up: {exc}")
                return
            self._attempt_failed(ctx, notification_id, str(exc))
            raise
        self._finish(ctx, notification_id, MessageStatus.SENT, answer=answer)

    def _prepare(self, session: Session, clock: Clock, notification_id: int) -> OutboundMessage | str | None:
        """The message to send; a reason string when it should be skipped; None when already handled."""
        row = session.get(Notification, notification_id)
        if row is None or row.status != MessageStatus.QUEUED.value:
            return None
        method = session.get(ContactMethod, row.contact_method_id) if row.contact_method_id else None
        user = session.get(User, row.user_id)
        address = method.address if method else row.content.get("to")
        if user is None or not isinstance(address, str):
            return "the contact method was removed"
        alert = session.get(Alert, row.alert_id) if row.alert_id else None
        kind = MessageKind(row.kind)
        if kind is MessageKind.ALERT and alert is not None and alert.state != AlertState.PENDING.value:
            return f"the alert was {alert.state.lower()} before the message went out"
        return OutboundMessage(
            notification_id=row.id,
            channel=Channel(row.channel),
            kind=kind,
            address=address,
            subject=str(row.content.get("subject", "")),
            text=str(row.content.get("text", "")),
            idempotency_key=row.idempotency_key,
            recipient_name=user.name,
            contact_data=dict(method.data or {}) if method else {},
            extra=self._extra(row.content),
            alert=self._alert_info(session, clock, alert, user, kind, Channel(row.channel)) if alert else None,
        )

    def _extra(self, content: dict[str, Any]) -> dict[str, Any]:
        """What a message not about an alert carries; paths become links on this server."""
        def absolute(url: str) -> str:
            return f"{self.base_url}{url}" if url.startswith("/") else url

        extra = {k: v for k, v in content.items() if k in ("url", "links", "push", "footer")}
        if isinstance(extra.get("url"), str):
            extra["url"] = absolute(extra["url"])
        if isinstance(extra.get("links"), list):
            extra["links"] = [[label, absolute(str(url))] for label, url in extra["links"]]
        return extra

    def _alert_info(
        self, session: Session, clock: Clock, alert: Alert, user: User, kind: MessageKind, channel: Channel
    ) -> dict[str, Any]:
        info = alert_summary(alert, self.base_url)
        if kind is MessageKind.ALERT:
            # One-click actions for this recipient on this alert only (email links, push buttons).
            for action in AlertAction:
                lifetime = PUSH_TOKEN_LIFETIME if channel is Channel.PUSH else EMAIL_TOKEN_LIFETIME
                token = action_tokens.issue(session, clock, alert.id, action, user.id, lifetime)
                info[f"{action.value}Token"] = token
                info[f"{action.value}Url"] = f"{self.base_url}/actions/{token}"
        return info

    def _attempt_failed(self, ctx: IoContext, notification_id: int, error: str) -> None:
        with ctx.db.session(write=True) as session:
            row = session.get(Notification, notification_id, with_for_update=True)
            if row is not None and row.status == MessageStatus.QUEUED.value:
                row.attempts += 1
                row.last_error = error[:2000]

    def _finish(self, ctx: IoContext, notification_id: int, status: MessageStatus, *, answer: str | None = None,
                error: str | None = None) -> None:
        with ctx.db.session(write=True) as session:
            row = session.get(Notification, notification_id, with_for_update=True)
            if row is None or row.status != MessageStatus.QUEUED.value:
                return
            row.status = status.value
            row.attempts += 0 if status is MessageStatus.SKIPPED else 1
            row.provider_answer = answer[:2000] if answer else None
            row.last_error = error[:2000] if error else None
            if status is MessageStatus.SENT:
                row.sent_at = ctx.clock.now()
            _log(session, ctx.clock, row, status, error)


def _log(session: Session, clock: Clock, row: Notification, status: MessageStatus, error: str | None) -> None:
    alert = session.get(Alert, row.alert_id) if row.alert_id else None
    if alert is None:
        return
    user = session.get(User, row.user_id)
    name = user.name if user else f"user {row.user_id}"
    what = {MessageKind.UPDATE.value: "update", MessageKind.BUNDLE.value: "summary"}.get(row.kind, "notification")
    if status is MessageStatus.SENT:
        message = f"Sent {row.channel} {what} to {name}"
    elif status is MessageStatus.SKIPPED:
        message = f"Did not send {row.channel} {what} to {name}: {error}"
    else:
        message = f"Failed to send {row.channel} {what} to {name}: {error}"
    lifecycle.add_log(session, clock, alert, LogKind.NOTIFICATION, message,
                      data={"notificationId": row.id, "channel": row.channel, "status": status.value})
