"""Admin endpoints, open only to ``admin_api_keys`` (:func:`router.api.deps.authorize_admin`).

* ``POST /admin/reload``: load the model the models directory names now (what the service does by
  itself every ``model_reload_interval_s``), without waiting; ``?force=true`` reloads it even when
  it is the one served.
* ``GET /admin/usage``: requests, errors, tokens and cost per client key from the request log
  (``?since=`` an ISO date or time). Keys are identified by ``api_key_id`` (a salted SHA-256 prefix,
  what the log stores); for the keys this router is configured with, ``key_hint`` shows their last
  four characters so an operator can tell them apart.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from router.errors import InvalidRequest, ModelNotLoaded, error_responses
from router.store import key_id, parse_time, usage_by_key

from ._common import json_response
from .deps import Admin, StoreDep

router = APIRouter(prefix="/admin", tags=["admin"])


_ADMIN_ERRORS = {401: "no admin key sent", 403: "not an admin key, or no admin keys configured"}


@router.post(
    "/reload",
    summary="Load the model the models directory names now (admin key)",
    responses=error_responses(503, client=_ADMIN_ERRORS),
)
async def reload(request: Request, _: Admin, force: bool = False) -> Any:
    from router.app import reload_model

    state = request.app.state
    before = state.engine.classifier_version if state.engine is not None else None
    try:
        changed = await reload_model(request.app, force=force)
    except Exception as exc:
        error = ModelNotLoaded(f"The model did not load, the previous one still serves: {type(exc).__name__}: {exc}")
        raise error from exc
    engine = state.engine
    return json_response(
        {
            "reloaded": changed,
            "previous_version": before,
            "version": engine.classifier_version if engine is not None else None,
            "path": str(state.model_source) if state.model_source is not None else None,
        }
    )


def _since(raw: str | None) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise InvalidRequest(f"since: expected an ISO date or date and time, got {raw!r}.") from None


@router.get(
    "/usage",
    summary="Requests, tokens and cost per client key (admin key)",
    responses=error_responses(503, client={400: "`since` is not an ISO date or time", **_ADMIN_ERRORS}),
)
async def usage(request: Request, _: Admin, store: StoreDep, since: str | None = None) -> Any:
    start = _since(since)
    rows = await asyncio.to_thread(usage_by_key, store.engine, since=start)
    # the last four characters tell keys apart; a short key gets no hint (it would give too much away)
    hints = {key_id(key): "..." + key[-4:] for key in request.app.state.settings.api_keys if len(key) >= 16}
    return json_response(
        {
            "since": start.isoformat() if start is not None else None,
            "keys": [
                {
                    "api_key_id": row.api_key_id,
                    "key_hint": hints.get(row.api_key_id) if row.api_key_id else None,
                    "requests": row.requests,
                    "errors": row.errors,
                    "prompt_tokens": row.prompt_tokens,
                    "output_tokens": row.output_tokens,
                    "cost_usd": round(row.cost_usd, 6),
                }
                for row in rows
            ],
        }
    )
