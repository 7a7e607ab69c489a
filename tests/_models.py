"""Model directories for tests that promote models: versions copied from the served classifier."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any


def model_version(models: Path, name: str, source: Any = None) -> Path:
    """Copy the classifier at ``source`` (default: the shipped one) to ``models/versions/<name>``
    with the version ``reload-test-<name>`` in its card, ready for :func:`router.learning.promote`."""
    from classifier._persist import default_model_dir

    origin = Path(source) if source is not None else default_model_dir()
    target = models / "versions" / name
    target.mkdir(parents=True)
    for item in ("tier_classifier.joblib", "model_card.json"):
        shutil.copy2(origin / item, target / item)
    card = json.loads((target / "model_card.json").read_text(encoding="utf-8"))
    card["version"] = f"reload-test-{name}"
    (target / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    return target


def models_dir(root: Path, source: Any = None, names: tuple[str, ...] = ("A", "B")) -> Path:
    """``root/models`` with a version per name (:func:`model_version`) and the first one promoted."""
    from router.learning import promote

    models = root / "models"
    for name in names:
        model_version(models, name, source)
    promote(models, names[0])
    return models
