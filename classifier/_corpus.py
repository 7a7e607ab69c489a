"""Build the labelled corpus under ``data/corpus/`` from the source files under ``data/sources/``.

Rules (also written up in ``data/README.md``):

* Text is normalised (:func:`classifier._text.normalise_text`); empty prompts are dropped.
* Ambiguous tier proposals are decided here, see :data:`AMBIGUOUS_TIERS` and :func:`resolve_tier`.
* Duplicates (same :func:`~classifier._text.dedup_key`) are merged into one item; when their tiers
  conflict the highest tier wins, because under-routing costs quality and over-routing only money.
* Items whose outcomes the project evaluates routing on (all of MMLU, the GSM8K test split) go to
  ``outcome_holdout`` and never into train/validation/test.
* Every item has a *group*; its templated siblings share it, and the split is drawn per group from a
  seeded hash, so siblings never straddle train and test.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from classifier._augment import Generated, compose, wrap_light, wrap_same_tier
from classifier._text import dedup_key, normalise_text

TIERS: tuple[str, ...] = ("light", "intermediate", "advanced")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 20261122

#: Decisions on the sources' ambiguous proposals, with the reason (copied into the manifest).
AMBIGUOUS_TIERS: dict[str, tuple[str, str]] = {
    "light_generation": (
        "light",
        "Dolly brainstorming, creative writing and general QA are open-ended but need no multi-step "
        "analysis or planning: thinking tokens buy little there.",
    ),
    "light_or_intermediate": (
        "light",
        "SVAMP's own metadata gives each problem a single operation type (Addition, Subtraction, "
        "Multiplication, Common-Division): one arithmetic step is not multi-step reasoning.",
    ),
    "advanced_or_intermediate": (
        "intermediate",
        "MBPP's authors describe its problems as 'mostly basic', solvable by entry-level programmers; "
        "DESIGN.md reserves advanced for non-trivial code.",
    ),
}
MATH_LEVEL3_REASON = (
    "MATH level 3 stays advanced: it is the boundary, and at a boundary under-routing (quality lost) "
    "costs more than over-routing (money spent)."
)


@dataclass
class Item:
    id: str
    text: str
    tier: str
    source: str
    group: str
    origin: str  # "source", "project" or "augmented"
    category: str = ""
    lang: str = "en"
    licence: str = ""
    split: str = ""
    ids: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("ids")
        return out


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    # mtime=0 keeps the compressed bytes reproducible.
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    return count


def resolve_tier(row: dict[str, Any]) -> str:
    """The tier the project assigns to a source row (proposal plus the decisions above)."""
    tier = row["tier"]
    if tier in AMBIGUOUS_TIERS:
        return AMBIGUOUS_TIERS[tier][0]
    if tier not in TIERS:
        raise ValueError(f"unknown tier proposal {tier!r} in {row.get('id')}")
    return str(tier)


def is_outcome_item(row: dict[str, Any]) -> bool:
    """Items whose per-item outcomes are replayed: they must stay out of training."""
    source = row["source"]
    return source == "mmlu" or (source == "gsm8k" and row.get("meta", {}).get("split") == "test")


def split_of(group: str, seed: int) -> str:
    digest = hashlib.sha1(f"{seed}:{group}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, fraction in zip(SPLITS, SPLIT_FRACTIONS, strict=True):
        cumulative += fraction
        if u < cumulative:
            return name
    return SPLITS[-1]


def _higher(a: str, b: str) -> str:
    return a if TIERS.index(a) >= TIERS.index(b) else b


def load_source_items(sources_dir: Path) -> tuple[list[Item], list[Item], dict[str, int]]:
    """De-duplicated source items, split into (trainable, outcome-holdout), plus statistics."""
    merged: dict[str, Item] = {}
    holdout_keys: set[str] = set()
    stats: Counter[str] = Counter(duplicates_merged=0, conflicting_duplicates=0, empty_dropped=0)
    for path in sorted(sources_dir.glob("*.jsonl.gz")):
        for row in read_jsonl(path):
            stats["rows"] += 1
            text = normalise_text(str(row.get("text") or ""))
            if not text:
                stats["empty_dropped"] += 1
                continue
            tier = resolve_tier(row)
            key = dedup_key(text)
            if is_outcome_item(row):
                holdout_keys.add(key)
            item = merged.get(key)
            if item is None:
                merged[key] = Item(
                    id=row["id"],
                    text=text,
                    tier=tier,
                    source=row["source"],
                    group=key,
                    origin="source",
                    category=_category(row),
                    licence=row.get("licence", ""),
                    ids=[row["id"]],
                )
                continue
            stats["duplicates_merged"] += 1
            if item.tier != tier:
                stats["conflicting_duplicates"] += 1
                item.tier = _higher(item.tier, tier)
            item.ids.append(row["id"])
    trainable = [it for key, it in merged.items() if key not in holdout_keys]
    holdout = [it for key, it in merged.items() if key in holdout_keys]
    stats["items"] = len(merged)
    stats["outcome_holdout_items"] = len(holdout)
    return trainable, holdout, dict(stats)


def _category(row: dict[str, Any]) -> str:
    meta = row.get("meta") or {}
    for key in ("category", "task", "subject", "type", "set", "cluster", "subfield", "data_topic"):
        if key in meta:
            value = meta[key]
            return f"level{meta['level']}" if key == "type" and "level" in meta else str(value)
    return ""


def load_project_items(path: Path) -> list[Item]:
    items = []
    for row in read_jsonl(path):
        text = normalise_text(row["text"])
        items.append(
            Item(
                id=row["id"],
                text=text,
                tier=row["tier"],
                source="project",
                group=dedup_key(text),
                origin="project",
                category=row.get("category", ""),
                lang=row.get("lang", "en"),
                licence="Apache-2.0 (written by the budget-router project)",
            )
        )
    return items


def _wrappable_text(item: Item, max_chars: int = 1200) -> str:
    """The part of a source prompt worth wrapping: a Dolly context, or the prompt itself."""
    text = item.text
    if item.source == "dolly" and "\n\n" in text:
        text = text.split("\n\n", 1)[1]
    return text[:max_chars].rsplit(" ", 1)[0] if len(text) > max_chars else text


#: How many light wrappers to build per source (sources with real paragraphs get most).
LIGHT_WRAPS_PER_SOURCE = {
    "dolly": 2600,
    "nq_open": 400,
    "arc": 400,
    "gsm8k": 1200,
    "math": 1000,
    "olympiadbench": 300,
    "college_math": 400,
    "bbh": 500,
    "svamp": 150,
    "mbpp": 300,
    "arena_hard_v0.1": 200,
    "humaneval": 60,
}
SAME_TIER_FRAMES = 1500
COMPOSED = {"intermediate": 1800, "advanced": 2600}


def augment(items: list[Item], rng: random.Random) -> list[Item]:
    """Wrapper siblings of ``items`` and composed requests (see :mod:`classifier._augment`)."""
    by_source: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.source == "dolly" and "\n\n" not in item.text and rng.random() < 0.7:
            continue  # prefer Dolly prompts that carry a real paragraph
        by_source[item.source].append(item)
    generated: list[tuple[Generated, str]] = []
    for source, count in LIGHT_WRAPS_PER_SOURCE.items():
        pool = by_source.get(source, [])
        for base in rng.sample(pool, min(count, len(pool))):
            generated.append((wrap_light(_wrappable_text(base), base.group, rng), source))
    for base in rng.sample(items, min(SAME_TIER_FRAMES, len(items))):
        generated.append((wrap_same_tier(base.text, base.tier, base.group, rng), base.source))
    for tier, count in COMPOSED.items():
        generated.extend((g, "composed") for g in compose(tier, count, rng))
    out = []
    for n, (gen, base_source) in enumerate(generated):
        key = dedup_key(gen.text)
        out.append(
            Item(
                id=f"augmented:{n:05d}",
                text=normalise_text(gen.text),
                tier=gen.tier,
                source=f"augmented/{base_source}",
                group=gen.group or key,
                origin="augmented",
                category=gen.category,
                lang=gen.lang,
                licence="Apache-2.0 template; wrapped text keeps its source's licence",
            )
        )
    return out


def project_files(raw_dir: Path, kind: str = "written") -> list[Path]:
    """The project's own prompt files: ``project_written*.jsonl`` (training) or
    ``project_holdout*.jsonl`` (evaluation only)."""
    return sorted(raw_dir.glob(f"project_{kind}*.jsonl"))


def build_corpus(
    sources_dir: Path,
    project_paths: Iterable[Path],
    out_dir: Path,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Build ``out_dir/{train,validation,test,outcome_holdout}.jsonl.gz`` and ``manifest.json``."""
    rng = random.Random(seed)
    trainable, holdout, stats = load_source_items(sources_dir)
    project = [item for path in project_paths for item in load_project_items(path)]
    augmented = augment(trainable, rng)

    seen: set[str] = {dedup_key(it.text) for it in holdout}
    final: list[Item] = []
    for item in [*trainable, *project, *augmented]:
        key = dedup_key(item.text)
        if key in seen:
            stats["augmented_or_project_dropped_as_duplicate"] = (
                stats.get("augmented_or_project_dropped_as_duplicate", 0) + 1
            )
            continue
        seen.add(key)
        item.split = split_of(item.group, seed)
        final.append(item)
    for item in holdout:
        item.split = "outcome_holdout"

    counts: dict[str, dict[str, dict[str, int]]] = {}
    for split in (*SPLITS, "outcome_holdout"):
        rows = [it for it in (holdout if split == "outcome_holdout" else final) if it.split == split]
        rows.sort(key=lambda it: it.id)
        write_jsonl(out_dir / f"{split}.jsonl.gz", (it.row() for it in rows))
        table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TIERS, 0))
        for it in rows:
            table[it.source][it.tier] += 1
        counts[split] = dict(sorted(table.items()))
    manifest = {
        "seed": seed,
        "split_fractions": dict(zip(SPLITS, SPLIT_FRACTIONS, strict=True)),
        "statistics": stats,
        "decisions": {
            **{k: {"tier": v[0], "reason": v[1]} for k, v in AMBIGUOUS_TIERS.items()},
            "math_level_3": {"tier": "advanced", "reason": MATH_LEVEL3_REASON},
            "conflicting_duplicates": "merged into one item with the highest tier",
            "outcome_holdout": "all MMLU items and the GSM8K test split: never trained on",
        },
        "counts": counts,
        "totals": {split: {t: sum(src[t] for src in counts[split].values()) for t in TIERS} for split in counts},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
