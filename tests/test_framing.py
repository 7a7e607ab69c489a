"""Framing: the composed training wrappers and the learned framing detector."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from classifier import TierClassifier, _wrappers
from classifier._features import _LINE_PIECES, _SENTENCE_PIECES, _drop_trailing_framing, count_words, strip_framing
from classifier._framing import MAX_CHARS, FramingDetector
from classifier._train import content_sentences, load_rows
from router.paths import data_dir

FRAMING = [
    "Hello there, hope you are doing well.",
    "You are the support assistant of Acme Bank.",
    "Thanks a lot in advance for your help!",
    "Kind regards from the whole team.",
    "Ticket opened by the customer on the web form.",
    "Bonjour, merci de répondre à la question suivante.",
] * 4
CONTENT = [
    "Translate the following sentence into German.",
    "Prove that the square root of two is irrational.",
    "Write a function that reverses a linked list in place.",
    "What is the capital city of Australia?",
    "Summarise the paragraph below in two sentences.",
    "Classify this customer message as billing or technical.",
] * 4


@pytest.fixture(scope="module")
def toy_detector() -> FramingDetector:
    return FramingDetector(bits=12, content_false_positives=0.0).fit(FRAMING, CONTENT, CONTENT)


#: A toy corpus for classifiers fitted with a detector.
TOY_TEXTS = ["Translate 'yes' into Spanish", "Plan a week of meals on a budget", "Prove Fermat's little theorem"] * 4
TOY_TIERS = ["light", "intermediate", "advanced"] * 4


@pytest.fixture(scope="module")
def detector() -> FramingDetector:
    """The shipped model's framing detector."""
    shipped = TierClassifier.load().framing_detector_
    assert shipped is not None
    return shipped


class AlwaysFraming:
    def judges(self, sentence: str) -> bool:
        return True

    def is_framing(self, sentence: str) -> bool:
        return True


def test_toy_detector_takes_its_framing_sentences_for_framing(toy_detector: FramingDetector) -> None:
    # (no content sentence scores above the threshold by construction: content_false_positives=0)
    assert all(toy_detector.is_framing(s) for s in set(FRAMING))


