"""Reading the log in chunks, for retraining and reports: memory does not grow with the log.

Both readers page by key (``WHERE id > :last ORDER BY id LIMIT :chunk``): every chunk is a
short query of its own, so no transaction or cursor stays open between chunks, rows written
meanwhile are simply read later, and the same code serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, case, exists, func, select
from sqlalchemy.orm import aliased

from router.store._models import FeedbackRow, RequestRow


@dataclass(frozen=True)
class LearningRow:
    """A request's latest feedback joined with what the router did for it."""

    feedback_id: int
    request_id: str
    score: float
    prompt_hash: str
    prompt_text: str | None
    tier_predicted: str | None
    tier_served: str | None
    overridden: bool
    stand_in: bool
    status: int
    created_at: datetime


def iter_requests(engine: Engine, *, since: datetime | None = None, chunk_size: int = 5000) -> Iterator[RequestRow]:
    """Every request row (detached ORM objects), oldest first, ``chunk_size`` per query."""
    from sqlalchemy.orm import Session

    last = 0
    while True:
        query = select(RequestRow).where(RequestRow.id > last).order_by(RequestRow.id).limit(chunk_size)
        if since is not None:
            query = query.where(RequestRow.created_at >= since)
        with Session(engine, expire_on_commit=False) as session:
            rows = list(session.scalars(query))
            session.expunge_all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def iter_learning_rows(
    engine: Engine,
    *,
    since: datetime | None = None,
    chunk_size: int = 5000,
    include_excluded: bool = False,
) -> Iterator[LearningRow]:
    """Per request, its **latest** feedback (the repeat rule), with the request's columns.

    Unless ``include_excluded``, rows retraining must not learn from are left out in SQL: requests
    with an override (the client chose, not the router), traffic served by the offline stand-in,
    and requests that did not succeed (status outside 200-299). ``since`` filters on the request's
    time.
    """
    newer = aliased(FeedbackRow)
    has_newer = exists().where(and_(newer.request_id == FeedbackRow.request_id, newer.id > FeedbackRow.id))
    columns = (
        FeedbackRow.id,
        FeedbackRow.request_id,
        FeedbackRow.score,
        RequestRow.prompt_hash,
        RequestRow.prompt_text,
        RequestRow.tier_predicted,
        RequestRow.tier_served,
        RequestRow.overridden,
        RequestRow.stand_in,
        RequestRow.status,
        RequestRow.created_at,
    )
    base = select(*columns).join(RequestRow, RequestRow.request_id == FeedbackRow.request_id).where(~has_newer)
    if since is not None:
        base = base.where(RequestRow.created_at >= since)
    if not include_excluded:
        base = base.where(
            RequestRow.overridden.is_(False),
            RequestRow.stand_in.is_(False),
            RequestRow.status >= 200,
            RequestRow.status < 300,
        )
    last = 0
    while True:
        query = base.where(FeedbackRow.id > last).order_by(FeedbackRow.id).limit(chunk_size)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield LearningRow(
                feedback_id=int(row[0]),
                request_id=row[1],
                score=float(row[2]),
                prompt_hash=row[3],
                prompt_text=row[4],
                tier_predicted=row[5],
                tier_served=row[6],
                overridden=bool(row[7]),
                stand_in=bool(row[8]),
                status=int(row[9]),
                created_at=row[10],
            )
        last = int(rows[-1][0])


@dataclass(frozen=True)
class KeyUsage:
    """Requests, tokens and cost logged for one client key id (``None``: no key sent)."""

    api_key_id: str | None
    requests: int
    errors: int
    prompt_tokens: int
    output_tokens: int
    cost_usd: float


def usage_by_key(engine: Engine, *, since: datetime | None = None) -> list[KeyUsage]:
    """Per-key usage (aggregated in the database), most requests first. Output tokens count
    candidates and thoughts, as Gemini bills them."""
    query = select(
        RequestRow.api_key_id,
        func.count(),
        func.sum(case((RequestRow.status >= 400, 1), else_=0)),
        func.coalesce(func.sum(RequestRow.prompt_tokens), 0),
        func.coalesce(func.sum(RequestRow.candidates_tokens), 0)
        + func.coalesce(func.sum(RequestRow.thoughts_tokens), 0),
        func.coalesce(func.sum(RequestRow.cost_usd), 0.0),
    ).group_by(RequestRow.api_key_id)
    if since is not None:
        query = query.where(RequestRow.created_at >= since)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    out = [KeyUsage(r[0], int(r[1]), int(r[2] or 0), int(r[3]), int(r[4]), float(r[5])) for r in rows]
    return sorted(out, key=lambda u: (-u.requests, u.api_key_id or ""))
