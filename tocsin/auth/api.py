"""Routes: /api/auth, /api/users, /api/teams, /api/api-keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tocsin.auth import service, web_login
from tocsin.auth.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    LoginIn,
    PasswordChange,
    ProfileUpdate,
    TeamIn,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from tocsin.auth.security import verify_password
from tocsin.deps import AdminUser, CurrentUser, DbSession, State
from tocsin.errors import Problem
from tocsin.schemas import PathId

router = APIRouter(prefix="/api")


# --- login ----------------------------------------------------------------------------------


@router.post("/auth/login", response_model=UserOut, tags=["auth"])
def login(body: LoginIn, request: Request, response: Response, session: DbSession, state: State) -> UserOut:
    """Open a web session: sets an HttpOnly, SameSite=Lax session cookie (Secure over https).

    Attempts are rate limited per email and per client address (429 with Retry-After)."""
    user, token = web_login.password_login(session, state, request, body.email, body.password)
    web_login.set_session_cookie(response, state, request, token)
    return UserOut.of(user)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, session: DbSession, state: State) -> Response:
    response = Response(status_code=204)
    web_login.logout(session, state, request, response)
    return response


# --- users ----------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(session: DbSession, _user: CurrentUser) -> list[UserOut]:
    """Every user (colleagues are needed to assign alerts and hand over shifts)."""
    return [UserOut.of(u) for u in service.list_users(session)]


@router.post("/users", status_code=201, response_model=UserOut, tags=["users"])
def create_user(body: UserCreate, session: DbSession, _admin: AdminUser, state: State) -> UserOut:
    user = service.create_user(
        session, state.clock, email=body.email, name=body.name, role=body.role, password=body.password,
        timezone=body.timezone, language=body.language,
    )
    return UserOut.of(user)


@router.get("/users/me", response_model=UserOut, tags=["users"])
def get_me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.put("/users/me", response_model=UserOut, tags=["users"])
def update_me(body: ProfileUpdate, session: DbSession, user: CurrentUser) -> UserOut:
    """Change your own name, time zone or language."""
    service.update_profile(user, name=body.name, timezone=body.timezone, language=body.language)
    session.flush()
    return UserOut.of(user)


@router.put("/users/me/password", status_code=204, tags=["users"])
def change_my_password(body: PasswordChange, session: DbSession, user: CurrentUser) -> Response:
    if user.password_hash is not None and not verify_password(user.password_hash, body.current_password):
        raise Problem(400, "the current password is wrong", field="currentPassword")
    service.set_password(user, body.new_password)
    return Response(status_code=204)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(user_id: PathId, session: DbSession, _user: CurrentUser) -> UserOut:
    return UserOut.of(service.get_user(session, user_id))


@router.put("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(user_id: PathId, body: UserUpdate, session: DbSession, actor: CurrentUser) -> UserOut:
    """Admins change anyone; a user changes their own name, time zone and language."""
    target = service.get_user(session, user_id)
    service.update_user(session, actor, target, email=body.email, name=body.name, role=body.role,
                        timezone=body.timezone, language=body.language, password=body.password)
    return UserOut.of(target)


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
def delete_user(user_id: PathId, session: DbSession, _admin: AdminUser) -> Response:
    service.delete_user(session, service.get_user(session, user_id))
    return Response(status_code=204)


# --- teams ----------------------------------------------------------------------------------


@router.get("/teams", response_model=list[TeamOut], tags=["teams"])
def list_teams(session: DbSession, _user: CurrentUser) -> list[TeamOut]:
    return [TeamOut.of(t) for t in service.list_teams(session)]


@router.post("/teams", status_code=201, response_model=TeamOut, tags=["teams"])
def create_team(body: TeamIn, session: DbSession, _admin: AdminUser, state: State) -> TeamOut:
    members = [(m.user_id, m.role) for m in body.members]
    return TeamOut.of(service.create_team(session, state.clock, body.name, members))


@router.get("/teams/{team_id}", response_model=TeamOut, tags=["teams"])
def get_team(team_id: PathId, session: DbSession, _user: CurrentUser) -> TeamOut:
    return TeamOut.of(service.get_team(session, team_id))


@router.put("/teams/{team_id}", response_model=TeamOut, tags=["teams"])
def update_team(team_id: PathId, body: TeamUpdate, session: DbSession, user: CurrentUser) -> TeamOut:
    """Rename the team or replace its member list (admins and the team's admins)."""
    team = service.get_team(session, team_id)
    service.require_team_manager(user, team)
    if body.name is not None:
        service.rename_team(session, team, body.name)
    if body.members is not None:
        service.set_team_members(session, team, [(m.user_id, m.role) for m in body.members])
    return TeamOut.of(team)


@router.delete("/teams/{team_id}", status_code=204, tags=["teams"])
def delete_team(team_id: PathId, session: DbSession, _admin: AdminUser) -> Response:
    session.delete(service.get_team(session, team_id))
    return Response(status_code=204)


# --- API keys -------------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut], tags=["api keys"])
def list_api_keys(session: DbSession, user: CurrentUser, all: bool = False) -> list[ApiKeyOut]:
    """Your API keys (admins: `?all=true` for everyone's). Secrets are never shown again."""
    return [ApiKeyOut.of(k) for k in service.list_api_keys(session, user, all_users=all)]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, tags=["api keys"])
def create_api_key(body: ApiKeyIn, session: DbSession, user: CurrentUser, state: State) -> ApiKeyCreated:
    key, token = service.create_api_key(session, state.clock, user, body.name)
    return ApiKeyCreated(**ApiKeyOut.of(key).model_dump(), key=token)


@router.delete("/api-keys/{key_id}", status_code=204, tags=["api keys"])
def revoke_api_key(key_id: PathId, session: DbSession, user: CurrentUser, state: State) -> Response:
    service.revoke_api_key(session, state.clock, user, key_id)
    return Response(status_code=204)
