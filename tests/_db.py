"""Databases for storage tests: a fresh SQLite file, or a fresh database on the PostgreSQL server
named by ``BUDGET_ROUTER_TEST_POSTGRES_URL`` (``.ci/run`` starts one: scripts/postgres-for-tests)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "BUDGET_ROUTER_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set: start a server with `bash scripts/postgres-for-tests`")
    name = "t_" + secrets.token_hex(6)
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
