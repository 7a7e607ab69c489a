"""Saving and loading a :class:`TierClassifier` with its model card.

A model directory holds ``tier_classifier.joblib`` (the estimator's parameters and fitted numpy
arrays, no pickled scikit-learn objects) and ``model_card.json`` (version, training-data hash,
library versions, label order, decision rule, metrics, and the artefact's SHA-256). Loading checks
the card against the artefact and the running versions, and fails with a clear message on a
mismatch. Only load artefacts you trust: joblib files can run code when unpickled.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from classifier._decision import Thresholds
from classifier._framing import FramingDetector
from classifier._model import TIERS, TierClassifier
from classifier.errors import ModelLoadError, ModelVersionMismatch

#: Bumped whenever saved weights stop meaning the same thing: 2 reads features from the prompt
#: without its framing sentences and has no paragraph-count signal; 3 adds the learned framing
#: detector (:mod:`classifier._framing`); 4 strips framing line by line before sentence by sentence
#: and gives the n-grams the detector weighs as framing idf 0 (``framing_cutoff``).
FORMAT_VERSION = 4
ARTEFACT_NAME = "tier_classifier.joblib"
CARD_NAME = "model_card.json"
_FEATURIZER_ARRAYS = ("idf_", "structural_mean_", "structural_scale_")


def default_model_dir() -> Path:
    """The model shipped with the project: ``models/`` beside the ``classifier`` package."""
    return Path(__file__).resolve().parent.parent / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    from router import __version__

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "budget-router": __version__,
    }


def save_model(clf: TierClassifier, directory: str | Path, *, card: dict[str, Any] | None = None) -> Path:
    """Write the artefact and its card into ``directory``; returns the card's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    featurizer = clf.featurizer_
    state = {
        "format_version": FORMAT_VERSION,
        "params": clf.get_params(),
        "featurizer": {name: getattr(featurizer, name) for name in _FEATURIZER_ARRAYS},
        "hashed_weights": clf.hashed_weights_,
        "idf_squared": clf.idf_squared_,
        "structural_weights": clf.structural_weights_,
        "intercept": clf.intercept_,
        "temperature": clf.temperature_,
        "thresholds": clf.thresholds_.to_dict(),
        "framing_detector": None if clf.framing_detector_ is None else clf.framing_detector_.to_state(),
    }
    artefact = directory / ARTEFACT_NAME
    joblib.dump(state, artefact, compress=("xz", 3))
    full_card = {
        "name": "budget-router tier classifier",
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "label_order": list(TIERS),
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in clf.get_params().items()},
        "temperature": clf.temperature_,
        "thresholds": clf.thresholds_.to_dict(),
        "libraries": library_versions(),
        **(card or {}),
        "artefact": {"file": ARTEFACT_NAME, "sha256": _sha256(artefact)},
    }
    card_path = directory / CARD_NAME
    card_path.write_text(json.dumps(full_card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card_path


def read_card(path: str | Path | None = None) -> dict[str, Any]:
    directory = _directory(path)
    card_path = directory / CARD_NAME
    try:
        card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"no model card at {card_path}; train one with `budget-router train`") from exc
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"model card {card_path} is not valid JSON: {exc}") from exc
    return card


def _directory(path: str | Path | None) -> Path:
    if path is None:
        return default_model_dir()
    path = Path(path)
    return path.parent if path.suffix in (".joblib", ".json") else path


def load_model(path: str | Path | None = None) -> TierClassifier:
    """Load and check a model directory (or its artefact or card path); ``None`` = shipped model."""
    directory = _directory(path)
    card = read_card(directory)
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelVersionMismatch(
            f"model in {directory} has format version {card.get('format_version')}, this "
            f"budget-router reads version {FORMAT_VERSION}: retrain it with `budget-router train`"
        )
    saved_numpy = str(card.get("libraries", {}).get("numpy", ""))
    if saved_numpy.split(".")[0] != np.__version__.split(".")[0]:
        raise ModelVersionMismatch(
            f"model in {directory} was saved with numpy {saved_numpy or 'unknown'}, running numpy "
            f"{np.__version__}: install numpy {saved_numpy.split('.')[0]}.x or retrain"
        )
    artefact = directory / card.get("artefact", {}).get("file", ARTEFACT_NAME)
    if not artefact.is_file():
        raise ModelLoadError(f"model artefact {artefact} is missing")
    expected = card.get("artefact", {}).get("sha256")
    if expected != _sha256(artefact):
        raise ModelLoadError(f"{artefact} does not match its model card (corrupt or replaced file)")
    try:
        state = joblib.load(artefact)
    except Exception as exc:
        raise ModelLoadError(f"cannot read model artefact {artefact}: {exc}") from exc
    params = state["params"]
    clf = TierClassifier(**{**params, "verbose": False})
    featurizer = clf._make_featurizer()
    for name in _FEATURIZER_ARRAYS:
        setattr(featurizer, name, state["featurizer"][name])
    featurizer.n_features_out_ = featurizer.n_hashed + len(featurizer.structural_mean_)
    detector = state.get("framing_detector")
    featurizer.framing_detector_ = None if detector is None else FramingDetector.from_state(detector)
    clf.featurizer_ = featurizer
    clf.hashed_weights_ = list(state["hashed_weights"])
    clf.idf_squared_ = state["idf_squared"]
    clf.structural_weights_ = state["structural_weights"]
    clf.intercept_ = state["intercept"]
    clf.classes_ = np.asarray(TIERS, dtype=object)
    clf.temperature_ = float(state["temperature"])
    clf.thresholds_ = Thresholds(**state["thresholds"])
    clf.model_card_ = card
    return clf
