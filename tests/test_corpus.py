"""The labelled corpus under data/: reproducible, de-duplicated, split by group, leak-free."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest

from classifier._corpus import (
    TIERS,
    build_corpus,
    load_source_items,
    project_files,
    read_jsonl,
    resolve_tier,
    write_jsonl,
)
from classifier._text import dedup_key
from router.paths import data_dir

DATA = data_dir()
SPLITS = ("train", "validation", "test", "outcome_holdout")


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict]]:
    return {s: list(read_jsonl(DATA / "corpus" / f"{s}.jsonl.gz")) for s in SPLITS}


def test_rows_are_well_formed(corpus: dict[str, list[dict]]) -> None:
    for split, rows in corpus.items():
        assert rows, split
        for row in rows:
            assert row["tier"] in TIERS
            assert row["split"] == split
            assert isinstance(row["text"], str) and row["text"].strip()


def test_no_prompt_or_group_straddles_splits(corpus: dict[str, list[dict]]) -> None:
    seen_key: dict[str, str] = {}
    seen_group: dict[str, str] = {}
    for split, rows in corpus.items():
        for row in rows:
            key = dedup_key(row["text"])
            assert seen_key.setdefault(key, split) == split, f"duplicate prompt across splits: {row['id']}"
            if split != "outcome_holdout":
                assert seen_group.setdefault(row["group"], split) == split, f"group straddles splits: {row['id']}"


def test_templated_siblings_share_their_source_group(corpus: dict[str, list[dict]]) -> None:
    groups_by_split: dict[str, set[str]] = defaultdict(set)
    for split in ("train", "validation", "test"):
        for row in corpus[split]:
            if row["origin"] == "source":
                groups_by_split[split].add(row["group"])
    wrapped = [r for s in ("train", "validation", "test") for r in corpus[s] if r["source"].startswith("augmented/")]
    wrapped = [r for r in wrapped if r["source"] != "augmented/composed"]
    assert len(wrapped) > 1000
    in_own_split = sum(r["group"] in groups_by_split[r["split"]] for r in wrapped)
    assert in_own_split == len(wrapped)


def test_outcome_items_never_reach_training(corpus: dict[str, list[dict]]) -> None:
    """GSM8K test and MMLU prompts, whose outcomes are replayed, stay out of train/validation/test."""
    trainable = {dedup_key(r["text"]) for s in ("train", "validation", "test") for r in corpus[s]}
    outcomes = DATA / "sources" / "outcomes"
    for name in ("routellm_gsm8k_mixtral_vs_gpt4", "routellm_mmlu_mixtral_vs_gpt4"):
        prompts = [r["prompt"] for r in read_jsonl(outcomes / f"{name}.jsonl.gz")]
        leaked = [p for p in prompts if dedup_key(p) in trainable]
        assert not leaked, f"{len(leaked)} {name} prompts in the training corpus, e.g. {leaked[0][:80]!r}"
    assert {r["source"] for r in corpus["outcome_holdout"]} == {"mmlu", "gsm8k"}


def test_manifest_matches_files(corpus: dict[str, list[dict]]) -> None:
    manifest = json.loads((DATA / "corpus" / "manifest.json").read_text())
    for split, rows in corpus.items():
        for tier in TIERS:
            assert manifest["totals"][split][tier] == sum(r["tier"] == tier for r in rows)


def test_build_is_reproducible(tmp_path: Path) -> None:
    """Rebuilding from data/sources and data/raw gives the committed files byte for byte."""
    build_corpus(DATA / "sources" / "prompts", project_files(DATA / "raw"), tmp_path)
    for split in SPLITS:
        ours = hashlib.sha256((tmp_path / f"{split}.jsonl.gz").read_bytes()).hexdigest()
        committed = hashlib.sha256((DATA / "corpus" / f"{split}.jsonl.gz").read_bytes()).hexdigest()
        assert ours == committed, f"{split} differs from a fresh build: run `budget-router build-data`"


def _source_row(id_: str, text: str, tier: str, source: str = "toy") -> dict:
    return {"id": id_, "source": source, "text": text, "tier": tier, "meta": {}, "licence": "MIT"}


def test_conflicting_duplicates_take_the_highest_tier(tmp_path: Path) -> None:
    rows = [
        _source_row("a", "What is 2 + 2?", "light"),
        _source_row("b", "what is 2 + 2?  ", "advanced"),
        _source_row("c", "Name a colour.", "light"),
        _source_row("d", "", "light"),
    ]
    write_jsonl(tmp_path / "toy.jsonl.gz", rows)
    items, holdout, stats = load_source_items(tmp_path)
    assert not holdout
    by_text = {i.text.lower(): i for i in items}
    assert by_text["what is 2 + 2?"].tier == "advanced"
    assert sorted(by_text["what is 2 + 2?"].ids) == ["a", "b"]
    assert stats["conflicting_duplicates"] == 1
    assert stats["empty_dropped"] == 1


@pytest.mark.parametrize(
    ("proposal", "tier"),
    [("light_generation", "light"), ("light_or_intermediate", "light"), ("advanced_or_intermediate", "intermediate")],
)
def test_ambiguous_proposals_are_decided(proposal: str, tier: str) -> None:
    assert resolve_tier(_source_row("x", "t", proposal)) == tier


def test_unknown_tier_proposal_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown tier proposal"):
        resolve_tier(_source_row("x", "t", "medium"))


def test_data_is_compressed_and_small() -> None:
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 40 * 2**20
    for path in (DATA / "corpus").glob("*.jsonl.gz"):
        with gzip.open(path) as handle:
            handle.read(10)
