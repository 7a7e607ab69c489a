"""The service's request limits, as pure ASGI middleware (they run before FastAPI reads a body).

* :class:`BodyLimit`: 413 for a body over ``max_body_bytes``, before it is read.
* :class:`ConcurrencyLimit`: at most ``max_concurrent_per_key`` requests in flight per client key
  on the API routes; one more is answered 429 RESOURCE_EXHAUSTED with ``Retry-After`` at once,
  without queueing. A request holds its slot until its response has been sent in full, so a
  long stream counts for as long as it runs. The count is per process: with several workers or
  replicas a key may have that many in flight in each.

The prompt-length limit (``max_prompt_tokens``) is applied where the prompt is read:
:meth:`router.routing.RoutingEngine.decide`.

A refusal here has the error shape of the path (Gemini's, or OpenAI's on ``/v1/chat/``) and a
request id, like every other error of the router.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from router.api._common import error_for, scope_key
from router.errors import InvalidRequest, PayloadTooLarge, RateLimited, RouterError
from router.metrics import Metrics
from router.routing import new_request_id

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]

#: Paths whose requests count against the per-key concurrency limit (the API, not health or metrics).
LIMITED_PREFIXES = ("/v1/", "/v1beta/")
#: Seconds a client refused by the concurrency limit is told to wait (``Retry-After``).
RETRY_AFTER_S = 1.0
#: The bucket of requests that send no key (when the router does not require one).
ANONYMOUS = ""


async def refuse(scope: Scope, send: Callable[..., Any], exc: RouterError, *, close: bool = False) -> None:
    """Answer ``exc`` in the error shape of the request's path, with a new request id."""
    status, body, headers = error_for(scope["path"], exc, new_request_id())
    data = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
    if close:
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """413 for bodies over ``max_bytes``, before reading them.

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
                    await refuse(scope, send, InvalidRequest("Invalid content-length header."), close=True)
                    return
                if int(value) > limit:
                    await self._drain(receive, 8 * limit)
                    await refuse(scope, send, self._too_large(int(value)), close=True)
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


class ConcurrencyLimit:
    """At most ``max_per_key`` requests in flight per client key on the API routes (``/v1/``,
    ``/v1beta/``); beyond it, 429 with ``Retry-After`` (counted in ``metrics.limited``).

    Requests are counted by the key they present, before it is checked (an unknown key is refused
    401 by the endpoint, and only takes slots from itself); requests without a key share one
    bucket. Only keys with requests in flight are held in memory.
    """

    def __init__(self, app: ASGIApp, max_per_key: int, metrics: Metrics) -> None:
        self.app = app
        self.max_per_key = max_per_key
        self.metrics = metrics
        self.in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        key = scope_key(scope) or ANONYMOUS
        in_flight = self.in_flight
        count = in_flight.get(key, 0)
        if count >= self.max_per_key:
            self.metrics.limited.labels("concurrency").inc()
            await refuse(
                scope,
                send,
                RateLimited(
                    f"Too many concurrent requests for this API key: at most {self.max_per_key} at a time "
                    "(BUDGET_ROUTER_MAX_CONCURRENT_PER_KEY). Retry after the Retry-After delay.",
                    retry_after_s=RETRY_AFTER_S,
                ),
            )
            return
        in_flight[key] = count + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = in_flight[key] - 1
            if left:
                in_flight[key] = left
            else:
                del in_flight[key]
