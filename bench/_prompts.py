"""What the classifier benchmarks share: the test split's prompts, prompts repeated to a length,
median and p99 of timings, and printing the figures.

Imported as ``_prompts`` from the script's own directory (see ``_harness``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier._corpus import read_jsonl
from router.paths import data_dir


def test_split_texts() -> list[str]:
    return [r["text"] for r in read_jsonl(data_dir() / "corpus" / "test.jsonl.gz")]


def repeated_to(texts: list[str], chars: int) -> list[str]:
    """Each text repeated and cut to exactly ``chars`` characters."""
    return [(t * (chars // len(t) + 1))[:chars] for t in texts]


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and p99 of timings given in seconds, in milliseconds."""
    ms = np.asarray(seconds) * 1e3
    return {"median_ms": round(float(np.median(ms)), 4), "p99_ms": round(float(np.percentile(ms, 99)), 4)}


def print_figures(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    width = max(map(len, figures)) + 1
    for name, value in figures.items():
        print(f"{name:{width}s} {value}")
