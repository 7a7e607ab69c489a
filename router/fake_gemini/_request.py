"""Reading Gemini request bodies as the API does: camelCase or snake_case keys, 400 on bad types.

Only the structural levels of a request are read with both spellings (the request, contents,
parts, generationConfig, thinkingConfig, tools, toolConfig); user data inside them (function
arguments, schemas' property names) is left exactly as sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from router.errors import InvalidRequest

#: Token count the API charges for one image (or other media part) in a prompt.
MEDIA_PART_TOKENS = 258

_SNAKE: dict[str, str] = {}


def _snake(camel: str) -> str:
    name = _SNAKE.get(camel)
    if name is None:
        name = "".join("_" + c.lower() if c.isupper() else c for c in camel)
        _SNAKE[camel] = name
    return name


def get(obj: dict[str, Any], camel: str) -> Any:
    """``obj[camel]``, or its snake_case spelling, else ``None``."""
    value = obj.get(camel)
    if value is None:
        value = obj.get(_snake(camel))
    return value


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message)


_TOP_LEVEL = frozenset(
    name
    for camel in (
        "contents",
        "systemInstruction",
        "generationConfig",
        "tools",
        "toolConfig",
        "safetySettings",
        "cachedContent",
        "labels",
        "serviceTier",
        "model",
        "store",
    )
    for name in (camel, _snake(camel))
)
_THINKING_KEYS = frozenset(
    {"thinkingBudget", "thinking_budget", "thinkingLevel", "thinking_level"} | {"includeThoughts", "include_thoughts"}
)
_DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
)
_ROLES = frozenset(("user", "model", "function", "tool"))


@dataclass(slots=True)
class FunctionDecl:
    name: str
    schema: dict[str, Any] | None


@dataclass(slots=True)
class GenerateRequest:
    """What the stand-in needs from a ``generateContent`` body."""

    prompt: str  # text of the last turn (difficulty and excerpt)
    all_text: str  # every text in the request (determinism key)
    prompt_tokens: int
    media_tokens: int
    last_role: str
    last_function_response: tuple[str, Any] | None
    thinking_config: dict[str, Any] | None
    max_output_tokens: int | None
    response_mime_type: str | None
    response_schema: dict[str, Any] | None
    functions: list[FunctionDecl] = field(default_factory=list)
    function_mode: str = "AUTO"
    allowed_functions: tuple[str, ...] = ()


def load_json(body: bytes) -> dict[str, Any]:
    """Parse a request body that must be a JSON object (an empty body is ``{}``)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _bad("Invalid JSON payload received. The body is not JSON.") from None
    if not isinstance(data, dict):
        raise _bad("Invalid JSON payload received. The request body must be a JSON object.")
    return data


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


