"""Heartbeat monitors: a tool pings tocsin at least every interval; a missed ping raises an alert."""
