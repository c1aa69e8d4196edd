"""The pages behind the accept/decline links in coverage emails: confirm first, act on POST, once."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from tocsin.auth.models import User
from tocsin.coverage import links, service
from tocsin.coverage.links import LinkAction, LinkGrant
from tocsin.coverage.models import CoverageRequest
from tocsin.coverage.notify import shift_lines
from tocsin.deps import DbSession, State
from tocsin.errors import Problem
from tocsin.notifications.action_pages import page
from tocsin.notifications.action_tokens import InvalidToken

router = APIRouter(include_in_schema=False)


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _block(session: DbSession, request: CoverageRequest, reader: User) -> str:
    sender = session.get(User, request.sender_id)
    lines = html.escape(shift_lines(session, request, reader.timezone)).replace("\n", "<br>")
    text = f'<p class="meta">Coverage request #{request.id} from {html.escape(sender.name if sender else "?")}</p>'
    text += f'<p class="summary">{lines}</p>'
    if request.message:
        text += _note(f"Message: {request.message}")
    return text


def _open(state: State, request: CoverageRequest) -> str:
    url = html.escape(f"{state.settings.base_url}/coverage-requests/{request.id}", quote=True)
    return f'<p class="note"><a href="{url}">Open the request in tocsin</a></p>'


def _check(session: DbSession, state: State, token: str) -> tuple[LinkGrant, User, CoverageRequest] | HTMLResponse:
    try:
        grant = links.verify(session, state.clock, token)
    except InvalidToken as exc:
        reason = str(exc)
        title = {"link expired": "This link has expired", "link already used": "This link was already used"}.get(
            reason, "This link is not valid")
        return page(400, title, _note("Open the request in tocsin to see where it stands."))
    user = session.get(User, grant.user_id)
    try:
        request = service.get_visible(session, user, grant.request_id) if user else None
    except Problem:
        request = None
    if user is None or request is None:
        return page(404, "This request no longer exists", _note("It may have been deleted."))
    return grant, user, request


@router.get("/coverage-actions/{token}", response_class=HTMLResponse)
def confirm(token: str, session: DbSession, state: State) -> HTMLResponse:
    """What the link would do and a button that does it; changes nothing."""
    checked = _check(session, state, token)
    if isinstance(checked, HTMLResponse):
        return checked
    grant, user, request = checked
    verb = "Accept" if grant.action is LinkAction.ACCEPT else "Decline"
    comment = ('<p><label for="c">Comment (optional)</label><br><textarea id="c" name="declineComment" rows="3" '
               'maxlength="1000"></textarea></p>') if grant.action is LinkAction.DECLINE else ""
    form = (f'<form method="post">{comment}<button type="submit" class="{grant.action.value}">{verb} request '
            f"#{request.id}</button></form>")
    return page(200, f"{verb} coverage request #{request.id}?",
                _block(session, request, user) + form + _note(f"You act as {user.name}.") + _open(state, request))


@router.post("/coverage-actions/{token}", response_class=HTMLResponse)
def perform(
    token: str, session: DbSession, state: State,
    decline_comment: Annotated[str | None, Form(alias="declineComment", max_length=1000)] = None,
) -> HTMLResponse:
    """Accept or decline as the link's receiver; the link cannot be used again."""
    checked = _check(session, state, token)
    if isinstance(checked, HTMLResponse):
        return checked
    grant, user, request = checked
    request = service.get_visible(session, user, request.id, for_update=True)
    if links.is_spent(session, grant):  # another click on the same link won the row lock
        return page(400, "This link was already used", _note("Open the request in tocsin to see where it stands."))
    try:
        if grant.action is LinkAction.ACCEPT:
            service.accept(session, state.clock, user, request)
            done = "You accepted: you are on call for these shifts now."
        else:
            service.decline(session, state.clock, user, request, decline_comment)
            done = "You declined; the sender has been told."
    except Problem as problem:
        return page(problem.status, "This request cannot be answered now",
                    _block(session, request, user) + _note(problem.detail) + _open(state, request))
    links.spend(session, state.clock, grant)
    return page(200, f"Coverage request #{request.id}: {request.state.lower()}",
                _block(session, request, user) + _note(done) + _open(state, request))
