"""``budget-router eval``: score a labelled JSONL file with the tier classifier."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

from router.commands._output import emit_json

TIER_NAMES = ("light", "intermediate", "advanced")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score a JSONL file of prompts with known tiers",
        description="Reads a JSONL file (optionally .gz) whose rows have a string `text` and a `tier` "
        "(light, intermediate or advanced), classifies every text and prints accuracy, macro_f1, "
        "per_tier precision/recall/f1, the confusion matrix (rows: true tier), under_routing "
        "(share of advanced predicted light) and over_routing (share of light predicted advanced).",
    )
    parser.add_argument("--data", type=Path, required=True, help="JSONL file with `text` and `tier` fields")
    parser.add_argument("--model-path", type=Path, default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Texts and tiers of a labelled JSONL file; raises CommandError naming the first bad line."""
    from router.cli import CommandError

    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except OSError as exc:
            raise CommandError(f"{path}: not a valid gzip file ({exc})") from exc
    texts, tiers = [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            row: Any = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}:{number}: invalid UTF-8 ({exc.reason} at byte {exc.start})") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise CommandError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        text, tier = row.get("text"), row.get("tier")
        if not isinstance(text, str):
            raise CommandError(f"{path}:{number}: `text` must be a string, got {type(text).__name__}")
        if tier not in TIER_NAMES:
            raise CommandError(f"{path}:{number}: `tier` must be one of {', '.join(TIER_NAMES)}, got {tier!r}")
        texts.append(text)
        tiers.append(tier)
    if not texts:
        raise CommandError(f"{path}: no rows")
    return texts, tiers


def run(args: argparse.Namespace) -> int:
    from classifier import TierClassifier
    from classifier._eval import evaluate
    from classifier.errors import ModelLoadError
    from router.cli import CommandError

    texts, tiers = read_labelled(args.data)
    try:
        clf = TierClassifier.load(args.model_path)
    except ModelLoadError as exc:
        raise CommandError(str(exc)) from exc
    report = evaluate(clf, texts, tiers)
    if args.json:
        emit_json(report)
        return 0
    print(
        f"{report['n']} prompts  accuracy={report['accuracy']}  macro_f1={report['macro_f1']}  "
        f"under_routing={report['under_routing']}  over_routing={report['over_routing']}"
    )
    print(f"{'':>14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for tier, row in report["per_tier"].items():
        print(f"{tier:>14}{row['precision']:>10}{row['recall']:>8}{row['f1']:>8}{row['support']:>9}")
    print("confusion (rows: true, columns: predicted " + " / ".join(TIER_NAMES) + ")")
    for tier, row in report["confusion"].items():
        print(f"{tier:>14}" + "".join(f"{row[t]:>8}" for t in TIER_NAMES))
    return 0
