"""A learned detector of framing sentences and lines.

The rule in :func:`classifier._features.strip_framing` removes opening and closing sentences made
only of known framing words. Framing it has no word for ("Könnten Sie mir bitte bei folgender
Frage helfen?", "internal helpdesk ticket #4411.") stays, and its words pull the tier. This
detector generalises the rule: a logistic regression over hashed character and word n-grams of one
sentence or line, trained on the sentences and lines of the project's framing parts and wrappers
(framing) against the opening, closing and inner sentences and the first and last lines of the
training prompts (content). Its threshold is set on the validation prompts' sentences and lines so
that few content sentences are taken for framing. Its weights also mark the n-grams the classifier
ignores (``framing_cutoff`` in :class:`classifier._features.PromptFeaturizer`).

It only judges sentences of at least :data:`MIN_WORDS` words (numbers, names and single words,
"None.", "Pluto", are too short to tell and are often the end of a prompt: an answer option) and
at most :data:`MAX_CHARS` characters, holding no quoted text of four words or more and not opening
with an answer-option label (:meth:`FramingDetector.judges`), and never the prompt's first or last
sentence from the side where it would be the request itself (see
:func:`classifier._features.strip_framing`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from classifier._features import (
    _QUOTES,
    OPTION_START,
    _iter_lines,
    _sentences,
    count_words,
    folded_code_points,
    hash_ngrams,
    remove_scaffold,
)

#: Sentences with fewer words (:func:`~classifier._features.count_words`) are never judged.
MIN_WORDS = 3
#: Nor are longer sentences: framing is short, and this bounds the work per prompt.
MAX_CHARS = 160
#: The n-grams a sentence is scored on: character 2- to 4-grams, word 1- and 2-grams, of its
#: first :data:`_HASHED_CHARS` cleaned characters.
CHAR_NGRAMS = (2, 4)
WORD_NGRAMS = (1, 2)
_HASHED_CHARS = 400
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_QUOTED = re.compile(r'["“«„]([^"“”«»„\n]*)["”»“]')


def _quotes_prose(sentence: str) -> bool:
    """Whether ``sentence`` holds a quoted text of four words or more."""
    return any(len(quoted.split()) >= 4 for quoted in _QUOTED.findall(sentence))


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that hold a word, as the framing rule splits them, after chat
    scaffolding is removed as it is before the detector sees a prompt."""
    return [s for s in _sentences(remove_scaffold(text)) if _LETTER_WORD.search(s)]


def lines(text: str) -> list[str]:
    """The lines of ``text`` that hold a word and more than one sentence (the framing rule judges
    whole lines too; a line of one sentence is among :func:`sentences`), after scaffold removal."""
    return [s for s in _iter_lines(remove_scaffold(text)) if _LETTER_WORD.search(s) and len(_sentences(s.strip())) > 1]


class FramingDetector:
    """Scores a sentence: above ``threshold_`` it frames the request rather than states it.

    ``min_words``, ``max_chars`` and the n-gram ranges are saved with it (see :meth:`to_state`),
    so a saved detector judges the same sentences whatever the defaults become."""

    def __init__(
        self,
        bits: int = 16,
        C: float = 4.0,
        content_false_positives: float = 0.0015,
        min_words: int = MIN_WORDS,
        max_chars: int = MAX_CHARS,
        char_ngrams: tuple[int, int] = CHAR_NGRAMS,
        word_ngrams: tuple[int, int] = WORD_NGRAMS,
    ) -> None:
        self.bits = bits
        self.C = C
        self.content_false_positives = content_false_positives
        self.min_words = min_words
        self.max_chars = max_chars
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams

    def judges(self, sentence: str) -> bool:
        """Whether ``sentence`` (or line) is judged at all: ``min_words`` words or more,
        ``max_chars`` characters at most (see :data:`MIN_WORDS`, :data:`MAX_CHARS`), no quoted
        text of four words or more (a quoted message or phrase is the request's material; a JSON
        field, ``"locale": "en-US",``, is not) and no answer-option label opening it
        ("D. Myosin-actin detachment")."""
        return (
            len(sentence) <= self.max_chars
            and count_words(sentence) >= self.min_words
            and OPTION_START.match(sentence) is None
            and (_QUOTES.isdisjoint(sentence) or not _quotes_prose(sentence))
        )

    def _buckets(self, sentence: str) -> np.ndarray:
        cp = folded_code_points(sentence.casefold())[:_HASHED_CHARS]
        return hash_ngrams(cp, self.char_ngrams, self.word_ngrams, self.bits, first_words=False)

    def _matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        rows = [self._buckets(t) for t in texts]
        indptr = np.cumsum([0, *(r.size for r in rows)])
        data = np.concatenate([np.full(r.size, 1.0 / np.sqrt(max(r.size, 1))) for r in rows])
        matrix = sp.csr_matrix((data, np.concatenate(rows), indptr), shape=(len(rows), 1 << self.bits))
        matrix.sum_duplicates()
        return matrix

    def fit(self, framing: Sequence[str], content: Sequence[str], validation: Sequence[str]) -> FramingDetector:
        """Train on ``framing`` and ``content`` sentences; set the threshold so that a share
        ``content_false_positives`` of the ``validation`` content sentences scores above it."""
        x = sp.vstack([self._matrix(framing), self._matrix(content)])
        y = np.r_[np.ones(len(framing)), np.zeros(len(content))]
        weight = np.r_[np.full(len(framing), len(content) / max(len(framing), 1)), np.ones(len(content))]
        model = LogisticRegression(C=self.C, max_iter=500).fit(x, y, sample_weight=weight)
        self.weights_ = model.coef_[0].astype(np.float32)
        self.intercept_ = float(model.intercept_[0])
        judged = [s for s in validation if self.judges(s)]
        scores = np.asarray([self.score(s) for s in judged])
        self.threshold_ = float(np.quantile(scores, 1.0 - self.content_false_positives)) if judged else 0.0
        return self

    def score(self, sentence: str) -> float:
        buckets = self._buckets(sentence)
        if not buckets.size:
            return -np.inf
        return float(self.weights_[buckets].sum()) / math.sqrt(buckets.size) + self.intercept_

    def is_framing(self, sentence: str) -> bool:
        return self.judges(sentence) and self.score(sentence) > self.threshold_

    # -- persistence: plain arrays and numbers (see classifier._persist) ------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "bits": self.bits,
            "C": self.C,
            "content_false_positives": self.content_false_positives,
            "min_words": self.min_words,
            "max_chars": self.max_chars,
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
            "weights": self.weights_,
            "intercept": self.intercept_,
            "threshold": self.threshold_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FramingDetector:
        detector = cls(
            int(state["bits"]),
            float(state["C"]),
            float(state["content_false_positives"]),
            int(state["min_words"]),
            int(state["max_chars"]),
            (int(state["char_ngrams"][0]), int(state["char_ngrams"][1])),
            (int(state["word_ngrams"][0]), int(state["word_ngrams"][1])),
        )
        detector.weights_ = np.asarray(state["weights"], dtype=np.float32)
        if detector.weights_.shape != (1 << detector.bits,):
            raise ValueError(
                f"framing detector weights have shape {detector.weights_.shape}, expected {1 << detector.bits}"
            )
        detector.intercept_ = float(state["intercept"])
        detector.threshold_ = float(state["threshold"])
        return detector
