"""``POST /v1/chat/completions``: the OpenAI-compatible route (translation in ``_openai_translate``).

``model`` ``auto`` is routed; a catalog model id passes through. ``reasoning_effort`` is a thinking
override: ``none`` turns thinking off (or to the model's minimum), ``minimal`` / ``low`` /
``medium`` / ``high`` become that level or its budget (about 0 / 1K / 8K / 24K tokens). Errors use
OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` (see :mod:`router.app`).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from router.catalog import Thinking, map_thinking
from router.conversation import read_context
from router.errors import RouterError, error_responses
from router.prompt import estimate_prompt_tokens, prompt_text
from router.routing import Decision, Overrides, RoutingEngine
from router.upstream import Stream, Upstream, cost_of, usage_of

from ._common import finish_stream, inline_schema, json_response, parse_float_header, read_json, record, sse_error
from ._openai_translate import ChatRequest, chunk_json, completion_json, parse_request, to_gemini, usage_json
from .deps import ProxyDeps
from .gemini import OVERRIDE_HEADERS

router = APIRouter(tags=["openai"])

#: The Gemini API version the OpenAI route calls (it carries responseJsonSchema and parametersJsonSchema).
API_VERSION = "v1beta"


def _thinking(engine: RoutingEngine, req: ChatRequest, model: str | None) -> Thinking | None:
    effort = req.reasoning_effort
    if effort is None:
        return None
    thinking = Thinking(budget=0) if effort == "none" else Thinking(level=effort)
    if model is not None:  # a forced model: its own spelling of that effort
        thinking = map_thinking(thinking, engine.catalog.get(model))
    return thinking


def _decide(engine: RoutingEngine, request: Request, req: ChatRequest, body: dict[str, Any], rid: str) -> Decision:
    model = None if req.model == "auto" else req.model.removeprefix("models/")
    tier = request.headers.get("x-router-tier")
    cap = body.get("generationConfig", {}).get("maxOutputTokens")
    overrides = Overrides(
        tier=tier.strip().lower() if tier else None,
        model=model,
        thinking=_thinking(engine, req, model),
        max_output_tokens=cap,
        max_cost_usd=parse_float_header(request.headers, "x-router-max-cost-usd"),
    )
    text = prompt_text(body["contents"], engine.max_prompt_chars)
    opening = read_context(body, engine.max_prompt_chars).opening
    return engine.decide(
        text, prompt_tokens=estimate_prompt_tokens(body), overrides=overrides, request_id=rid, opening=opening
    )


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat completions (model: auto)",
    responses={
        200: {
            "description": "a chat.completion object, or with stream: true chat.completion.chunk events",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/event-stream": {
                    "schema": {
                        "description": "one event per chat.completion.chunk (or error), then data: [DONE]",
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"type": "string"}},
                    }
                },
            },
        },
        **error_responses(502, 503, 504, openai=True),
    },
    openapi_extra={
        "parameters": OVERRIDE_HEADERS,
        "requestBody": {"required": True, "content": {"application/json": {"schema": inline_schema(ChatRequest)}}},
    },
)
async def chat_completions(request: Request, deps: ProxyDeps) -> Response:
    rid, engine, upstream = deps.rid, deps.engine, deps.upstream
    request.state.endpoint = "chat.completions"
    req = parse_request(await read_json(request))
    body = to_gemini(req)
    decision = request.state.decision = _decide(engine, request, req, body, rid)
    created = int(time.time())
    if req.stream:
        stream = await upstream.stream(API_VERSION, decision.routes, body)
        include_usage = bool((req.stream_options or {}).get("include_usage"))
        return StreamingResponse(
            _chunks(request, upstream, stream, decision, created, include_usage),
            media_type="text/event-stream",
            headers=decision.headers(stream.route),
        )
    served = await upstream.generate(API_VERSION, decision.routes, body)
    usage = usage_of(served.data)
    cost = cost_of(upstream.catalog, served.route.model, usage) if usage else None
    record(request, "chat.completions", decision, route=served.route, usage=usage, cost=cost, attempts=served.attempts)
    payload = completion_json(served.data, rid=rid, model=served.route.model, created=created, usage=usage)
    return json_response(payload, headers=decision.headers(served.route, cost.usd if cost else None))


def _event(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def _chunks(
    request: Request, upstream: Upstream, stream: Stream, decision: Decision, created: int, include_usage: bool
) -> AsyncIterator[bytes]:
    rid, model = decision.request_id, stream.route.model
    head = {"id": f"chatcmpl-{rid}", "object": "chat.completion.chunk", "created": created, "model": model}
    seen_calls: dict[int, int] = {}
    error: RouterError | None = None
    try:
        yield _event({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        async for text in stream:
            chunk = chunk_json(json.loads(text), rid=rid, model=model, created=created, seen_calls=seen_calls)
            if chunk is not None:
                yield _event(chunk)
        if include_usage:
            yield _event({**head, "choices": [], "usage": usage_json(stream.usage)})
        yield b"data: [DONE]\n\n"
    except RouterError as exc:
        error = exc
        yield sse_error(request.url.path, exc, rid)
    finally:
        await finish_stream(request, "chat.completions", decision, stream, error)
