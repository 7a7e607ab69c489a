"""Fault injection for the offline Gemini stand-in: a small spec language and a schedule.

Faults are written as a spec (``FAULT_SYNTAX`` below is the user-facing description, shown by
``budget-router fake-gemini --help``). The same language is read from the ``--fault`` flag, from
the ``x-fake-fault`` request header and from ``POST /_fake/faults``.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FAULT_SYNTAX = """\
fault syntax (--fault, the x-fake-fault header, POST /_fake/faults):
  SPEC   := ITEM[,ITEM...]
  ITEM   := ACTION[xCOUNT | ~PCT%][@MODEL]
  ACTION := 400 | 403 | 404 | 429 | 500 | 503 | 504
                   answer with that status and Gemini's error JSON
                   (429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, ...)
          | delay:MS   wait MS milliseconds before answering (adds up with --latency-ms)
          | cut        drop the connection mid-answer: a stream sends about half of its
                       chunks, a plain answer half of its body, then the socket closes
          | cut:CODE   a stream sends about half of its chunks, then an in-stream error
                       event (data: {"error": ...}) with that status, and ends
                       (a plain generateContent answer is cut as with 'cut')
  COUNT  := only the first COUNT matching requests get the fault; later ones pass
            (no COUNT and no PCT: every matching request)
  PCT    := about PCT percent of the matching requests get the fault, at random
            (a number in (0, 100], decimals allowed: 503~2%, cut~0.5%). The draws come from
            one random generator seeded at start-up (fake-gemini --seed), so a run replays
            the same sequence of draws. Errors and cuts with a PCT share one draw per
            request, each taking its own slice of it in order, so they never hit the same
            request and their rates add up: 429~2%,503~3% fails 5% of requests (2% with 429,
            3% with 503); slices past 100% never fire. A delay with a PCT draws on its own.
  MODEL  := only requests for this model id (for --fault and /_fake/faults)
Faults hit generateContent and streamGenerateContent only. Several items apply together:
delays add up and the first error or cut wins; each item counts its own uses, and an error
item that lost to an earlier one is not counted (so 503x1,429x1 gives 503, then 429, then OK).
Examples: --fault 503x2@gemini-2.5-flash   --fault delay:250   -H 'x-fake-fault: 429x2'
          --fault 429~1%,500~1%,503~1%,cut~2% (5% of generation requests fail, mixed)
