"""Deterministic stand-in answers with realistic ``usageMetadata``. No model runs here.

* Difficulty: a cheap score in [0, 1] from the last turn's length, its share of digits and
  maths/code symbols, and a few "hard task" words. O(prompt length), C-speed string scans.
* Thinking: the setting in force (the request's, else the model's catalog default) gives a cap:
  the budget itself; for dynamic (-1) 1024 / 8192 / 24576 by difficulty (at most the model's
  maximum); for levels minimal 0, low 1024, medium 8192, high 24576. Thinking tokens are
  ``min(cap, (100 + 1900 * difficulty) * sqrt(cap / 1024))``: they grow with the cap and the
  difficulty, never exceed the budget, and are 0 when thinking is off (budget 0, level minimal).
* Output cap: thinking counts against ``maxOutputTokens`` first; an answer that does not fit is
  cut to what is left and finishes with ``MAX_TOKENS``.
* Text: ``[fake-gemini] ...``, a function of the model, the thinking setting and every text in
  the request (so the same request always gets the same answer).
* Function calling: with function declarations, mode ``ANY`` always calls one; mode ``AUTO``
  calls the first declared function whose name appears in the last user turn (as written, or
  with underscores read as spaces, e.g. "call get_weather" or "get weather for Paris"); ``NONE``
  never does. Arguments are a minimal valid instance of the declared parameter schema. A last
  turn carrying a ``functionResponse`` gets a text answer.
* JSON mode: ``application/json`` with a schema gives a minimal instance of the schema
  (``text/x.enum`` its first value); without a schema, ``{"text": ...}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from router.catalog import DYNAMIC, LEVEL_BUDGETS, ModelInfo, Thinking
from router.fake_gemini._request import GenerateRequest
from router.fake_gemini._schema import instance

#: Largest output when the catalog does not record the model's maximum.
DEFAULT_MAX_OUTPUT = 65536
_SCAN_CHARS = 20_000
_HARD_WORDS = (
    "prove",
    "proof",
    "theorem",
    "lemma",
    "derive",
    "integral",
    "equation",
    "algorithm",
    "complexity",
    "optimi",
    "implement",
    "debug",
    "recurs",
    "probability",
    "matrix",
    "polynomial",
    "step by step",
    "calculate",
    "compute",
    "constraint",
    "schedule",
)
_DROP_DIGITS = str.maketrans("", "", "0123456789")
_DROP_SYMBOLS = str.maketrans("", "", "+-*/=^<>%{}()[];_`\\|&")
_FILLER = (
    "This text was generated locally for testing and carries no meaning.",
    "A real deployment would send the request to the Gemini API instead.",
    "The token counts beside it are estimates made by the stand-in.",
    "Answers are deterministic: the same request always gets the same text.",
    "Thinking tokens grow with the budget and with how hard the prompt looks.",
    "Nothing in this answer should be read as a fact.",
    "The stand-in exists so that tests, benchmarks and demos can run offline.",
    "Its latency and faults can be tuned from the command line.",
)


def difficulty(text: str) -> float:
    """A crude difficulty score in [0, 1] (length, digits, symbols, task words)."""
    n = len(text)
    if not n:
        return 0.0
    sample = text[:_SCAN_CHARS].lower()
    size = len(sample)
    digits = size - len(sample.translate(_DROP_DIGITS))
    symbols = size - len(sample.translate(_DROP_SYMBOLS))
    words = sum(1 for w in _HARD_WORDS if w in sample)
    length = min(1.0, math.log1p(n) / math.log1p(4000))
    density = min(1.0, 6.0 * (digits + 2 * symbols) / size)
    task = min(1.0, words / 3)
    return round(min(1.0, 0.35 * length + 0.25 * density + 0.4 * task), 4)


def thinking_cap(info: ModelInfo, thinking: Thinking, score: float) -> tuple[int, str]:
    """``(cap, label)`` of the thinking in force; cap 0 means no thinking."""
    spec = info.thinking
    budget, level = thinking.budget, thinking.level
    if budget is None and level is None:
        default = spec.default
        if isinstance(default, int):
            budget = default
        elif isinstance(default, str):
            level = default
        elif spec.control == "budget":
            budget = DYNAMIC if spec.dynamic else spec.budget_min
        else:
            level = "medium" if "medium" in spec.levels else spec.levels[-1]
    if level is not None:
        return LEVEL_BUDGETS.get(level, 0), f"level={level}"
    assert budget is not None
    if budget == DYNAMIC:
        pick = "low" if score < 0.3 else "medium" if score < 0.6 else "high"
        cap = LEVEL_BUDGETS[pick]
        if spec.budget_max is not None:
            cap = min(cap, spec.budget_max)
        return cap, "budget=dynamic"
    if budget <= 0:
        return 0, "off"
    return budget, f"budget={budget}"


def thoughts_tokens(cap: int, score: float) -> int:
    """Thinking tokens spent under ``cap`` on a prompt of difficulty ``score``."""
    if cap <= 0:
        return 0
    spent = int((100 + 1900 * score) * math.sqrt(cap / 1024))
    return max(1, min(cap, spent))


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _excerpt(text: str, limit: int = 60) -> str:
    head = " ".join(text[: limit * 4].split())
    return head if len(head) <= limit else head[: limit - 3] + "..."


@dataclass(slots=True)
class Answer:
    """One stand-in response, before it is written as JSON (whole or as stream chunks)."""

    model: str
    thought: str | None
    text: str | None
    function_call: dict[str, Any] | None
    signature: str | None
    finish_reason: str
    prompt_tokens: int
    media_tokens: int
    candidates_tokens: int
    thoughts_tokens: int

    def usage(self, candidates: int | None = None) -> dict[str, Any]:
        cand = self.candidates_tokens if candidates is None else candidates
        usage: dict[str, Any] = {"promptTokenCount": self.prompt_tokens}
        if cand:  # the API leaves zero counts out
            usage["candidatesTokenCount"] = cand
        usage["totalTokenCount"] = self.prompt_tokens + cand + self.thoughts_tokens
        details = [{"modality": "TEXT", "tokenCount": self.prompt_tokens - self.media_tokens}]
        if self.media_tokens:
            details.append({"modality": "IMAGE", "tokenCount": self.media_tokens})
        usage["promptTokensDetails"] = details
        if self.thoughts_tokens:
            usage["thoughtsTokenCount"] = self.thoughts_tokens
        return usage


def _chosen_function(req: GenerateRequest) -> str | None:
    if not req.functions or req.function_mode == "NONE" or req.last_role != "user":
        return None
    if req.last_function_response is not None:
        return None
    names = [f.name for f in req.functions]
    if req.allowed_functions:
        names = [n for n in names if n in req.allowed_functions] or names
    text = req.prompt.lower()
    for name in names:
        low = name.lower()
        if low in text or low.replace("_", " ") in text:
            return name
    return names[0] if req.function_mode in ("ANY", "VALIDATED") and names else None


def answer(info: ModelInfo, req: GenerateRequest, thinking: Thinking) -> Answer:
    """Build the stand-in answer to a validated request."""
    score = difficulty(req.prompt)
    cap, label = thinking_cap(info, thinking, score)
    limit = req.max_output_tokens or info.max_output_tokens or DEFAULT_MAX_OUTPUT
    thoughts = min(thoughts_tokens(cap, score), limit)
    key = hashlib.blake2b(
        f"{info.id}\x00{label}\x00".encode() + req.all_text.encode("utf-8", "surrogatepass"),
        digest_size=32,
    ).digest()
    signature = base64.b64encode(b"fake-gemini-signature:" + key).decode() if cap else None
    thought = None
    if thinking.include_thoughts and thoughts:
        thought = (
            f"[fake-gemini] Stand-in thought summary ({thoughts} thinking tokens, {label}): "
            "no reasoning took place; this part only shows where thought summaries appear."
        )
    room = limit - thoughts
    call_name = _chosen_function(req)
    if call_name is not None:
        schema = next(f.schema for f in req.functions if f.name == call_name)
        args = instance(schema) if schema else {}
        call = {"name": call_name, "args": args if isinstance(args, dict) else {}}
        spent = _tokens(json.dumps(call))
        fits = spent <= room  # a call that does not fit is not sent at all
        return Answer(
            model=info.id,
            thought=thought,
            text=None if fits else "",
            function_call=call if fits else None,
            signature=signature,
            finish_reason="STOP" if fits else "MAX_TOKENS",
            prompt_tokens=req.prompt_tokens,
            media_tokens=req.media_tokens,
            candidates_tokens=spent if fits else 0,
            thoughts_tokens=thoughts,
        )
    text = _text(info.id, label, req, key, score)
    finish = "STOP"
    if _tokens(text) > room:
        text = text[: room * 4]
        finish = "MAX_TOKENS"
    return Answer(
        model=info.id,
        thought=thought,
        text=text,
        function_call=None,
        signature=signature,
        finish_reason=finish,
        prompt_tokens=req.prompt_tokens,
        media_tokens=req.media_tokens,
        candidates_tokens=_tokens(text),
        thoughts_tokens=thoughts,
    )


def _text(model: str, label: str, req: GenerateRequest, key: bytes, score: float) -> str:
    if req.last_function_response is not None:
        name, result = req.last_function_response
        shown = _excerpt(json.dumps(result, ensure_ascii=False, sort_keys=True), 120)
        base = (
            f"[fake-gemini] Offline stand-in answer from {model} (thinking: {label}) built "
            f"from the result of {name}: {shown}. No model was called."
        )
    else:
        count = 1 + key[0] % 3 + round(score * 3)
        filler = " ".join(_FILLER[(key[1] + i) % len(_FILLER)] for i in range(count))
        base = (
            f"[fake-gemini] Offline stand-in answer from {model} (thinking: {label}); "
            f'no model was called. Prompt: "{_excerpt(req.prompt)}". {filler}'
        )
    mime = (req.response_mime_type or "").lower()
    if mime == "application/json":
        value = instance(req.response_schema) if req.response_schema else {"text": base}
        return json.dumps(value, ensure_ascii=False)
    if mime == "text/x.enum" and req.response_schema:
        return str(instance(req.response_schema))
    return base


# --- JSON shapes -----------------------------------------------------------------------------


def _candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {"role": "model"}
    if parts:
        content["parts"] = parts
    cand: dict[str, Any] = {"content": content}
    if finish:
        cand["finishReason"] = finish
    cand["index"] = 0
    return cand


def _answer_part(ans: Answer, text: str | None = None) -> dict[str, Any] | None:
    if ans.function_call is not None:
        part: dict[str, Any] = {"functionCall": ans.function_call}
    elif text or (text is None and ans.text):
        part = {"text": ans.text if text is None else text}
    else:
        return None
    if ans.signature:
        part["thoughtSignature"] = ans.signature
    return part


def response_body(ans: Answer, response_id: str) -> dict[str, Any]:
    """A whole ``GenerateContentResponse``."""
    parts = []
    if ans.thought:
        parts.append({"text": ans.thought, "thought": True})
    part = _answer_part(ans)
    if part is not None:
        parts.append(part)
    return {
        "candidates": [_candidate(parts, ans.finish_reason)],
        "usageMetadata": ans.usage(),
        "modelVersion": ans.model,
        "responseId": response_id,
    }


def _pieces(text: str) -> list[str]:
    """Split at spaces into 2..6 pieces that join back to ``text``."""
    if len(text) < 24:
        return [text]
    want = min(6, max(2, len(text) // 60))
    size = len(text) / want
    pieces, start = [], 0
    for i in range(1, want):
        cut = text.find(" ", int(size * i))
        if cut == -1 or cut <= start:
            continue
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def stream_bodies(ans: Answer, response_id: str) -> list[dict[str, Any]]:
    """The chunks of ``streamGenerateContent``: thought, answer pieces, finishReason last.

    Every chunk carries ``usageMetadata`` with the counts so far, as the API's do.
    """
    chunks: list[tuple[list[dict[str, Any]], int]] = []
    if ans.thought:
        chunks.append(([{"text": ans.thought, "thought": True}], 0))
    if ans.function_call is not None:
        part = _answer_part(ans)
        chunks.append(([part] if part else [], ans.candidates_tokens))
    elif ans.text:
        done = 0
        for i, piece in enumerate(_pieces(ans.text)):
            done += len(piece)
            part = _answer_part(ans, piece) if i == 0 else {"text": piece}
            chunks.append(([part] if part else [], (done + 3) // 4))
    if not chunks or (ans.thought and len(chunks) == 1):
        chunks.append(([], ans.candidates_tokens))
    last = len(chunks) - 1
    return [
        {
            "candidates": [_candidate(parts, ans.finish_reason if i == last else None)],
            "usageMetadata": ans.usage(seen if i < last else None),
            "modelVersion": ans.model,
            "responseId": response_id,
        }
        for i, (parts, seen) in enumerate(chunks)
    ]
