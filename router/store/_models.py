"""The log's tables as SQLAlchemy 2 declarative models.

The schema itself is created and changed only by the migrations in
:mod:`router.store._migrations`; these models describe the schema the newest migration leaves
(``tests/test_store.py`` checks that the two agree).

``requests``: one row per answered request. The client's API key is never stored, only
:func:`~router.store._records.key_id` of it; the prompt is stored as a SHA-256 hash, and as text
only when the prompt-storage setting is ``"full"``.

``feedback``: one row per feedback call, all kept (see :func:`~router.store._feedback.record_feedback`
for the repeat rule).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from router.store._types import UTCDateTime

#: An auto-incrementing 64-bit key (SQLite only auto-increments ``INTEGER PRIMARY KEY``).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(128))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    api_key_id: Mapped[str | None] = mapped_column(String(32), index=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    prompt_hash: Mapped[str] = mapped_column(String(64), index=True)
    prompt_text: Mapped[str | None] = mapped_column(Text)
    tier_predicted: Mapped[str | None] = mapped_column(String(16))
    tier_served: Mapped[str | None] = mapped_column(String(16))
    prob_light: Mapped[float | None] = mapped_column(Float)
    prob_intermediate: Mapped[float | None] = mapped_column(Float)
    prob_advanced: Mapped[float | None] = mapped_column(Float)
    complexity_score: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(128))
    thinking: Mapped[str | None] = mapped_column(String(64))
    overrides: Mapped[str] = mapped_column(String(128))
    overridden: Mapped[bool] = mapped_column(Boolean)
    stand_in: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    cached_tokens: Mapped[int | None] = mapped_column(Integer)
    thoughts_tokens: Mapped[int | None] = mapped_column(Integer)
    candidates_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    cost_verified: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    classifier_version: Mapped[str | None] = mapped_column(String(64))


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_request_id_id", "request_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), ForeignKey("requests.request_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    api_key_id: Mapped[str | None] = mapped_column(String(32))
