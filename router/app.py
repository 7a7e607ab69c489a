"""The FastAPI application: :func:`create_app` builds it, its lifespan loads what it serves with.

Start-up (the lifespan) loads the model catalog and the policy (a bad catalog or policy stops the
start: it is a configuration error), logs the policy's lifecycle warnings, loads the tier
classifier (a model that fails to load does not stop the start: ``/readyz`` and the routing
endpoints answer 503 ModelNotLoaded with the reason), and creates the google-genai clients when an
upstream is configured. Everything lands on ``app.state``: ``settings``, ``metrics``, ``catalog``,
``policy``, ``engine`` (``None`` without a classifier), ``load_error``, ``upstream`` (``None``
without an upstream) and ``warnings``.

Errors: one handler maps :class:`router.errors.RouterError` to its HTTP status and Gemini's error
JSON (OpenAI's on ``/v1/chat/``), with the request id in the message and the
``x-router-request-id`` header; FastAPI's validation errors and Starlette's 404/405 are answered
in the same shapes, so a client's mistake is never a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from router import __version__
from router.api._common import error_body, error_for, record, request_id
from router.catalog import Catalog
from router.errors import InvalidRequest, NotFound, PayloadTooLarge, RouterError
from router.metrics import Metrics
from router.policy import load_policy
from router.routing import RoutingEngine
from router.settings import Settings
from router.upstream import Retry, Upstream

log = logging.getLogger("budget_router")

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


def _client_factory(settings: Settings, session: Any) -> Callable[[str], Any]:
    """Makes one google-genai client per API version over the shared aiohttp ``session``.

    google-genai is imported here (nothing heavy at import time). The SDK's own timeout is left
    unset: :class:`router.upstream.Upstream` times each attempt and each stream chunk itself, so a
    long stream is not cut by a total-time limit.
    """
    from google import genai
    from google.genai import types

    key = settings.gemini_api_key.get_secret_value() if settings.gemini_api_key else "unused-by-the-stand-in"

    def make(version: str) -> Any:
        options = types.HttpOptions(base_url=settings.upstream_url, api_version=version, aiohttp_client=session)
        return genai.Client(api_key=key, vertexai=False, http_options=options)

    return make


def _http_session(settings: Settings) -> Any:
    """The aiohttp session every upstream call shares (made inside the running event loop).

    ``trust_env`` is off unless asked for: on, aiohttp looks up proxies and .netrc in a thread
    for every request, which costs more than the rest of the call.
    """
    import aiohttp

    connector = aiohttp.TCPConnector(limit=settings.upstream_max_connections, keepalive_timeout=30)
    return aiohttp.ClientSession(connector=connector, trust_env=settings.upstream_trust_env)


def _load_engine(settings: Settings, catalog: Catalog, policy: Any) -> RoutingEngine:
    from classifier import TierClassifier

    clf = TierClassifier.load(settings.model_path)
    return RoutingEngine(clf, catalog, policy, max_prompt_chars=settings.max_prompt_chars)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    settings: Settings = state.settings
    state.catalog = Catalog.load(settings.catalog_path)
    state.policy = load_policy(settings.policy, state.catalog)
    state.warnings = state.catalog.lifecycle_warnings(state.policy.models(), date.today())
    for warning in state.warnings:
        log.warning("model lifecycle: %s", warning)
    try:
        state.engine = await asyncio.to_thread(_load_engine, settings, state.catalog, state.policy)
        state.load_error = None
        log.info("classifier %s loaded; policy %s", state.engine.classifier_version, state.policy.name)
    except Exception as exc:  # any load failure: serve 503 ModelNotLoaded, do not crash
        state.engine = None
        state.load_error = f"{type(exc).__name__}: {exc}"
        log.error("the tier classifier did not load (%s); routing answers 503 until it does", state.load_error)
    state.upstream = None
    if settings.upstream_configured:
        retry = Retry(
            max_retries=settings.max_retries,
            base_delay_s=settings.retry_base_delay_s,
            max_delay_s=settings.retry_max_delay_s,
            attempt_timeout_s=settings.request_timeout_s,
            deadline_s=settings.total_deadline_s,
        )
        session = _http_session(settings)
        state.upstream = Upstream(
            _client_factory(settings, session),
            retry=retry,
            metrics=state.metrics,
            catalog=state.catalog,
            session=session,
        )
        for version in ("v1beta", "v1"):
            state.upstream.client(version)  # create the clients (and their pools) now
        log.info("upstream: %s", settings.upstream_url or "Gemini API")
    else:
        log.warning("no upstream configured: proxy calls answer 503 until GEMINI_API_KEY or an upstream URL is set")
    try:
        yield
    finally:
        if state.upstream is not None:
            await state.upstream.aclose()


class BodyLimit:
    """Pure ASGI middleware: 413 for bodies over ``max_bytes``, before reading them.

    A ``content-length`` over the limit is answered at once (the body is drained, unread, up to
    a bound, so that clients that write the whole body before reading still get the answer);
    a chunked body is counted as it arrives and stops the request when it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await self._refuse(scope, send, InvalidRequest("Invalid content-length header."))
                    return
                if int(value) > limit:
                    await self._drain(receive, 8 * limit)
                    await self._refuse(scope, send, self._too_large(int(value)))
                    return
                break
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large(seen)
            return message

        await self.app(scope, counted, send)

    def _too_large(self, size: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"Request payload size exceeds the limit: {size} bytes sent, at most {self.max_bytes} accepted "
            "(BUDGET_ROUTER_MAX_BODY_BYTES)."
        )

    @staticmethod
    async def _drain(receive: Callable[..., Any], bound: int) -> None:
        drained = 0
        while drained <= bound:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body"):
                return

    @staticmethod
    async def _refuse(scope: Scope, send: Callable[..., Any], exc: RouterError) -> None:
        from router.routing import new_request_id

        rid = new_request_id()
        status, body, headers = error_for(scope["path"], exc, rid)
        data = json.dumps(body).encode()
        raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
        raw_headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": data})


