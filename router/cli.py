"""The ``budget-router`` command line.

Each sub-command lives in its own module under :mod:`router.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function taking
the parsed arguments and returning an exit code. Modules are imported only to build the parser;
heavy dependencies (scikit-learn, google-genai, FastAPI) are imported inside the handlers, so
``budget-router --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from router import __version__

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "serve",
    "route",
    "train",
    "eval",
    "build_data",
    "fake_gemini",
    "retrain",
    "replay",
    "report",
)


class CommandError(Exception):
    """A user-facing failure of a command: printed as ``error: ...`` with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="budget-router",
        description="Route each Gemini request to the reasoning effort it deserves.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"router.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`budget-router ... | head`): not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    # `python -m router.cli` runs this file as __main__; the commands import router.cli, a second
    # copy whose CommandError is another class, so run that copy's main
    from router.cli import main as _main

    sys.exit(_main())
