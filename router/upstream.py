"""Calls to Gemini through the ``google-genai`` SDK: retries, fallbacks, timeouts, lossless bodies.

The proxy forwards the client's request body unchanged except for what the router sets
(:func:`request_for`: the thinking setting, and ``maxOutputTokens`` headroom when the client set
none; the model is in the URL), and returns what Gemini answered unchanged. Both directions go
through the SDK's async API client (``client.aio._api_client.async_request`` and
``async_request_streamed``), which carries the key, the base URL and API version and the SDK's
error conversion (:class:`google.genai.errors.APIError`), without the typed layer of
``client.aio.models.generate_content``: that layer re-encodes requests (tools re-ordered,
integers turned into floats, nested keys re-spelled), drops response fields the SDK does not know
and re-encodes ``thoughtSignature`` bytes, and it costs 2-3 ms more per call (measured against
the offline stand-in: ``bench/router_overhead.py`` prints both). It is a private SDK attribute,
so the supported SDK range is pinned in ``pyproject.toml`` and ``tests/test_service_upstream.py``
exercises it against the stand-in. The clients send through one shared aiohttp session (see
:func:`router.app.lifespan`); this module times every attempt and every stream chunk itself.

Each model is tried up to ``1 + max_retries`` times on 429, 408, 5xx, timeouts and connection
errors, with exponential backoff and jitter; then the route's fallbacks in order (their thinking
already mapped by :mod:`router.routing`); a 404 skips straight to the next fallback. A total
deadline bounds the whole. SDK and transport errors become :mod:`router.errors` exceptions
(``raise ... from exc``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from router.catalog import Catalog, Cost, compute_cost
from router.errors import (
    InvalidRequest,
    PayloadTooLarge,
    RouterError,
    UnknownModel,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from router.metrics import Metrics
from router.policy import Route

T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_THINKING_KEYS = ("thinkingBudget", "thinking_budget", "thinkingLevel", "thinking_level")


@dataclass(frozen=True)
class Retry:
    """Retry and time limits for upstream calls."""

    max_retries: int = 2
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    attempt_timeout_s: float = 120.0
    deadline_s: float = 300.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (between half and all of the exponential step)."""
        step = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        return step * (0.5 + random.random() / 2)


# --- request and response bodies ------------------------------------------------------------


def request_for(body: dict[str, Any], route: Route, *, set_thinking: bool = True) -> dict[str, Any]:
    """The body sent upstream for ``route``: the client's, with the route's thinking and cap.

    Only ``generationConfig.thinkingConfig``'s budget/level and ``maxOutputTokens`` change (in
    the spelling the client used, camelCase when absent); every other field, ``includeThoughts``
    included, is the client's object, untouched.
    """
    out = dict(body)
    gc_key = (
        "generation_config" if "generation_config" in body and "generationConfig" not in body else "generationConfig"
    )
    config = dict(body.get(gc_key) or {})
    if set_thinking:
        tc_key = (
            "thinking_config" if "thinking_config" in config and "thinkingConfig" not in config else "thinkingConfig"
        )
        thinking = {k: v for k, v in (config.get(tc_key) or {}).items() if k not in _THINKING_KEYS}
        if route.thinking.budget is not None:
            thinking["thinkingBudget"] = route.thinking.budget
        if route.thinking.level is not None:
            thinking["thinkingLevel"] = route.thinking.level
        if thinking:
            config[tc_key] = thinking
        else:
            config.pop(tc_key, None)
    if route.max_output_tokens is not None:
        key = (
            "max_output_tokens"
            if "max_output_tokens" in config and "maxOutputTokens" not in config
            else "maxOutputTokens"
        )
        config[key] = route.max_output_tokens
    if config:
        out[gc_key] = config
    return out


def count_request_for(body: dict[str, Any], route: Route) -> dict[str, Any]:
    """A ``countTokens`` body for ``route``: unchanged, but a nested ``generateContentRequest``
    that names a model (``models/auto``) names the routed one."""
    out = dict(body)
    for key in ("generateContentRequest", "generate_content_request"):
        inner = body.get(key)
        if isinstance(inner, dict) and "model" in inner:
            out[key] = {**inner, "model": f"models/{route.model}"}
    return out


