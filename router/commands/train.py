"""``budget-router train``: rebuild the tier classifier from ``data/corpus/``."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from router.commands._output import emit_json
from router.paths import data_dir, models_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train, calibrate and evaluate the tier classifier, then save it with its model card",
        description="Fits on the train split (plus format-perturbed siblings), fits the temperature "
        "and decision thresholds on the validation split, scores the test split, the outcome-holdout "
        "items and the project's hand-written holdout, and writes the model and its card.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="project data folder (default: data/)")
    parser.add_argument("--out", type=Path, default=None, help="model folder (default: models/)")
    parser.add_argument("--loso", action="store_true", help="also run leave-one-source-out (slow: one fit per source)")
    parser.add_argument(
        "--loso-source",
        action="append",
        default=None,
        metavar="NAME",
        help="leave out only this source (repeatable; implies --loso): one fit each, for a quick check",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="train on a random sample of N training rows (smoke runs)"
    )
    parser.add_argument("--C", type=float, default=None, help="inverse regularisation strength")
    parser.add_argument("--json", action="store_true", help="print the model card as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from classifier._corpus import project_files
    from classifier._eval import evaluate
    from classifier._train import (
        contrasts,
        files_sha256,
        fit_calibrated,
        leave_one_source_out,
        load_rows,
        report_by_source,
    )
    from router.cli import CommandError

    root = args.data_dir or data_dir()
    corpus = root / "corpus"
    paths = {s: corpus / f"{s}.jsonl.gz" for s in ("train", "validation", "test", "outcome_holdout")}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise CommandError(f"corpus files missing ({', '.join(missing)}); run `budget-router build-data`")
    log = (lambda msg: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    rows = {split: load_rows(path) for split, path in paths.items()}
    # a seeded random sample, not the first rows: the files are sorted by id, i.e. by source
    train = random.Random(0).sample(rows["train"], min(args.limit, len(rows["train"]))) if args.limit else rows["train"]
    params = {"C": args.C} if args.C is not None else {}
    if args.loso_source:
        known = {
            r["source"] for split in ("train", "validation", "test") for r in rows[split] if r["origin"] == "source"
        }
        unknown = sorted(set(args.loso_source) - known)
        if unknown:
            raise CommandError(
                f"--loso-source: unknown source {', '.join(unknown)}; sources are {', '.join(sorted(known))}"
            )
    log(f"training on {len(train)} prompts (+ format-perturbed siblings)")
    clf = fit_calibrated(train, rows["validation"], params, verbose=not args.json)
    train_seconds = time.perf_counter() - started
    log(f"trained in {train_seconds:.1f} s; evaluating")
    test = rows["test"]
    metrics = {
        "test": evaluate(clf, [r["text"] for r in test], [r["tier"] for r in test]),
        "test_by_source": report_by_source(clf, test),
        "within_source_contrasts_test": contrasts(clf, test),
        "outcome_holdout_by_source": report_by_source(clf, rows["outcome_holdout"]),
    }
    held = [row for path in project_files(root / "raw", "holdout") for row in load_rows(path)]
    if held:
        metrics["project_holdout"] = evaluate(clf, [r["text"] for r in held], [r["tier"] for r in held])
    if args.loso or args.loso_source:
        metrics["leave_one_source_out"] = leave_one_source_out(
            train,
            rows["validation"],
            test,
            params,
            sources=args.loso_source,
            progress=lambda s: log(f"leave-one-source-out: {s}"),
        )
    card = {
        "version": time.strftime("%Y%m%d-%H%M%S", time.gmtime()),
        "training_data": {
            "sha256": files_sha256([paths["train"], paths["validation"]]),
            "train_rows": len(train),
            "validation_rows": len(rows["validation"]),
            "limit": args.limit,
        },
        "training_seconds": round(train_seconds, 1),
        "metrics": metrics,
    }
    out = args.out or models_dir()
    card_path = clf.save(out, card=card)
    if args.json:
        emit_json(json.loads(card_path.read_text(encoding="utf-8")))
    else:
        t = metrics["test"]
        print(f"test: accuracy={t['accuracy']} macro_f1={t['macro_f1']} under_routing={t['under_routing']}")
        if "project_holdout" in metrics:
            h = metrics["project_holdout"]
            print(
                f"project holdout: accuracy={h['accuracy']} macro_f1={h['macro_f1']} under_routing={h['under_routing']}"
            )
        print(f"saved to {out}")
    return 0
