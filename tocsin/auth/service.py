"""Accounts: users, teams, API keys, login sessions, and who may see what."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.auth import security
from tocsin.auth.models import ApiKey, LoginSession, Role, Team, TeamMember, TeamRole, User
from tocsin.clock import Clock
from tocsin.db import lock_key
from tocsin.errors import Problem, conflict, forbidden, not_found
from tocsin.notifications.rules import create_default_rules

# last_used_at is a hint, not an audit trail: write it at most this often per key.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session,
    clock: Clock,
    *,
    email: str,
    name: str,
    role: Role = Role.RESPONDER,
    password: str | None = None,
    timezone: str = "UTC",
    language: str = "en",
) -> User:
    email = normalize_email(email)
    if find_user_by_email(session, email) is not None:
        raise conflict(f"a user with email {email} already exists", field="email")
    user = User(
        email=email,
        name=name.strip(),
        role=role.value,
        timezone=timezone,
        language=language,
        password_hash=security.hash_password(password) if password else None,
        created_at=clock.now(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create with the same email
        raise conflict(f"a user with email {email} already exists", field="email") from exc
    create_default_rules(session, user.id)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name, User.id)))


def update_user(
    session: Session,
    actor: User,
    target: User,
    *,
    email: str | None = None,
    name: str | None = None,
    role: Role | None = None,
    timezone: str | None = None,
    language: str | None = None,
    password: str | None = None,
) -> None:
    """Admins change anyone; a user changes their own name, time zone and language (None keeps a value)."""
    if not actor.is_admin:
        if target.id != actor.id:
            raise forbidden("you may only change your own profile")
        if role is not None or email is not None or password is not None:
            raise forbidden("only admins may change role, email or password here")
    if email is not None:
        email = normalize_email(email)
        other = find_user_by_email(session, email)
        if other is not None and other.id != target.id:
            raise conflict(f"a user with email {email} already exists", field="email")
        target.email = email
    if role is not None and role != Role(target.role):
        require_another_admin(session, target, role)
        target.role = role.value
    if password is not None:
        set_password(target, password)
    update_profile(target, name=name, timezone=timezone, language=language)
    session.flush()


def delete_user(session: Session, target: User) -> None:
    require_another_admin(session, target, None)
    session.delete(target)


def require_another_admin(session: Session, target: User, new_role: Role | None) -> None:
    """Refuse to demote (new_role) or delete (None) the last admin.

    Writers serialise on one lock first: two admins demoting each other at once must not both
    count the other as the remaining admin (PostgreSQL runs them concurrently; SQLite does not).
    """
    if target.role != Role.ADMIN.value or new_role == Role.ADMIN:
        return
    lock_key(session, "last-admin")
    admins = session.scalars(select(User.id).where(User.role == Role.ADMIN.value, User.id != target.id)).all()
    if not admins:
        raise conflict("this is the last admin; make someone else admin first")


def update_profile(user: User, *, name: str | None, timezone: str | None, language: str | None) -> None:
    """Apply the profile fields that were given (None keeps the current value)."""
    if name is not None:
        user.name = name.strip()
    if timezone is not None:
        user.timezone = timezone
    if language is not None:
        user.language = language


def set_password(user: User, password: str) -> None:
    user.password_hash = security.hash_password(password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user_by_email(session, email)
    if not security.verify_password(user.password_hash if user else None, password):
        return None
    return user


# --- login sessions -------------------------------------------------------------------------


def open_login_session(session: Session, clock: Clock, user: User, days: int) -> str:
    token = security.new_session_token()
    now = clock.now()
    session.add(
        LoginSession(
            user_id=user.id, digest=security.digest(token), created_at=now, expires_at=now + timedelta(days=days)
        )
    )
    return token


def user_for_session_token(session: Session, clock: Clock, token: str) -> User | None:
    row = session.scalar(select(LoginSession).where(LoginSession.digest == security.digest(token)))
    if row is None or row.expires_at <= clock.now():
        return None
    return session.get(User, row.user_id)


def close_login_session(session: Session, token: str) -> None:
    row = session.scalar(select(LoginSession).where(LoginSession.digest == security.digest(token)))
    if row is not None:
        session.delete(row)


# --- API keys -------------------------------------------------------------------------------


def create_api_key(session: Session, clock: Clock, user: User, name: str) -> tuple[ApiKey, str]:
    token = security.new_api_key()
    key = ApiKey(
        user_id=user.id,
        name=name.strip() or "API key",
        prefix=token[: len(security.API_KEY_PREFIX) + 4],
        digest=security.digest(token),
        created_at=clock.now(),
    )
    session.add(key)
    session.flush()
    return key, token


def api_key_for_token(session: Session, token: str) -> ApiKey | None:
    key = session.scalar(select(ApiKey).where(ApiKey.digest == security.digest(token)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def api_key_needs_touch(key: ApiKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= API_KEY_TOUCH_INTERVAL


def list_api_keys(session: Session, actor: User, *, all_users: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not (all_users and actor.is_admin):
        query = query.where(ApiKey.user_id == actor.id)
    return list(session.scalars(query))


def revoke_api_key(session: Session, clock: Clock, actor: User, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or (key.user_id != actor.id and not actor.is_admin):
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    return key


# --- teams ----------------------------------------------------------------------------------


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise not_found("team")
    return team


def is_team_admin(user: User, team: Team) -> bool:
    return any(m.user_id == user.id and m.role == TeamRole.ADMIN.value for m in team.members)


def require_team_manager(user: User, team: Team) -> None:
    if not (user.is_admin or is_team_admin(user, team)):
        raise forbidden("only admins and this team's admins may change the team")


def create_team(session: Session, clock: Clock, name: str, members: list[tuple[int, TeamRole]]) -> Team:
    name = name.strip()
    if session.scalar(select(Team).where(Team.name == name)) is not None:
        raise conflict(f"a team named {name!r} already exists", field="name")
    team = Team(name=name, created_at=clock.now())
    session.add(team)
    session.flush()
    set_team_members(session, team, members)
    return team


def rename_team(session: Session, team: Team, name: str) -> None:
    name = name.strip()
    other = session.scalar(select(Team).where(Team.name == name, Team.id != team.id))
    if other is not None:
        raise conflict(f"a team named {name!r} already exists", field="name")
    team.name = name


def set_team_members(session: Session, team: Team, members: list[tuple[int, TeamRole]]) -> None:
    wanted: dict[int, TeamRole] = {}
    for user_id, role in members:
        if session.get(User, user_id) is None:
            raise Problem(400, f"user {user_id} does not exist", field="members")
        wanted[user_id] = role
    current = {m.user_id: m for m in team.members}
    for user_id, member in current.items():
        if user_id not in wanted:
            team.members.remove(member)
    for user_id, role in wanted.items():
        if user_id in current:
            current[user_id].role = role.value
        else:
            team.members.append(TeamMember(team_id=team.id, user_id=user_id, role=role.value))
    session.flush()


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


# --- permissions ----------------------------------------------------------------------------


def owner_teams(session: Session, user: User, team_ids: list[int], what: str) -> list[Team]:
    """The teams that are to own a configuration object (`what`, e.g. "the alert source").

    Each must exist; a non-admin must name at least one team and only teams they belong to.
    """
    teams = []
    for team_id in dict.fromkeys(team_ids):
        team = session.get(Team, team_id)
        if team is None:
            raise Problem(400, f"team {team_id} does not exist", field="teams")
        teams.append(team)
    if not user.is_admin:
        if not teams:
            raise Problem(400, f"assign {what} to at least one of your teams", field="teams")
        foreign = [t.name for t in teams if t.id not in user.team_ids]
        if foreign:
            raise Problem(403, f"you are not a member of team(s) {', '.join(foreign)}", field="teams")
    return teams


def can_respond(user: User) -> bool:
    """May act on alerts (accept, resolve, comment, assign)."""
    return user.role != Role.STAKEHOLDER.value


def can_configure(user: User) -> bool:
    """May create and change configuration (alert sources) for their teams."""
    return user.role in (Role.ADMIN.value, Role.USER.value)


def require_responder(user: User) -> None:
    if not can_respond(user):
        raise forbidden("stakeholders have read-only access")
