"""The FastAPI application: :func:`create_app` builds it, its lifespan loads what it serves with.

Start-up (the lifespan) loads the model catalog and the policy (a bad catalog or policy stops the
start: it is a configuration error), logs the policy's lifecycle warnings, loads the tier
classifier (a model that fails to load does not stop the start: ``/readyz`` and the routing
endpoints answer 503 ModelNotLoaded with the reason), opens the request log and feedback store in
a thread (it migrates; a database that does not open does not stop the start either: ``/readyz``
answers 503 with the reason, proxying goes on unlogged, ``/v1/feedback`` answers 503, and the
store is tried again every 10 s), and creates the google-genai clients when an upstream is
configured. Everything lands on ``app.state``: ``settings``, ``metrics``, ``catalog``, ``policy``,
``engine`` (``None`` without a classifier), ``load_error``, ``model_source`` and ``model_stamp``
(what the engine was loaded from), ``reload_error``, ``store`` (``None`` while it is not open),
``store_error``, ``upstream`` (``None`` without an upstream) and ``warnings``.

The classifier is read from the models directory's ``CURRENT`` pointer
(:func:`router.learning.current_model_path`; the directory itself without one), and a background
task follows it (:func:`_follow_models`): a promoted model is loaded and swapped in without a
restart, requests in flight finish on the engine they started with.

Shutdown: the server runs the lifespan's exit once in-flight requests have finished (uvicorn's
graceful shutdown), so their rows are queued by then; the store's close flushes the queue.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from classifier._compiled import speedups
from router import __version__
from router.api._common import error_body, error_for, record, request_id
from router.catalog import Catalog
from router.errors import InvalidRequest, NotFound, RouterError
from router.limits import BodyLimit, ConcurrencyLimit
from router.metrics import Metrics
from router.policy import load_policy
from router.routing import RoutingEngine
from router.settings import Settings
from router.store import Store
from router.upstream import Retry, Upstream

if TYPE_CHECKING:
    from router.learning import ModelStamp

log = logging.getLogger("budget_router")


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


def _models_dir(settings: Settings) -> Path | None:
    """The models directory the service follows (its ``CURRENT`` pointer), or ``None`` when
    ``model_path`` names a model file, which is served as it is."""
    from classifier._persist import default_model_dir

    path = settings.model_path
    if path is None:
        return default_model_dir()
    return None if path.suffix in (".joblib", ".json") else path


def _load_engine(settings: Settings, catalog: Catalog, policy: Any) -> tuple[RoutingEngine, ModelStamp | None, Path]:
    """A routing engine over the served classifier (blocking: run it in a thread), the stamp of
    what it loaded (``None``: not followed) and the model directory or file it came from.

    The stamp is taken before the pointer is read, so a promotion during the load is seen by the
    next check instead of lost."""
    from classifier import TierClassifier
    from router.learning import current_model_path, model_stamp

    models_dir = _models_dir(settings)
    if models_dir is None:
        stamp, path = None, Path(settings.model_path or "")
    else:
        stamp = model_stamp(models_dir)
        path = current_model_path(models_dir)
    clf = TierClassifier.load(path)
    engine = RoutingEngine(
        clf,
        catalog,
        policy,
        max_prompt_chars=settings.max_prompt_chars,
        max_prompt_tokens=settings.max_prompt_tokens,
    )
    return engine, stamp, path


def _open_store(settings: Settings) -> Store:
    """The request log and feedback store (blocking: migrates; run it in a thread)."""
    return Store.open(
        settings.database_url,
        prompt_storage=settings.prompt_storage,
        writer_options={"max_queue": settings.log_queue_size},
    )


async def reload_model(app: FastAPI, *, force: bool = False) -> bool:
    """Serve the model the models directory names now, when it is not the one served
    (:func:`router.learning.model_changed`'s test: a promotion switched ``CURRENT``, or the served
    card changed); ``force`` loads it even when it is. Returns whether another engine was swapped in.

    The model loads in a thread and ``app.state.engine`` is swapped in one assignment on the event
    loop; requests hold the engine they started with, so none is dropped. A model that fails to
    load leaves the current one serving (``classifier.reload_error`` in ``/readyz``) and, unless
    forced, is not tried again until the directory changes again; the error is raised to the caller.
    The stamp is taken before the load, so a promotion during the load is seen next time.
    """
    from router.learning import model_stamp

    state = app.state
    settings: Settings = state.settings
    models_dir = _models_dir(settings)
    if models_dir is None and not force:
        return False
    now: ModelStamp | None = None
    try:
        if models_dir is not None:
            now = await asyncio.to_thread(model_stamp, models_dir)
            if not force and now in (state.model_stamp, state.reload_failed):
                return False
        engine, new_stamp, path = await asyncio.to_thread(_load_engine, settings, state.catalog, state.policy)
    except Exception as exc:
        state.reload_failed = now
        state.reload_error = f"{type(exc).__name__}: {exc}"
        log.error(
            "the model now named in %s did not load (%s); still serving the previous one",
            models_dir or settings.model_path,
            state.reload_error,
        )
        raise
    old = state.engine
    state.engine, state.model_stamp, state.model_source = engine, new_stamp, path
    state.load_error = state.reload_error = state.reload_failed = None
    log.info(
        "classifier %s loaded from %s (was %s); new requests route with it",
        engine.classifier_version,
        path,
        old.classifier_version if old is not None else "none",
    )
    return True


async def _follow_models(app: FastAPI) -> None:
    """Every ``model_reload_interval_s``: :func:`reload_model` (failures are logged there)."""
    if _models_dir(app.state.settings) is None:
        return
    while True:
        await asyncio.sleep(app.state.settings.model_reload_interval_s)
        try:
            await reload_model(app)
        except Exception:  # logged by reload_model; the current model keeps serving
            continue


async def _reopen_store(app: FastAPI, pause_s: float = 10.0) -> None:
    """While the store is down at start, try to open it again every ``pause_s`` seconds."""
    state = app.state
    while state.store is None:
        await asyncio.sleep(pause_s)
        try:
            state.store = await asyncio.to_thread(_open_store, state.settings)
        except Exception as exc:
            state.store_error = f"{type(exc).__name__}: {exc}"
            continue
        state.store_error = None
        log.info("request log and feedback store open (it had failed to open at start)")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    settings: Settings = state.settings
    state.catalog = Catalog.load(settings.catalog_path)
    state.policy = load_policy(settings.policy, state.catalog)
    state.warnings = state.catalog.lifecycle_warnings(state.policy.models(), date.today())
    for warning in state.warnings:
        log.warning("model lifecycle: %s", warning)
    store_task = asyncio.create_task(asyncio.to_thread(_open_store, settings))
    try:
        state.engine, state.model_stamp, state.model_source = await asyncio.to_thread(
            _load_engine, settings, state.catalog, state.policy
        )
        state.load_error = None
        log.info(
            "classifier %s loaded from %s (%s); policy %s",
            state.engine.classifier_version,
            state.model_source,
            "compiled helpers" if speedups is not None else "numpy only: the compiled helpers were not built",
            state.policy.name,
        )
    except Exception as exc:  # any load failure: serve 503 ModelNotLoaded, do not crash
        state.engine = None
        state.load_error = f"{type(exc).__name__}: {exc}"
        log.error("the tier classifier did not load (%s); routing answers 503 until it does", state.load_error)
    try:
        state.store = await store_task
        state.store_error = None
        log.info("request log and feedback store open (prompts stored: %s)", settings.prompt_storage)
    except Exception as exc:  # a database that is down: proxy without logging, /readyz says why
        state.store = None
        state.store_error = f"{type(exc).__name__}: {exc}"
        log.error(
            "the request log did not open (%s); feedback answers 503 and requests are not logged", state.store_error
        )
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
    tasks = []
    if settings.model_reload_interval_s > 0:
        tasks.append(asyncio.create_task(_follow_models(app), name="follow-models"))
    if state.store is None:
        tasks.append(asyncio.create_task(_reopen_store(app), name="reopen-store"))
    try:
        yield
    finally:
        # the server calls this once in-flight requests have finished: their rows are queued
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            if state.upstream is not None:
                await state.upstream.aclose()
        finally:
            store, state.store = state.store, None
            if store is not None:
                await asyncio.to_thread(store.close)  # flushes the queued request rows
                log.info("request log closed: %s", store.writer.stats())


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


def _error_response(request: Request, exc: RouterError, extra_headers: dict[str, str] | None = None) -> Response:
    rid = request_id(request)
    status, body, headers = error_for(request.url.path, exc, rid)
    record(request, _endpoint(request), getattr(request.state, "decision", None), status=status, error=exc)
    headers = {**(extra_headers or {}), **headers}
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


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """The methods some route serves at the request's path. Starlette's own ``Allow`` names only
    the first route whose path matched, and ``/{version}/models/{x}`` has two (GET a model, POST
    ``MODEL:ACTION``)."""
    from starlette.routing import Match

    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error: RouterError = NotFound(f"The requested URL {request.url.path} was not found on this server.")
    elif exc.status_code == 405:
        allowed = _allowed_methods(request)
        error = InvalidRequest(f"Method {request.method} is not allowed on {request.url.path} (allowed: {allowed}).")
        error.http_status = 405
        return _error_response(request, error, {"allow": allowed})
    else:
        error = RouterError(str(exc.detail))
        error.http_status = exc.status_code
        error.status = "INVALID_ARGUMENT" if 400 <= exc.status_code < 500 else "INTERNAL"
    return _error_response(request, error, dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error (request id %s)", request_id(request), exc_info=exc)
    rid = request_id(request)
    record(request, _endpoint(request), getattr(request.state, "decision", None), status=500, error=exc)
    body = error_body(request.url.path, 500, "INTERNAL", f"Internal error in the router (request id {rid}).")
    return Response(
        json.dumps(body).encode(), status_code=500, media_type="application/json", headers={"x-router-request-id": rid}
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service (nothing is loaded until the lifespan starts)."""
    from router.api import admin, feedback, gemini, health, openai_compat, route

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
    app.state.store = None
    app.state.store_error = "the service has not started"
    app.state.model_stamp = None
    app.state.model_source = None
    app.state.reload_error = None
    app.state.reload_failed = None
    app.add_exception_handler(RouterError, _router_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    settings = app.state.settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.max_concurrent_per_key:
        app.add_middleware(ConcurrencyLimit, max_per_key=settings.max_concurrent_per_key, metrics=app.state.metrics)
    for module in (health, route, gemini, openai_compat, feedback, admin):
        app.include_router(module.router)
    return app
