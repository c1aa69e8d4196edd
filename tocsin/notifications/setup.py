"""The channels this server can deliver on, built from settings."""

from __future__ import annotations

from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.notifications.channels.base import Sender
from tocsin.notifications.channels.chat import chat_senders
from tocsin.notifications.channels.email import EmailSender
from tocsin.notifications.channels.twilio import build as twilio_senders
from tocsin.notifications.channels.webpush import WebPushSender
from tocsin.notifications.models import Channel
from tocsin.settings import Settings


def build_senders(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> dict[
        Channel, Sender]:
    """Every channel whose settings are present; the others fail their messages visibly.

    Web Push needs no settings, only the database (its VAPID key lives there): on whenever db is given."""
    senders: dict[Channel, Sender] = {}
    senders.update(chat_senders(settings, clock=clock))  # SLACK, TEAMS, WEBHOOK: no credentials needed
    if db is not None and clock is not None:
        senders[Channel.PUSH] = WebPushSender.from_settings(settings, db, clock)
    if settings.smtp_host:
        senders[Channel.EMAIL] = EmailSender(settings, clock=clock)
    senders.update(twilio_senders(settings, db))  # SMS, VOICE: when the Twilio settings are present
    return senders
