"""Formatting that carries no difficulty must not change the shipped model's tier.

Chat preambles here are deliberately different from the ones training augments with
(``classifier._train.CHAT_PREAMBLES`` and the parts :func:`classifier._train.compose_preamble`
combines), so the test measures generalisation, not memory. The first held-out set was known when
the preamble cleaning was designed. The second was written afterwards; later, framing words its
sentences use that the cleaning missed were added to the cleaning's general vocabulary (no
template was special-cased), so it is no longer untouched. The third was written by a reviewer and
kept from whoever changed the classifier until it was measured: it is the honest figure.
"""

from __future__ import annotations

import random

import pytest

from classifier import TierClassifier, _train
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
#: A second held-out set, written after the preamble cleaning and the composed training wrappers
#: were designed: other templates, wording and languages (see the module docstring).
FRESH_PREAMBLES = (
    "Greetings, assistant! My professor gave us this one and I'm stuck:\n\n{text}",
    "<start_of_turn>user\n{text}<end_of_turn>\n<start_of_turn>model\n",
    "Olá! Poderia me ajudar com a seguinte questão?\n\n{text}",
    "Ich brauche kurz deine Hilfe bei dieser Aufgabe:\n{text}\nVielen Dank im Voraus!",
    "[user]: {text}\n[bot]:",
    "Hola equipo, os paso la consulta de un cliente.\n\n{text}\n\nUn saludo.",
    "Ciao, potresti rispondere a questa domanda?\n{text}",
    "Dear AI,\n\nI would be grateful for your thoughts on the following.\n\n{text}\n\nKind regards,\nMaria",
    "Goedemiddag! Kun je me helpen met de volgende vraag?\n\n{text}",
    "INPUT >>> {text}\nOUTPUT >>>",
    "Note: this message was relayed by our support bot.\n{text}",
    "{text}\n\nP.S. Sorry if this is a silly question!",
)
#: A third set, blind: written by a reviewer and not seen by whoever changed the classifier (two of
#: its twelve were dropped because training uses them or a part of them). First measured on model
#: 20261122-081459: MMLU 87.7% kept their tier, the test split 91.5%.
BLIND_PREAMBLES = (
    "Hey there,\n\nquick one for you:\n{text}\n\nCheers,\nMaría",
    "### Instruction\n{text}\n\n### Response",
    "Système : tu réponds de façon concise.\nUtilisateur : {text}",
    "Context: internal helpdesk ticket #4411.\nCustomer asks: {text}",
    "I'm preparing for an exam and a friend suggested I ask you this. {text} Thank you so much in advance!",
    "Guten Tag! Könnten Sie mir bitte bei folgender Frage helfen?\n\n{text}\n\nVielen Dank und freundliche Grüße",
    "[Forwarded from #general]\n> {text}",
    "Q: {text}\nA:",
    "私の質問です：{text}\nよろしくお願いします。",
    'Please answer as an expert would.\n\n"""\n{text}\n"""',
)
#: Floors for the second and third sets, a few points under what the shipped model measured (README "Format
#: robustness"): its preambles carry words the cleaning cannot know to be framing.
FRESH_FLOORS = {"test": 0.90, "mmlu": 0.85}


def _training_parts() -> list[str]:
    """Every string training wraps prompts with, fixed or composed from parts."""
    parts: list[str] = [*CHAT_PREAMBLES, *_train.PREAMBLE_OPENINGS, *_train.PREAMBLE_CLOSINGS]
    parts += [*_train.PREAMBLE_LABELS, *_train.HEADERS, *_train.SIGN_OFFS]
    for who, did, when in _train.ASKERS.values():
        parts += [*who, *did, *when]
    for lead, what in _train.PURPOSES.values():
        parts += [*lead, *what]
    return [p for p in parts if len(p.replace("{text}", "").strip()) >= 12]


@pytest.mark.parametrize("held_out", [HELD_OUT_PREAMBLES, FRESH_PREAMBLES, BLIND_PREAMBLES])
def test_held_out_preambles_are_not_training_preambles(held_out: tuple[str, ...]) -> None:
    assert not set(held_out) & set(CHAT_PREAMBLES)
    for part in _training_parts():
        for template in held_out:
            for piece in part.split("{text}"):
                assert len(piece.strip()) < 12 or piece.strip() not in template, (part, template)


@pytest.fixture(scope="module")
def shipped() -> TierClassifier:
    return TierClassifier.load()


def _sample(rows: list[dict], n: int) -> list[str]:
    rng = random.Random(3)
    return [r["text"] for r in rng.sample(rows, min(n, len(rows)))]


def _check(shares: dict[str, float], floors: dict[str, float]) -> None:
    for kind, floor in floors.items():
        assert shares[kind] >= floor, f"{kind}: only {shares[kind]:.1%} of prompts kept their tier (floor {floor:.0%})"


def _check_later_sets(shipped: TierClassifier, texts: list[str], where: str) -> None:
    """The second and the third (blind) preamble sets, against ``FRESH_FLOORS[where]``."""
    for name, preambles in (("second", FRESH_PREAMBLES), ("third (blind)", BLIND_PREAMBLES)):
        shares = format_robustness(shipped, texts, ("chat",), preambles)
        print(f"{name} held-out preamble set, {where}:", shares)
        _check(shares, {"chat": FRESH_FLOORS[where]})


def test_test_split_is_robust_to_format(shipped: TierClassifier) -> None:
    texts = _sample(load_rows(data_dir() / "corpus" / "test.jsonl.gz"), SAMPLE)
    floors = {"lower": 0.90, "no_question_mark": 0.90, "chat": 0.90}
    shares = format_robustness(shipped, texts, tuple(floors), HELD_OUT_PREAMBLES)
    print("format robustness on the test split:", shares)
    _check(shares, floors)
    _check_later_sets(shipped, texts, "test")


def test_mmlu_is_robust_to_format(shipped: TierClassifier) -> None:
    """MMLU was never trained on, and its A-D option letters are a format the model must ignore.
    Many MMLU items sit at the light/intermediate boundary, so MMLU is where a preamble moves
    tiers most easily."""
    holdout = load_rows(data_dir() / "corpus" / "outcome_holdout.jsonl.gz")
    texts = _sample([r for r in holdout if r["source"] == "mmlu"], SAMPLE)
    floors = {"no_option_letters": 0.90, "lower": 0.90, "no_question_mark": 0.90, "chat": 0.90}
    shares = format_robustness(shipped, texts, tuple(floors), HELD_OUT_PREAMBLES)
    print("format robustness on MMLU (never trained on):", shares)
    _check(shares, floors)
    _check_later_sets(shipped, texts, "mmlu")