def _read_parts(content: Any, where: str, texts: list[str]) -> tuple[int, int, str, Any]:
    """Validate one Content; return (chars, media tokens, role, last functionResponse)."""
    if not isinstance(content, dict):
        raise _bad(f"Invalid value at '{where}': expected a Content object.")
    role = content.get("role")
    if role is not None and (not isinstance(role, str) or (role and role not in _ROLES)):
        raise _bad(f"Please use a valid role: user, model. Got {role!r} at '{where}.role'.")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise _bad(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.")
    chars = media = 0
    response = None
    for j, part in enumerate(parts):
        at = f"{where}.parts[{j}]"
        if not isinstance(part, dict):
            raise _bad(f"Invalid value at '{at}': expected a Part object.")
        found = [name for name in _DATA_FIELDS if get(part, name) is not None]
        if len(found) != 1:
            if not found:
                raise _bad(
                    f"* GenerateContentRequest.{at}.data: required oneof field 'data' must have one initialized field"
                )
            raise _bad(f"Invalid value at '{at}': oneof field 'data' is already set (got {', '.join(found)}).")
        name = found[0]
        value = get(part, name)
        if name == "text":
            if not isinstance(value, str):
                raise _bad(f"Invalid value at '{at}.text': expected a string.")
            texts.append(value)
            chars += len(value)
        elif name in ("inlineData", "fileData"):
            if not isinstance(value, dict):
                raise _bad(f"Invalid value at '{at}.{name}': expected an object.")
            if name == "inlineData" and not isinstance(value.get("data"), str):
                raise _bad(f"* GenerateContentRequest.{at}.inline_data.data: required field.")
            if name == "fileData" and not isinstance(get(value, "fileUri"), str):
                raise _bad(f"* GenerateContentRequest.{at}.file_data.file_uri: required field.")
            media += MEDIA_PART_TOKENS
        elif name in ("functionCall", "functionResponse"):
            if not isinstance(value, dict) or not isinstance(value.get("name"), str):
                raise _bad(f"* GenerateContentRequest.{at}.{name}.name: required field.")
            chars += len(json.dumps(value, ensure_ascii=False))
            if name == "functionResponse":
                response = (value["name"], value.get("response"))
        else:
            chars += len(json.dumps(value, ensure_ascii=False))
    return chars, media, role or "user", response


def _read_contents(contents: Any, texts: list[str]) -> tuple[int, int, str, Any, int]:
    if contents is None or contents == []:
        raise _bad("* GenerateContentRequest.contents: contents is not specified")
    if not isinstance(contents, list):
        raise _bad("Invalid value at 'contents': expected a list of Content objects.")
    chars = media = 0
    role, response, last_start = "user", None, 0
    for i, content in enumerate(contents):
        last_start = len(texts)
        c, m, role, response = _read_parts(content, f"contents[{i}]", texts)
        chars += c
        media += m
    return chars, media, role, response, last_start


def _opt_int(config: dict[str, Any], camel: str, lo: int | None = None) -> int | None:
    value = get(config, camel)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or (lo is not None and value < lo):
        raise _bad(
            f"Invalid value at 'generation_config.{_snake(camel)}' ({value!r}): "
            f"expected an integer{f' >= {lo}' if lo is not None else ''}."
        )
    return value


def _read_generation_config(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise _bad("Invalid value at 'generation_config': expected an object.")
    temperature = get(config, "temperature")
    if temperature is not None and (
        isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 2
    ):
        raise _bad(
            f"Invalid value at 'generation_config.temperature' ({temperature!r}): expected a number between 0 and 2."
        )
    candidates = _opt_int(config, "candidateCount", 1)
    if candidates is not None and candidates != 1:
        raise _bad(
            "Only one candidate can be specified in the current model "
            "(the offline stand-in answers candidateCount 1 only)."
        )
    thinking = get(config, "thinkingConfig")
    if thinking is not None:
        if not isinstance(thinking, dict):
            raise _bad("Invalid value at 'generation_config.thinking_config': expected an object.")
        unknown = set(thinking) - _THINKING_KEYS
        if unknown:
            name = sorted(unknown)[0]
            raise _bad(
                f'Invalid JSON payload received. Unknown name "{name}" at '
                "'generation_config.thinking_config': Cannot find field."
            )
    mime = get(config, "responseMimeType")
    if mime is not None and not isinstance(mime, str):
        raise _bad("Invalid value at 'generation_config.response_mime_type': expected a string.")
    schema = get(config, "responseJsonSchema")
    if schema is None:
        schema = config.get("_responseJsonSchema")
    if schema is None:
        schema = get(config, "responseSchema")
    if schema is not None and not isinstance(schema, dict):
        raise _bad("Invalid value at 'generation_config.response_schema': expected an object.")
    if schema is not None and mime not in ("application/json", "text/x.enum"):
        raise _bad("response_mime_type must be application/json or text/x.enum when a response schema is set.")
    return {
        "thinking": thinking,
        "max_output_tokens": _opt_int(config, "maxOutputTokens", 1),
        "mime": mime,
        "schema": schema,
    }


def _read_tools(tools: Any, tool_config: Any) -> tuple[list[FunctionDecl], str, tuple[str, ...]]:
    functions: list[FunctionDecl] = []
    if tools is not None:
        if not isinstance(tools, list):
            raise _bad("Invalid value at 'tools': expected a list of Tool objects.")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise _bad(f"Invalid value at 'tools[{i}]': expected a Tool object.")
            decls = get(tool, "functionDeclarations")
            if decls is None:
                continue
            if not isinstance(decls, list):
                raise _bad(f"Invalid value at 'tools[{i}].function_declarations': expected a list.")
            for j, decl in enumerate(decls):
                at = f"tools[{i}].function_declarations[{j}]"
                if not isinstance(decl, dict) or not isinstance(decl.get("name"), str):
                    raise _bad(f"* GenerateContentRequest.{at}.name: required field.")
                schema = get(decl, "parametersJsonSchema")
                if schema is None:
                    schema = decl.get("parameters")
                if schema is not None and not isinstance(schema, dict):
                    raise _bad(f"Invalid value at '{at}.parameters': expected a schema object.")
                functions.append(FunctionDecl(decl["name"], schema))
    mode, allowed = "AUTO", ()
    if tool_config is not None:
        if not isinstance(tool_config, dict):
            raise _bad("Invalid value at 'tool_config': expected an object.")
        fcc = get(tool_config, "functionCallingConfig") or {}
        if not isinstance(fcc, dict):
            raise _bad("Invalid value at 'tool_config.function_calling_config'.")
        raw_mode = fcc.get("mode") or "AUTO"
        if not isinstance(raw_mode, str) or raw_mode.upper() not in (
            "AUTO",
            "ANY",
            "NONE",
            "VALIDATED",
            "MODE_UNSPECIFIED",
        ):
            raise _bad(f"Invalid value at 'tool_config.function_calling_config.mode': {raw_mode!r}.")
        mode = raw_mode.upper()
        names = get(fcc, "allowedFunctionNames") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _bad(
                "Invalid value at 'tool_config.function_calling_config"
                ".allowed_function_names': expected a list of strings."
            )
        allowed = tuple(names)
    return functions, mode, allowed


def parse_generate(body: dict[str, Any]) -> GenerateRequest:
    """Validate a ``generateContent`` body; raise :class:`InvalidRequest` like the API's 400."""
    unknown = [key for key in body if key not in _TOP_LEVEL]
    if unknown:
        raise _bad(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
    texts: list[str] = []
    system = get(body, "systemInstruction")
    chars = media = 0
    if system is not None:
        if isinstance(system, str):  # the REST API takes a Content; be lenient with a string
            system = {"parts": [{"text": system}]}
        chars, media, _, _ = _read_parts(system, "system_instruction", texts)
    c, m, last_role, response, last_start = _read_contents(get(body, "contents"), texts)
    chars += c
    media += m
    gen = _read_generation_config(get(body, "generationConfig"))
    functions, mode, allowed = _read_tools(get(body, "tools"), get(body, "toolConfig"))
    if functions:
        chars += sum(len(f.name) + len(json.dumps(f.schema or {})) for f in functions)
    safety = get(body, "safetySettings")
    if safety is not None and not isinstance(safety, list):
        raise _bad("Invalid value at 'safety_settings': expected a list.")
    prompt = "\n".join(texts[last_start:])
    return GenerateRequest(
        prompt=prompt,
        all_text="\x00".join(texts),
        prompt_tokens=max(_tokens(chars) + media, 1),
        media_tokens=media,
        last_role=last_role,
        last_function_response=response,
        thinking_config=gen.get("thinking"),
        max_output_tokens=gen.get("max_output_tokens"),
        response_mime_type=gen.get("mime"),
        response_schema=gen.get("schema"),
        functions=functions,
        function_mode=mode,
        allowed_functions=allowed,
    )


def count_tokens(body: dict[str, Any]) -> tuple[int, int]:
    """``(total, media)`` tokens of a ``countTokens`` body (``contents`` or a full request)."""
    inner = get(body, "generateContentRequest")
    if inner is not None:
        if not isinstance(inner, dict):
            raise _bad("Invalid value at 'generate_content_request': expected an object.")
        inner = {k: v for k, v in inner.items() if k != "model"}
        req = parse_generate(inner)
        return req.prompt_tokens, req.media_tokens
    unknown = [key for key in body if key not in ("contents", "model")]
    if unknown:
        raise _bad(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.')
    texts: list[str] = []
    chars, media, _, _, _ = _read_contents(body.get("contents"), texts)
    return max(_tokens(chars) + media, 1), media
