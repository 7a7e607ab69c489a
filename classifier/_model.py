"""The tier classifier: a scikit-learn estimator over :class:`PromptFeaturizer` features.

``fit`` trains a multinomial logistic regression and keeps only its weights, folded with the
idf into one vector per tier, so prediction is one gather and a sum per prompt (no sparse
matrix, no per-call validation) and the saved artefact holds numpy arrays only.
``calibrate`` then fits, on held-out data, a temperature for the probabilities and the decision
thresholds (see :mod:`classifier._decision`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from classifier._compiled import speedups
from classifier._decision import Thresholds, fit_temperature, tune_thresholds
from classifier._features import PromptFeaturizer
from classifier._framing import FramingDetector
from classifier.errors import InvalidPrompt

TIERS: tuple[str, ...] = ("light", "intermediate", "advanced")


def as_prompts(X: Any) -> list[str]:
    """Validate a batch of prompts: a sequence of ``str`` (``bytes`` are decoded as UTF-8 with
    replacement characters). Raises :class:`InvalidPrompt` naming the first bad element."""
    if isinstance(X, str | bytes):
        raise InvalidPrompt("expected a sequence of prompts, got a single string; wrap it in a list")
    out = []
    for i, x in enumerate(X):
        if isinstance(x, bytes):
            x = x.decode("utf-8", errors="replace")
        elif isinstance(x, np.str_):
            x = str(x)
        if not isinstance(x, str):
            raise InvalidPrompt(f"prompt {i} is {type(x).__name__}, expected str")
        out.append(x)
    return out


class TierClassifier(ClassifierMixin, BaseEstimator):
    """Maps prompts to ``light``, ``intermediate`` or ``advanced``.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    bits, char_ngrams, word_ngrams, head_chars, tail_chars, structural_weight, first_words, norm_power, framing_cutoff
        Passed to :class:`~classifier._features.PromptFeaturizer`.
    class_weight : "balanced" or None
        Re-weights tiers inversely to their frequency during training.
    max_iter : int
        Iteration cap of the solver.
    verbose : bool
        Show a progress bar while extracting features.

    Attributes
    ----------
    classes_ : ndarray of str, always ``["light", "intermediate", "advanced"]``.
    temperature_ : float, probability temperature (1.0 until :meth:`calibrate`).
    thresholds_ : Thresholds, decision thresholds (plain arg-max until :meth:`calibrate`).
    framing_detector_ : FramingDetector or None, the learned framing detector given to :meth:`fit`.
    """

    def __init__(
        self,
        C: float = 8.0,
        bits: int = 16,
        char_ngrams: tuple[int, int] = (3, 5),
        word_ngrams: tuple[int, int] = (1, 2),
        head_chars: int = 3000,
        tail_chars: int = 1000,
        structural_weight: float = 0.25,
        first_words: bool = True,
        norm_power: float = 0.8,
        framing_cutoff: float | None = 2.0,
        class_weight: str | None = "balanced",
        max_iter: int = 300,
        verbose: bool = False,
    ) -> None:
        self.C = C
        self.bits = bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.head_chars = head_chars
        self.tail_chars = tail_chars
        self.structural_weight = structural_weight
        self.first_words = first_words
        self.norm_power = norm_power
        self.framing_cutoff = framing_cutoff
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.verbose = verbose

    # -- training -----------------------------------------------------------------------------

    def fit(
        self,
        X: Iterable[str],
        y: Sequence[str],
        sample_weight: Sequence[float] | None = None,
        framing_detector: FramingDetector | None = None,
    ) -> TierClassifier:
        """Fit on prompts ``X`` and tiers ``y``; ``framing_detector`` (fitted, see
        :func:`classifier._train.fit_framing_detector`) then strips framing the word rule misses,
        in training and in every later prediction."""
        texts = as_prompts(X)
        labels = np.asarray(y, dtype=object)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} prompts but {len(labels)} labels")
        unknown = sorted(set(labels) - set(TIERS))
        if unknown:
            raise ValueError(f"unknown tiers {unknown}; expected {list(TIERS)}")
        featurizer = self._make_featurizer()
        featurizer.framing_detector_ = framing_detector
        matrix = featurizer.fit_transform(texts)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, tol=1e-3)
        model.fit(matrix, labels, sample_weight=weights)
        order = [list(model.classes_).index(t) for t in TIERS]
        coef = model.coef_[order]
        n_hashed = featurizer.n_hashed
        self.featurizer_ = featurizer
        # one vector per tier: idf-weighted n-gram weights, so a prompt's score is a gather-sum
        self.hashed_weights_ = [(coef[k, :n_hashed] * featurizer.idf_).astype(np.float32) for k in range(len(TIERS))]
        self.idf_squared_ = (featurizer.idf_.astype(np.float64) ** 2).astype(np.float32)
        self._packed_cache: np.ndarray | None = None
        self.structural_weights_ = coef[:, n_hashed:].T.copy()
        self.intercept_ = model.intercept_[order].copy()
        self.classes_ = np.asarray(TIERS, dtype=object)
        self.n_iter_ = int(np.max(model.n_iter_))
        self.temperature_ = 1.0
        self.thresholds_ = Thresholds.argmax()
        return self

    @property
    def framing_detector_(self) -> FramingDetector | None:
        """The learned framing detector given to :meth:`fit` (kept by the featurizer, which uses it)."""
        self._check_fitted()
        detector: FramingDetector | None = getattr(self.featurizer_, "framing_detector_", None)
        return detector

    def _make_featurizer(self) -> PromptFeaturizer:
        return PromptFeaturizer(
            bits=self.bits,
            char_ngrams=tuple(self.char_ngrams),  # type: ignore[arg-type]
            word_ngrams=tuple(self.word_ngrams),  # type: ignore[arg-type]
            head_chars=self.head_chars,
            tail_chars=self.tail_chars,
            structural_weight=self.structural_weight,
            first_words=self.first_words,
            norm_power=self.norm_power,
            framing_cutoff=self.framing_cutoff,
            verbose=self.verbose,
        )

    def calibrate(self, X: Iterable[str], y: Sequence[str], *, max_under_routing: float = 0.015) -> TierClassifier:
        """Fit the temperature and the decision thresholds on held-out prompts (never test)."""
        self._check_fitted()
        logits = self.decision_function(X)
        labels = np.asarray([TIERS.index(t) for t in y])
        self.temperature_ = fit_temperature(logits, labels)
        self.thresholds_ = tune_thresholds(
            _softmax(logits / self.temperature_), labels, max_under_routing=max_under_routing
        )
        return self

    # -- prediction ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        # sklearn's check_is_fitted scans every attribute: too slow for a per-prompt hot path
        if not hasattr(self, "featurizer_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call fit or load a model")

    def _packed(self) -> np.ndarray:
        """Per-tier n-gram weights and the squared idf of each bucket as one row of four float32
        (16 bytes, in one cache line): one gather per prompt touches one line per n-gram, not four."""
        packed: np.ndarray | None = getattr(self, "_packed_cache", None)
        if packed is None:
            packed = np.ascontiguousarray(np.column_stack([*self.hashed_weights_, self.idf_squared_]), dtype=np.float32)
            self._packed_cache = packed
        return packed

    def _logits_one(self, text: str) -> np.ndarray:
        buckets, raw = self.featurizer_.extract(text)
        sums = _gather_sums(self._packed(), buckets)
        mass = float(sums[3]) ** (0.5 * self.norm_power)
        hashed = sums[:3] / mass if mass > 0 else sums[:3] * 0.0
        return hashed + self.featurizer_.scale_dense(raw) @ self.structural_weights_ + self.intercept_

    def classify(self, text: str) -> tuple[str, np.ndarray]:
        """One prompt's tier and probabilities, without the batch machinery (the router's hot path).
        Gives exactly what ``predict`` and ``predict_proba`` give for ``[text]``."""
        self._check_fitted()
        [text] = as_prompts([text])
        proba = _softmax(self._logits_one(text) / self.temperature_)
        light, intermediate, advanced = proba.tolist()
        return TIERS[self.thresholds_.decide_one(light, intermediate, advanced)], proba

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Raw per-tier scores (logits), shape ``(n, 3)``, columns in ``classes_`` order."""
        self._check_fitted()
        texts = as_prompts(X)
        out = np.empty((len(texts), len(TIERS)))
        for i, text in enumerate(texts):
            out[i] = self._logits_one(text)
        return out

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 3)``, columns in ``classes_`` order."""
        return _softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Tier names after the decision rule (which escalates when unsure)."""
        self._check_fitted()
        return np.asarray([TIERS[k] for k in self.thresholds_.decide(self.predict_proba(X))], dtype=object)

    def complexity_score(self, X: Iterable[str]) -> np.ndarray:
        """Expected tier on a 0..1 scale: ``P(intermediate) / 2 + P(advanced)``."""
        proba = self.predict_proba(X)
        return proba[:, 1] * 0.5 + proba[:, 2]

    # -- persistence (see classifier._persist) -------------------------------------------------

    def save(self, directory: Any, *, card: dict[str, Any] | None = None) -> Any:
        from classifier._persist import save_model

        return save_model(self, directory, card=card)

    @classmethod
    def load(cls, path: Any = None) -> TierClassifier:
        """Load a saved model: the shipped one when ``path`` is None, else a directory or file."""
        from classifier._persist import load_model

        return load_model(path)


def _gather_sums(packed: np.ndarray, buckets: np.ndarray) -> np.ndarray:
    """The column sums of the rows of ``packed`` that ``buckets`` picks (with repeats), added in
    double precision: by the compiled helper when it was built (see :mod:`classifier._compiled`).
    The helper adds in id order, numpy pairwise. The float32 weights of one prompt added in double
    lose nothing unless they span more than about 29 binary orders of magnitude, so both give the
    same sums on every corpus prompt checked; a contrived table can make them differ in the last
    bits."""
    if speedups is not None and buckets.dtype == np.int64 and buckets.flags.c_contiguous:
        return np.asarray(speedups.gather_sums(packed, buckets))
    return _gather_sums_numpy(packed, buckets)


def _gather_sums_numpy(packed: np.ndarray, buckets: np.ndarray) -> np.ndarray:
    # one 16-byte element per row: one gather, then a (4, n) copy summed along its rows (a sum over
    # the first axis of the (n, 4) gather is three times slower)
    rows = np.take(packed.view(np.dtype((np.void, 16))).ravel(), buckets).view(np.float32).reshape(-1, 4)
    return np.ascontiguousarray(rows.T, dtype=np.float64).sum(axis=1)


def _softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (one prompt's logits, or a row per prompt)."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
