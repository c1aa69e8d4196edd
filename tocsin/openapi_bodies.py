"""The OpenAPI document, completed where FastAPI cannot know:

- request bodies that a route parses itself (to accept any content type or answer in a vendor's error
  format) are documented: their schemas are merged into the components;
- errors are RFC 9457 problem details answered with 400, not FastAPI's 422 validation shape; every
  operation documents them as its `default` response (or in its own error format, where it has one).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"
_models: list[type[BaseModel]] = []

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `field` names the input at fault; `errors` lists every one.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/validation"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "in": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def json_body(model: type[BaseModel], *, description: str = "") -> dict[str, Any]:
    """openapi_extra for a route that reads `model` from the raw body."""
    if model not in _models:
        _models.append(model)
    schema = {"$ref": _REF.format(model=model.__name__)}
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return {"requestBody": body}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in _models:
            schema = model.model_json_schema(ref_template=_REF, by_alias=True)
            for name, definition in schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components.setdefault(model.__name__, schema)
        _document_problems(spec)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _document_problems(spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            own = responses.get("400")  # an operation that answers errors in its own format (PagerDuty's)
            content = own["content"] if own and "content" in own else problem
            if responses.pop("422", None) is not None:
                responses.setdefault("400", {"description": "Invalid request", "content": content})
            responses.setdefault("default", {"description": "Error", "content": content})
    text = str(spec["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if _REF.format(model=name) not in text:
            components.pop(name, None)
