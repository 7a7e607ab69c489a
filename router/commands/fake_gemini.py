"""``budget-router fake-gemini``: serve the offline Gemini stand-in (it produces no real answers)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from router.fake_gemini._faults import FAULT_SYNTAX

DESCRIPTION = """\
Serve an offline stand-in for the Gemini API on a local port. It speaks the Gemini REST API
well enough for the real google-genai SDK (generateContent, streamGenerateContent?alt=sse,
countTokens, models list/get, under /v1beta and /v1), validates thinking settings as the model
catalog says (400 on invalid, 404 for unknown models), and answers with deterministic text
starting "[fake-gemini]" and realistic usageMetadata. It produces no real answers: it exists so
that tests, benchmarks and demos run without the Gemini API.

Point a client at it with HttpOptions(base_url="http://HOST:PORT"). Test routes:
GET|DELETE /_fake/requests (recorded requests), GET|POST|DELETE /_fake/faults, POST /_fake/reset.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fake-gemini",
        help="serve an offline Gemini API stand-in for tests and demos (no real answers)",
        description=DESCRIPTION,
        epilog=FAULT_SYNTAX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--latency-ms", type=int, default=0, metavar="N", help="delay every API response by N ms")
    parser.add_argument("--chunk-delay-ms", type=int, default=0, metavar="N", help="pause N ms between SSE chunks")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="start-up fault rule (repeatable); syntax below",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the random draws of faults with a rate, e.g. 503~5%% (default: 0)",
    )
    parser.add_argument("--catalog", type=Path, default=None, help="model catalog file (default: packaged)")
    parser.add_argument("--api-key", default=None, help="accept only this API key (default: accept any)")
    parser.add_argument(
        "--record-limit",
        type=int,
        default=10_000,
        metavar="N",
        help="keep the last N requests for GET /_fake/requests (0: record none)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="answer 404 for models past their catalog shutdown on this day (default: never)",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--json", action="store_true", help='print {"url": ...} as one JSON line once listening')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from router.catalog import CatalogError
    from router.cli import CommandError
    from router.fake_gemini import FakeGeminiOptions, FaultSpecError, parse_faults, run_server

    for name in ("latency_ms", "chunk_delay_ms", "record_limit"):
        if getattr(args, name) < 0:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 0")
    try:
        faults = tuple(f for spec in args.fault for f in parse_faults(spec))
    except FaultSpecError as exc:
        raise CommandError(f"--fault: {exc}") from exc
    try:
        from router.catalog import Catalog

        catalog = Catalog.load(args.catalog)
    except CatalogError as exc:
        raise CommandError(str(exc)) from exc
    options = FakeGeminiOptions(
        latency_ms=args.latency_ms,
        chunk_delay_ms=args.chunk_delay_ms,
        faults=faults,
        catalog=catalog,
        api_key=args.api_key,
        record_limit=args.record_limit,
        today=args.today,
        seed=args.seed,
    )

    def ready(url: str) -> None:
        if args.json:  # one line, so that a script can read it while the server runs
            print(json.dumps({"url": url, "service": "fake-gemini", "stand_in": True}))
        else:
            print(f"fake-gemini (offline stand-in, no real answers) listening on {url}")
        sys.stdout.flush()

    run_server(
        options,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        on_ready=ready,
    )
    return 0
