"""FastAPI dependencies as ``Annotated`` aliases: what a handler needs from ``app.state``.

Every dependency is ``async def`` so FastAPI calls it on the event loop (a plain ``def`` would
be sent to the thread pool, which costs more than the work it does here).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from router.catalog import Catalog
from router.errors import ModelNotLoaded, PermissionDenied, StoreNotConfigured, Unauthenticated, UpstreamNotConfigured
from router.metrics import Metrics
from router.routing import RoutingEngine
from router.settings import Settings
from router.store import Store
from router.upstream import Upstream

from ._common import client_key, request_id, scope_key

NOT_CONFIGURED = (
    "No upstream is configured, so this router can only answer POST /v1/route. Set GEMINI_API_KEY "
    "(or GOOGLE_API_KEY) to call Gemini, or point the router at a Gemini-compatible server with "
    "--upstream-url URL / BUDGET_ROUTER_UPSTREAM_URL (for an offline demo: budget-router serve "
    "--with-fake-gemini)."
)


async def get_request_id(request: Request) -> str:
    request.state.started = time.perf_counter()
    return request_id(request)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


async def get_engine(request: Request) -> RoutingEngine:
    engine: RoutingEngine | None = request.app.state.engine
    if engine is None:
        raise ModelNotLoaded(f"The tier classifier is not loaded: {request.app.state.load_error}")
    return engine


async def get_upstream(request: Request) -> Upstream:
    upstream: Upstream | None = request.app.state.upstream
    if upstream is None:
        raise UpstreamNotConfigured(NOT_CONFIGURED)
    return upstream


async def get_store(request: Request) -> Store:
    """The request log and feedback store; 503 while it is not open."""
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        reason = getattr(request.app.state, "store_error", None) or "it is not configured"
        raise StoreNotConfigured(f"The feedback store is not available on this router: {reason}")
    return store


async def authorize(request: Request) -> None:
    """Check the client's key when ``api_keys`` is set: ``x-goog-api-key``, ``?key=`` or a
    bearer token (what the google-genai and OpenAI SDKs send)."""
    keys = request.app.state.settings.api_keys
    if not keys:
        return
    given = client_key(request)
    if not given:
        raise Unauthenticated(
            "Missing API key: send it as the x-goog-api-key header, the key query parameter or a bearer token."
        )
    if not _matches(given, keys):
        raise Unauthenticated("API key not valid for this router.")


def _matches(given: str, keys: frozenset[str]) -> bool:
    """Whether ``given`` is one of ``keys``, compared in constant time."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode(), key.encode())
    return found


async def authorize_admin(request: Request) -> None:
    """Check an admin key (``admin_api_keys``), sent as the ``x-goog-api-key`` header or a bearer
    token (never in the URL, where access logs would keep it). No admin keys configured: 403."""
    keys = request.app.state.settings.admin_api_keys
    if not keys:
        raise PermissionDenied(
            "The admin endpoints are disabled: set BUDGET_ROUTER_ADMIN_API_KEYS to open them to those keys."
        )
    given = scope_key(request.scope, query=False)
    if not given:
        raise Unauthenticated("Missing admin key: send it as the x-goog-api-key header or a bearer token.")
    if not _matches(given, keys):
        raise PermissionDenied("This key is not an admin key of this router.")


@dataclass(frozen=True, slots=True)
class Routing:
    """What a routing endpoint needs: its request id and the engine (client key checked)."""

    rid: str
    engine: RoutingEngine


@dataclass(frozen=True, slots=True)
class Proxy:
    """What a proxy endpoint needs: request id, engine and upstream (client key checked)."""

    rid: str
    engine: RoutingEngine
    upstream: Upstream


async def get_routing(request: Request) -> Routing:
    """One dependency for the hot path (each FastAPI dependency costs a resolution step)."""
    rid = await get_request_id(request)
    await authorize(request)
    return Routing(rid, await get_engine(request))


async def get_proxy(request: Request) -> Proxy:
    rid = await get_request_id(request)
    await authorize(request)
    return Proxy(rid, await get_engine(request), await get_upstream(request))


RequestId = Annotated[str, Depends(get_request_id)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
Engine = Annotated[RoutingEngine, Depends(get_engine)]
UpstreamDep = Annotated[Upstream, Depends(get_upstream)]
Authorized = Annotated[None, Depends(authorize)]
Admin = Annotated[None, Depends(authorize_admin)]
StoreDep = Annotated[Store, Depends(get_store)]
RoutingDeps = Annotated[Routing, Depends(get_routing)]
ProxyDeps = Annotated[Proxy, Depends(get_proxy)]
