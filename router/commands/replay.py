"""``budget-router replay``: replay a per-item outcome file as if the router had served it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from router.commands._output import emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay an outcome file through the router: expensive share needed for 95%% quality",
        description="Logs every item of OUTCOMES at the cheap and the expensive setting with its "
        "correctness as feedback, trains a per-item escalation model with K-fold cross-fitting (the "
        "model deciding fold k never saw fold k's feedback), routes each item, logs the served requests "
        "and prints the share sent to the expensive setting needed to keep 95%% of the always-expensive "
        "quality, beside random routing and the per-item oracle, with the quality-vs-share curve.",
    )
    parser.add_argument("outcomes", type=Path, help="an outcome file (data/sources/outcomes/*.jsonl.gz)")
    parser.add_argument("--database-url", default=None, help="log to write (default: a temporary SQLite file)")
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold assignment")
    parser.add_argument("--prompts-dir", type=Path, default=None, help="where bbh.jsonl.gz is (BBH files)")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="classifier whose complexity score may join the features (default: the served model)",
    )
    parser.add_argument("--no-classifier", action="store_true", help="route on the escalation model alone")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(handler=run)


def _classifier(args: argparse.Namespace, texts: list[str]) -> tuple[object | None, int | None]:
    if args.no_classifier:
        return None, None
    from classifier import TierClassifier
    from router.learning import current_model_path
    from router.paths import data_dir, models_dir
    from router.replay import classifier_overlap

    try:
        clf = TierClassifier.load(args.model or current_model_path(models_dir()))
    except Exception as exc:
        print(f"replay: no classifier ({exc}); routing on the escalation model alone", file=sys.stderr)
        return None, None
    return clf, classifier_overlap(texts, data_dir())


def run(args: argparse.Namespace) -> int:
    from router.cli import CommandError
    from router.replay import OutcomeFormatError, load_outcomes, replay
    from router.store import make_engine, migrate

    if args.folds < 2:
        raise CommandError("--folds must be at least 2")
    try:
        outcomes = load_outcomes(args.outcomes, args.prompts_dir)
    except (OSError, OutcomeFormatError) as exc:
        raise CommandError(str(exc)) from exc
    clf, overlap = _classifier(args, outcomes.texts)
    with tempfile.TemporaryDirectory(prefix="budget-router-replay-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'replay.db'}"
        engine = make_engine(url)
        try:
            migrate(engine)
            say = None if args.json else (lambda message: print(f"replay: {message}", file=sys.stderr))
            result = replay(
                outcomes,
                engine,
                folds=args.folds,
                seed=args.seed,
                classifier=clf,
                classifier_overlap_count=overlap,
                progress=say,
            )
        finally:
            engine.dispose()
    result["database_url"] = args.database_url
    if args.json:
        emit_json(result)
    else:
        print(
            f"{result['dataset']}: {result['items']} items; expensive share at 95% quality "
            f"{result['expensive_share_at_95']} (random {result['random_share_at_95']}, "
            f"oracle {result['oracle_share_at_95']})"
        )
    return 0
