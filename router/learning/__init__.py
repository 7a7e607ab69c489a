"""Learning from the log: feedback labels, retraining, the promotion gate, model versions.

* :mod:`router.learning._labels` - what a feedback score says about a prompt's tier.
* :mod:`router.learning._dataset` - base corpus plus feedback rows.
* :mod:`router.learning._gate` - candidate vs current on the same held-out data.
* :mod:`router.learning._promote` - ``versions/<v>/`` and the atomic ``CURRENT`` pointer, with
  :func:`current_model_path` and :func:`model_changed` for a service that reloads without restart.
* :mod:`router.learning._retrain` - the job behind ``budget-router retrain``.
"""

from router.learning._dataset import TrainingSet, build_training_set
from router.learning._gate import GateResult, evaluate, gate
from router.learning._labels import HIGH_SCORE, LOW_SCORE, FeedbackSummary, PromptEvidence, summarise
from router.learning._promote import (
    ModelStamp,
    current_model_path,
    current_version,
    model_changed,
    model_stamp,
    new_version,
    promote,
    version_dir,
)
from router.learning._retrain import RetrainConfig, collect_feedback, fit_weighted, retrain

__all__ = [
    "HIGH_SCORE",
    "LOW_SCORE",
    "FeedbackSummary",
    "GateResult",
    "ModelStamp",
    "PromptEvidence",
    "RetrainConfig",
    "TrainingSet",
    "build_training_set",
    "collect_feedback",
    "current_model_path",
    "current_version",
    "evaluate",
    "fit_weighted",
    "gate",
    "model_changed",
    "model_stamp",
    "new_version",
    "promote",
    "retrain",
    "summarise",
    "version_dir",
]
