"""Outcome replay: how much of the expensive setting does routing need to keep 95% quality?

See :mod:`router.replay._replay` for the procedure and :mod:`router.replay._metrics` for the
figures.
"""

from router.replay._escalation import EscalationModel, PromptFeatures
from router.replay._metrics import quality_by_share, random_share, share_at, summary
from router.replay._outcomes import OutcomeFormatError, OutcomeSet, load_outcomes
from router.replay._replay import classifier_overlap, fold_of, replay

__all__ = [
    "EscalationModel",
    "OutcomeFormatError",
    "OutcomeSet",
    "PromptFeatures",
    "classifier_overlap",
    "fold_of",
    "load_outcomes",
    "quality_by_share",
    "random_share",
    "replay",
    "share_at",
    "summary",
]