def test_detector_judges_neither_short_nor_long_sentences() -> None:
    detector = FramingDetector(bits=12)
    detector.weights_, detector.intercept_, detector.threshold_ = np.ones(1 << 12, dtype=np.float32), 5.0, 0.0
    assert detector.is_framing("Thanks so much everyone!")
    for short in ("Pluto.", "None.", "A: 42", "Maria", "Both answers"):  # answer options and names
        assert not detector.is_framing(short)
    assert not detector.is_framing("thanks " * (MAX_CHARS // 7 + 1))
    assert detector.is_framing("よろしくお願いします。")  # no spaces: counted by characters


def test_detector_cuts_leave_a_request() -> None:
    """Even a detector that calls everything framing leaves the prompt's last sentence (read from
    the start) or its first (read from the end), and never a cut that leaves under three words."""
    prompt = "First part of the prompt here. Second part of the prompt here. The actual request here?"
    assert strip_framing(prompt, detector=AlwaysFraming()) == "The actual request here?"
    assert strip_framing(prompt, leading=False, detector=AlwaysFraming()) == "First part of the prompt here."
    for prompt, request in (
        ("One single sentence request", "One single sentence request"),
        ("Explain recursion to me in simple terms. 🙂", "Explain recursion to me in simple terms."),
        ("Write a sorting function in Python please.\n```", "Write a sorting function in Python please."),
        ("Summarise the text below for me.\n\n[1]", "Summarise the text below for me."),
        ("What is the capital of France?\nA. Paris\nB. Lyon", "What is the capital of France?"),
    ):
        assert request in strip_framing(prompt, detector=AlwaysFraming())


def test_header_blocks_and_signatures_are_framing() -> None:
    question = "Which planet has the shortest year?\nA. Mercury\nB. Venus"
    mail = (
        "---------- Forwarded message ---------\nFrom: Ana Ruiz <ana@example.com>\nDate: Tue, 9 Apr 2024\n"
        f"Subject: quick one\nTo: Help <help@example.com>\n\n{question}\n\nThanks a lot,\nAna Ruiz"
    )
    assert strip_framing(mail) == question
    form = f"Name: Tom\nEmail: tom@example.com\nTopic: General\nMessage:\n{question}"
    assert strip_framing(form) == question
    assert strip_framing("Solve x^2 = 4 over the reals. Thanks!\n— Alex") == "Solve x^2 = 4 over the reals."
    for kept in (  # the header lines stay
        "Extract the e-mail address:\nName: Tom\nEmail: tom@example.com\nTopic: General",  # the task first
        "Context: two trains\nQuestion: when do they meet?\nAnswer the question.",  # two fields only
        "k8s: rollout stuck\nprobe: failing\nlogs: none\nWhy are my pods never ready?",  # lower-case keys
        "What is 2+2?\n\nMaria",  # a name after a request, not after a closing
    ):
        assert strip_framing(kept).startswith(kept.split("\n")[0])
    assert strip_framing("What is 2+2?\n\nMaria") == "What is 2+2?\n\nMaria"


def test_closing_framing_longer_than_the_first_trailing_window_goes_whole() -> None:
    """The trailing scan splits the last 200 characters first; framing that runs on past them is
    still cut whole (the scan then reads its whole window), with the signature under it."""
    request = "Explain how a hash map resolves collisions, with an example in Python. " * 6
    closing = "\n\nThank you so much in advance for your help!\n" * 5 + "Best regards,\nAna Ruiz"
    assert len(closing) > 200
    for pieces in (_LINE_PIECES, _SENTENCE_PIECES):  # each scan on its own, not made up by the other
        kept, _ = _drop_trailing_framing(request + closing, None, pieces)
        assert kept.rstrip() == request.rstrip()
    assert strip_framing(request + closing) == request.strip()
    # a framing line longer than the first window, then a signature: the first window holds one
    # piece, too few to tell a signature, so the whole window is split
    signed = request + "\n" + ("Thanks! " * 30).rstrip() + "\n— Alex"
    assert _drop_trailing_framing(signed, None, _LINE_PIECES)[0].rstrip() == request.rstrip()
    short = "\n\nThanks!\n— Alex"  # inside the first window: the same cut
    assert strip_framing(request + short) == request.strip()


def test_detector_state_round_trip(toy_detector: FramingDetector) -> None:
    copy = FramingDetector.from_state(toy_detector.to_state())
    assert (copy.min_words, copy.max_chars, copy.char_ngrams) == (3, MAX_CHARS, (2, 4))
    stricter = FramingDetector.from_state({**toy_detector.to_state(), "min_words": 8})
    assert toy_detector.is_framing(FRAMING[0]) and not stricter.is_framing(FRAMING[0])  # 7 words
    for sentence in FRAMING + CONTENT:
        assert copy.score(sentence) == pytest.approx(toy_detector.score(sentence))
        assert copy.is_framing(sentence) == toy_detector.is_framing(sentence)


def test_classifier_with_a_detector_saves_and_loads_it(tmp_path, toy_detector: FramingDetector) -> None:
    clf = TierClassifier(bits=12).fit(TOY_TEXTS, TOY_TIERS, framing_detector=toy_detector)
    clf.save(tmp_path)
    loaded = TierClassifier.load(tmp_path)
    assert loaded.framing_detector_ is not None
    question = "Prove that the square root of two is irrational."
    wrapped = f"Hello there, hope you are doing well.\n\n{question}\n\nKind regards from the whole team."
    np.testing.assert_allclose(loaded.predict_proba([wrapped]), clf.predict_proba([wrapped]))
    np.testing.assert_array_equal(loaded.featurizer_.extract(wrapped)[0], loaded.featurizer_.extract(question)[0])


def test_shipped_detector_strips_framing_the_word_rule_misses(detector: FramingDetector) -> None:
    question = "Which planet has the shortest year?\nA. Mercury\nB. Venus\nC. Earth"
    letter = f"Könnten Sie mir bitte bei folgender Frage helfen?\n\n{question}\n\nVielen Dank und freundliche Grüße"
    assert strip_framing(letter) != question  # the word rule alone keeps it
    assert strip_framing(letter, detector=detector) == question


def test_shipped_detector_rarely_strips_real_prompts(detector: FramingDetector) -> None:
    """On test-split prompts (never trained on), the detector must almost never take a sentence
    of the prompt for framing: that would drop part of the request."""
    rows = random.Random(5).sample(load_rows(data_dir() / "corpus" / "test.jsonl.gz"), 2000)
    changed = sum(strip_framing(r["text"], detector=detector) != strip_framing(r["text"]) for r in rows)
    print(f"detector changed {changed} of {len(rows)} test prompts")
    assert changed / len(rows) <= 0.005


def test_content_sentences_are_taken_where_framing_would_sit() -> None:
    rows = [{"text": "Hi. First sentence here. Middle one here. Last one here?"}]
    got = content_sentences(rows, random.Random(0))
    assert got[:3] == ["Hi.", " First sentence here.", " Last one here?"] and len(got) == 5
    assert got[4] == rows[0]["text"]  # its one line, of several sentences
    rows = [{"text": "Intro line. Two sentences.\nA question?\nLast line. Also two."}]
    got = content_sentences(rows, random.Random(0))
    assert got[-2:] == ["Intro line. Two sentences.\n", "Last line. Also two."]


class Known:
    """A detector that takes exactly the given sentences or lines for framing; like the shipped one
    it judges only pieces of three words or more."""

    def __init__(self, *framing: str) -> None:
        self.framing = set(framing)

    def judges(self, sentence: str) -> bool:
        return count_words(sentence) >= 3

    def is_framing(self, sentence: str) -> bool:
        return self.judges(sentence) and sentence.strip() in self.framing


def test_whole_lines_are_judged_before_their_sentences() -> None:
    """A ticket line splits at its colons into fragments no detector can judge; the line as a
    whole can be, and a header block under it is then found too."""
    question = "Which planet has the shortest year?\nA. Mercury\nB. Venus"
    ticket = "Ticket #4411 | Priority: Low | Channel: Email"
    detector = Known(ticket, "Attachments: none | SLA: 48h")
    assert strip_framing(f"{ticket}\n{question}", detector=detector) == question
    assert strip_framing(f"{question}\nAttachments: none | SLA: 48h", detector=detector) == question
    headed = f"{ticket}\nFrom: Ana <ana@example.com>\nDate: 9 Apr 2024\nSubject: quick one\n\n{question}"
    assert strip_framing(headed, detector=detector) == question
    assert strip_framing(f"{ticket}\n{question}") == f"{ticket}\n{question}"  # no detector: kept
    # the line guards hold as the sentence guards do: the last line is never judged from the start,
    # nor the first from the end, and a cut must leave three words
    two = "Hello there to the whole team.\nThanks a lot to everyone here."
    assert strip_framing(two, trailing=False, detector=AlwaysFraming()) == "Thanks a lot to everyone here."
    assert strip_framing(two, leading=False, detector=AlwaysFraming()) == "Hello there to the whole team."
    assert strip_framing(f"{ticket}\nWhy?", detector=detector) == f"{ticket}\nWhy?"


def test_line_pass_keeps_requests_and_finds_footers_after_long_lines() -> None:
    # a persona opening a line does not make the rest of the line framing
    prompt = "You are a helpful assistant. Summarize the causes of World War I.\nKeep it under 100 words."
    assert strip_framing(prompt) == "Summarize the causes of World War I.\nKeep it under 100 words."
    # a footer after a paragraph longer than the scan window is still found
    footer = "Attachments: none | SLA: 48h"
    paragraph = "Explain how the tides work. " + "The moon pulls on the oceans of the earth. " * 16
    assert len(paragraph) > 600
    assert strip_framing(f"{paragraph}\n{footer}", detector=Known(footer)) == paragraph.strip()


def test_a_line_holding_a_request_sentence_is_not_framing() -> None:
    """The detector may take a whole line for framing while one of its sentences is the request:
    then only the sentences go (and the detector cuts at most once at each end)."""
    line = "Dear team, I am writing about this. Write a haiku about autumn."
    detector = Known(line, "Dear team, I am writing about this.")
    assert strip_framing(f"{line}\nKeep it short.", detector=detector) == "Write a haiku about autumn.\nKeep it short."
    greeting = "Hi there team, hope you are all well."
    # a line cut by the detector at the start: the sentence pass there uses the word rule only
    detector = Known(greeting, "I am writing about this one.")
    text = f"{greeting}\nI am writing about this one. Write a haiku about autumn.\nKeep it short."
    assert strip_framing(text, detector=detector).startswith("I am writing about this one.")


def test_detector_never_judges_quoted_material_or_answer_options(detector: FramingDetector) -> None:
    for piece in (
        '"Hello team, thanks a lot for your help with this!"',
        "D. Thanks a lot for your help",
        "b) Hello there",
    ):
        assert not detector.judges(piece)
    question = "Which of these is a mammal?\nA. Shark\nB. Dolphin\nC. Trout\nD. Thanks for the help everyone"
    assert strip_framing(question, detector=detector) == question
    mail = 'Classify the e-mail as order, return or complaint.\n\n"Hello, thanks a lot for your help, kind regards!"'
    assert strip_framing(mail, detector=detector) == mail


def test_framing_ngrams_carry_no_weight(toy_detector: FramingDetector) -> None:
    """Buckets the detector weighs above ``framing_cutoff`` get idf 0: framing words left in a
    prompt neither move its tier nor dilute its own n-grams."""
    clf = TierClassifier(bits=12, framing_cutoff=0.5).fit(TOY_TEXTS, TOY_TIERS, framing_detector=toy_detector)
    framing = toy_detector.weights_ > 0.5
    assert framing.sum() >= 5
    assert not clf.featurizer_.idf_[framing].any() and clf.featurizer_.idf_[~framing].all()
    plain = TierClassifier(bits=12, framing_cutoff=None).fit(TOY_TEXTS, TOY_TIERS, framing_detector=toy_detector)
    assert plain.featurizer_.idf_.all()
    with pytest.raises(ValueError, match="buckets"):
        TierClassifier(bits=13).fit(TOY_TEXTS, TOY_TIERS, framing_detector=toy_detector)


def test_composed_wrappers_hold_the_request_once_and_no_placeholder() -> None:
    rng = random.Random(1)
    seen = set()
    for _ in range(3000):
        wrapper = _wrappers.compose_wrapper(rng)
        assert wrapper.count("{text}") == 1
        assert not re.search(r"\{(product|company|name|email|id|date|time)\}", wrapper)
        seen.add(wrapper)
    assert len(seen) > 2400  # varied: composed wrappers almost never repeat


def test_framing_parts_cover_fourteen_languages() -> None:
    parts = _wrappers.framing_parts()
    for category in _wrappers.LANGUAGE_PARTS:
        assert len(parts[category]) >= 14, category
        assert all(len(strings) >= 8 for strings in parts[category].values()), category
        assert not any("{text}" in s for strings in parts[category].values() for s in strings)
    assert all(e.count("{text}") == 1 for e in parts["envelopes"])
    assert not any("{text}" in h for h in parts["headers"])
