"""Translation between OpenAI Chat Completions and Gemini ``generateContent``.

Requests: system and developer messages become ``systemInstruction``; user messages (text and
``image_url`` parts, data URLs as ``inlineData``, other URLs as ``fileData``) become user turns;
assistant messages become model turns with their text and ``functionCall`` parts; consecutive
tool messages become one user turn of ``functionResponse`` parts (named from the assistant's
tool call ids); ``tools`` become function declarations (``parametersJsonSchema``), ``tool_choice``
the function-calling mode, ``response_format`` ``responseMimeType`` plus ``responseJsonSchema``,
and the sampling settings their Gemini names. A thought signature Gemini attached to a function
call travels in the tool call's ``extra_content.google.thought_signature`` (as Gemini's own
OpenAI-compatible layer does) and goes back on the next turn.

Responses: text parts (thoughts left out) become ``content``, function calls ``tool_calls``, finish
reasons their OpenAI names, and ``usageMetadata`` the ``usage`` object (thinking tokens as
``completion_tokens_details.reasoning_tokens``).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from router.errors import InvalidRequest

from ._common import validate_model

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "MALFORMED_FUNCTION_CALL": "stop",
}


class ToolCallFunction(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    name: str
    arguments: str = "{}"


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class ChatRequest(BaseModel):
    """The Chat Completions fields the router reads; other fields are accepted and ignored. Types
    are strict, as in OpenAI's API: ``true`` is no number, ``"5"`` no integer, ``1`` no boolean."""

    model_config = ConfigDict(extra="allow", strict=True)
    model: str = Field(description="`auto` (routed) or a catalog model id", examples=["auto", "gemini-2.5-flash"])
    messages: list[ChatMessage] = Field(
        min_length=1,
        # documented for the OpenAPI schema; to_gemini enforces it (system messages alone are no turn)
        json_schema_extra={
            "contains": {"required": ["role"], "properties": {"role": {"not": {"enum": ["system", "developer"]}}}}
        },
    )
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, json_schema_extra={"minimum": 0, "maximum": 2})  # Gemini's range
    top_p: float | None = None
    n: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None


