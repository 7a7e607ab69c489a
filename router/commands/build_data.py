"""``budget-router build-data``: rebuild ``data/corpus/`` from ``data/sources/``."""

from __future__ import annotations

import argparse
from pathlib import Path

from router.commands._output import emit_json
from router.paths import data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build-data",
        help="rebuild the labelled corpus (data/corpus/) from data/sources/",
        description="Normalise, de-duplicate, decide ambiguous tiers, add gap-filling requests and "
        "split by item into train/validation/test (see data/README.md).",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="project data folder (default: data/)")
    parser.add_argument("--seed", type=int, default=None, help="split and augmentation seed")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from classifier._corpus import DEFAULT_SEED, build_corpus, project_files
    from router.cli import CommandError

    root = args.data_dir or data_dir()
    sources = root / "sources" / "prompts"
    if not sources.is_dir():
        raise CommandError(f"no source prompts under {sources}")
    manifest = build_corpus(
        sources,
        project_files(root / "raw"),
        root / "corpus",
        seed=DEFAULT_SEED if args.seed is None else args.seed,
    )
    if args.json:
        emit_json(manifest)
    else:
        for split, tiers in manifest["totals"].items():
            print(f"{split:>16}: " + "  ".join(f"{t}={n}" for t, n in tiers.items()))
        print(f"written to {root / 'corpus'}")
    return 0
