"""Generic JSON: any tool that posts JSON, mapped to an event by a mapping the admin sets per alert source.

The mapping is the alert source's integrationSettings:

    {"match": [{"path": "action", "in": ["completed"]}],            # optional: all must hold, else no event
     "alertKey": "{repository.full_name}@{workflow_run.head_branch}",  # templates: {dotted.path} is replaced
     "summary": "{workflow_run.name} {workflow_run.conclusion}",      # by the value there ("" when missing)
     "details": "...",
     "state": {"path": "workflow_run.conclusion", "map": {"failure": "ALERT", "success": "RESOLVE"},
               "default": "IGNORE"},               # or {"value": "ALERT"}; absent, or unmapped without default: ALERT
     "priority": {"path": "severity", "map": {"critical": "HIGH"}, "default": "LOW"},  # absent: the source's rule
     "links": [{"href": "{workflow_run.html_url}", "text": "Run"}],
     "labels": {"repo": "{repository.full_name}"}}

A numeric path step indexes a list (``build.scm.culprits.0``). States are ALERT, ACCEPT, RESOLVE and IGNORE
(no event); priorities HIGH and LOW. Map lookups try the exact text first, then ignoring case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import at_path, link

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PATH = re.compile(r"^[^\s{}]{1,200}$")
State = Literal["ALERT", "ACCEPT", "RESOLVE", "IGNORE"]
PriorityName = Literal["HIGH", "LOW"]
Template = Annotated[str, Field(max_length=2000)]
Path = Annotated[str, Field(pattern=PATH.pattern)]
MapKey = Annotated[str, Field(max_length=200)]


def _check_template(value: str | None) -> str | None:
    if value is not None:
        for name in PLACEHOLDER.findall(value):
            if not PATH.match(name):
                raise ValueError(f"placeholder {{{name}}} is not a dotted path")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Match(Strict):
    path: Path
    in_: list[str | int | float | bool] = Field(alias="in", min_length=1, max_length=100)


def _one_source(value: str | None, path: str | None) -> None:
    if (value is None) == (path is None):
        raise ValueError("give either 'value' or 'path' (with 'map' and an optional 'default')")


class StateLookup(Strict):
    """Either a constant (`value`) or the value at `path` looked up in `map`, else `default`."""

    value: State | None = None
    path: Path | None = None
    map: dict[MapKey, State] = Field(default_factory=dict, max_length=200)
    default: State | None = None

    @model_validator(mode="after")
    def _check(self) -> StateLookup:
        _one_source(self.value, self.path)
        return self


class PriorityLookup(Strict):
    value: PriorityName | None = None
    path: Path | None = None
    map: dict[MapKey, PriorityName] = Field(default_factory=dict, max_length=200)
    default: PriorityName | None = None

    @model_validator(mode="after")
    def _check(self) -> PriorityLookup:
        _one_source(self.value, self.path)
        return self


class LinkTemplate(Strict):
    href: Template
    text: Annotated[str, Field(max_length=200)] | None = None


class FieldMapping(Strict):
    match: list[Match] = Field(default_factory=list, max_length=20)
    alert_key: Template | None = Field(default=None, alias="alertKey")
    summary: Template
    details: Template | None = None
    state: StateLookup | None = None
    priority: PriorityLookup | None = None
    links: list[LinkTemplate] = Field(default_factory=list, max_length=20)
    labels: dict[Annotated[str, Field(max_length=100)], Template] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _templates(self) -> FieldMapping:
        for template in [self.alert_key, self.summary, self.details, *(item.href for item in self.links),
                         *self.labels.values()]:
            _check_template(template)
        return self


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(template: str | None, body: Any) -> str:
    if template is None:
        return ""
    return PLACEHOLDER.sub(lambda m: as_text(at_path(body, m.group(1))), template).strip()


def lookup(spec: StateLookup | PriorityLookup, body: Any) -> str | None:
    if spec.value is not None:
        return spec.value
    found = as_text(at_path(body, spec.path or ""))
    table: dict[str, str] = dict(spec.map)
    if found in table:
        return table[found]
    folded = {k.lower(): v for k, v in table.items()}
    return folded.get(found.lower(), spec.default)


def _matches(rule: Match, body: Any) -> bool:
    return as_text(at_path(body, rule.path)) in {as_text(v) for v in rule.in_}


def mapping_of(settings: Mapping[str, Any]) -> FieldMapping:
    try:
        return FieldMapping.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        field = f"integrationSettings.{where}" if where else "integrationSettings"
        raise Problem(400, f"{field}: {first['msg']}", field=field) from None


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    if not settings:
        raise Problem(400, "GENERIC_JSON needs a mapping in integrationSettings: at least 'summary' (a template "
                           "such as '{host}: {message}'), usually also 'alertKey' and 'state'",
                      field="integrationSettings")
    return mapping_of(settings).model_dump(by_alias=True, exclude_none=True)


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    mapping = mapping_of(settings)
    body = request.json()
    if not all(_matches(rule, body) for rule in mapping.match):
        return Parsed(note="the body did not pass the mapping's 'match' rules")
    state = (lookup(mapping.state, body) if mapping.state else None) or "ALERT"  # unmapped, no default: ALERT
    if state == "IGNORE":
        return Parsed(note="the mapping's state is IGNORE for this body")
    priority = lookup(mapping.priority, body) if mapping.priority else None
    labels = {name: value for name, template in mapping.labels.items() if (value := render(template, body))}
    event_links = [found for item in mapping.links
                   if (found := link(render(item.href, body), item.text or "Link")) is not None]
    return Parsed(events=[Event(
        event_type=EventType(state),
        alert_key=render(mapping.alert_key, body) or None,
        summary=render(mapping.summary, body) or "Alert (the mapping's summary was empty for this body)",
        details=render(mapping.details, body) or None,
        priority=Priority(priority) if priority else None,
        links=event_links,
        labels=labels,
        origin="generic-json",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#555"/>'
    '<path d="M9 6c-2 0-2 1-2 3s-1 3-2 3c1 0 2 1 2 3s0 3 2 3m6-12c2 0 2 1 2 3s1 3 2 3c-1 0-2 1-2 3s0 3-2 3" '
    'fill="none" stroke="#fff" stroke-width="1.6"/></svg>'
)

INTEGRATION = Integration(
    type="GENERIC_JSON",
    name="Generic JSON (field mapping)",
    parse=parse,
    validate_settings=validate,
    category="generic",
    logo_svg=LOGO,
    setup_steps=(
        "Point the tool's webhook at {url} with method POST and a JSON body.",
        "Describe its body in the alert source's integrationSettings: 'summary', 'alertKey' and 'details' are "
        "templates where {a.b.c} is the value at that path; 'state' and 'priority' map a field's value, e.g. "
        "{\"path\": \"status\", \"map\": {\"firing\": \"ALERT\", \"ok\": \"RESOLVE\"}, \"default\": \"IGNORE\"}.",
        "Optional 'match': [{\"path\": \"action\", \"in\": [\"completed\"]}] drops requests that are not events.",
        "Send a sample and check the alert source's inbound events.",
    ),
)
