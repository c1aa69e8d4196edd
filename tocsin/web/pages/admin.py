"""Administration: users (admins), teams (everyone sees them; admins and team admins change them), API keys."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tocsin.auth import service as auth
from tocsin.auth.models import Role, Team, TeamRole, User
from tocsin.auth.schemas import ApiKeyIn, TeamIn, TeamUpdate, UserCreate, UserUpdate
from tocsin.deps import DbSession, State
from tocsin.errors import Problem, forbidden
from tocsin.schemas import PathId
from tocsin.web import forms
from tocsin.web.layout import page
from tocsin.web.pages.profile import timezones
from tocsin.web.routing import redirect, web_router
from tocsin.web.security import WebUser

router = web_router()

USER_LABELS = {"email": "Email", "name": "Name", "role": "Role", "timezone": "Time zone", "password": "Password"}
ROLE_NAMES = {Role.ADMIN: "Admin: everything", Role.USER: "User: responds and configures for their teams",
              Role.RESPONDER: "Responder: responds to alerts", Role.STAKEHOLDER: "Stakeholder: read-only"}


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise forbidden("only admins may do this")


# --- users -------------------------------------------------------------------------------------------


def _user_form(request: Request, session: Session, user: User, values: dict[str, Any], *, target: User | None,
               error: str | None = None, status: int = 200) -> Response:
    title = "New user" if target is None else f"Edit {target.name}"
    return page(request, session, user, "admin/user_form.html", title=title, active="users", values=values,
                target=target, roles=[(r.value, ROLE_NAMES[r]) for r in Role], timezones=timezones(), error=error,
                status=status)


@router.get("/admin/users")
def user_list(request: Request, session: DbSession, user: WebUser) -> Response:
    _require_admin(user)
    return page(request, session, user, "admin/users.html", title="Users", active="users",
                users=auth.list_users(session), teams={t.id: t.name for t in auth.list_teams(session)})


@router.get("/admin/users/new")
def user_new(request: Request, session: DbSession, user: WebUser) -> Response:
    _require_admin(user)
    return _user_form(request, session, user, {"role": Role.RESPONDER.value, "timezone": user.timezone}, target=None)


@router.post("/admin/users/new")
def user_create(request: Request, session: DbSession, user: WebUser, state: State, form: forms.Form) -> Response:
    _require_admin(user)
    values = {k: forms.text(form, k) for k in ("email", "name", "role", "timezone")}
    try:
        body = forms.parse(UserCreate, {**values, "password": forms.optional(form, "password")}, USER_LABELS)
        auth.create_user(session, state.clock, email=body.email, name=body.name, role=body.role,
                         password=body.password, timezone=body.timezone)
    except Problem as problem:
        session.rollback()
        return _user_form(request, session, user, values, target=None, error=problem.detail, status=problem.status)
    return redirect(request, "/admin/users")


@router.get("/admin/users/{user_id}")
def user_edit(request: Request, session: DbSession, user: WebUser, user_id: PathId) -> Response:
    _require_admin(user)
    target = auth.get_user(session, user_id)
    values = {"email": target.email, "name": target.name, "role": target.role, "timezone": target.timezone}
    return _user_form(request, session, user, values, target=target)


@router.post("/admin/users/{user_id}")
def user_update(request: Request, session: DbSession, user: WebUser, user_id: PathId, form: forms.Form) -> Response:
    _require_admin(user)
    target = auth.get_user(session, user_id)
    values = {k: forms.text(form, k) for k in ("email", "name", "role", "timezone")}
    try:
        body = forms.parse(UserUpdate, {**values, "password": forms.optional(form, "password")}, USER_LABELS)
        auth.update_user(session, user, target, email=body.email, name=body.name, role=body.role,
                         timezone=body.timezone, password=body.password)
    except Problem as problem:
        session.rollback()
        return _user_form(request, session, user, values, target=auth.get_user(session, user_id),
                          error=problem.detail, status=problem.status)
    return redirect(request, "/admin/users")


@router.post("/admin/users/{user_id}/delete")
def user_delete(request: Request, session: DbSession, user: WebUser, user_id: PathId) -> Response:
    _require_admin(user)
    auth.delete_user(session, auth.get_user(session, user_id))
    return redirect(request, "/admin/users")


# --- teams -------------------------------------------------------------------------------------------


def _can_manage(user: User, team: Team) -> bool:
    return user.is_admin or auth.is_team_admin(user, team)


@router.get("/admin/teams")
def team_list(request: Request, session: DbSession, user: WebUser) -> Response:
    return page(request, session, user, "admin/teams.html", title="Teams", active="teams",
                teams=auth.list_teams(session))


@router.post("/admin/teams")
def team_create(request: Request, session: DbSession, user: WebUser, state: State, form: forms.Form) -> Response:
    _require_admin(user)
    body = forms.parse(TeamIn, {"name": forms.text(form, "name")}, {"name": "Team name"})
    team = auth.create_team(session, state.clock, body.name, [])
    return redirect(request, f"/admin/teams/{team.id}")


@router.get("/admin/teams/{team_id}")
def team_view(request: Request, session: DbSession, user: WebUser, team_id: PathId) -> Response:
    team = auth.get_team(session, team_id)
    roles = {m.user_id: m.role for m in team.members}
    return page(request, session, user, "admin/team.html", title=team.name, active="teams", team=team,
                roles=roles, users=auth.list_users(session), can_manage=_can_manage(user, team))


@router.post("/admin/teams/{team_id}")
def team_update(request: Request, session: DbSession, user: WebUser, team_id: PathId, form: forms.Form) -> Response:
    team = auth.get_team(session, team_id)
    auth.require_team_manager(user, team)
    members = [{"userId": user_id, "role": forms.text(form, f"role_{user_id}") or TeamRole.MEMBER.value}
               for user_id in forms.ids(form, "member")]
    body = forms.parse(TeamUpdate, {"name": forms.text(form, "name"), "members": members},
                       {"name": "Team name", "members": "Members"})
    if body.name is not None:
        auth.rename_team(session, team, body.name)
    if body.members is not None:
        auth.set_team_members(session, team, [(m.user_id, m.role) for m in body.members])
    return redirect(request, f"/admin/teams/{team.id}")


@router.post("/admin/teams/{team_id}/delete")
def team_delete(request: Request, session: DbSession, user: WebUser, team_id: PathId) -> Response:
    _require_admin(user)
    session.delete(auth.get_team(session, team_id))
    return redirect(request, "/admin/teams")


# --- API keys ----------------------------------------------------------------------------------------


def _keys_page(request: Request, session: Session, user: User, *, everyone: bool, new_key: str | None = None,
               new_name: str | None = None) -> Response:
    keys = auth.list_api_keys(session, user, all_users=everyone)
    owners = {u.id: u.name for u in auth.list_users(session)} if everyone else {}
    return page(request, session, user, "admin/api_keys.html", title="API keys", active="api-keys", keys=keys,
                owners=owners, everyone=everyone and user.is_admin, new_key=new_key, new_name=new_name)


@router.get("/api-keys")
def api_keys(request: Request, session: DbSession, user: WebUser, all: bool = False) -> Response:
    return _keys_page(request, session, user, everyone=all)


@router.post("/api-keys")
def api_key_create(request: Request, session: DbSession, user: WebUser, state: State, form: forms.Form) -> Response:
    body = forms.parse(ApiKeyIn, {"name": forms.text(form, "name") or "API key"}, {"name": "Name"})
    key, token = auth.create_api_key(session, state.clock, user, body.name)
    return _keys_page(request, session, user, everyone=False, new_key=token, new_name=key.name)


@router.post("/api-keys/{key_id}/revoke")
def api_key_revoke(request: Request, session: DbSession, user: WebUser, state: State, key_id: PathId) -> Response:
    auth.revoke_api_key(session, state.clock, user, key_id)
    return redirect(request, "/api-keys")
