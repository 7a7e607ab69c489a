"""``POST /v1/feedback``: quality feedback on a routed request, committed before the answer.

Body: ``{"request_id": str, "score": number in [0, 1], "label"?: str, "comment"?: str}``, where
``request_id`` is the ``x-router-request-id`` header of the response being rated. Answers 200
with the stored row (:class:`FeedbackOut`), 404 for a request id the log does not hold, 422 for
a body that is JSON but not valid feedback (a score outside [0, 1], a missing field), 400 for a
body that is not JSON, 503 when the service runs without a store.

Repeats: every call is kept; the latest feedback on a request is the one retraining learns from
(``supersedes`` in the answer counts the earlier ones).

Needs only ``request.app.state.store`` (a :class:`router.store.Store`, or ``None``, with the reason
in ``app.state.store_error``). The client's key is checked like on the routing endpoints when the
router has ``api_keys``; the key, when one was sent, is stored as :func:`router.store.key_id` of
it, never in clear.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from router.errors import InvalidRequest, error_responses
from router.store import InvalidFeedback, key_id

from ._common import client_key
from .deps import Authorized, StoreDep

router = APIRouter(tags=["feedback"])


class FeedbackIn(BaseModel):
    """Feedback on one routed request."""

    model_config = ConfigDict(extra="forbid", strict=True)

    request_id: str = Field(min_length=1, max_length=64, description="the x-router-request-id of the response")
    score: float = Field(ge=0.0, le=1.0, allow_inf_nan=False, description="quality, 0 (useless) to 1 (perfect)")
    label: str | None = Field(default=None, max_length=64, description="a short category, e.g. 'wrong', 'good'")
    comment: str | None = Field(default=None, max_length=4000)


class FeedbackOut(BaseModel):
    id: int
    request_id: str
    score: float
    label: str | None
    created_at: str
    supersedes: int = Field(description="earlier feedback rows on the same request (the newest one counts)")


async def _read_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON; expected a feedback object.") from None


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


@router.post(
    "/v1/feedback",
    summary="Rate a routed response (score in [0, 1])",
    responses={
        200: {"model": FeedbackOut},
        **error_responses(503, client={404: "no request with that id in the log", 422: "JSON, but not valid feedback"}),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": FeedbackIn.model_json_schema()}},
        }
    },
)
async def post_feedback(request: Request, _: Authorized, store: StoreDep) -> Response:
    """Store the feedback and commit it before answering."""
    body = await _read_body(request)
    try:
        payload = FeedbackIn.model_validate(body)
    except ValidationError as exc:
        raise InvalidFeedback(f"Invalid feedback: {_problems(exc)}.") from None
    receipt = await run_in_threadpool(
        store.record_feedback,
        payload.request_id,
        payload.score,
        label=payload.label,
        comment=payload.comment,
        api_key_id=key_id(client_key(request)),
    )
    out = FeedbackOut(**receipt.to_json())
    return Response(out.model_dump_json().encode(), media_type="application/json")
