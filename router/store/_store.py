"""The store the service holds on ``app.state.store``: engine, migrations, writer, feedback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from router.store._engine import DEFAULT_URL, make_engine
from router.store._feedback import FeedbackReceipt, record_feedback
from router.store._migrations import migrate
from router.store._records import PROMPT_STORAGE_VALUES, PromptStorage, RequestRecord
from router.store._writer import RequestLogWriter

log = logging.getLogger("budget_router.store")


class Store:
    """One database: its engine, its request-log writer and the feedback call.

    ``Store.open(url)`` creates the engine and applies pending migrations (blocking: call it from
    a thread in an async lifespan); :meth:`close` flushes the writer and disposes of the engine.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        prompt_storage: PromptStorage = "full",
        writer: RequestLogWriter | None = None,
        unknown_id_grace_s: float = 0.0,
    ) -> None:
        if prompt_storage not in PROMPT_STORAGE_VALUES:
            raise ValueError(f"prompt_storage must be 'full' or 'hash', got {prompt_storage!r}")
        self.engine = engine
        self.prompt_storage: PromptStorage = prompt_storage
        self.writer = writer or RequestLogWriter(engine)
        self.unknown_id_grace_s = unknown_id_grace_s

    @classmethod
    def open(
        cls,
        url: str | Path = DEFAULT_URL,
        *,
        prompt_storage: PromptStorage = "full",
        migrate_schema: bool = True,
        writer_options: dict[str, Any] | None = None,
        unknown_id_grace_s: float = 0.0,
    ) -> Store:
        engine = make_engine(url)
        try:
            if migrate_schema:
                applied = migrate(engine)
                if applied:
                    log.info("request log at %s: applied %s", engine.url.render_as_string(hide_password=True), applied)
        except Exception:
            engine.dispose()
            raise
        writer = RequestLogWriter(engine, **(writer_options or {})).start()
        return cls(engine, prompt_storage=prompt_storage, writer=writer, unknown_id_grace_s=unknown_id_grace_s)

    def log_request(self, record: RequestRecord) -> bool:
        """Queue a request row (never blocks); ``False`` when dropped."""
        if self.prompt_storage == "hash" and record.prompt_text is not None:
            record.prompt_text = None
        return self.writer.submit(record)

    def record_feedback(
        self,
        request_id: str,
        score: float,
        *,
        label: str | None = None,
        comment: str | None = None,
        api_key_id: str | None = None,
    ) -> FeedbackReceipt:
        """See :func:`router.store.record_feedback` (committed before it returns)."""
        return record_feedback(
            self.engine,
            request_id,
            score,
            label=label,
            comment=comment,
            api_key_id=api_key_id,
            writer=self.writer,
            unknown_id_grace_s=self.unknown_id_grace_s,
        )

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush queued request rows, stop the writer, release the connections."""
        try:
            self.writer.close(timeout)
        finally:
            self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
