"""The per-item escalation model: which prompts does the expensive setting help?

Two logistic regressions on prompt features, one predicting that the cheap setting answers well
and one that the expensive setting does, each trained on the feedback the log holds for that
setting; the routing score is the predicted gain ``P(expensive ok) - P(cheap ok)``.

Features need no fitting on outcomes: the prompt's hashed character and word n-grams (from
:meth:`classifier._features.PromptFeaturizer.extract`, log counts, unit length), its structural
signals standardised on the training folds, and optionally the shipped classifier's complexity
score. Nothing about a held-out fold (not even its n-gram statistics) enters the model that
scores it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from classifier._features import PromptFeaturizer

DEFAULT_BITS = 14
DEFAULT_C = 0.3
STRUCTURAL_WEIGHT = 0.3


class PromptFeatures:
    """Fixed features of a list of prompts: a normalised n-gram matrix and raw structural signals."""

    def __init__(self, texts: Sequence[str], bits: int = DEFAULT_BITS, extra: np.ndarray | None = None) -> None:
        featurizer = PromptFeaturizer(bits=bits)
        indptr, indices, dense = [0], [], np.empty((len(texts), 0))
        structural = []
        for text in texts:
            buckets, raw = featurizer.extract(text)
            indices.append(buckets)
            indptr.append(indptr[-1] + buckets.size)
            structural.append(raw)
        cols = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
        counts = sp.csr_matrix((np.ones(cols.size), cols, np.asarray(indptr)), shape=(len(texts), 1 << bits))
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data)
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.ngrams = sp.diags(1.0 / norms) @ counts
        dense = np.asarray(structural, dtype=float) if structural else dense
        if extra is not None:
            dense = np.hstack([dense, np.asarray(extra, dtype=float).reshape(len(texts), -1)])
        self.dense = dense

    def matrix(self, rows: np.ndarray, fit_rows: np.ndarray) -> sp.csr_matrix:
        """Features of ``rows``, the dense block standardised on ``fit_rows`` only."""
        mean = self.dense[fit_rows].mean(axis=0)
        std = self.dense[fit_rows].std(axis=0)
        std[std == 0] = 1.0
        dense = (self.dense[rows] - mean) / std * STRUCTURAL_WEIGHT
        return sp.hstack([self.ngrams[rows], sp.csr_matrix(dense)], format="csr")


class EscalationModel:
    """``P(expensive ok) - P(cheap ok)`` from two logistic regressions."""

    def __init__(self, C: float = DEFAULT_C, max_iter: int = 300) -> None:
        self.C = C
        self.max_iter = max_iter

    def _fit_one(self, X: sp.csr_matrix, y: np.ndarray) -> LogisticRegression | float:
        if len(np.unique(y)) < 2:  # every answer right (or wrong): a constant
            return float(y[0]) if len(y) else 0.5
        return LogisticRegression(C=self.C, max_iter=self.max_iter, tol=1e-3).fit(X, y)

    def fit(
        self, X_cheap: sp.csr_matrix, ok_cheap: np.ndarray, X_exp: sp.csr_matrix, ok_exp: np.ndarray
    ) -> EscalationModel:
        self.cheap_ = self._fit_one(X_cheap, ok_cheap)
        self.expensive_ = self._fit_one(X_exp, ok_exp)
        return self

    @staticmethod
    def _p(model: LogisticRegression | float, X: sp.csr_matrix) -> np.ndarray:
        if isinstance(model, float):
            return np.full(X.shape[0], model)
        return model.predict_proba(X)[:, 1]

    def gain(self, X: sp.csr_matrix) -> np.ndarray:
        return self._p(self.expensive_, X) - self._p(self.cheap_, X)
