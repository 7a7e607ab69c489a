"""Realistic framing around a request, composed at random for training.

Apps and people wrap requests in text that says nothing about how hard they are: a system prompt
with a persona and rules, a ticket or e-mail header, a greeting, a label, a chat template's
tokens or a JSON envelope, a format remark, a sign-off. Training gives many prompts a sibling in
such a wrapper (same tier), so the model learns to ignore framing; the more varied the wrappers,
the better it ignores framing it has never seen. The parts, in 14 languages, are data:
``_data/framing_parts.json``, written by the project.
"""

from __future__ import annotations

import json
import random
from functools import cache
from importlib import resources
from typing import Any

#: Categories of per-language parts, in the order they appear in a wrapper.
LANGUAGE_PARTS = ("personas", "rules", "openers", "contexts", "labels", "format_remarks", "closings", "footers")
_PRODUCTS = ("Nova", "Helpdesk+", "StudyBuddy", "Orbit", "Kiwi", "Atlas Pro", "MediLine", "ShopMate")
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay")
_NAMES = ("Alex", "Mei", "Jonas", "Fatima", "Luca", "Sofia", "Kenji", "Aylin", "Pierre", "Olga")


@cache
def framing_parts() -> dict[str, Any]:
    """The parts file: per-language lists (:data:`LANGUAGE_PARTS`), ``headers`` and ``envelopes``."""
    text = resources.files("classifier").joinpath("_data/framing_parts.json").read_text(encoding="utf-8")
    parts: dict[str, Any] = json.loads(text)
    return parts


def all_parts() -> list[str]:
    """Every part string, for checks that test wrappers are not training wrappers."""
    parts = framing_parts()
    out = [s for key in LANGUAGE_PARTS for strings in parts[key].values() for s in strings]
    return out + list(parts["headers"]) + list(parts["envelopes"])


def fill_placeholders(template: str, rng: random.Random) -> str:
    values = {
        "{product}": rng.choice(_PRODUCTS),
        "{company}": rng.choice(_COMPANIES),
        "{name}": rng.choice(_NAMES),
        "{email}": f"{rng.choice(_NAMES).lower()}@example.com",
        "{id}": str(rng.randrange(100, 10_000_000)),
        "{date}": rng.choice(("2024-03-{:02d}", "{:02d}/04/2025", "{:d} May 2023")).format(rng.randrange(1, 29)),
        "{time}": f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
    }
    for key, value in values.items():
        if key in template:
            template = template.replace(key, value)
    return template


def compose_wrapper(rng: random.Random) -> str:
    """A wrapper containing ``{text}`` once: an envelope (sometimes with a header before it), or
    a header, persona and rules, opener, back-story (before or after the request), label, format
    remark, closing and footer, each present by chance (at least one), mostly in one language."""
    parts = framing_parts()
    langs = list(parts["personas"])
    lang = rng.choice(("en", "en", "en", "fr", "fr", "de", "es", *langs))

    def pick(category: str) -> str:
        other = rng.choice(langs) if rng.random() < 0.15 else lang
        return str(rng.choice(parts[category][other]))

    seps = (" ", "\n", "\n\n")
    if rng.random() < 0.25:
        body = str(rng.choice(parts["envelopes"]))
        if rng.random() < 0.3:
            body = pick("openers") + rng.choice(seps) + body
        return fill_placeholders(body, rng)
    before: list[str] = []
    after: list[str] = []
    while not (before or after):
        if rng.random() < 0.2:
            before.append(str(rng.choice(parts["headers"])))
        if rng.random() < 0.3:
            before.append(" ".join([pick("personas")] + [pick("rules") for _ in range(rng.randrange(3))]))
        if rng.random() < 0.4:
            before.append(pick("openers"))
        if rng.random() < 0.25:
            (before if rng.random() < 0.75 else after).append(pick("contexts"))
        if rng.random() < 0.2:
            after.append(pick("format_remarks"))
        if rng.random() < 0.35:
            after.append(pick("closings"))
        if rng.random() < 0.15:
            after.append(pick("footers"))
    label = pick("labels") + rng.choice((" ", "\n")) if rng.random() < 0.3 else ""
    pieces = [*before, label + "{text}", *after]
    out = pieces[0]
    for piece in pieces[1:]:
        out += rng.choice(seps) + piece
    return fill_placeholders(out, rng)
