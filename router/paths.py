"""Where the project's shipped files live: the repository's ``data/`` and ``models/`` folders."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return PROJECT_ROOT / "data"


def models_dir() -> Path:
    return PROJECT_ROOT / "models"