def _endpoint(request: Request) -> str:
    """The metrics label of a request's endpoint (a bounded set: unknown paths are "other")."""
    named = getattr(request.state, "endpoint", None)
    if named:
        return str(named)
    path = request.url.path
    if path == "/v1/route":
        return "route"
    if path.startswith("/v1/chat/"):
        return "chat.completions"
    for action in ("generateContent", "streamGenerateContent", "countTokens"):
        if path.endswith(":" + action):
            return action
    return "other"


def _error_response(request: Request, exc: RouterError) -> Response:
    rid = request_id(request)
    status, body, headers = error_for(request.url.path, exc, rid)
    record(
        request, _endpoint(request), getattr(request.state, "decision", None), status=status, error=type(exc).__name__
    )
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json", headers=headers)


async def _router_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RouterError)
    return _error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return _error_response(request, InvalidRequest("Invalid request: " + "; ".join(problems) + "."))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error: RouterError = NotFound(f"The requested URL {request.url.path} was not found on this server.")
    elif exc.status_code == 405:
        error = NotFound(f"Method {request.method} is not allowed on {request.url.path}.")
        error.http_status = 405
    else:
        error = RouterError(str(exc.detail))
        error.http_status = exc.status_code
        error.status = "INVALID_ARGUMENT" if 400 <= exc.status_code < 500 else "INTERNAL"
    return _error_response(request, error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error (request id %s)", request_id(request), exc_info=exc)
    rid = request_id(request)
    body = error_body(request.url.path, 500, "INTERNAL", f"Internal error in the router (request id {rid}).")
    return Response(
        json.dumps(body).encode(), status_code=500, media_type="application/json", headers={"x-router-request-id": rid}
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service (nothing is loaded until the lifespan starts)."""
    from router.api import gemini, health, openai_compat, route

    app = FastAPI(
        title="budget-router",
        version=__version__,
        description="Routes each Gemini request to the reasoning effort it deserves.",
        lifespan=lifespan,
    )
    app.state.settings = settings or Settings()
    app.state.metrics = Metrics()
    app.state.catalog = None
    app.state.policy = None
    app.state.engine = None
    app.state.load_error = "the service has not started"
    app.state.upstream = None
    app.state.warnings = []
    app.state.store = None  # the request/feedback store (issue 4); router/api/feedback.py reads it
    app.add_exception_handler(RouterError, _router_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, max_bytes=app.state.settings.max_body_bytes)
    for module in (health, route, gemini, openai_compat):
        app.include_router(module.router)
    return app
