"""A learned detector of framing sentences.

The rule in :func:`classifier._features.strip_framing` removes opening and closing sentences made
only of known framing words. Framing it has no word for ("Könnten Sie mir bitte bei folgender
Frage helfen?", "internal helpdesk ticket #4411.") stays, and its words pull the tier. This
detector generalises the rule: a logistic regression over hashed character and word n-grams of one
sentence, trained on the sentences of the project's framing parts and wrappers (framing) against
the opening, closing and inner sentences of the training prompts (content). Its threshold is set
on the validation prompts' sentences so that few content sentences are taken for framing.

It only judges sentences of at least :data:`MIN_WORDS` words (numbers, names and single words,
"None.", "Pluto", are too short to tell and are often the end of a prompt: an answer option) and
at most :data:`MAX_CHARS` characters, and never the prompt's first or last sentence from the side
where it would be the request itself (see :func:`classifier._features.strip_framing`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from classifier._features import _code_points, _sentences, count_words, fold_punctuation, hash_ngrams, remove_scaffold

#: Sentences with fewer words (:func:`~classifier._features.count_words`) are never judged.
MIN_WORDS = 3
#: Nor are longer sentences: framing is short, and this bounds the work per prompt.
MAX_CHARS = 160
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


def _judged(sentence: str) -> bool:
    """Whether the detector judges ``sentence`` at all (see :data:`MIN_WORDS`, :data:`MAX_CHARS`)."""
    return len(sentence) <= MAX_CHARS and count_words(sentence) >= MIN_WORDS


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that hold a word, as the framing rule splits them, after chat
    scaffolding is removed as it is before the detector sees a prompt."""
    return [s for s in _sentences(remove_scaffold(text)) if _LETTER_WORD.search(s)]


class FramingDetector:
    """Scores a sentence: above ``threshold_`` it frames the request rather than states it."""

    def __init__(self, bits: int = 16, C: float = 4.0, content_false_positives: float = 0.0015) -> None:
        self.bits = bits
        self.C = C
        self.content_false_positives = content_false_positives

    def _buckets(self, sentence: str) -> np.ndarray:
        cleaned = fold_punctuation(sentence.casefold())
        return hash_ngrams(_code_points(cleaned[:400]), (2, 4), (1, 2), self.bits, first_words=False)

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
        judged = [s for s in validation if _judged(s)]
        scores = np.asarray([self.score(s) for s in judged])
        self.threshold_ = float(np.quantile(scores, 1.0 - self.content_false_positives)) if judged else 0.0
        return self

    def score(self, sentence: str) -> float:
        buckets = self._buckets(sentence)
        if not buckets.size:
            return -np.inf
        return float(self.weights_[buckets].sum()) / float(np.sqrt(buckets.size)) + self.intercept_

    def is_framing(self, sentence: str) -> bool:
        return _judged(sentence) and self.score(sentence) > self.threshold_

    # -- persistence: plain arrays and numbers (see classifier._persist) ------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "bits": self.bits,
            "C": self.C,
            "content_false_positives": self.content_false_positives,
            "weights": self.weights_,
            "intercept": self.intercept_,
            "threshold": self.threshold_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FramingDetector:
        detector = cls(int(state["bits"]), float(state["C"]), float(state["content_false_positives"]))
        detector.weights_ = np.asarray(state["weights"], dtype=np.float32)
        if detector.weights_.shape != (1 << detector.bits,):
            raise ValueError(
                f"framing detector weights have shape {detector.weights_.shape}, expected {1 << detector.bits}"
            )
        detector.intercept_ = float(state["intercept"])
        detector.threshold_ = float(state["threshold"])
        return detector
