"""Versioned model directories and the ``CURRENT`` pointer a running service follows.

Layout of a models directory::

    models/
      tier_classifier.joblib, model_card.json    the shipped model (used while no CURRENT exists)
      versions/<version>/                        one directory per retrained model, never changed
      CURRENT                                    one line: the path of the served model, relative

:func:`promote` switches ``CURRENT`` atomically (a temporary file, fsync, ``os.replace``): a
reader sees the old pointer or the new one, never a torn one, and the version directory it points
to is complete before the switch. A service polls :func:`model_changed` (one ``stat`` and a read of
a one-line file) and, when it is true, loads :func:`current_model_path` and swaps its engine;
requests in flight finish on the old one. Rolling back is promoting an older version.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from classifier._persist import CARD_NAME

POINTER_NAME = "CURRENT"
VERSIONS_DIR = "versions"

ModelStamp = tuple[str, int]


def new_version() -> str:
    """A sortable, unique version name: UTC time plus a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def version_dir(models_dir: str | Path, version: str) -> Path:
    return Path(models_dir) / VERSIONS_DIR / version


def _read_pointer(models_dir: Path) -> str | None:
    try:
        text = (models_dir / POINTER_NAME).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def current_model_path(models_dir: str | Path) -> Path:
    """The model directory to serve: what ``CURRENT`` names, else ``models_dir`` itself."""
    models_dir = Path(models_dir)
    target = _read_pointer(models_dir)
    if target is None:
        return models_dir
    path = (models_dir / target).resolve()
    if models_dir.resolve() not in path.parents:
        raise ValueError(f"{models_dir / POINTER_NAME} points outside {models_dir}: {target!r}")
    return path


def current_version(models_dir: str | Path) -> str | None:
    """The promoted version's name (``None`` while the shipped model is served)."""
    target = _read_pointer(Path(models_dir))
    return Path(target).name if target else None


def model_stamp(models_dir: str | Path) -> ModelStamp:
    """A cheap fingerprint of what is served: the pointer's text and the served card's mtime."""
    models_dir = Path(models_dir)
    pointer = _read_pointer(models_dir) or ""
    try:
        mtime = (current_model_path(models_dir) / CARD_NAME).stat().st_mtime_ns
    except (FileNotFoundError, ValueError):
        mtime = 0
    return pointer, mtime


def model_changed(models_dir: str | Path, since: ModelStamp) -> bool:
    """Whether the served model differs from the one ``since`` (a :func:`model_stamp`) saw."""
    return model_stamp(models_dir) != since


def promote(models_dir: str | Path, version: str) -> Path:
    """Point ``CURRENT`` at ``versions/<version>`` atomically; returns that directory."""
    models_dir = Path(models_dir)
    target = version_dir(models_dir, version)
    if not (target / CARD_NAME).is_file():
        raise FileNotFoundError(f"no model card in {target}: not a complete model version")
    tmp = models_dir / f".{POINTER_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{VERSIONS_DIR}/{version}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, models_dir / POINTER_NAME)
    _fsync_dir(models_dir)
    return target


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
