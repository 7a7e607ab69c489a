"""``GET /healthz`` (the process answers), ``/readyz`` (it can route) and ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from router.errors import error_responses

from ._common import json_response
from .deps import MetricsDep, authorize_admin

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: classifier loaded, store open, upstream configured, warnings",
    responses={
        503: {
            "description": "not ready: the classifier is not loaded or the store is not open (`error` says why)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def readyz(request: Request) -> Response:
    """503 while the classifier is not loaded or the request log and feedback store is not open
    (``error`` says why; proxying still works without the store, but nothing is logged and
    feedback answers 503). Lifecycle warnings (models past or near their shutdown) and a missing
    upstream are reported but do not make the router unready: it still answers ``/v1/route``.
    ``classifier.version`` is the model new requests route with (it changes when a promoted
    model is picked up)."""
    state = request.app.state
    engine = state.engine
    store = state.store
    writing = store is None or store.writer.alive
    ready = engine is not None and store is not None and writing
    source = state.model_source
    classifier: dict[str, Any] = {
        "loaded": engine is not None,
        "version": engine.classifier_version if engine else None,
        "path": str(source) if source is not None else None,
        "reload_interval_s": state.settings.model_reload_interval_s,
    }
    if state.reload_error:
        classifier["reload_error"] = state.reload_error
    store_info: dict[str, Any] = {"open": store is not None, "prompt_storage": state.settings.prompt_storage}
    if store is not None:
        store_info["database"] = store.engine.url.render_as_string(hide_password=True)
        store_info["log"] = store.writer.stats()
    payload: dict[str, Any] = {
        "status": "ready" if ready else "not ready",
        "classifier": classifier,
        "store": store_info,
        "policy": state.policy.name if state.policy is not None else None,
        "upstream": {"configured": state.upstream is not None, "url": state.settings.upstream_url or "gemini"},
        "warnings": list(state.warnings),
    }
    if not ready:
        reasons = []
        if engine is None:
            reasons.append(f"classifier: {state.load_error}")
        if store is None:
            reasons.append(f"store: {state.store_error}")
        if not writing:
            reasons.append("store: the request-log writer has stopped; requests are not being logged")
        payload["error"] = "; ".join(reasons)
    return json_response(payload, 200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics (an admin key when metrics_require_admin is set)",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text exposition format"}, **error_responses()},
)
async def metrics(request: Request, metrics: MetricsDep) -> Response:
    if request.app.state.settings.metrics_require_admin:
        await authorize_admin(request)
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