With the header, counting is per x-fake-fault-key header value (default: the spec itself),
so 'x-fake-fault: 429x2' fails the first two requests that carry it, then lets them pass.
POST /_fake/faults takes {"fault": "503", "model": "gemini-2.5-flash", "times": 2 | "always",
"methods": ["generateContent", ...]} (or a list of them); DELETE /_fake/faults clears them;
POST /_fake/reset restores the start-up faults, forgets recorded requests and re-seeds the
random draws."""

#: Status codes a fault may answer with, and the Gemini status string of each.
ERROR_STATUSES: Mapping[int, str] = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
ERROR_MESSAGES: Mapping[int, str] = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission.",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "The request timed out. Please try again.",
}
#: Methods faults apply to unless a rule says otherwise.
GENERATION_METHODS: tuple[str, ...] = ("generateContent", "streamGenerateContent")
_KNOWN_METHODS = frozenset((*GENERATION_METHODS, "countTokens"))


class FaultSpecError(ValueError):
    """A fault spec that does not follow :data:`FAULT_SYNTAX`."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One parsed item: ``kind`` is ``"error"``, ``"delay"`` or ``"cut"``.

    ``value`` is the status code (error, and cut with an in-stream error, else 0) or the delay in
    milliseconds; ``times`` is ``None`` for "every request"; ``rate``, when set, is the percentage
    of matching requests hit at random (``times`` is then ``None``); ``model`` restricts the item
    to one model.
    """

    kind: str
    value: int = 0
    times: int | None = None
    model: str | None = None
    methods: tuple[str, ...] = GENERATION_METHODS
    rate: float | None = None

    def describe(self) -> dict[str, Any]:
        action = {"error": str(self.value), "delay": f"delay:{self.value}"}.get(self.kind)
        if self.kind == "cut":
            action = f"cut:{self.value}" if self.value else "cut"
        out: dict[str, Any] = {
            "fault": action,
            "model": self.model,
            "times": "always" if self.times is None else self.times,
            "methods": list(self.methods),
        }
        if self.rate is not None:
            out["rate"] = f"{self.rate:g}%"
        return out


def _parse_action(text: str) -> tuple[str, int]:
    name, _, arg = text.partition(":")
    name = name.strip().lower()
    if name == "delay":
        if not arg.strip().isdigit():
            raise FaultSpecError(f"delay needs milliseconds, e.g. delay:250 (got {text!r})")
        return "delay", int(arg)
    if name == "cut":
        if not arg:
            return "cut", 0
        if not arg.strip().isdigit() or int(arg) not in ERROR_STATUSES:
            raise FaultSpecError(f"cut:CODE needs one of {sorted(ERROR_STATUSES)} (got {text!r})")
        return "cut", int(arg)
    if name.isdigit() and not arg:
        code = int(name)
        if code not in ERROR_STATUSES:
            raise FaultSpecError(f"unsupported status {code}; use one of {sorted(ERROR_STATUSES)}")
        return "error", code
    raise FaultSpecError(f"unknown fault {text!r}; expected a status, delay:MS, cut or cut:CODE")


def _parse_rate(item: str, text: str) -> float:
    """``PCT%`` (the part after ``~``) as a percentage in (0, 100]."""
    number = text.strip()
    if not number.endswith("%"):
        raise FaultSpecError(f"{item!r}: a rate is a percentage ending in '%', e.g. 503~5%")
    try:
        rate = float(number[:-1])
    except ValueError:
        raise FaultSpecError(f"{item!r}: {number!r} is not a percentage, e.g. 503~5% or cut~0.5%") from None
    if not math.isfinite(rate) or not 0 < rate <= 100:
        raise FaultSpecError(f"{item!r}: a rate must be more than 0% and at most 100%")
    return rate


def parse_fault(item: str) -> Fault:
    """Parse one ``ACTION[xCOUNT | ~PCT%][@MODEL]`` item."""
    text = item.strip()
    if not text:
        raise FaultSpecError("empty fault item")
    text, at, model = text.partition("@")
    model_id = model.strip().removeprefix("models/") if at else None
    if at and not model_id:
        raise FaultSpecError(f"{item!r}: '@' must be followed by a model id")
    times: int | None = None
    rate: float | None = None
    text, tilde, pct = text.partition("~")
    if tilde:
        rate = _parse_rate(item, pct)
    head, sep, count = text.rpartition("x")
    if sep and count.strip().isdigit() and head:
        if tilde:
            raise FaultSpecError(f"{item!r}: give a COUNT (xN) or a rate (~PCT%), not both")
        times = int(count)
        text = head
        if times < 1:
            raise FaultSpecError(f"{item!r}: COUNT must be at least 1")
    kind, value = _parse_action(text)
    return Fault(kind=kind, value=value, times=times, model=model_id, rate=rate)


def parse_faults(spec: str) -> tuple[Fault, ...]:
    """Parse a comma-separated ``SPEC`` into its items."""
    if not spec or not spec.strip():
        raise FaultSpecError("empty fault spec")
    return tuple(parse_fault(item) for item in spec.split(","))


def fault_from_json(raw: Any) -> tuple[Fault, ...]:
    """Read one rule of ``POST /_fake/faults``: a spec string or an object (see the syntax)."""
    if isinstance(raw, str):
        return parse_faults(raw)
    if not isinstance(raw, dict):
        raise FaultSpecError("a fault rule is a spec string or an object with a 'fault' field")
    unknown = set(raw) - {"fault", "model", "times", "methods"}
    if unknown:
        raise FaultSpecError(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
    spec = raw.get("fault")
    if not isinstance(spec, str | int) or isinstance(spec, bool):
        raise FaultSpecError('\'fault\' must be a spec such as "503", "delay:250" or "cut"')
    items = parse_faults(str(spec))
    updates: dict[str, Any] = {}
    if raw.get("model") is not None:
        if not isinstance(raw["model"], str) or not raw["model"].strip():
            raise FaultSpecError("'model' must be a model id")
        updates["model"] = raw["model"].strip().removeprefix("models/")
    if "times" in raw:
        times = raw["times"]
        if times in (None, "always"):
            updates["times"] = None
        elif isinstance(times, int) and not isinstance(times, bool) and times >= 1:
            if any(f.rate is not None for f in items):
                raise FaultSpecError("a fault with a rate (~PCT%) takes no 'times'")
            updates["times"] = times
        else:
            raise FaultSpecError("'times' must be a positive integer or \"always\"")
    if raw.get("methods") is not None:
        methods = raw["methods"]
        if not isinstance(methods, list) or not methods or any(m not in _KNOWN_METHODS for m in methods):
            known = ", ".join(sorted(_KNOWN_METHODS))
            raise FaultSpecError(f"'methods' must be a non-empty list from: {known}")
        updates["methods"] = tuple(methods)
    if not updates:
        return items
    return tuple(
        Fault(
            kind=f.kind,
            value=f.value,
            times=updates.get("times", f.times),
            model=updates.get("model", f.model),
            methods=updates.get("methods", f.methods),
            rate=f.rate,
        )
        for f in items
    )


def faults_from_body(body: bytes) -> list[Fault]:
    """Read ``POST /_fake/faults``: a rule, a list of rules or ``{"faults": [...]}``."""
    try:
        raw = json.loads(body) if body.strip() else None
    except ValueError:
        raise FaultSpecError("the body must be JSON: a rule or a list of rules") from None
    if isinstance(raw, dict) and "faults" in raw:
        raw = raw["faults"]
    rules = raw if isinstance(raw, list) else [raw]
    if raw is None or not rules:
        raise FaultSpecError("no fault rule given")
    return [fault for rule in rules for fault in fault_from_json(rule)]


@dataclass(slots=True)
class Outcome:
    """What the faults decided for one request: a delay, then maybe an error or a cut."""

    delay_ms: int = 0
    kind: str | None = None  # "error" | "cut" | None
    code: int = 0


@dataclass(slots=True)
class _Rule:
    fault: Fault
    used: int = 0


@dataclass
class FaultBook:
    """The schedule (start-up and admin rules) plus per-key counters for header faults.

    Items with a rate draw from one generator seeded with ``seed`` (re-seeded by :meth:`reset`).
    Safe to use from the server's event loop and from a test thread at once.
    """

    startup: tuple[Fault, ...] = ()
    seed: int = 0
    _rules: list[_Rule] = field(default_factory=list)
    _header_uses: dict[tuple[str, int], int] = field(default_factory=dict)
    _header_specs: dict[str, tuple[Fault, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rules = [_Rule(f) for f in self.startup]
        self._random = random.Random(self.seed)

    def reset(self) -> None:
        with self._lock:
            self._rules = [_Rule(f) for f in self.startup]
            self._header_uses.clear()
            self._random.seed(self.seed)

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def add(self, faults: Iterable[Fault]) -> None:
        with self._lock:
            self._rules.extend(_Rule(f) for f in faults)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            out = []
            for rule in self._rules:
                entry = rule.fault.describe()
                entry["used"] = rule.used
                if rule.fault.times is not None:
                    entry["remaining"] = max(rule.fault.times - rule.used, 0)
                out.append(entry)
            return out

    def header_faults(self, spec: str) -> tuple[Fault, ...]:
        """Parse (and cache) a header spec; raises :class:`FaultSpecError`."""
        cached = self._header_specs.get(spec)
        if cached is None:
            cached = parse_faults(spec)
            if len(self._header_specs) > 1024:
                self._header_specs.clear()
            self._header_specs[spec] = cached
        return cached

    def draw(self, model: str, method: str, header: tuple[Fault, ...] = (), header_key: str = "") -> Outcome | None:
        """Consume the faults that apply to one request; ``None`` when none does."""
        if not self._rules and not header:
            return None
        outcome = Outcome()
        hit = False
        with self._lock:
            share = _Share(self._random)
            for i, fault in enumerate(header):
                if not share.hits(fault) or not _matches(fault, model, method, outcome):
                    continue
                if fault.times is not None:
                    key = (header_key, i)
                    used = self._header_uses.get(key, 0)
                    if used >= fault.times:
                        continue
                    if len(self._header_uses) > 100_000:
                        self._header_uses.clear()
                    self._header_uses[key] = used + 1
                hit = _apply(fault, outcome) or hit
            for rule in self._rules:
                fault = rule.fault
                if not share.hits(fault) or not _matches(fault, model, method, outcome):
                    continue
                if fault.times is not None and rule.used >= fault.times:
                    continue
                rule.used += 1
                hit = _apply(fault, outcome) or hit
        return outcome if hit else None


class _Share:
    """One request's draw for the items with a rate: errors and cuts take consecutive slices of
    one number in [0, 100), drawn when the first of them is met; a delay draws on its own."""

    __slots__ = ("_draw", "_random", "_start")

    def __init__(self, rng: random.Random) -> None:
        self._random = rng
        self._draw: float | None = None
        self._start = 0.0

    def hits(self, fault: Fault) -> bool:
        """Whether ``fault``'s rate lets it apply (always, for an item without one). Every item
        with a rate takes its slice whether or not it matches the request, so each item's rate
        holds among the requests it matches."""
        if fault.rate is None:
            return True
        if fault.kind == "delay":
            return self._random.random() * 100 < fault.rate
        if self._draw is None:
            self._draw = self._random.random() * 100
        start, self._start = self._start, self._start + fault.rate
        return start <= self._draw < self._start


def _matches(fault: Fault, model: str, method: str, outcome: Outcome) -> bool:
    if fault.kind != "delay" and outcome.kind is not None:
        return False  # an error or cut already won: leave this one for a later request
    return method in fault.methods and (fault.model is None or fault.model == model)


def _apply(fault: Fault, outcome: Outcome) -> bool:
    if fault.kind == "delay":
        outcome.delay_ms += fault.value
        return True
    outcome.kind = fault.kind
    outcome.code = fault.value
    return True
