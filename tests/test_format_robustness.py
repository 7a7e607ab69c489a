"""Formatting that carries no difficulty must not change the shipped model's tier.

Chat preambles here are deliberately different from the ones training augments with
(``classifier._train.CHAT_PREAMBLES``), so the test measures generalisation, not memory.
"""

from __future__ import annotations

import random

import pytest

from classifier import TierClassifier
from classifier._train import CHAT_PREAMBLES, format_robustness, load_rows
from router.paths import data_dir

SAMPLE = 1500
HELD_OUT_PREAMBLES = (
    "You are ChatBot, a large language model. Be accurate and helpful.\n\nUser message:\n{text}",
    "Please respond to the request below.\n\n{text}",
    "<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant",
    "Request: {text}\nResponse:",
    "Hello! I hope you're well. {text}",
    "Below is an instruction that describes a task. Write a response that completes the request.\n\n{text}",
    "Tu es un assistant. Voici la demande :\n{text}",
    "{text}\n\n(answer in English please)",
)


def test_held_out_preambles_are_not_training_preambles() -> None:
    assert not set(HELD_OUT_PREAMBLES) & set(CHAT_PREAMBLES)


@pytest.fixture(scope="module")
def shipped() -> TierClassifier:
    return TierClassifier.load()


def _sample(rows: list[dict], n: int) -> list[str]:
    rng = random.Random(3)
    return [r["text"] for r in rng.sample(rows, min(n, len(rows)))]


def _check(shares: dict[str, float], floors: dict[str, float]) -> None:
    for kind, floor in floors.items():
        assert shares[kind] >= floor, f"{kind}: only {shares[kind]:.1%} of prompts kept their tier (floor {floor:.0%})"


def test_test_split_is_robust_to_format(shipped: TierClassifier) -> None:
    texts = _sample(load_rows(data_dir() / "corpus" / "test.jsonl.gz"), SAMPLE)
    floors = {"lower": 0.90, "no_question_mark": 0.90, "chat": 0.90}
    shares = format_robustness(shipped, texts, tuple(floors), HELD_OUT_PREAMBLES)
    print("format robustness on the test split:", shares)
    _check(shares, floors)


def test_mmlu_is_robust_to_format(shipped: TierClassifier) -> None:
    """MMLU was never trained on, and its A-D option letters are a format the model must ignore.

    Known shortfall: many MMLU items sit at the light/intermediate boundary, and a preamble the
    model never saw moves about one in eight of them across it (87% unchanged when measured for
    release 0.1.0, below the 90% goal; see README "Format robustness"). The floor here guards that
    figure from getting worse; the other perturbations meet 90%.
    """
    holdout = load_rows(data_dir() / "corpus" / "outcome_holdout.jsonl.gz")
    texts = _sample([r for r in holdout if r["source"] == "mmlu"], SAMPLE)
    floors = {"no_option_letters": 0.90, "lower": 0.90, "no_question_mark": 0.90, "chat": 0.85}
    shares = format_robustness(shipped, texts, tuple(floors), HELD_OUT_PREAMBLES)
    print("format robustness on MMLU (never trained on):", shares)
    _check(shares, floors)
