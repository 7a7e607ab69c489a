"""``GET /healthz`` (the process answers), ``/readyz`` (it can route) and ``/metrics``."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from .deps import MetricsDep

router = APIRouter(tags=["health"])


def _json(payload: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")).encode(), status_code=status, media_type="application/json"
    )


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    return _json({"status": "ok"})


@router.get("/readyz", summary="Readiness: classifier loaded, upstream configured, lifecycle warnings")
async def readyz(request: Request) -> Response:
    """503 while the classifier is not loaded. Lifecycle warnings (models past or near their
    shutdown) and a missing upstream are reported but do not make the router unready: it still
    answers ``/v1/route``."""
    state = request.app.state
    engine = state.engine
    ready = engine is not None
    payload: dict[str, Any] = {
        "status": "ready" if ready else "not ready",
        "classifier": {"loaded": ready, "version": engine.classifier_version if engine else None},
        "policy": state.policy.name if state.policy is not None else None,
        "upstream": {"configured": state.upstream is not None, "url": state.settings.upstream_url or "gemini"},
        "warnings": list(state.warnings),
    }
    if not ready:
        payload["error"] = state.load_error
    return _json(payload, 200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
