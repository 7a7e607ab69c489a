"""Per-item outcome files: a cheap and an expensive setting's correctness on the same prompts.

Formats (``data/sources/outcomes/``):

* BIG-Bench-Hard (``bbh_*direct_vs_cot*``): two rows per item, ``mode`` ``direct`` (cheap: answer
  at once) and ``cot`` (expensive: chain-of-thought), ``correct``, ``output_chars``,
  ``prompt_id`` ``bbh:TASK:I``; the prompt text comes from ``prompts/bbh.jsonl.gz`` (ids
  ``bbh:TASK-I``).
* RouteLLM (``routellm_*_mixtral_vs_gpt4``): one row per item, ``prompt``,
  ``correct_mixtral_8x7b`` (cheap) and ``correct_gpt4_1106`` (expensive), ``subject`` on MMLU.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class OutcomeFormatError(ValueError):
    """An outcome file this module cannot read."""


@dataclass
class OutcomeSet:
    """Items with the cheap and the expensive setting's correctness (1.0 or 0.0)."""

    name: str
    ids: list[str]
    texts: list[str]
    cheap: np.ndarray
    expensive: np.ndarray
    cheap_setting: str
    expensive_setting: str
    groups: list[str] = field(default_factory=list)
    cheap_chars: np.ndarray | None = None
    expensive_chars: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_outcomes(path: str | Path, prompts_dir: str | Path | None = None) -> OutcomeSet:
    """Read an outcome file (format detected from its rows)."""
    path = Path(path)
    first = next(_rows(path), None)
    if first is None:
        raise OutcomeFormatError(f"{path} is empty")
    if "mode" in first and "prompt_id" in first:
        return _load_bbh(path, Path(prompts_dir) if prompts_dir else path.parent.parent / "prompts")
    if "correct_mixtral_8x7b" in first and "correct_gpt4_1106" in first:
        return _load_routellm(path)
    raise OutcomeFormatError(f"{path}: unknown outcome format (fields {sorted(first)})")


def _load_bbh(path: Path, prompts_dir: Path) -> OutcomeSet:
    prompts_file = prompts_dir / "bbh.jsonl.gz"
    if not prompts_file.is_file():
        raise OutcomeFormatError(f"BBH outcomes need the prompt texts: {prompts_file} not found")
    texts: dict[str, str] = {}
    for row in _rows(prompts_file):
        task, _, index = row["id"].removeprefix("bbh:").rpartition("-")
        texts[f"bbh:{task}:{index}"] = row["text"]
    items: dict[str, dict[str, Any]] = {}
    for row in _rows(path):
        item = items.setdefault(row["prompt_id"], {"task": row["task"]})
        item[row["mode"]] = (bool(row["correct"]), int(row.get("output_chars") or 0))
    ids = [i for i in sorted(items) if "direct" in items[i] and "cot" in items[i] and i in texts]
    if not ids:
        raise OutcomeFormatError(f"{path}: no item has both modes and a prompt text")
    return OutcomeSet(
        name="bbh",
        ids=ids,
        texts=[texts[i] for i in ids],
        cheap=np.asarray([items[i]["direct"][0] for i in ids], dtype=float),
        expensive=np.asarray([items[i]["cot"][0] for i in ids], dtype=float),
        cheap_setting="code-davinci-002 direct answer",
        expensive_setting="code-davinci-002 chain-of-thought",
        groups=[items[i]["task"] for i in ids],
        cheap_chars=np.asarray([items[i]["direct"][1] for i in ids], dtype=float),
        expensive_chars=np.asarray([items[i]["cot"][1] for i in ids], dtype=float),
    )


def _load_routellm(path: Path) -> OutcomeSet:
    rows = list(_rows(path))
    name = path.name.split(".")[0]
    short = "gsm8k" if "gsm8k" in name else "mmlu" if "mmlu" in name else name
    return OutcomeSet(
        name=short,
        ids=[f"{short}:{i}" for i in range(len(rows))],
        texts=[r["prompt"] for r in rows],
        cheap=np.asarray([bool(r["correct_mixtral_8x7b"]) for r in rows], dtype=float),
        expensive=np.asarray([bool(r["correct_gpt4_1106"]) for r in rows], dtype=float),
        cheap_setting="mixtral-8x7b",
        expensive_setting="gpt-4-1106",
        groups=[str(r.get("subject", "")) for r in rows],
    )
