"""Request bodies that a route parses itself (to accept any content type or answer in a vendor's
error format) are still documented: their schemas are merged into the OpenAPI components."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"
_models: list[type[BaseModel]] = []


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
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
