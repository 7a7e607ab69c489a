"""Request rows written off the hot path: a bounded queue, a writer thread, batched inserts.

:meth:`RequestLogWriter.submit` never blocks and never touches the database: it puts the row on
a bounded queue and returns (``False`` when the queue is full: the row is dropped, counted in
:attr:`~RequestLogWriter.dropped` and logged, so a slow database slows no request). A daemon
thread takes rows off the queue and inserts them in batches of up to ``batch_size``, one
transaction per batch, at least every ``flush_interval_s``. :meth:`~RequestLogWriter.flush` waits
until every row submitted before it is written; :meth:`~RequestLogWriter.close` flushes and stops
the thread (the service calls it on shutdown).

The thread starts with the first ``submit`` (or :meth:`~RequestLogWriter.start`;
``autostart=False`` leaves it to ``start``).

A batch that fails is retried (``retries`` times, with a growing pause: a locked or restarting
database is usually back quickly); a batch that still fails is counted in
:attr:`~RequestLogWriter.failed` and logged, and the writer goes on with the next.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from router.store._engine import serialised_writes
from router.store._models import RequestRow
from router.store._records import RequestRecord

log = logging.getLogger("budget_router.store")


class _Flush:
    """A marker on the queue: set ``done`` once everything before it is written."""

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class RequestLogWriter:
    """Writes :class:`RequestRecord` rows to the ``requests`` table from a background thread.

    Thread-safe: ``submit`` may be called from the event loop and from any thread.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_queue: int = 10_000,
        batch_size: int = 500,
        flush_interval_s: float = 0.2,
        retries: int = 3,
        retry_pause_s: float = 0.2,
        autostart: bool = True,
    ) -> None:
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be positive")
        self.engine = engine
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retries = retries
        self.retry_pause_s = retry_pause_s
        self.autostart = autostart
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self.submitted = 0
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._last_drop_log = 0.0

    # -- producer side ----------------------------------------------------------------------

    def start(self) -> RequestLogWriter:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
                self._thread.start()
        return self

    def submit(self, record: RequestRecord | Mapping[str, Any]) -> bool:
        """Queue one row; ``False`` when it was dropped (queue full, or the writer is closed)."""
        row = record.as_row() if isinstance(record, RequestRecord) else dict(record)
        rid = str(row["request_id"])
        with self._lock:
            if self._closed:
                self.dropped += 1
                return False
            self._pending[rid] = self._pending.get(rid, 0) + 1
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            with self._lock:
                self._forget(rid)
                self.dropped += 1
                dropped = self.dropped
                now = time.monotonic()
                should_log = now - self._last_drop_log > 5.0
                if should_log:
                    self._last_drop_log = now
            if should_log:
                log.warning("request log queue full: %d rows dropped so far", dropped)
            return False
        with self._lock:
            self.submitted += 1
        if self._thread is None and self.autostart:
            self.start()
        return True

    def is_pending(self, request_id: str) -> bool:
        """Whether a row for ``request_id`` is queued but not yet written."""
        with self._lock:
            return request_id in self._pending

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every row submitted so far is written (or failed); ``False`` on timeout."""
        if self._thread is None or not self._thread.is_alive():
            return self._queue.empty()
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush what is queued, then stop the thread. Rows submitted afterwards are dropped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            log.error("request log writer did not finish within %s s; %d rows may be lost", timeout, self.queued)

    @property
    def alive(self) -> bool:
        """False once the writer thread has ended while the writer is open (rows would only queue)."""
        with self._lock:
            return self._closed or self._thread is None or self._thread.is_alive()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "submitted": self.submitted,
                "written": self.written,
                "dropped": self.dropped,
                "failed": self.failed,
                "queued": self._queue.qsize(),
            }

    # -- consumer side ----------------------------------------------------------------------

    def _forget(self, rid: str) -> None:
        left = self._pending.get(rid, 0) - 1
        if left > 0:
            self._pending[rid] = left
        else:
            self._pending.pop(rid, None)

    def _run(self) -> None:
        batch: list[dict[str, Any]] = []
        markers: list[_Flush] = []
        stopping = False
        while not stopping:
            try:
                item = self._queue.get(timeout=self.flush_interval_s)
            except queue.Empty:
                item = None
            deadline = time.monotonic() + self.flush_interval_s
            while item is not None:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _Flush):
                    markers.append(item)
                else:
                    batch.append(item)
                if stopping or markers or len(batch) >= self.batch_size or time.monotonic() > deadline:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if stopping:  # take what is still queued (submit refuses new rows once closed)
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(item, _Flush):
                        markers.append(item)
                    elif item is not _STOP:
                        batch.append(item)
            for start in range(0, len(batch), self.batch_size):
                self._write(batch[start : start + self.batch_size])
            batch = []
            for marker in markers:
                marker.done.set()
            markers = []

    def _write(self, rows: list[dict[str, Any]]) -> None:
        written = 0
        for attempt in range(self.retries + 1):
            try:
                with serialised_writes(self.engine), self.engine.begin() as connection:
                    connection.execute(insert(RequestRow), rows)
                written = len(rows)
                break
            except IntegrityError:
                written = self._write_one_by_one(rows)  # a bad row (a repeated id) spoils no other
                break
            except SQLAlchemyError as exc:
                if attempt < self.retries:
                    time.sleep(self.retry_pause_s * (attempt + 1))
                    continue
                log.error("request log: %d rows not written: %s", len(rows), exc)
                break
            except Exception:  # a row the driver cannot encode, say: it spoils no other, and the thread lives
                written = self._write_one_by_one(rows)
                break
        with self._lock:
            self.written += written
            self.failed += len(rows) - written
            for row in rows:
                self._forget(str(row["request_id"]))

    def _write_one_by_one(self, rows: list[dict[str, Any]]) -> int:
        written = 0
        for row in rows:
            try:
                with serialised_writes(self.engine), self.engine.begin() as connection:
                    connection.execute(insert(RequestRow), [row])
                written += 1
            except Exception as exc:
                log.error("request log: row %s not written: %s: %s", row.get("request_id"), type(exc).__name__, exc)
        return written
