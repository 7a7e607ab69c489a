"""The Gemini-native proxy: ``/{v1,v1beta}/models/{model}:generateContent`` and friends.

``model`` ``auto`` is routed; a real model id passes through with the client's own thinking
setting (validated against the catalog, 400 when the model would reject it) and is flagged as an
override. Bodies are forwarded as the client sent them except for what the router sets (see
:func:`router.upstream.request_for`), and Gemini's answers come back unchanged, with the routing
headers added. A multi-turn conversation keeps the model its opening turn chose
(:mod:`router.conversation`). Routing overrides travel in headers: ``x-router-tier`` and
``x-router-max-cost-usd``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from router.catalog import Catalog, ModelInfo, Thinking
from router.conversation import read_context
from router.errors import InvalidRequest, NotFound, RouterError, error_responses
from router.prompt import estimate_prompt_tokens, prompt_text
from router.routing import Decision, Overrides, RoutingEngine
from router.upstream import Stream, Upstream, cost_of, usage_of

from ._common import (
    expect_object,
    finish_stream,
    json_response,
    kind_of,
    parse_float_header,
    read_json,
    record,
    sse_error,
)
from .deps import Authorized, CatalogDep, ProxyDeps

router = APIRouter(tags=["gemini"])

AUTO = "auto"
VERSIONS = frozenset(("v1", "v1beta"))
ACTIONS = ("generateContent", "streamGenerateContent", "countTokens")
_CONFIG_KEYS = ("generationConfig", "generation_config")
_THINKING_KEYS = ("thinkingConfig", "thinking_config")


def _version(version: str) -> str:
    if version not in VERSIONS:
        raise NotFound(f"Unknown API version {version!r}; this router serves v1 and v1beta.")
    return version


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def check_contents(contents: Any) -> None:
    """The structural checks Gemini makes on ``contents`` (400 with the offending path)."""
    if contents is None or contents == []:
        raise InvalidRequest("* GenerateContentRequest.contents: contents is not specified (it must be non-empty).")
    if not isinstance(contents, list):
        raise InvalidRequest(
            f"Invalid value at 'contents': expected an array of Content objects, got {kind_of(contents)}."
        )
    for i, content in enumerate(contents):
        expect_object(content, f"contents[{i}]")
        role = content.get("role")
        if role is not None and not isinstance(role, str):
            raise InvalidRequest(f"Invalid value at 'contents[{i}].role': expected a string, got {kind_of(role)}.")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise InvalidRequest(f"* GenerateContentRequest.contents[{i}].parts: must be a non-empty array of Parts.")
        for j, part in enumerate(parts):
            expect_object(part, f"contents[{i}].parts[{j}]")
            text = part.get("text")
            if text is not None and not isinstance(text, str):
                raise InvalidRequest(
                    f"Invalid value at 'contents[{i}].parts[{j}].text': expected a string, got {kind_of(text)}."
                )


def read_generate(body: Any) -> tuple[dict[str, Any], Thinking | None, int | None]:
    """Validate a generateContent body; return it with the client's thinking and output cap."""
    body = expect_object(body, "request")
    check_contents(body.get("contents"))
    for camel, snake in (("systemInstruction", "system_instruction"), ("toolConfig", "tool_config")):
        value = _get(body, camel, snake)
        if value is not None:
            expect_object(value, camel)
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise InvalidRequest(f"Invalid value at 'tools': expected an array, got {kind_of(tools)}.")
    config = _get(body, *_CONFIG_KEYS)
    if config is None:
        return body, None, None
    config = expect_object(config, "generationConfig")
    raw_thinking = _get(config, *_THINKING_KEYS)
    thinking = None
    if raw_thinking is not None:
        thinking = Thinking.from_config(expect_object(raw_thinking, "generationConfig.thinkingConfig"))
    cap = _get(config, "maxOutputTokens", "max_output_tokens")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise InvalidRequest(
            f"Invalid value at 'generationConfig.maxOutputTokens' ({cap!r}): expected a positive integer."
        )
    return body, thinking, cap


def decide(
    engine: RoutingEngine,
    request: Request,
    model: str,
    body: dict[str, Any],
    thinking: Thinking | None,
    cap: int | None,
    rid: str,
) -> Decision:
    """Route (``auto``) or pass through (a model id) one Gemini request."""
    headers = request.headers
    tier = headers.get("x-router-tier")
    overrides = Overrides(
        tier=tier.strip().lower() if tier else None,
        model=None if model == AUTO else model,
        thinking=thinking,
        max_output_tokens=cap,
        max_cost_usd=parse_float_header(headers, "x-router-max-cost-usd"),
    )
    text = prompt_text(body.get("contents"), engine.max_prompt_chars)
    opening = read_context(body, engine.max_prompt_chars).opening
    return engine.decide(
        text, prompt_tokens=estimate_prompt_tokens(body), overrides=overrides, request_id=rid, opening=opening
    )


