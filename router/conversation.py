"""What routing reads of a conversation, and how a conversation keeps its model without server state.

Signals (:func:`read_context`), read from the request body alone:

* ``turns`` and ``user_turns``: how many contents the history holds, and how many are the user's;
* ``tool_results``: a ``functionResponse`` (or ``codeExecutionResult``/``toolResponse``) part is present;
* ``code``: an ``executableCode`` part, or a fenced code block in the text of one of the last
  :data:`SCAN_TURNS` turns (each text scanned up to ``limit`` characters);
* ``system_chars``: the length of the system instruction's text;
* ``signatures``: a model turn carries a ``thoughtSignature``;
* ``opening``: the text of the first user turn that has text, bounded to ``limit`` (see
  :func:`router.prompt.bound_text`); empty when that turn is also the newest one.

The cost is bounded however long the history is: each part is looked at through a few key
lookups, text is scanned only in the last :data:`SCAN_TURNS` turns and never past ``limit``
characters, and the classifier reads at most two bounded texts (the newest user turn and the
opening).

The conversation rule (:meth:`router.routing.RoutingEngine.decide`, ``opening=``): the *model* of
a multi-turn request is the one the policy gives the tier of its **opening** turn, and the newest
turn's tier sets only the **thinking setting** (mapped to what that model accepts), the output
headroom and the ``x-router-tier`` header. Every turn of a conversation resends its opening
unchanged, so every turn recomputes the same model: the conversation never bounces between
models, and thought signatures (which belong to the model that made them, and which the router
never alters) always go back to that model. No server-side state, no stamp in the body, and a
single-turn request routes exactly as before (its opening is its newest turn).

Explicit choices win over the rule: a forced model (a real model id in the URL) or a forced tier
(``x-router-tier``) routes as the client said, and a cost cap may step down to a cheaper model.
A client that drops the opening turn from its history (a sliding window) starts, as far as
routing can tell, a new conversation; when that history still holds signatures, they go to the
model the new opening picks. Fallbacks, tried only when the primary model fails, may also
answer with another model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.prompt import bound_text

#: How many of the newest turns are scanned for fenced code.
SCAN_TURNS = 8
_RESULT_KEYS = (
    "functionResponse",
    "function_response",
    "codeExecutionResult",
    "code_execution_result",
    "toolResponse",
    "tool_response",
)
_CODE_KEYS = ("executableCode", "executable_code")
_SIGNATURE_KEYS = ("thoughtSignature", "thought_signature")


@dataclass(frozen=True)
class Context:
    """Bounded signals of a conversation (see the module docstring)."""

    turns: int = 0
    user_turns: int = 0
    tool_results: bool = False
    code: bool = False
    system_chars: int = 0
    signatures: bool = False
    opening: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "user_turns": self.user_turns,
            "tool_results": self.tool_results,
            "code": self.code,
            "system_chars": self.system_chars,
            "signatures": self.signatures,
            "opening_chars": len(self.opening),
        }


def _parts(content: Any) -> list[Any]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return parts if isinstance(parts, list) else []


def _text(content: Any) -> str:
    return "\n".join(p["text"] for p in _parts(content) if isinstance(p, dict) and isinstance(p.get("text"), str))


def _is_user(content: Any) -> bool:
    return isinstance(content, dict) and content.get("role", "user") in ("user", None, "")


def read_context(body: Mapping[str, Any], limit: int) -> Context:
    """The bounded signals of the conversation in a Gemini ``generateContent`` body."""
    contents = body.get("contents")
    if not isinstance(contents, list):
        return Context(turns=1 if isinstance(contents, str) else 0, user_turns=1 if isinstance(contents, str) else 0)
    system = body.get("systemInstruction", body.get("system_instruction"))
    system_chars = len(system) if isinstance(system, str) else len(_text(system))
    user_turns = 0
    tool_results = code = signatures = False
    opening_at = newest_at = -1
    last = len(contents) - 1
    for i, content in enumerate(contents):
        user = _is_user(content)
        user_turns += user
        has_text = False
        for part in _parts(content):
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str) and part["text"].strip():
                has_text = True
                if not code and i > last - SCAN_TURNS and "```" in part["text"][:limit]:
                    code = True
            if not tool_results and any(k in part for k in _RESULT_KEYS):
                tool_results = True
            if not code and any(k in part for k in _CODE_KEYS):
                code = True
            if not signatures and not user and any(k in part for k in _SIGNATURE_KEYS):
                signatures = True
        if user and has_text:
            newest_at = i
            if opening_at < 0:
                opening_at = i
    opening = ""
    if 0 <= opening_at < newest_at:
        opening = bound_text(_text(contents[opening_at]), limit)
    return Context(
        turns=len(contents),
        user_turns=user_turns,
        tool_results=tool_results,
        code=code,
        system_chars=system_chars,
        signatures=signatures,
        opening=opening,
    )
