"""Account-test fixtures: cheap argon2 parameters (the hash is still argon2id, just faster to compute)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tocsin.auth import security

PRODUCTION_HASHER = security._hasher


@pytest.fixture
def production_hasher() -> PasswordHasher:
    return PRODUCTION_HASHER


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    """The same app, reached over https (cookies come back Secure)."""
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
