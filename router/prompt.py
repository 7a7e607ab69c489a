"""What the classifier reads from a request, and how big the prompt is.

The rule (:func:`prompt_text`): the text parts of the newest user turn that has text, cut to a
bound by keeping its head (three quarters) and its tail (one quarter). A turn holding only
function responses continues the question before it, so it is skipped; model turns, the system
instruction and media are not read. The cost is bounded however long the conversation is.
:func:`estimate_prompt_tokens` reads the whole request, cheaply, for cost estimates.

In a conversation the classifier reads, besides that newest turn, only bounded signals of its
context (:func:`router.conversation.read_context`): the number of turns, whether tool or function
results and code are present, the system instruction's length, whether the history holds thought
signatures, and the text of the opening user turn (bounded like the newest). The newest turn's
tier sets the thinking setting; the opening's tier picks the model, so every turn of a
conversation routes to the same model (the rule and its reasons: :mod:`router.conversation`).
The classifier itself was trained on single prompts, so the other signals are not fed into its
text: they are computed in one pass of key lookups (text scanned only in the last few turns, up
to the bound), at most two bounded texts are classified, and nothing grows with the history
beyond that pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Tokens per character used to estimate prompt size without a tokenizer (about 4 chars/token).
CHARS_PER_TOKEN = 4
#: Tokens the API charges for one media part (image, PDF page, ...) in a prompt.
MEDIA_PART_TOKENS = 258
_MEDIA_KEYS = ("inlineData", "inline_data", "fileData", "file_data")


def _parts(content: Any) -> list[Any]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return parts if isinstance(parts, list) else []


def _turn_text(content: Any) -> str:
    texts = [p["text"] for p in _parts(content) if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(texts)


def bound_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters: its head (three quarters) and tail (one quarter).

    A lone surrogate (JSON's ``\\ud800`` escape decodes to one; UTF-8 cannot encode it) becomes
    U+FFFD: this is the text the classifier reads and the request log stores, and a database
    driver refuses a string it cannot encode."""
    if len(text) > limit:
        tail = limit // 4
        text = text[: limit - tail - 1] + "\n" + text[len(text) - tail :]
    return text if text.isascii() else _encodable(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def prompt_text(contents: Any, limit: int) -> str:
    """The text the classifier reads: the newest user turn that has text, bounded to ``limit``."""
    if isinstance(contents, str):
        return bound_text(contents, limit)
    if not isinstance(contents, list):
        return ""
    for content in reversed(contents):
        if not isinstance(content, dict) or content.get("role", "user") not in ("user", None, ""):
            continue
        text = _turn_text(content)
        if text.strip():
            return bound_text(text, limit)
    return ""


def estimate_prompt_tokens(body: Mapping[str, Any]) -> int:
    """Tokens the prompt will be billed for, estimated from its text length and media parts."""
    chars = media = 0
    turns = body.get("contents")
    system = body.get("systemInstruction", body.get("system_instruction"))
    for content in [*(turns if isinstance(turns, list) else []), system]:
        for part in _parts(content):
            if not isinstance(part, dict):
                continue
            text = part.get("text")
            if isinstance(text, str):
                chars += len(text)
            elif any(k in part for k in _MEDIA_KEYS):
                media += 1
            else:
                chars += 64  # function calls and responses: a rough allowance
    return (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN + media * MEDIA_PART_TOKENS
