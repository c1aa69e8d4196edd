"""Contact methods, notification rules, and the outbox of messages to deliver."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db import Base, JSONDoc, UTCDateTime
from tocsin.ids import IdType


class Channel(StrEnum):
    EMAIL = "EMAIL"
    PUSH = "PUSH"
    SMS = "SMS"
    VOICE = "VOICE"
    SLACK = "SLACK"
    TEAMS = "TEAMS"
    WEBHOOK = "WEBHOOK"


class MessageKind(StrEnum):
    ALERT = "ALERT"  # page about an alert
    UPDATE = "UPDATE"  # the alert someone was paged about was accepted or resolved
    BUNDLE = "BUNDLE"  # "N more alerts": what a throttle held back
    TEST = "TEST"  # "send test" on a contact method
    REMINDER = "REMINDER"  # an on-call shift starts soon
    COVERAGE = "COVERAGE"  # a coverage request was made, answered, cancelled, or is still pending


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class ContactMethod(Base):
    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Email address, E.164 phone number, webhook URL or push endpoint, by channel.
    address: Mapped[str] = mapped_column(String(2048))
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    # Channel specifics: push subscription keys, webhook signing secret, chat handle.
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    send_updates: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRule(Base):
    __tablename__ = "notification_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    priority: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """One message to one contact method. Written by the engine, delivered by a channel."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_channel_created", "user_id", "channel", "created_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), default=None, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    provider_answer: Mapped[str | None] = mapped_column(Text, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AppSecret(Base):
    """Secrets the server makes for itself on first start (VAPID keys, link-signing key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