def parse_request(raw: Any) -> ChatRequest:
    """Validate a Chat Completions body (400 naming the first problems)."""
    if not isinstance(raw, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return validate_model(ChatRequest, raw)


# --- request --------------------------------------------------------------------------------


def _text_of(content: str | list[dict[str, Any]] | None, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for i, part in enumerate(content):
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise InvalidRequest(f"Invalid value at '{where}.content[{i}]': only text parts are accepted here.")
        texts.append(part["text"])
    return "\n".join(texts)


def _user_parts(content: str | list[dict[str, Any]] | None, where: str) -> list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return [{"text": content or ""}]
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(content):
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append({"text": part["text"]})
        elif kind == "image_url" and isinstance(part.get("image_url"), dict | str):
            image = part["image_url"]
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str) or not url:
                raise InvalidRequest(f"Invalid value at '{where}.content[{i}].image_url.url': expected a URL.")
            parts.append(_media(url))
        else:
            raise InvalidRequest(
                f"Invalid value at '{where}.content[{i}]': expected a text or image_url part, got type {kind!r}."
            )
    return parts or [{"text": ""}]


def _media(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        mime, _, encoding = header.partition(";")
        if encoding != "base64" or not data:
            raise InvalidRequest("image_url data URLs must be base64 (data:MIME;base64,DATA).")
        return {"inlineData": {"mimeType": mime or "application/octet-stream", "data": data}}
    mime = "image/png" if url.lower().endswith(".png") else "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _arguments(call: ToolCall, where: str) -> Any:
    try:
        args = json.loads(call.function.arguments or "{}")
    except json.JSONDecodeError:
        raise InvalidRequest(f"Invalid value at '{where}.function.arguments': not a JSON object.") from None
    if not isinstance(args, dict):
        raise InvalidRequest(f"Invalid value at '{where}.function.arguments': not a JSON object.")
    return args


def _signature(call: ToolCall) -> str | None:
    extra = (call.model_extra or {}).get("extra_content")
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    return signature if isinstance(signature, str) else None


def to_gemini(req: ChatRequest) -> dict[str, Any]:
    """The Gemini ``generateContent`` body for a Chat Completions request."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for i, msg in enumerate(req.messages):
        where = f"messages[{i}]"
        if msg.role in ("system", "developer"):
            system.append(_text_of(msg.content, where))
        elif msg.role == "user":
            contents.append({"role": "user", "parts": _user_parts(msg.content, where)})
        elif msg.role == "assistant":
            parts: list[dict[str, Any]] = []
            text = _text_of(msg.content, where)
            if text:
                parts.append({"text": text})
            for j, call in enumerate(msg.tool_calls or []):
                call_names[call.id] = call.function.name
                part: dict[str, Any] = {
                    "functionCall": {"name": call.function.name, "args": _arguments(call, f"{where}.tool_calls[{j}]")}
                }
                signature = _signature(call)
                if signature:
                    part["thoughtSignature"] = signature
                parts.append(part)
            contents.append({"role": "model", "parts": parts or [{"text": ""}]})
        else:  # tool / function results
            name = call_names.get(msg.tool_call_id or "") or msg.name
            if not name:
                raise InvalidRequest(
                    f"Invalid value at '{where}.tool_call_id': {msg.tool_call_id!r} matches no earlier tool call."
                )
            text = _text_of(msg.content, where)
            try:
                response = json.loads(text)
            except json.JSONDecodeError:
                response = None
            if not isinstance(response, dict):
                response = {"content": text}
            part = {"functionResponse": {"name": name, "response": response}}
            last = contents[-1] if contents else None
            if last is not None and last["role"] == "user" and all("functionResponse" in p for p in last["parts"]):
                last["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
    if not contents:
        raise InvalidRequest("Invalid value at 'messages': at least one user message is required.")
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    if req.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(t, i) for i, t in enumerate(req.tools)]}]
    if req.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _tool_choice(req.tool_choice)}
    config = _generation_config(req)
    if config:
        body["generationConfig"] = config
    return body


def _declaration(tool: dict[str, Any], i: int) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type", "function") != "function" or not isinstance(function, dict):
        raise InvalidRequest(f"Invalid value at 'tools[{i}]': only function tools are supported.")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"Invalid value at 'tools[{i}].function.name': expected a name.")
    decl: dict[str, Any] = {"name": name}
    if isinstance(function.get("description"), str):
        decl["description"] = function["description"]
    if isinstance(function.get("parameters"), dict):
        decl["parametersJsonSchema"] = function["parameters"]
    return decl


def _tool_choice(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, str):
        modes = {"none": "NONE", "auto": "AUTO", "required": "ANY"}
        if choice not in modes:
            raise InvalidRequest(f"Invalid value at 'tool_choice': {choice!r}; expected none, auto or required.")
        return {"mode": modes[choice]}
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str):
        raise InvalidRequest("Invalid value at 'tool_choice': expected {'type': 'function', 'function': {'name'}}.")
    return {"mode": "ANY", "allowedFunctionNames": [name]}


def _generation_config(req: ChatRequest) -> dict[str, Any]:
    config: dict[str, Any] = {}
    tokens = req.max_completion_tokens or req.max_tokens
    if tokens is not None:
        config["maxOutputTokens"] = tokens
    for name, key in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("n", "candidateCount"),
        ("seed", "seed"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        value = getattr(req, name)
        if value is not None:
            config[key] = value
    if req.stop is not None:
        config["stopSequences"] = [req.stop] if isinstance(req.stop, str) else list(req.stop)
    fmt = req.response_format
    if fmt is not None:
        kind = fmt.get("type")
        if kind == "json_object":
            config["responseMimeType"] = "application/json"
        elif kind == "json_schema":
            spec = fmt.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if not isinstance(schema, dict):
                raise InvalidRequest("Invalid value at 'response_format.json_schema.schema': expected a JSON schema.")
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = schema
        elif kind != "text":
            raise InvalidRequest(
                f"Invalid value at 'response_format.type': {kind!r}; expected text, json_object or json_schema."
            )
    return config


# --- response -------------------------------------------------------------------------------


def usage_json(usage: dict[str, int]) -> dict[str, Any]:
    completion = usage.get("candidates", 0) + usage.get("thoughts", 0)
    prompt = usage.get("prompt", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": usage.get("cached", 0)},
        "completion_tokens_details": {"reasoning_tokens": usage.get("thoughts", 0)},
    }


def message_parts(candidate: dict[str, Any], call_prefix: str) -> tuple[str | None, list[dict[str, Any]]]:
    """A candidate's visible text (thoughts left out) and its function calls as tool calls."""
    content = candidate.get("content") if isinstance(candidate, dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict) or part.get("thought"):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, dict):
            tool_call: dict[str, Any] = {
                "id": call.get("id") or f"{call_prefix}{len(calls)}",
                "type": "function",
                "function": {"name": call.get("name", ""), "arguments": json.dumps(call.get("args") or {})},
            }
            if isinstance(part.get("thoughtSignature"), str):
                tool_call["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
            calls.append(tool_call)
    return ("".join(texts) if texts else None), calls


def finish_reason(candidate: dict[str, Any], has_calls: bool) -> str | None:
    reason = candidate.get("finishReason") if isinstance(candidate, dict) else None
    if reason is None:
        return None
    if has_calls and reason == "STOP":
        return "tool_calls"
    return FINISH_REASONS.get(str(reason), "stop")


def completion_json(data: Any, *, rid: str, model: str, created: int, usage: dict[str, int]) -> dict[str, Any]:
    """A ``chat.completion`` object for a Gemini ``generateContent`` answer."""
    candidates = data.get("candidates") if isinstance(data, dict) else None
    choices = []
    for i, candidate in enumerate(candidates if isinstance(candidates, list) else []):
        text, calls = message_parts(candidate, f"call_{rid[:12]}_{i}_")
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        choices.append(
            {
                "index": candidate.get("index", i) if isinstance(candidate, dict) else i,
                "message": message,
                "finish_reason": finish_reason(candidate, bool(calls)) or "stop",
                "logprobs": None,
            }
        )
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": usage_json(usage),
    }


def chunk_json(data: Any, *, rid: str, model: str, created: int, seen_calls: dict[int, int]) -> dict[str, Any] | None:
    """A ``chat.completion.chunk`` for one streamed Gemini chunk (``None`` when it adds nothing)."""
    candidates = data.get("candidates") if isinstance(data, dict) else None
    choices = []
    for i, candidate in enumerate(candidates if isinstance(candidates, list) else []):
        index = candidate.get("index", i) if isinstance(candidate, dict) else i
        text, calls = message_parts(candidate, f"call_{rid[:12]}_{index}_{seen_calls.get(index, 0)}_")
        delta: dict[str, Any] = {}
        if text:
            delta["content"] = text
        if calls:
            first = seen_calls.get(index, 0)
            delta["tool_calls"] = [{"index": first + k, **call} for k, call in enumerate(calls)]
            seen_calls[index] = first + len(calls)
        reason = finish_reason(candidate, seen_calls.get(index, 0) > 0)
        if delta or reason:
            choices.append({"index": index, "delta": delta, "finish_reason": reason, "logprobs": None})
    if not choices:
        return None
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
    }
