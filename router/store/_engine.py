"""Engines from a database URL: an SQLite file by default, PostgreSQL for several replicas.

SQLite connections run in WAL mode (readers never block the writer), wait up to
``busy_timeout_ms`` for a lock instead of failing, enforce foreign keys and use
``synchronous=FULL``, so a committed transaction survives a crash of the process and of the
machine. Transactions start with a plain ``BEGIN`` (deferred: long reads do not hold the write
lock); a connection with the execution option ``sqlite_immediate=True`` starts with
``BEGIN IMMEDIATE`` instead, for a transaction that reads and then writes (see
:func:`write_transaction`).

PostgreSQL URLs (``postgresql://`` or ``postgresql+psycopg://``) use psycopg 3 with a
pre-pinged connection pool and a connect timeout of ``PG_CONNECT_TIMEOUT_S``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from router.errors import InvalidRequest

DEFAULT_URL = "sqlite:///budget_router.db"
BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str | Path) -> str:
    """A SQLAlchemy URL: a bare path becomes an SQLite file URL; ``postgresql://`` and
    ``postgres://`` get the psycopg 3 driver."""
    text = str(url)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser()}"
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    if text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text[len("postgresql://") :]
    return text


#: Seconds to wait for a PostgreSQL connection before failing (start-up then reports the store down).
PG_CONNECT_TIMEOUT_S = 10


def make_engine(url: str | Path = DEFAULT_URL, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see the module docstring). Call ``engine.dispose()`` when done."""
    parsed = make_url(normalise_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise InvalidRequest("the request log needs an SQLite file, not an in-memory database")
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        # an unreachable server fails the connection in seconds instead of the system's TCP timeout
        kwargs.setdefault("connect_args", {"connect_timeout": PG_CONNECT_TIMEOUT_S})
        return create_engine(parsed, **kwargs)
    raise InvalidRequest(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's BEGIN below, not the sqlite3 module, open transactions
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            _enter_wal(cursor, busy_timeout_ms / 1000)
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _enter_wal(cursor: Any, timeout_s: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the lock: switching a
    new database to WAL can fail at once with "database is locked" when several processes open it
    together, without waiting in the busy handler (seen with four engines migrating one new file
    on a loaded machine). Once one connection has switched, the mode is the file's."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


@contextmanager
def serialised_writes(engine: Engine) -> Iterator[None]:
    """On SQLite, one write transaction at a time per engine in this process; elsewhere nothing.

    SQLite has one write lock, and its busy handler waits for it by sleeping and polling, so under
    contention some writers keep missing it (seconds of waiting for a feedback commit while the
    request-log writer and other feedback threads take turns). Queueing the writers of a process on
    a lock of its own hands the database lock over at once and in turn; other processes still
    meet at SQLite's lock, with its busy timeout.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    with lock:
        yield


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may read before it writes: ``BEGIN IMMEDIATE`` on SQLite (so it cannot
    fail half-way on a lock upgrade; queued behind the process's other writers, see
    :func:`serialised_writes`), a plain transaction elsewhere. Commits on success."""
    with serialised_writes(engine), engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            yield connection
