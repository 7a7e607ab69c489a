"""The request log and feedback store (SQLAlchemy; an SQLite file by default, PostgreSQL by URL).

>>> from router.store import Store, RequestRecord, prompt_hash
>>> store = Store.open("sqlite:////tmp/log.db")          # migrates, starts the writer
>>> store.log_request(RequestRecord(request_id="r1", prompt_hash=prompt_hash("hi")))
True
>>> store.writer.flush()
True
>>> store.record_feedback("r1", 0.2).supersedes
0
>>> store.close()

See :mod:`router.store._models` for the tables, :mod:`router.store._migrations` for schema changes,
:mod:`router.store._writer` for the off-hot-path writer, :mod:`router.store._feedback` for the
repeat rule and :mod:`router.store._read` for chunked reading.
"""

from router.store._engine import DEFAULT_URL, make_engine, normalise_url, write_transaction
from router.store._feedback import FeedbackReceipt, InvalidFeedback, check_feedback, record_feedback
from router.store._migrations import LATEST_VERSION, MIGRATIONS, Migration, applied, migrate
from router.store._models import Base, FeedbackRow, RequestRow, SchemaVersion
from router.store._read import KeyUsage, LearningRow, iter_learning_rows, iter_requests, usage_by_key
from router.store._records import PROMPT_STORAGE_VALUES, PromptStorage, RequestRecord, key_id, prompt_hash
from router.store._store import Store
from router.store._types import parse_time
from router.store._writer import RequestLogWriter

__all__ = [
    "DEFAULT_URL",
    "LATEST_VERSION",
    "MIGRATIONS",
    "PROMPT_STORAGE_VALUES",
    "Base",
    "FeedbackReceipt",
    "FeedbackRow",
    "InvalidFeedback",
    "KeyUsage",
    "LearningRow",
    "Migration",
    "PromptStorage",
    "RequestLogWriter",
    "RequestRecord",
    "RequestRow",
    "SchemaVersion",
    "Store",
    "applied",
    "check_feedback",
    "iter_learning_rows",
    "iter_requests",
    "key_id",
    "make_engine",
    "migrate",
    "normalise_url",
    "parse_time",
    "prompt_hash",
    "record_feedback",
    "usage_by_key",
    "write_transaction",
]