def _split(target: str) -> tuple[str, str]:
    model, sep, action = target.partition(":")
    model = model.strip()
    if not sep or action not in ACTIONS or not model:
        raise NotFound(
            f"No route for models/{target}: expected models/MODEL:ACTION with ACTION one of {', '.join(ACTIONS)}."
        )
    return model, action


# --- the OpenAPI schema of these routes ----------------------------------------------------------
# Documentation only: the handlers read the raw body themselves (read_json, read_generate), so none
# of this is validated or even read at run time. The body schema is Gemini's request as far as it
# is checked, by the router or by Gemini (whose 400 comes back as it is): a body it calls invalid
# is refused with a 4xx, so it names no rule nobody enforces. Inside the structural levels it
# lists, fields it does not name pass through to Gemini.

_VERSION = Path(description="the Gemini API version", json_schema_extra={"enum": sorted(VERSIONS)})
_TARGET_PATTERN = rf"^({AUTO}|[^:/]+):({'|'.join(ACTIONS)})$"
_TARGET = Path(
    description="MODEL:ACTION, MODEL `auto` (routed) or a catalog model id (passed through)",
    json_schema_extra={
        "pattern": _TARGET_PATTERN,
        "examples": [f"{AUTO}:{action}" for action in ACTIONS] + ["gemini-2.5-flash:generateContent"],
    },
)
_MODEL = Path(description="`auto` or a catalog model id", json_schema_extra={"examples": [AUTO, "gemini-2.5-flash"]})


def _data_part(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": [name], "properties": {name: schema, "thought": {"type": "boolean"}}}


def _named(value: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, value: {"type": "object"}},
    }


