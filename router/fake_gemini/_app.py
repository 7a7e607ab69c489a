"""The stand-in's ASGI application: Gemini REST routes, faults, request recording, admin routes.

A plain ASGI callable (no framework) keeps the per-request overhead small: the project measures
the latency the router adds over calling this server directly, at high concurrency.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from router.catalog import Catalog, ModelInfo, Thinking, validate_thinking
from router.errors import InvalidRequest, NotFound, PayloadTooLarge, RouterError, UnknownModel
from router.fake_gemini._faults import (
    ERROR_MESSAGES,
    Fault,
    FaultBook,
    FaultSpecError,
    Outcome,
    faults_from_body,
)
from router.fake_gemini._generate import answer, response_body, stream_bodies
from router.fake_gemini._request import count_tokens, load_json, parse_generate
from router.fake_gemini._wire import (
    Receive,
    Scope,
    Send,
    error_body,
    loose_body,
    read_body,
    recording_status,
    send_json,
    send_sse,
)

_VERSIONS = frozenset(("v1", "v1beta", "v1alpha"))
_SECRET_HEADERS = frozenset(("x-goog-api-key", "authorization", "cookie", "proxy-authorization"))
_GENERATION_METHODS = frozenset(("generateContent", "streamGenerateContent", "countTokens"))


@dataclass(frozen=True)
class FakeGeminiOptions:
    """How the stand-in behaves.

    ``latency_ms`` delays every API response; ``chunk_delay_ms`` paces stream chunks;
    ``faults`` are the start-up fault rules (see :data:`FAULT_SYNTAX`); ``catalog_path`` reads
    a user catalog instead of the packaged one (``catalog`` passes one already loaded);
    ``api_key``, when set, is the only key accepted; ``record_limit`` caps the requests kept in
    memory (0 records none); ``today``, when set, makes models past their catalog shutdown date
    answer 404 as retired models do; ``seed`` seeds the random draws of faults with a rate
    (``503~5%``), so a run replays the same sequence of draws.
    """

    latency_ms: int = 0
    chunk_delay_ms: int = 0
    faults: tuple[Fault, ...] = ()
    catalog_path: Path | None = None
    catalog: Catalog | None = None
    api_key: str | None = None
    record_limit: int = 10_000
    today: date | None = None
    seed: int = 0


class _InjectedError(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@dataclass
class FakeGeminiApp:
    """The ASGI callable. ``requests`` and ``faults`` are there for tests to read and drive.

    Each recorded request holds method, path, query, headers (no keys), body, status and
    ``response``: the response body exactly as sent (text; for a stream, every event so far).
    """

    options: FakeGeminiOptions
    catalog: Catalog
    faults: FaultBook
    requests: deque[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.requests = deque(maxlen=max(self.options.record_limit, 1))
        self._record = self.options.record_limit > 0
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(4).hex()
        today = self.options.today
        self._models: dict[str, ModelInfo] = {
            info.id: info
            for info in self.catalog.models.values()
            if today is None or info.shutdown is None or today < info.shutdown
        }
        self._model_json = {mid: _model_json(info) for mid, info in self._models.items()}

    def reset(self) -> None:
        """Forget recorded requests and restore the start-up faults."""
        self.requests.clear()
        self.faults.reset()

    # --- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        try:
            body = await read_body(receive)
        except PayloadTooLarge as exc:
            error = error_body(exc.http_status, exc.message, exc.status)
            await send_json(send, exc.http_status, error)
            return
        if body is None:  # the client went away
            return
        if path.startswith("/_fake/") or path == "/":
            await self._admin(path, method, body, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        entry: dict[str, Any] | None = None
        if self._record:
            entry = {
                "method": method,
                "path": path,
                "query": {k: v for k, v in query.items() if k != "key"},  # no API keys
                "headers": {k: v for k, v in headers.items() if k not in _SECRET_HEADERS},
                "has_api_key": "x-goog-api-key" in headers or "key" in query,
                "body": None,
                "status": None,
            }
            self.requests.append(entry)
            send = recording_status(send, entry)
        await self._api(path, method, body, headers, query, entry, send)

    async def _api(
        self,
        path: str,
        method: str,
        body: bytes,
        headers: dict[str, str],
        query: dict[str, str],
        entry: dict[str, Any] | None,
        send: Send,
    ) -> int:
        version, _, rest = path.lstrip("/").partition("/")
        model_id, _, action = rest.removeprefix("models/").partition(":")
        is_model_route = rest.startswith("models/") and bool(model_id)
        if entry is not None:
            entry["model"] = model_id if is_model_route else None
        outcome: Outcome | None = None
        data: dict[str, Any] = {}
        malformed: InvalidRequest | None = None
        try:
            data = load_json(body)
        except InvalidRequest as exc:  # answered after the faults, as the API would
            malformed = exc
        if entry is not None:
            entry["body"] = data or (loose_body(body) if malformed else None)
        try:
            if version not in _VERSIONS:
                raise NotFound(f"The requested URL {path} was not found on this server.")
            self._check_key(headers, query)
            if is_model_route and action in _GENERATION_METHODS and method == "POST":
                header_spec = headers.get("x-fake-fault")
                try:
                    header_faults = self.faults.header_faults(header_spec) if header_spec else ()
                except FaultSpecError as exc:
                    raise InvalidRequest(f"x-fake-fault: {exc}") from None
                key = headers.get("x-fake-fault-key", header_spec or "")
                outcome = self.faults.draw(model_id, action, header_faults, key)
            delay = self.options.latency_ms + (outcome.delay_ms if outcome else 0)
            if delay:
                await asyncio.sleep(delay / 1000)
            if outcome is not None and outcome.kind == "error":
                raise _InjectedError(outcome.code)
            if malformed is not None:
                raise malformed
            if rest == "models" and method == "GET":
                payload: Any = self._list_models(query)
            elif rest == "tunedModels" and method == "GET":
                payload = {}
            elif is_model_route and not action and method == "GET":
                payload = self._model_json.get(model_id) or self._unknown(model_id, version, "get")
            elif is_model_route and method == "POST" and action in _GENERATION_METHODS:
                payload = self._generate(model_id, version, action, data)
            else:
                raise NotFound(f"The requested URL {path} was not found on this server.")
        except _InjectedError as exc:
            return await send_json(send, exc.code, error_body(exc.code, ERROR_MESSAGES[exc.code]))
        except RouterError as exc:
            code = exc.http_status
            return await send_json(send, code, error_body(code, exc.message, exc.status))
        cut = outcome is not None and outcome.kind == "cut"
        if action == "streamGenerateContent":
            chunks = stream_bodies(payload, self._response_id())
            if query.get("alt") != "sse":  # without alt=sse the API streams one JSON array
                return await send_json(send, 200, chunks, cut=cut)
            code = outcome.code if cut and outcome else 0
            pause = self.options.chunk_delay_ms
            return await send_sse(send, chunks, pause_ms=pause, cut=cut, code=code)
        if action == "generateContent":
            payload = response_body(payload, self._response_id())
        return await send_json(send, 200, payload, cut=cut)

    # --- endpoints ----------------------------------------------------------------------------

    def _check_key(self, headers: dict[str, str], query: dict[str, str]) -> None:
        wanted = self.options.api_key
        if wanted is None:
            return
        given = headers.get("x-goog-api-key") or query.get("key")
        if given is None:
            raise _PermissionDenied(
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API."
            )
        if given != wanted:
            raise InvalidRequest("API key not valid. Please pass a valid API key.")

    def _unknown(self, model_id: str, version: str, action: str) -> NoReturn:
        raise UnknownModel(
            f"models/{model_id} is not found for API version {version}, or is not supported for "
            f"{action}. Call ListModels to see the list of available models and their supported "
            "methods. (offline Gemini stand-in)"
        )

    def _generate(self, model_id: str, version: str, action: str, data: dict[str, Any]) -> Any:
        info = self._models.get(model_id)
        if info is None:
            self._unknown(model_id, version, action)
        if action == "countTokens":
            total, media = count_tokens(data)
            details = [{"modality": "TEXT", "tokenCount": total - media}]
            if media:
                details.append({"modality": "IMAGE", "tokenCount": media})
            return {"totalTokens": total, "promptTokensDetails": details}
        req = parse_generate(data)
        window = info.context_window
        if window is not None and req.prompt_tokens > window:
            raise InvalidRequest(
                f"The input token count ({req.prompt_tokens}) exceeds the maximum number of tokens allowed ({window})."
            )
        limit, wanted = info.max_output_tokens, req.max_output_tokens
        if limit is not None and wanted is not None and wanted > limit:
            raise InvalidRequest(
                f"Unable to submit request because it has a maxOutputTokens value of "
                f"{wanted} but the supported range is from 1 (inclusive) to "
                f"{limit + 1} (exclusive). Update the value and try again."
            )
        thinking = Thinking.from_config(req.thinking_config)
        validate_thinking(info, thinking)
        return answer(info, req, thinking)

    def _list_models(self, query: dict[str, str]) -> dict[str, Any]:
        size_text = query.get("pageSize") or query.get("page_size") or "50"
        token = query.get("pageToken") or query.get("page_token") or ""
        if not size_text.isdigit():
            raise InvalidRequest(f"Invalid value for pageSize: {size_text!r}.")
        size = min(max(int(size_text), 1), 1000) if int(size_text) else 50
        start = 0
        if token:
            if not token.startswith("fake-offset-") or not token[12:].isdigit():
                raise InvalidRequest("Invalid page token.")
            start = int(token[12:])
        names = list(self._model_json)
        out: dict[str, Any] = {"models": [self._model_json[n] for n in names[start : start + size]]}
        if start + size < len(names):
            out["nextPageToken"] = f"fake-offset-{start + size}"
        return out

    def _response_id(self) -> str:
        return f"fake-{self._id_prefix}-{next(self._ids):08x}"

    # --- admin --------------------------------------------------------------------------------

    async def _admin(self, path: str, method: str, body: bytes, send: Send) -> None:
        route = (method, path.rstrip("/") or "/")
        try:
            if route == ("GET", "/"):
                payload: Any = {
                    "service": "fake-gemini",
                    "note": "Offline Gemini stand-in for tests, benchmarks and demos. It produces no real answers.",
                    "models": list(self._models),
                }
            elif route == ("GET", "/_fake/requests"):
                payload = {"requests": list(self.requests)}
            elif route == ("DELETE", "/_fake/requests"):
                self.requests.clear()
                payload = {"requests": []}
            elif route == ("GET", "/_fake/faults"):
                payload = {"faults": self.faults.describe()}
            elif route == ("POST", "/_fake/faults"):
                self.faults.add(faults_from_body(body))
                payload = {"faults": self.faults.describe()}
            elif route == ("DELETE", "/_fake/faults"):
                self.faults.clear()
                payload = {"faults": []}
            elif route == ("POST", "/_fake/reset"):
                self.reset()
                payload = {"faults": self.faults.describe(), "requests": []}
            else:
                raise NotFound(f"No admin route {method} {path}.")
        except RouterError as exc:
            await send_json(send, exc.http_status, error_body(exc.http_status, exc.message))
            return
        except FaultSpecError as exc:
            await send_json(send, 400, error_body(400, str(exc)))
            return
        await send_json(send, 200, payload)


class _PermissionDenied(RouterError):
    http_status = 403
    status = "PERMISSION_DENIED"


def _model_json(info: ModelInfo) -> dict[str, Any]:
    return {
        "name": f"models/{info.id}",
        "baseModelId": info.id,
        "version": "001",
        "displayName": info.display_name,
        "description": f"[fake-gemini] Offline stand-in for {info.display_name}: answers are "
        "generated locally and are not real.",
        "inputTokenLimit": info.context_window or 1_048_576,
        "outputTokenLimit": info.max_output_tokens or 65_536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        "temperature": 1.0,
        "maxTemperature": 2.0,
        "topP": 0.95,
        "topK": 64,
        "thinking": True,
    }


def create_app(options: FakeGeminiOptions | None = None) -> FakeGeminiApp:
    """Build the stand-in ASGI app (loads the catalog; nothing happens at import time)."""
    options = options or FakeGeminiOptions()
    catalog = options.catalog
    if catalog is None:
        catalog = Catalog.load(options.catalog_path)
    return FakeGeminiApp(options=options, catalog=catalog, faults=FaultBook(startup=options.faults, seed=options.seed))
