"""Formatting that carries no difficulty must not change the shipped model's tier."""

from __future__ import annotations

import random

import pytest

from classifier import TierClassifier
from classifier._train import format_robustness, load_rows
from router.paths import data_dir

SAMPLE = 1500


@pytest.fixture(scope="module")
def shipped() -> TierClassifier:
    return TierClassifier.load()


def _sample(rows: list[dict], n: int) -> list[str]:
    rng = random.Random(3)
    return [r["text"] for r in rng.sample(rows, min(n, len(rows)))]


def test_test_split_is_robust_to_format(shipped: TierClassifier) -> None:
    texts = _sample(load_rows(data_dir() / "corpus" / "test.jsonl.gz"), SAMPLE)
    shares = format_robustness(shipped, texts, ("lower", "no_question_mark", "chat"))
    print("format robustness on the test split:", shares)
    for kind in ("lower", "no_question_mark", "chat"):
        assert shares[kind] >= 0.90, f"{kind}: only {shares[kind]:.1%} of prompts kept their tier"


def test_mmlu_option_letters_carry_no_signal(shipped: TierClassifier) -> None:
    holdout = load_rows(data_dir() / "corpus" / "outcome_holdout.jsonl.gz")
    texts = _sample([r for r in holdout if r["source"] == "mmlu"], SAMPLE)
    shares = format_robustness(shipped, texts, ("no_option_letters", "lower", "chat"))
    print("format robustness on MMLU (never trained on):", shares)
    for kind in ("no_option_letters", "lower", "chat"):
        assert shares[kind] >= 0.90, f"{kind}: only {shares[kind]:.1%} of prompts kept their tier"