def usage_of(data: Any) -> dict[str, int]:
    """Token counts of a response's ``usageMetadata``: prompt, cached, thoughts, candidates."""
    meta = data.get("usageMetadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        return {}

    def count(name: str) -> int:
        value = meta.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    return {
        "prompt": count("promptTokenCount"),
        "cached": count("cachedContentTokenCount"),
        "thoughts": count("thoughtsTokenCount"),
        "candidates": count("candidatesTokenCount"),
    }


def cost_of(catalog: Catalog, model: str, usage: dict[str, int]) -> Cost:
    return compute_cost(
        catalog.get(model),
        prompt_tokens=usage.get("prompt", 0),
        candidates_tokens=usage.get("candidates", 0),
        thoughts_tokens=usage.get("thoughts", 0),
        cached_tokens=usage.get("cached", 0),
    )


@dataclass
class Served:
    """A unary upstream answer: the route that served it and its body, unchanged."""

    route: Route
    body: bytes
    data: Any
    attempts: int


class Stream:
    """An upstream stream whose first chunk has arrived; iterate for the chunks' JSON text.

    Iteration raises a :class:`RouterError` when the stream breaks (a cut connection, an in-stream
    error event, no chunk within the timeout); :meth:`aclose` releases the connection.
    """

    def __init__(
        self, route: Route, first: str | None, rest: Any, idle_timeout_s: float, attempts: int, convert: Any
    ) -> None:
        self.route = route
        self.attempts = attempts
        self.usage: dict[str, int] = {}
        self._first = first
        self._rest = rest
        self._idle = idle_timeout_s
        self._convert = convert

    def _note(self, text: str) -> None:
        if '"usageMetadata"' in text:
            try:
                usage = usage_of(json.loads(text))
            except ValueError:
                return
            if usage:
                self.usage = usage

    async def __aiter__(self) -> AsyncIterator[str]:
        if self._first is None:
            return
        self._note(self._first)
        yield self._first
        while True:
            try:
                async with asyncio.timeout(self._idle):
                    chunk = await anext(self._rest)
            except StopAsyncIteration:
                return
            except Exception as exc:
                raise self._convert(exc, self.route.model, stream=True) from exc
            text = chunk.body or "{}"
            self._note(text)
            yield text

    async def aclose(self) -> None:
        try:
            await self._rest.aclose()
        except Exception:  # closing a broken stream: nothing more to do
            return


class Upstream:
    """Gemini (or a server speaking its REST API) behind retries, fallbacks and a deadline.

    ``client_factory(api_version)`` makes a ``google.genai.Client``; one client per API version
    (``v1``, ``v1beta``) is made on first use and reused. ``session``, when given, is the HTTP
    session (and connection pool) the clients share; :meth:`aclose` closes it.
    """

    def __init__(
        self,
        client_factory: Callable[[str], Any],
        *,
        retry: Retry,
        metrics: Metrics,
        catalog: Catalog,
        session: Any = None,
    ) -> None:
        self._factory = client_factory
        self._session = session
        self._clients: dict[str, Any] = {}
        self.retry = retry
        self.metrics = metrics
        self.catalog = catalog

    def client(self, version: str) -> Any:
        """The google-genai client for an API version, made on first use."""
        client = self._clients.get(version)
        if client is None:
            client = self._clients[version] = self._factory(version)
        return client

    def _api(self, version: str) -> Any:
        return self.client(version).aio._api_client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aio.aclose()
            client.close()
        self._clients.clear()
        if self._session is not None:
            await self._session.close()

    # -- calls -----------------------------------------------------------------------------

    async def generate(self, version: str, routes: Sequence[Route], body: dict[str, Any]) -> Served:
        """``generateContent`` on the first route that answers."""
        return await self._unary(version, routes, "generateContent", lambda route: request_for(body, route))

    async def count_tokens(self, version: str, routes: Sequence[Route], body: dict[str, Any]) -> Served:
        """``countTokens`` (see :func:`count_request_for`) on the first route that answers."""
        return await self._unary(version, routes, "countTokens", lambda route: count_request_for(body, route))

    async def _unary(
        self, version: str, routes: Sequence[Route], method: str, build: Callable[[Route], dict[str, Any]]
    ) -> Served:
        """One JSON-in, JSON-out call (``models/{model}:{method}``), retried and falling back."""

        async def once(route: Route) -> tuple[bytes, Any]:
            path = f"models/{route.model}:{method}"
            response = await self._api(version).async_request("post", path, build(route), None)
            text = response.body or "{}"
            return text.encode(), json.loads(text)

        route, (raw, data), attempts = await self._with_retries(routes, once)
        return Served(route, raw, data, attempts)

    async def stream(self, version: str, routes: Sequence[Route], body: dict[str, Any]) -> Stream:
        """``streamGenerateContent?alt=sse``: retried and falling back until the first chunk."""

        async def once(route: Route) -> tuple[str | None, Any]:
            path = f"models/{route.model}:streamGenerateContent?alt=sse"
            chunks = await self._api(version).async_request_streamed("post", path, request_for(body, route), None)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                return None, chunks
            except BaseException:
                await chunks.aclose()
                raise
            return first.body or "{}", chunks

        route, (first, rest), attempts = await self._with_retries(routes, once)
        return Stream(route, first, rest, self.retry.attempt_timeout_s, attempts, self.convert)

    # -- retries -------------------------------------------------------------------------------

    async def _with_retries(
        self, routes: Sequence[Route], once: Callable[[Route], Awaitable[T]]
    ) -> tuple[Route, T, int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry.deadline_s
        last: RouterError | None = None
        attempts = 0
        for index, route in enumerate(routes):
            for attempt in range(self.retry.max_retries + 1):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise last or UpstreamTimeout("the upstream did not answer within the deadline")
                attempts += 1
                started = loop.time()
                try:
                    async with asyncio.timeout(min(self.retry.attempt_timeout_s, remaining)):
                        result = await once(route)
                except Exception as exc:
                    error, retryable, cause = self._classify(exc, route.model)
                    self.metrics.upstream_latency.labels(route.model, cause).observe(loop.time() - started)
                    if not retryable:
                        if cause != "404" or index == len(routes) - 1:
                            raise error from exc
                        last = error
                        break  # a model upstream does not know: next fallback
                    last = error
                    if attempt < self.retry.max_retries:
                        delay = self.retry.backoff(attempt)
                        if loop.time() + delay >= deadline:
                            raise error from exc
                        self.metrics.retries.labels(route.model, cause).inc()
                        await asyncio.sleep(delay)
                    continue
                self.metrics.upstream_latency.labels(route.model, "ok").observe(loop.time() - started)
                if index:
                    self.metrics.fallbacks.labels(route.model).inc()
                return route, result, attempts
        raise last or UpstreamError("no upstream route to try")

    def convert(self, exc: BaseException, model: str, *, stream: bool = False) -> RouterError:
        """The :mod:`router.errors` exception for an SDK, transport or timeout error."""
        return self._classify(exc, model, stream=stream)[0]

    def _classify(self, exc: BaseException, model: str, *, stream: bool = False) -> tuple[RouterError, bool, str]:
        """(router error, retryable, cause label) for an exception from one attempt."""
        code = getattr(exc, "code", None)
        if _is_api_error(exc) and isinstance(code, int):
            message = getattr(exc, "message", None) or str(exc)
            where = f"Gemini answered {code} for models/{model}"
            if code == 429:
                return UpstreamRateLimited(f"{where}: {message}"), True, "429"
            if code in RETRYABLE_STATUSES:
                kind = UpstreamTimeout if code in (408, 504) else UpstreamError
                return kind(f"{where}: {message}"), True, str(code)
            if code == 404:
                return UnknownModel(f"{where}: {message}"), False, "404"
            if code == 413:
                return PayloadTooLarge(f"{where}: {message}"), False, "413"
            if code == 400:
                return InvalidRequest(f"{where}: {message}"), False, "400"
            return UpstreamError(f"{where} (the router's upstream credentials or access): {message}"), False, str(code)
        if isinstance(exc, TimeoutError) or _is_timeout(exc):
            what = "sent nothing more" if stream else "did not answer"
            return UpstreamTimeout(f"models/{model} {what} within the timeout"), True, "timeout"
        if isinstance(exc, ValueError):  # a body that is not JSON
            return UpstreamError(f"models/{model} answered something that is not JSON: {exc}"), True, "invalid"
        if not _is_transport(exc):
            raise exc  # not an upstream failure: a bug, answered 500 by the app's handler
        if stream:
            return (
                UpstreamError(f"the upstream stream for models/{model} broke off: {_describe(exc)}"),
                True,
                "connection",
            )
        return UpstreamError(f"cannot complete the call to models/{model}: {_describe(exc)}"), True, "connection"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_api_error(exc: BaseException) -> bool:
    from google.genai.errors import APIError  # loaded with the SDK client already

    return isinstance(exc, APIError)


_TRANSPORT_MODULES = ("aiohttp", "httpx", "httpx2", "httpcore", "httpcore2", "h11", "anyio")


def _is_transport(exc: BaseException) -> bool:
    """A connection, protocol or payload error of the HTTP stack the SDK sends through."""
    if isinstance(exc, OSError | EOFError):
        return True
    return any(cls.__module__.split(".")[0] in _TRANSPORT_MODULES for cls in type(exc).__mro__[:-2])


def _is_timeout(exc: BaseException) -> bool:
    """httpx's and httpx2's TimeoutException (the SDK uses either), without importing httpx2."""
    return any(
        cls.__name__ == "TimeoutException"
        and cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2")
        for cls in type(exc).__mro__
    )
