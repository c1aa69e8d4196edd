"""Placing an override over existing ones: the new one wins; older ones are trimmed, split or removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tocsin.schedules.definitions import Override


@dataclass
class OverridePlan:
    delete: list[int] = field(default_factory=list)
    # (id, new start, new end) for overrides that keep a part
    resize: list[tuple[int, datetime, datetime]] = field(default_factory=list)
    # (id of the override split in two, start, end) for its right-hand part
    create: list[tuple[int, datetime, datetime]] = field(default_factory=list)


def plan_override(existing: list[Override], start: datetime, end: datetime) -> OverridePlan:
    plan = OverridePlan()
    for o in existing:
        if o.end <= start or o.start >= end:
            continue
        keeps_left, keeps_right = o.start < start, o.end > end
        if keeps_left and keeps_right:
            plan.resize.append((o.id, o.start, start))
            plan.create.append((o.id, end, o.end))
        elif keeps_left:
            plan.resize.append((o.id, o.start, start))
        elif keeps_right:
            plan.resize.append((o.id, end, o.end))
        else:
            plan.delete.append(o.id)
    return plan
