"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import PG_URL
from tocsin.db import null_pool_engine
from tocsin.migrations import alembic_config, is_current, upgrade
from tocsin.models import Base

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="migrates its own throw-away SQLite file")


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = null_pool_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert is_current(engine)
    engine.dispose()


def test_downgrade_to_nothing_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = null_pool_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert "alerts" in inspect(engine).get_table_names()
    engine.dispose()
