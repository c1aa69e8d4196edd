"""The channels this server can deliver on, built from settings."""

from __future__ import annotations

from tocsin.notifications.channels.base import Sender
from tocsin.notifications.models import Channel
from tocsin.settings import Settings


def build_senders(settings: Settings) -> dict[Channel, Sender]:
    """Every channel whose settings are present; the others fail their messages visibly."""
    senders: dict[Channel, Sender] = {}
    return senders
