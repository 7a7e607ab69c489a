"""Exceptions of the classifier package.

::

    ClassifierError
    ├── InvalidPrompt          (also a ValueError: a prompt that is not text)
    └── ModelLoadError         (missing, corrupt or unreadable artefact)
        └── ModelVersionMismatch
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Base of the classifier's errors."""


class InvalidPrompt(ClassifierError, ValueError):
    """A prompt that is not text (or not a sequence of texts)."""


class ModelLoadError(ClassifierError):
    """A model artefact that is missing, corrupt or unreadable."""


class ModelVersionMismatch(ModelLoadError):
    """A model artefact written by an incompatible version of the format or of numpy."""
