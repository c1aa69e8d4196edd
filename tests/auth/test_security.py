"""Secrets: argon2 password hashes, token digests, and the accounts service's own rules."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from tests.conftest import PG_URL, Actor, Factory
from tocsin.auth import security
from tocsin.auth import service as auth
from tocsin.auth.models import Role, User
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.errors import Problem


def test_production_argon2_parameters_are_strong(production_hasher: PasswordHasher) -> None:
    # OWASP's floor for argon2id: 19 MiB of memory, 2 iterations.
    assert production_hasher.memory_cost >= 19 * 1024
    assert production_hasher.time_cost >= 2
    assert production_hasher.hash("x").startswith("$argon2id$")


def test_password_hash_is_salted_argon2() -> None:
    first, second = security.hash_password("hunter2-hunter2"), security.hash_password("hunter2-hunter2")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second
    assert "hunter2" not in first
    assert security.verify_password(first, "hunter2-hunter2")
    assert not security.verify_password(first, "hunter2-hunter3")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$bad$bad"])
def test_verify_password_never_raises(stored: str | None) -> None:
    assert security.verify_password(stored, "anything") is False
    assert security.verify_password(stored, "") is False


def test_tokens_are_random_and_digests_stable() -> None:
    keys = {security.new_api_key() for _ in range(50)}
    assert len(keys) == 50 and all(k.startswith(security.API_KEY_PREFIX) for k in keys)
    assert len({security.new_session_token() for _ in range(50)}) == 50
    key = security.new_api_key()
    assert security.digest(key) == security.digest(key) != key
    assert len(security.digest(key)) == 64
    assert security.same("abc", "abc") and not security.same("abc", "abd")


def test_create_user_refuses_a_duplicate_email(db: Database, clock: FrozenClock, responder: Actor) -> None:
    with pytest.raises(Problem) as caught, db.session(write=True) as session:
        auth.create_user(session, clock, email=responder.email.upper(), name="Twin", role=Role.USER)
    assert caught.value.status == 409


def test_authenticate(db: Database, responder: Actor) -> None:
    with db.session() as session:
        user = auth.authenticate(session, responder.email, responder.password)
        assert user is not None and user.id == responder.id
        assert auth.authenticate(session, responder.email, "wrong") is None
        assert auth.authenticate(session, "missing@example.com", responder.password) is None


def test_permission_helpers(db: Database, clock: FrozenClock) -> None:
    with db.session(write=True) as session:
        users = {
            role: auth.create_user(session, clock, email=f"{role.value.lower()}@example.com", name=role.value,
                                   role=role)
            for role in Role
        }
        assert [auth.can_respond(users[r]) for r in Role] == [True, True, True, False]
        assert [auth.can_configure(users[r]) for r in Role] == [True, True, False, False]
        auth.require_responder(users[Role.RESPONDER])
        with pytest.raises(Problem) as caught:
            auth.require_responder(users[Role.STAKEHOLDER])
        assert caught.value.status == 403


def admins(db: Database) -> set[int]:
    with db.session() as session:
        return set(session.scalars(select(User.id).where(User.role == Role.ADMIN.value)))


def test_require_another_admin(db: Database, admin: Actor, factory: Factory) -> None:
    with db.session() as session:
        only = session.get(User, admin.id)
        assert only is not None
        for new_role in (Role.USER, Role.RESPONDER, Role.STAKEHOLDER, None):
            with pytest.raises(Problem) as caught:
                auth.require_another_admin(session, only, new_role)
            assert caught.value.status == 409
        auth.require_another_admin(session, only, Role.ADMIN)
    factory.user(Role.ADMIN)
    with db.session() as session:
        only = session.get(User, admin.id)
        assert only is not None
        auth.require_another_admin(session, only, None)


@pytest.mark.skipif(not PG_URL, reason="SQLite runs one writer at a time; PostgreSQL runs them concurrently")
def test_two_admins_demoting_each_other_at_once_cannot_both_succeed(
    db: Database, admin: Actor, factory: Factory
) -> None:
    other = factory.user(Role.ADMIN)
    with db.session(write=True) as first:
        me = first.get(User, admin.id)
        assert me is not None
        auth.require_another_admin(first, me, Role.USER)
        me.role = Role.USER.value
        first.flush()
        # The second writer, before the first commits, must wait rather than count `admin` as still an admin.
        with pytest.raises(OperationalError, match="lock timeout"), db.session(write=True) as second:
            second.execute(text("SET LOCAL lock_timeout = '50ms'"))
            them = second.get(User, other.id)
            assert them is not None
            auth.require_another_admin(second, them, Role.USER)
    assert admins(db) == {other.id}


@pytest.mark.skipif(not PG_URL, reason="SQLite runs one writer at a time; PostgreSQL runs them concurrently")
def test_two_creates_of_one_team_name_at_once_give_a_conflict_not_an_error(db: Database, clock: FrozenClock) -> None:
    outcome: list[BaseException] = []

    def second_create() -> None:
        try:
            with db.session(write=True) as second:
                auth.create_team(second, clock, "Twins", [])
        except BaseException as exc:
            outcome.append(exc)

    with db.session(write=True) as first:
        auth.create_team(first, clock, "Twins", [])
        racer = threading.Thread(target=second_create)
        racer.start()  # its insert waits on the unique index until this transaction ends
        racer.join(timeout=0.5)
        assert racer.is_alive()
    racer.join(timeout=10)
    [error] = outcome
    assert isinstance(error, Problem) and error.status == 409
