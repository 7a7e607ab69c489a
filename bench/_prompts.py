"""What the classifier benchmarks share: the test split's prompts, prompts repeated to a length,
and printing the figures.

Imported as ``_prompts`` from the script's own directory (see ``_harness``).
"""

from __future__ import annotations

import json
from typing import Any

from classifier._corpus import read_jsonl
from router.paths import data_dir


def test_split_texts() -> list[str]:
    return [r["text"] for r in read_jsonl(data_dir() / "corpus" / "test.jsonl.gz")]


def repeated_to(texts: list[str], chars: int) -> list[str]:
    """Each text repeated and cut to exactly ``chars`` characters."""
    return [(t * (chars // len(t) + 1))[:chars] for t in texts]


def print_figures(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    width = max(map(len, figures)) + 1
    for name, value in figures.items():
        print(f"{name:{width}s} {value}")
