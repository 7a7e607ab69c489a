"""A minimal valid instance of a schema: OpenAPI-style ``responseSchema`` (``"type": "OBJECT"``)
or JSON Schema (``responseJsonSchema``, ``parametersJsonSchema``: ``$ref``, ``anyOf``, ...).

Every declared property is filled in (a valid instance either way), enums and ``const`` give
their first value, numbers sit at 0 moved into ``minimum``/``maximum``, arrays get
``max(minItems, 1)`` items (at most ``maxItems``), strings are ``"[fake-gemini] <name>"`` cut or
padded to ``maxLength``/``minLength``. Recursive schemas stop after a few levels.
"""

from __future__ import annotations

import math
from typing import Any

_MAX_DEPTH = 10
_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00",
    "email": "fake@example.com",
    "uri": "https://example.com/fake-gemini",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "duration": "1s",
}


def instance(schema: Any, *, name: str = "value") -> Any:
    """A deterministic instance that validates against ``schema``."""
    return _instance(schema, schema, name, 0)


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for token in ref[1:].split("/"):
        if not token:
            continue
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            return {}
        node = node[token]
    return node


def _number(schema: dict[str, Any], key: str) -> float | None:
    value = schema.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return float(value) if isinstance(value, int | float) else None


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if isinstance(kind, str) and kind and kind.upper() != "TYPE_UNSPECIFIED":
        return kind.lower()
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _instance(schema: Any, root: Any, name: str, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _instance(_resolve(ref, root), root, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and _is_null(o))]
            return _instance((usable or options)[0], root, name, depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in all_of:
            if isinstance(part, dict):
                for key, value in part.items():
                    if key == "properties" and isinstance(value, dict):
                        merged["properties"] = {**merged.get("properties", {}), **value}
                    elif key == "required" and isinstance(value, list):
                        merged["required"] = [*merged.get("required", []), *value]
                    else:
                        merged.setdefault(key, value)
        return _instance(merged, root, name, depth + 1)
    kind = _type(schema)
    if kind == "object":
        return _object(schema, root, depth)
    if kind == "array":
        return _array(schema, root, name, depth)
    if kind in ("integer", "number"):
        return _numeric(schema, kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name)


def _is_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return isinstance(kind, str) and kind.lower() == "null"


def _object(schema: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        props = {}
    order = schema.get("propertyOrdering")
    keys = [k for k in order if k in props] if isinstance(order, list) else []
    keys += [k for k in props if k not in keys]
    out = {key: _instance(props[key], root, key, depth + 1) for key in keys}
    required = schema.get("required")
    if isinstance(required, list):
        for key in required:
            if isinstance(key, str) and key not in out:
                out[key] = f"[fake-gemini] {key}"
    return out


def _array(schema: dict[str, Any], root: Any, name: str, depth: int) -> list[Any]:
    low = _number(schema, "minItems")
    high = _number(schema, "maxItems")
    count = max(int(low or 0), 1)
    if high is not None:
        count = min(count, int(high))
    prefix = schema.get("prefixItems")
    items = schema.get("items")
    out = []
    for i in range(count):
        if isinstance(prefix, list) and i < len(prefix):
            out.append(_instance(prefix[i], root, name, depth + 1))
        else:
            out.append(_instance(items if isinstance(items, dict) else {}, root, name, depth + 1))
    return out


def _numeric(schema: dict[str, Any], integer: bool) -> int | float:
    lo, hi = _number(schema, "minimum"), _number(schema, "maximum")
    xlo, xhi = _number(schema, "exclusiveMinimum"), _number(schema, "exclusiveMaximum")
    if integer:
        low = max(
            math.ceil(lo) if lo is not None else -math.inf,
            math.floor(xlo) + 1 if xlo is not None else -math.inf,
        )
        high = min(
            math.floor(hi) if hi is not None else math.inf,
            math.ceil(xhi) - 1 if xhi is not None else math.inf,
        )
        return int(min(max(0, low), high)) if high >= low else int(low if low > -math.inf else 0)
    value = 0.0
    if lo is not None:
        value = max(value, lo)
    if xlo is not None and value <= xlo:
        value = xlo + (1.0 if xhi is None else (min(xhi, hi or xhi) - xlo) / 2)
    if hi is not None:
        value = min(value, hi)
    if xhi is not None and value >= xhi:
        value = xhi - (1.0 if xlo is None else (xhi - xlo) / 2)
    return value


def _string(schema: dict[str, Any], name: str) -> str:
    fmt = schema.get("format")
    text = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    if text is None:
        text = f"[fake-gemini] {name}"
    low, high = _number(schema, "minLength"), _number(schema, "maxLength")
    if low is not None and len(text) < low:
        text += "x" * (int(low) - len(text))
    if high is not None and len(text) > high:
        text = text[: int(high)]
    return text