_PART = {
    "type": "object",
    "description": "exactly one of text, inlineData, fileData, functionCall, functionResponse, ...",
    "anyOf": [
        _data_part("text", {"type": "string"}),
        _data_part(
            "inlineData",
            {
                "type": "object",
                "required": ["mimeType", "data"],
                "properties": {"mimeType": {"type": "string"}, "data": {"type": "string", "description": "base64"}},
            },
        ),
        _data_part(
            "fileData",
            {
                "type": "object",
                "required": ["fileUri"],
                "properties": {"mimeType": {"type": "string"}, "fileUri": {"type": "string"}},
            },
        ),
        _data_part("functionCall", _named("args")),
        _data_part("functionResponse", _named("response")),
    ],
}
_CONTENT = {
    "type": "object",
    "required": ["parts"],
    "properties": {
        "role": {"type": "string", "enum": ["user", "model"], "description": "user (the default) or model"},
        "parts": {"type": "array", "minItems": 1, "items": _PART},
    },
}
_THINKING_CONFIG = {
    "type": "object",
    "description": "thinkingBudget or thinkingLevel, not both; a forced model must accept the value (400 if not)",
    "additionalProperties": False,
    "not": {"required": ["thinkingBudget", "thinkingLevel"]},
    "properties": {
        "thinkingBudget": {
            "type": "integer",
            "minimum": -1,
            "maximum": 32768,
            "description": "-1: dynamic, 0: off; each model takes its own range",
        },
        "thinkingLevel": {"type": "string", "enum": ["minimal", "low", "medium", "high"]},
        "includeThoughts": {"type": "boolean"},
    },
}
GENERATE_REQUEST_SCHEMA = {
    "type": "object",
    "title": "GenerateContentRequest",
    "description": "Gemini's request body, passed through except for what the router sets; countTokens "
    "takes {contents} or {generateContentRequest: {...}}. snake_case spellings are read too.",
    "required": ["contents"],
    "additionalProperties": False,
    "properties": {
        "contents": {"type": "array", "minItems": 1, "items": _CONTENT},
        "systemInstruction": _CONTENT,
        "tools": {"type": "array", "items": {"type": "object"}},
        "toolConfig": {"type": "object"},
        "safetySettings": {"type": "array", "items": {"type": "object"}},
        "cachedContent": {"type": "string"},
        "generationConfig": {
            "type": "object",
            "properties": {
                "maxOutputTokens": {"type": "integer", "minimum": 1},
                "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                "thinkingConfig": _THINKING_CONFIG,
            },
        },
    },
}
OVERRIDE_HEADERS = [
    {
        "name": "x-router-tier",
        "in": "header",
        "required": False,
        "description": "force a tier (case and surrounding spaces ignored; a blank value counts as absent)",
        "schema": {"type": "string", "enum": ["light", "intermediate", "advanced"]},
    },
    {
        "name": "x-router-max-cost-usd",
        "in": "header",
        "required": False,
        "description": "the most the request may cost (USD): the route steps down a tier to stay under it "
        "(a blank value counts as absent)",
        "schema": {"type": "number", "exclusiveMinimum": 0},
    },
]
_ALT = {
    "name": "alt",
    "in": "query",
    "required": False,
    "description": "`sse`: streamGenerateContent answers server-sent events instead of one JSON array",
    "schema": {"type": "string", "examples": ["sse"]},
}
_ROUTED_HEADERS = {
    name: {"description": description, "required": True, "schema": {"type": "string"}}
    for name, description in (
        ("x-router-request-id", "the request's id (for /v1/feedback)"),
        ("x-router-tier", "the tier the request was routed to"),
        ("x-router-model", "the model that answered"),
        ("x-router-thinking", "the thinking setting sent"),
    )
}
_MODEL_SCHEMA = {
    "type": "object",
    "title": "Model",
    "required": ["name", "baseModelId", "displayName", "inputTokenLimit", "outputTokenLimit"],
    "properties": {
        "name": {"type": "string"},
        "baseModelId": {"type": "string"},
        "version": {"type": "string"},
        "displayName": {"type": "string"},
        "description": {"type": "string"},
        "inputTokenLimit": {"type": "integer"},
        "outputTokenLimit": {"type": "integer"},
        "supportedGenerationMethods": {"type": "array", "items": {"type": "string"}},
        "thinking": {"type": "boolean"},
        "id": {"type": "string", "description": "OpenAI's model fields, so the OpenAI SDK reads the same answer"},
        "object": {"type": "string", "enum": ["model"]},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
}


@router.post(
    "/{version}/models/{target}",
    summary="generateContent, streamGenerateContent, countTokens",
    responses={
        200: {
            "description": "Gemini's answer, unchanged, with the routing headers; streamGenerateContent answers "
            "a JSON array of chunks or, with alt=sse, server-sent events",
            "content": {
                "application/json": {"schema": {"type": ["object", "array"]}},
                "text/event-stream": {
                    "schema": {
                        "description": "one event per chunk: data is a GenerateContentResponse or an error",
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "contentSchema": {"type": "object"},
                            }
                        },
                    }
                },
            },
            "headers": _ROUTED_HEADERS,
        },
        **error_responses(502, 503, 504),
    },
    openapi_extra={
        "parameters": [*OVERRIDE_HEADERS, _ALT],
        "requestBody": {"required": True, "content": {"application/json": {"schema": GENERATE_REQUEST_SCHEMA}}},
    },
)
async def call_model(
    version: Annotated[str, _VERSION],
    target: Annotated[str, _TARGET],
    request: Request,
    deps: ProxyDeps,
) -> Response:
    """Gemini's model methods. ``target`` is ``MODEL:ACTION``; MODEL ``auto`` is routed."""
    rid, engine, upstream = deps.rid, deps.engine, deps.upstream
    version = _version(version)
    model, action = _split(target)
    request.state.endpoint = action
    raw = await read_json(request)
    if action == "countTokens":
        return await _count_tokens(request, engine, upstream, version, model, raw, rid)
    body, thinking, cap = read_generate(raw)
    decision = request.state.decision = decide(engine, request, model, body, thinking, cap, rid)
    if action == "streamGenerateContent":
        return await _stream(request, upstream, version, body, decision)
    served = await upstream.generate(version, decision.routes, body)
    usage = usage_of(served.data)
    cost = cost_of(upstream.catalog, served.route.model, usage) if usage else None
    record(request, "generateContent", decision, route=served.route, usage=usage, cost=cost, attempts=served.attempts)
    headers = decision.headers(served.route, cost.usd if cost else None)
    return Response(served.body, media_type="application/json", headers=headers)


async def _count_tokens(
    request: Request, engine: RoutingEngine, upstream: Upstream, version: str, model: str, raw: Any, rid: str
) -> Response:
    body = expect_object(raw, "request")
    inner = _get(body, "generateContentRequest", "generate_content_request")
    source = expect_object(inner, "generateContentRequest") if inner is not None else body
    check_contents(source.get("contents"))
    decision = request.state.decision = decide(engine, request, model, source, None, None, rid)
    served = await upstream.count_tokens(version, decision.routes, body)
    record(request, "countTokens", decision, route=served.route, attempts=served.attempts)
    return Response(served.body, media_type="application/json", headers=decision.headers(served.route, 0.0))


