"""Reading HTML forms into the API's input models, so the web app validates exactly like the REST API."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

__all__ = ["Form", "FormData", "checked", "ids", "optional", "parse", "text", "texts"]

from tocsin.web.routing import form_problem

M = TypeVar("M", bound=BaseModel)


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def ids(form: FormData, name: str) -> list[int]:
    return [int(v) for v in texts(form, name) if v.isdigit() and len(v) < 16]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def parse(model: type[M], data: dict[str, Any], labels: dict[str, str] | None = None) -> M:
    """The model, or a 400 naming the form field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise form_problem(exc, labels) from None
