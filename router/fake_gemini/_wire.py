"""The stand-in's HTTP plumbing: reading bodies and writing JSON, SSE and Gemini errors over ASGI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from router.errors import PayloadTooLarge
from router.fake_gemini._faults import ERROR_MESSAGES, ERROR_STATUSES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 64 * 1024 * 1024
JSON_HEADERS = [
    (b"content-type", b"application/json; charset=UTF-8"),
    (b"x-fake-gemini", b"stand-in"),
]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-fake-gemini", b"stand-in"),
]


def error_body(code: int, message: str, status: str | None = None) -> dict[str, Any]:
    """Gemini's ``{"error": {"code", "message", "status"}}`` (429s carry a RetryInfo detail)."""
    status = status or ERROR_STATUSES.get(code, "INTERNAL")
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if code == 429:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]
    return {"error": error}


def loose_body(body: bytes) -> Any:
    """A body as recorded for tests: parsed JSON, else its (truncated) text."""
    try:
        return json.loads(body)
    except ValueError:
        return body[:10_000].decode("utf-8", "replace")


def recording_status(send: Send, entry: dict[str, Any]) -> Send:
    """Wrap ``send`` to note the status in ``entry`` before the client can see the response, and
    the body sent so far (``entry["response"]``, text) as it goes out."""
    chunks: list[bytes] = []

    async def recording_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry["status"] = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            entry["response"] = b"".join(chunks).decode("utf-8", "replace")
        await send(message)

    return recording_send


async def read_body(receive: Receive) -> bytes | None:
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"Request payload size exceeds the limit: {MAX_BODY} bytes.")
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


async def send_json(send: Send, status: int, payload: Any, *, cut: bool = False) -> int:
    # ASCII escapes keep any text safe, lone surrogates from a client's JSON included
    data = json.dumps(payload, separators=(",", ":")).encode()
    if cut:  # half the body, then return without finishing it: the connection drops
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        half = data[: len(data) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        return status
    headers = [*JSON_HEADERS, (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
    return status


async def send_sse(send: Send, chunks: list[Any], *, pause_ms: int = 0, cut: bool = False, code: int = 0) -> int:
    """Send ``chunks`` as ``data: {json}\\r\\n\\n`` events.

    ``cut``: stop after half of them and return without finishing the body (the server then
    drops the connection), or with ``code``, send an in-stream error event and end normally.
    """
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    stop = len(chunks) // 2 if cut else len(chunks)
    for i, chunk in enumerate(chunks[:stop]):
        if pause_ms and i:
            await asyncio.sleep(pause_ms / 1000)
        await _send_event(send, chunk)
    if cut and not code:
        return 200
    if cut:
        await _send_event(send, error_body(code, ERROR_MESSAGES[code]))
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return 200


async def _send_event(send: Send, payload: Any) -> None:
    data = json.dumps(payload, separators=(",", ":")).encode()
    body = b"data: " + data + b"\r\n\r\n"
    await send({"type": "http.response.body", "body": body, "more_body": True})
