"""Prompt complexity classifier: maps a prompt to light, intermediate or advanced.

>>> from classifier import TierClassifier
>>> clf = TierClassifier.load()            # the shipped model under models/
>>> clf.predict(["Translate 'good morning' into French"])
array(['light'], dtype=object)
"""

from classifier._model import TIERS, TierClassifier
from classifier.errors import ClassifierError, InvalidPrompt, ModelLoadError, ModelVersionMismatch

__all__ = [
    "TIERS",
    "ClassifierError",
    "InvalidPrompt",
    "ModelLoadError",
    "ModelVersionMismatch",
    "TierClassifier",
]
