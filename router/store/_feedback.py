"""Feedback: validated, committed before the caller answers.

Repeat rule: **every feedback call is kept** (the table is append-only), and for learning **the
latest feedback on a request wins**: retraining reads, per request id, only its newest row
(highest ``feedback.id``). :class:`FeedbackReceipt` tells the caller how many earlier rows the new
one supersedes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, insert, select

from router.errors import InvalidRequest, NotFound
from router.store._engine import write_transaction
from router.store._models import FeedbackRow, RequestRow
from router.store._types import utcnow

if TYPE_CHECKING:
    from router.store._writer import RequestLogWriter

MAX_LABEL_CHARS = 64
MAX_COMMENT_CHARS = 4000
MAX_REQUEST_ID_CHARS = 64


class InvalidFeedback(InvalidRequest):
    """A feedback body that is well-formed JSON but not valid feedback (answered 422)."""

    http_status = 422


@dataclass(frozen=True)
class FeedbackReceipt:
    """What was stored: the new row's id and time, and how many earlier rows it supersedes."""

    id: int
    request_id: str
    score: float
    label: str | None
    created_at: datetime
    supersedes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "score": self.score,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "supersedes": self.supersedes,
        }


def check_feedback(request_id: Any, score: Any, label: Any = None, comment: Any = None) -> float:
    """Validate one feedback's fields (raises :class:`InvalidFeedback`); returns the score."""
    if not isinstance(request_id, str) or not request_id.strip():
        raise InvalidFeedback("request_id must be a non-empty string (the x-router-request-id of a response)")
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidFeedback(f"request_id is longer than {MAX_REQUEST_ID_CHARS} characters")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise InvalidFeedback(f"score must be a number between 0 and 1, got {type(score).__name__}")
    value = float(score)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidFeedback(f"score must be between 0 and 1, got {score!r}")
    if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL_CHARS):
        raise InvalidFeedback(f"label must be a string of at most {MAX_LABEL_CHARS} characters")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
        raise InvalidFeedback(f"comment must be a string of at most {MAX_COMMENT_CHARS} characters")
    return value


def record_feedback(
    engine: Engine,
    request_id: str,
    score: float,
    *,
    label: str | None = None,
    comment: str | None = None,
    api_key_id: str | None = None,
    writer: RequestLogWriter | None = None,
    unknown_id_grace_s: float = 0.0,
) -> FeedbackReceipt:
    """Store one feedback row and commit before returning (blocking: call it from a thread).

    Raises :class:`InvalidFeedback` (422) for a bad field and :class:`router.errors.NotFound`
    (404) for a request id the log does not hold. A request whose row is still queued in
    ``writer`` is flushed first. ``unknown_id_grace_s`` > 0 waits that long once before answering
    404, for deployments where another replica may still hold the request row in its queue (its
    flush interval is the right value).
    """
    value = check_feedback(request_id, score, label, comment)
    if writer is not None and writer.is_pending(request_id):
        writer.flush()
    receipt = _insert(engine, request_id, value, label, comment, api_key_id)
    if receipt is None and unknown_id_grace_s > 0:
        time.sleep(unknown_id_grace_s)
        receipt = _insert(engine, request_id, value, label, comment, api_key_id)
    if receipt is None:
        raise NotFound(f"No request with id {request_id!r} in the log.")
    return receipt


def _insert(
    engine: Engine, request_id: str, score: float, label: str | None, comment: str | None, api_key_id: str | None
) -> FeedbackReceipt | None:
    created = utcnow()
    with write_transaction(engine) as connection:
        known = connection.execute(select(RequestRow.id).where(RequestRow.request_id == request_id).limit(1)).scalar()
        if known is None:
            return None
        earlier = connection.execute(
            select(func.count()).select_from(FeedbackRow).where(FeedbackRow.request_id == request_id)
        ).scalar_one()
        new_id = connection.execute(
            insert(FeedbackRow)
            .values(
                request_id=request_id,
                created_at=created,
                score=score,
                label=label,
                comment=comment,
                api_key_id=api_key_id,
            )
            .returning(FeedbackRow.id)
        ).scalar_one()
    return FeedbackReceipt(int(new_id), request_id, score, label, created, int(earlier))
