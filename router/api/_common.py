"""Helpers shared by the API modules: reading JSON bodies, error bodies, the client's key, and
:func:`record`, which counts, logs and stores (off the hot path) every answered request."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request, Response
from pydantic import BaseModel, ValidationError

from router.catalog import Cost
from router.errors import InvalidRequest, RouterError
from router.policy import Route
from router.routing import Decision, new_request_id
from router.store import RequestRecord
from router.upstream import Stream, cost_of

log = logging.getLogger("budget_router.requests")
M = TypeVar("M", bound=BaseModel)

#: Paths answered in OpenAI's error shape instead of Gemini's.
OPENAI_PREFIX = "/v1/chat/"
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
}


def request_id(request: Request) -> str:
    """The request's id, made on first use (errors raised before a handler ran get one too)."""
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = new_request_id()
    return rid


def error_body(path: str, status: int, status_text: str, message: str) -> dict[str, Any]:
    """Gemini's ``{"error": {"code", "message", "status"}}``, or OpenAI's shape on its route."""
    if path.startswith(OPENAI_PREFIX):
        kind = _OPENAI_TYPES.get(status, "rate_limit_error" if status == 429 else "api_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": status_text.lower()}}
    return {"error": {"code": status, "message": message, "status": status_text}}


def error_for(path: str, exc: RouterError, rid: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and headers answering ``exc``; the message names the request id."""
    headers = {"x-router-request-id": rid}
    retry_after = getattr(exc, "retry_after_s", None)
    if exc.http_status == 429:
        headers["retry-after"] = str(max(1, round(retry_after or 1)))
    message = f"{exc.message} (request id {rid})"
    return exc.http_status, error_body(path, exc.http_status, exc.status, message), headers


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``payload`` as a compact JSON response."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type="application/json", headers=headers)


def sse_error(path: str, exc: RouterError, rid: str) -> bytes:
    """An in-stream error event: ``data: {"error": {...}}``."""
    _, body, _ = error_for(path, exc, rid)
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\r\n\r\n"


class _NonStandard(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NonStandard(name)  # NaN, Infinity, -Infinity: Python reads them, JSON has none


async def read_json(request: Request) -> Any:
    """The request body as JSON. Size is bounded by :class:`router.limits.BodyLimit`;
    invalid UTF-8 and malformed JSON are the client's mistake (400)."""
    body = await request.body()
    if not body.strip():
        raise InvalidRequest("The request body is empty; expected a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start})."
        ) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except _NonStandard as exc:
        raise InvalidRequest(f"Invalid JSON payload received: {exc} is not a JSON value.") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"Invalid JSON payload received: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    except RecursionError:
        raise InvalidRequest("Invalid JSON payload received: nested too deeply.") from None


def validate_model(model: type[M], raw: Any) -> M:
    """``model`` validated from parsed JSON; a :class:`pydantic.ValidationError` becomes a 400
    naming the first problems."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ())) or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        raise InvalidRequest("Invalid request: " + "; ".join(problems) + ".") from None


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its ``$defs`` inlined, for ``openapi_extra`` request bodies."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def expect_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"Invalid value at '{where}': expected a JSON object, got {kind_of(value)}.")
    return value


def kind_of(value: Any) -> str:
    """How a JSON value is described in error messages ("a string", "an array", ...)."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )


def parse_float_header(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidRequest(f"header {name}: expected a number, got {raw!r}") from None


def scope_key(scope: Mapping[str, Any], *, query: bool = True) -> str | None:
    """The API key a request carries: ``x-goog-api-key``, then the ``key`` query parameter (unless
    ``query`` is false), then a bearer token (what the google-genai and OpenAI SDKs send); ``None``
    without one."""
    bearer = None
    for name, value in scope["headers"]:
        if name == b"x-goog-api-key" and value:
            return value.decode("latin-1")
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            bearer = value[7:].strip().decode("latin-1") or None
    raw_query = (scope.get("query_string") or b"") if query else b""
    if b"key=" in raw_query:
        for name, value in parse_qsl(raw_query.decode("latin-1")):
            if name == "key" and value:
                return value
    return bearer


def client_key(request: Request) -> str | None:
    """The API key the client sent (:func:`scope_key`). Only its hash is ever stored."""
    return scope_key(request.scope)


def record(
    request: Request,
    endpoint: str,
    decision: Decision | None,
    *,
    route: Route | None = None,
    status: int = 200,
    usage: Mapping[str, int] | None = None,
    cost: Cost | None = None,
    attempts: int = 0,
    error: BaseException | None = None,
) -> None:
    """Count one answered request in the metrics, write its log line and its request row.

    ``route`` is the route that answered (after fallbacks; default: the decision's primary),
    ``usage`` its token counts (:func:`router.upstream.usage_of`), ``cost`` their cost.

    The request row (:mod:`router.store`) is queued for the writer thread, never written here.
    Only requests that reached a routing decision get one, successful or not: a request refused
    before it (malformed body, unknown path, failed authentication) has no prompt, tier or model
    to learn from, and logging it would let any client fill the database. A stream that breaks
    after its 200 headers is stored with the error's status (the client saw an error event).
    """
    state = request.app.state
    tier = decision.tier if decision else "none"
    route = route or (decision.route if decision else None)
    model = route.model if route else "none"
    cost_usd = cost.usd if cost is not None else None
    metrics = state.metrics
    metrics.requests.labels(endpoint, tier, model, str(status)).inc()
    if usage:
        metrics.add_usage(model, dict(usage), cost_usd or 0.0)
    started = getattr(request.state, "started", None)
    latency_ms = (time.perf_counter() - started) * 1000 if started else None
    error_text, status_logged = None, status
    if error is not None:
        error_text = f"{type(error).__name__}: {error.message if isinstance(error, RouterError) else error}"
        if status < 400:  # a stream that broke after its headers
            status_logged = error.http_status if isinstance(error, RouterError) else 500
    store = state.store
    if decision is not None and store is not None:
        settings = state.settings
        row = RequestRecord.from_decision(
            decision,
            decision.prompt,
            endpoint=endpoint,
            prompt_storage=settings.prompt_storage,
            api_key=client_key(request),
            tier_predicted=decision.predicted_tier or None,
            model=model,
            thinking=route.thinking.header() if route else None,
            status=status_logged,
            latency_ms=round(latency_ms, 3) if latency_ms is not None else None,
            usage=usage,
            cost_usd=cost_usd,
            cost_verified=cost.verified if cost is not None else None,
            stand_in=settings.stand_in,
            error=error_text,
        )
        store.log_request(row)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "request_id=%s endpoint=%s status=%s tier=%s model=%s thinking=%s overrides=%s attempts=%s "
            "latency_ms=%s usage=%s cost_usd=%s error=%s",
            request_id(request),
            endpoint,
            status,
            tier,
            model,
            route.thinking.header() if route else "-",
            ",".join(decision.overrides) if decision and decision.overrides else "-",
            attempts,
            f"{latency_ms:.1f}" if latency_ms is not None else "-",
            dict(usage) if usage else "-",
            f"{cost_usd:.6f}" if cost_usd is not None else "-",
            type(error).__name__ if error is not None else "-",
        )


async def finish_stream(
    request: Request, endpoint: str, decision: Decision, stream: Stream, error: BaseException | None
) -> None:
    """Close an upstream stream and record the request with the usage its last chunk carried
    (priced for the model that answered)."""
    await stream.aclose()
    usage = stream.usage  # from the last chunk that carried usageMetadata
    cost = cost_of(request.app.state.upstream.catalog, stream.route.model, usage) if usage else None
    record(
        request, endpoint, decision, route=stream.route, usage=usage, cost=cost, attempts=stream.attempts, error=error
    )
