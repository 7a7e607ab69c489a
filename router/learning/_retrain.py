"""The retraining job: feedback from the log -> training set -> candidate -> gate -> promotion."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from router.learning._dataset import build_training_set
from router.learning._gate import MAX_F1_DROP, UNDER_ROUTING_CAP, evaluate, gate
from router.learning._labels import FeedbackSummary
from router.learning._promote import current_model_path, current_version, new_version, promote, version_dir
from router.store import LearningRow, iter_learning_rows

log = logging.getLogger("budget_router.learning")


@dataclass
class RetrainConfig:
    """What one retraining run reads and writes.

    ``base_limit`` trains on a seeded sample of N corpus training rows (tests, smoke runs);
    ``params`` overrides :class:`classifier.TierClassifier` parameters (default: the current
    model's, so the comparison is about the data).
    """

    models_dir: Path
    data_dir: Path
    since: datetime | None = None
    chunk_size: int = 5000
    holdout_share: float = 0.2
    base_limit: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    promote: bool = True
    max_f1_drop: float = MAX_F1_DROP
    under_routing_cap: float = UNDER_ROUTING_CAP


def collect_feedback(rows: Iterable[LearningRow], progress: Callable[[int], None] | None = None) -> FeedbackSummary:
    """Fold the log's learning rows into per-prompt evidence, reporting progress every 1,000."""
    summary = FeedbackSummary()
    for n, row in enumerate(rows, 1):
        summary.add(row)
        if progress and n % 1000 == 0:
            progress(1000)
    if progress:
        progress(summary.rows % 1000)
    return summary


def fit_weighted(train: Sequence[dict[str, Any]], validation: Sequence[dict[str, Any]], params: dict[str, Any]) -> Any:
    """:func:`classifier._train.fit_calibrated`, the same fit as ``budget-router train`` (framing
    detector included); feedback rows carry their own ``weight``."""
    from classifier._train import fit_calibrated

    return fit_calibrated(train, validation, params)


def _load_current(models_dir: Path) -> tuple[Any | None, str | None]:
    from classifier import TierClassifier

    try:
        model = TierClassifier.load(current_model_path(models_dir))
    except Exception as exc:  # no model yet, or an unreadable one: the candidate stands alone
        log.warning("no current model to compare with: %s", exc)
        return None, None
    return model, str(model.model_card_.get("version", "unknown"))


def retrain(
    engine: Engine,
    config: RetrainConfig,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Run one retraining; returns the report (also written into the new version's card)."""
    from classifier._train import files_sha256, load_rows

    started = time.perf_counter()
    step = progress or (lambda what, n: None)
    summary = collect_feedback(
        iter_learning_rows(engine, since=config.since, chunk_size=config.chunk_size),
        progress=lambda n: step("feedback rows", n),
    )
    corpus = config.data_dir / "corpus"
    paths = {s: corpus / f"{s}.jsonl.gz" for s in ("train", "validation", "test")}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"corpus files missing: {', '.join(missing)} (run `budget-router build-data`)")
    rows = {split: load_rows(path) for split, path in paths.items()}
    base = rows["train"]
    if config.base_limit and config.base_limit < len(base):  # a seeded sample keeps every tier
        base = random.Random(0).sample(base, config.base_limit)
    dataset = build_training_set(base, summary, holdout_share=config.holdout_share)
    step("training", 0)
    current, current_name = _load_current(config.models_dir)
    params = dict(config.params)
    if current is not None and not params:
        params = {k: v for k, v in current.get_params().items() if k != "verbose"}
    candidate = fit_weighted(dataset.train, rows["validation"], params)
    step("evaluating", 0)
    cand_metrics = evaluate(candidate, rows["test"], dataset.feedback_holdout)
    cur_metrics = evaluate(current, rows["test"], dataset.feedback_holdout) if current is not None else None
    verdict = gate(
        cand_metrics, cur_metrics, max_f1_drop=config.max_f1_drop, under_routing_cap=config.under_routing_cap
    )
    version = new_version()
    report: dict[str, Any] = {
        "version": version,
        "parent_version": current_name,
        "parent_model_version": current_version(config.models_dir),
        "since": config.since.isoformat() if config.since else None,
        "feedback": summary.stats(),
        "training_set": dataset.stats,
        "training_data": {
            "corpus_sha256": files_sha256([paths["train"], paths["validation"]]),
            "base_limit": config.base_limit,
        },
        "metrics": {"candidate": cand_metrics, "current": cur_metrics},
        "gate": verdict.to_json(),
        "promoted": False,
    }
    out_dir = version_dir(config.models_dir, version)
    candidate.save(out_dir, card={**report, "training_seconds": round(time.perf_counter() - started, 1)})
    if verdict.passed and config.promote:
        promote(config.models_dir, version)
        report["promoted"] = True
        # the card on disk is written before the switch; record the outcome beside it
        (out_dir / "PROMOTED").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()), encoding="utf-8")
    report["path"] = str(out_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
