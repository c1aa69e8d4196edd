"""Routes: /api/auth, /api/users, /api/teams, /api/api-keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from tocsin.auth import service
from tocsin.auth.models import Role, User
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
from tocsin.deps import SESSION_COOKIE, AdminUser, CurrentUser, DbSession, State
from tocsin.errors import Problem, conflict, forbidden
from tocsin.schemas import PathId

router = APIRouter(prefix="/api")


# --- login ----------------------------------------------------------------------------------


@router.post("/auth/login", response_model=UserOut, tags=["auth"])
def login(body: LoginIn, request: Request, response: Response, session: DbSession, state: State) -> UserOut:
    """Open a web session: sets an HttpOnly, SameSite=Lax session cookie (Secure over https).

    Attempts are rate limited per email and per client address (429 with Retry-After)."""
    client = request.client.host if request.client else "unknown"
    state.login_limiter.check(f"ip:{client}", "login attempts from this address")
    state.login_limiter.check(f"email:{service.normalize_email(body.email)}", "login attempts for this account")
    user = service.authenticate(session, body.email, body.password)
    if user is None:
        raise Problem(401, "wrong email or password", slug="login-failed")
    token = service.open_login_session(session, state.clock, user, state.settings.session_days)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=state.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=state.settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )
    return UserOut.of(user)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, session: DbSession, state: State) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.close_login_session(session, token)
    response = Response(status_code=204)
    # The same attributes as when it was set, or a browser may keep the Secure cookie.
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax",
        secure=state.settings.secure_cookies or request.url.scheme == "https",
    )
    return response


# --- users ----------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(session: DbSession, _user: CurrentUser) -> list[UserOut]:
    """Every user (colleagues are needed to assign alerts and hand over shifts)."""
    return [UserOut.of(u) for u in session.scalars(select(User).order_by(User.name, User.id))]


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
    if not actor.is_admin:
        if target.id != actor.id:
            raise forbidden("you may only change your own profile")
        if body.role is not None or body.email is not None or body.password is not None:
            raise forbidden("only admins may change role, email or password here")
    if body.email is not None:
        email = service.normalize_email(body.email)
        other = service.find_user_by_email(session, email)
        if other is not None and other.id != target.id:
            raise conflict(f"a user with email {email} already exists", field="email")
        target.email = email
    if body.role is not None and body.role != Role(target.role):
        service.require_another_admin(session, target, body.role)
        target.role = body.role.value
    if body.password is not None:
        service.set_password(target, body.password)
    service.update_profile(target, name=body.name, timezone=body.timezone, language=body.language)
    session.flush()
    return UserOut.of(target)


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
def delete_user(user_id: PathId, session: DbSession, _admin: AdminUser) -> Response:
    target = service.get_user(session, user_id)
    service.require_another_admin(session, target, None)
    session.delete(target)
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