async def _stream(
    request: Request, upstream: Upstream, version: str, body: dict[str, Any], decision: Decision
) -> Response:
    stream = await upstream.stream(version, decision.routes, body)
    sse = request.query_params.get("alt") == "sse"
    return StreamingResponse(
        _events(request, upstream, stream, decision, sse),
        media_type="text/event-stream" if sse else "application/json",
        headers=decision.headers(stream.route),
    )


async def _events(
    request: Request, upstream: Upstream, stream: Stream, decision: Decision, sse: bool
) -> AsyncIterator[bytes]:
    """SSE events (``data: {json}``) or, without ``alt=sse``, one JSON array, written as chunks arrive."""
    error: RouterError | None = None
    first = True
    try:
        if not sse:
            yield b"["
        async for text in stream:
            if sse:
                yield b"data: " + text.encode() + b"\r\n\r\n"
            else:
                yield (b"" if first else b",\r\n") + text.encode()
            first = False
    except RouterError as exc:
        error = exc
        if sse:
            yield sse_error(request.url.path, exc, decision.request_id)
        else:
            payload = sse_error(request.url.path, exc, decision.request_id)[6:-4]
            yield (b"" if first else b",\r\n") + payload
    finally:
        await finish_stream(request, "streamGenerateContent", decision, stream, error)
    if not sse:
        yield b"]"


# --- models list / get (answered from the catalog) ---------------------------------------------
#
# GET /v1/models is both Gemini's models.list (google-genai with api_version v1) and OpenAI's (the
# OpenAI SDK with base_url <router>/v1), so every answer carries both vocabularies: Gemini's
# ``models`` and camelCase fields, and OpenAI's ``object``/``data`` and ``id``/``created``/
# ``owned_by``. Each SDK reads its own keys and ignores the others'.


def _openai_fields(model_id: str, released: date | None, owner: str) -> dict[str, Any]:
    created = int(datetime.combine(released, time(), UTC).timestamp()) if released else 0
    return {"id": model_id, "object": "model", "created": created, "owned_by": owner}


def model_json(info: ModelInfo) -> dict[str, Any]:
    return {
        **_openai_fields(info.id, info.released, "google"),
        "name": f"models/{info.id}",
        "baseModelId": info.id,
        "version": "001",
        "displayName": info.display_name,
        "description": info.note or info.display_name,
        "inputTokenLimit": info.context_window or 1_048_576,
        "outputTokenLimit": info.max_output_tokens or 65_536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        "thinking": True,
    }


def auto_json(catalog: Catalog) -> dict[str, Any]:
    return {
        **_openai_fields(AUTO, None, "budget-router"),
        "name": f"models/{AUTO}",
        "baseModelId": AUTO,
        "version": "budget-router",
        "displayName": "budget-router: routed per request",
        "description": "Picks a model and thinking setting per request from the prompt's complexity.",
        "inputTokenLimit": min((m.context_window or 1_048_576) for m in catalog.models.values()),
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        "thinking": True,
    }


@router.get(
    "/{version}/models",
    summary="List models (auto and the catalog's)",
    responses={
        200: {
            "description": "auto and the catalog's models",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["models", "object", "data"],
                        "properties": {
                            "models": {"type": "array", "items": _MODEL_SCHEMA},
                            "object": {"type": "string", "enum": ["list"]},
                            "data": {"type": "array", "items": _MODEL_SCHEMA, "description": "the same, for OpenAI"},
                        },
                    }
                }
            },
        },
        **error_responses(),
    },
)
async def list_models(version: Annotated[str, _VERSION], catalog: CatalogDep, _: Authorized) -> Response:
    _version(version)
    models = [auto_json(catalog), *(model_json(m) for m in catalog.models.values())]
    return json_response({"models": models, "object": "list", "data": models})


@router.get(
    "/{version}/models/{model}",
    summary="Get one model",
    responses={
        200: {"description": "the model", "content": {"application/json": {"schema": _MODEL_SCHEMA}}},
        **error_responses(),
    },
)
async def get_model(
    version: Annotated[str, _VERSION], model: Annotated[str, _MODEL], catalog: CatalogDep, _: Authorized
) -> Response:
    _version(version)
    if model == AUTO:
        return json_response(auto_json(catalog))
    return json_response(model_json(catalog.get(model)))
