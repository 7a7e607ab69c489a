"""Versioned, named, transactional schema migrations with a ``schema_version`` table.

Each migration is a function of a :class:`~sqlalchemy.Connection`, listed in :data:`MIGRATIONS`
with its version and name; :func:`migrate` applies the ones a database lacks, in order, each in
its own transaction together with its ``schema_version`` row, so a migration is applied whole or
not at all. Migrations are never edited once released: a schema change is a new migration, and the
tables are spelled out here as they were at that version (not taken from the current models).

Several replicas may start at once: on PostgreSQL each migration transaction first takes an
advisory lock, on SQLite it starts with ``BEGIN IMMEDIATE``; the version is read again under the
lock, so each migration runs exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from router.store._engine import write_transaction
from router.store._types import UTCDateTime, utcnow

log = logging.getLogger("budget_router.store")

#: Advisory lock key for migrations on PostgreSQL (any constant shared by all replicas).
MIGRATION_LOCK_KEY = 0x62756467  # "budg"

_BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _version_table(metadata: MetaData) -> Table:
    return Table(
        "schema_version",
        metadata,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("name", String(128), nullable=False),
        Column("applied_at", UTCDateTime(), nullable=False),
    )


def create_requests_and_feedback(connection: Connection) -> None:
    """Version 1: the request log and the feedback table."""
    metadata = MetaData()
    Table(
        "requests",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("request_id", String(64), nullable=False, unique=True),
        Column("created_at", UTCDateTime(), nullable=False, index=True),
        Column("api_key_id", String(32), index=True),
        Column("endpoint", String(64), nullable=False),
        Column("prompt_hash", String(64), nullable=False, index=True),
        Column("prompt_text", Text),
        Column("tier_predicted", String(16)),
        Column("tier_served", String(16)),
        Column("prob_light", Float),
        Column("prob_intermediate", Float),
        Column("prob_advanced", Float),
        Column("complexity_score", Float),
        Column("model", String(128)),
        Column("thinking", String(64)),
        Column("overrides", String(128), nullable=False),
        Column("overridden", Boolean, nullable=False),
        Column("stand_in", Boolean, nullable=False),
        Column("latency_ms", Float),
        Column("prompt_tokens", Integer),
        Column("cached_tokens", Integer),
        Column("thoughts_tokens", Integer),
        Column("candidates_tokens", Integer),
        Column("cost_usd", Float),
        Column("cost_verified", Boolean),
        Column("status", Integer, nullable=False),
        Column("error", String(200)),
        Column("classifier_version", String(64)),
    )
    Table(
        "feedback",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("request_id", String(64), ForeignKey("requests.request_id"), nullable=False, index=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("score", Float, nullable=False),
        Column("label", String(64)),
        Column("comment", Text),
        Column("api_key_id", String(32)),
    )
    metadata.create_all(connection)


def index_latest_feedback(connection: Connection) -> None:
    """Version 2: an index on ``feedback (request_id, id)``, which finds a request's latest
    feedback (the one retraining reads) without a scan."""
    metadata = MetaData()
    feedback = Table("feedback", metadata, Column("id", Integer), Column("request_id", String(64)))
    Index("ix_feedback_request_id_id", feedback.c.request_id, feedback.c.id).create(connection)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create_requests_and_feedback", create_requests_and_feedback),
    Migration(2, "index_latest_feedback", index_latest_feedback),
)

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(connection: Connection) -> int:
    """The newest applied migration (0 for an empty database)."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    table = _version_table(MetaData())
    found = connection.execute(select(table.c.version).order_by(table.c.version.desc()).limit(1)).scalar()
    return int(found or 0)


def applied(engine: Engine) -> list[tuple[int, str]]:
    """``(version, name)`` of every applied migration, oldest first."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("schema_version"):
            return []
        table = _version_table(MetaData())
        rows = connection.execute(select(table.c.version, table.c.name).order_by(table.c.version)).all()
    return [(int(v), str(n)) for v, n in rows]


def migrate(engine: Engine, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the migrations ``engine``'s database lacks; returns the names applied (none when it
    is up to date, so calling it at every start is cheap and safe)."""
    done: list[str] = []
    for migration in migrations:
        with write_transaction(engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            table = _version_table(MetaData())
            table.create(connection, checkfirst=True)
            if current_version(connection) >= migration.version:
                continue
            migration.apply(connection)
            connection.execute(
                table.insert().values(version=migration.version, name=migration.name, applied_at=utcnow())
            )
        log.info("applied migration %d %s", migration.version, migration.name)
        done.append(migration.name)
    return done
