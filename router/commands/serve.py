"""``budget-router serve``: run the router service under uvicorn."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Serve the router: POST /v1/route, the Gemini-native proxy (/v1beta/models/auto:generateContent, ...),
POST /v1/chat/completions (OpenAI-compatible), /healthz, /readyz, /metrics.

Settings come from BUDGET_ROUTER_* environment variables (see router/settings.py); flags given
here override them. The Gemini key is read from GEMINI_API_KEY or GOOGLE_API_KEY. With no key and
no upstream URL the router still answers /v1/route, and proxy calls get a 503 saying how to
configure one. --with-fake-gemini starts the offline Gemini stand-in in this process and sends
every call to it: a complete offline demo whose answers are NOT real model output (its requests
are logged as stand-in traffic, which retraining ignores).

Every routed request is logged to the database (--database-url; an SQLite file in the working
directory by default) off the hot path, and POST /v1/feedback stores quality feedback on it. A
model promoted by `budget-router retrain` (the CURRENT pointer in the models directory) is picked
up within BUDGET_ROUTER_MODEL_RELOAD_INTERVAL_S seconds (default 5), without a restart.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the router service (HTTP)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default=None, help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: 8080; 0 picks a free one)")
    parser.add_argument("--upstream-url", default=None, help="a Gemini-compatible server instead of the Gemini API")
    parser.add_argument("--policy", default=None, help="policy preset or JSON file (default: flash-budget)")
    parser.add_argument("--model-path", type=Path, default=None, help="classifier directory (default: models/)")
    parser.add_argument("--catalog", type=Path, default=None, help="model catalog file (default: packaged)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="request log and feedback store (default: sqlite:///budget_router.db in the working directory)",
    )
    parser.add_argument(
        "--prompt-storage",
        choices=("full", "hash"),
        default=None,
        help="store each prompt's text and hash (full, the default) or its hash only",
    )
    parser.add_argument(
        "--with-fake-gemini",
        action="store_true",
        help="start the offline Gemini stand-in here and use it as the upstream (answers are not real)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (default 1; more need a fixed --port): the service is stateless",
    )
    parser.add_argument("--log-level", default="info", help="log level (default: info)")
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request (uvicorn's access log)")
    parser.add_argument("--json", action="store_true", help='print {"url": ...} as JSON once listening')
    parser.set_defaults(handler=run)


def _settings(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from router.cli import CommandError
    from router.settings import Settings

    given = {
        "host": args.host,
        "port": args.port,
        "upstream_url": args.upstream_url,
        "policy": args.policy,
        "model_path": args.model_path,
        "catalog_path": args.catalog,
        "database_url": args.database_url,
        "prompt_storage": args.prompt_storage,
    }
    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        raise CommandError(f"invalid settings: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from router.app import create_app
    from router.cli import CommandError

    settings = _settings(args)
    level = args.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    fake = None
    if args.with_fake_gemini:
        if args.upstream_url:
            raise CommandError("--with-fake-gemini and --upstream-url are exclusive")
        from router.fake_gemini import BackgroundServer

        fake = BackgroundServer(log_level="warning").start()
        settings = settings.model_copy(update={"upstream_url": fake.url, "stand_in": True})
        print(
            f"OFFLINE DEMO: every call goes to the fake Gemini stand-in at {fake.url}; "
            "its answers are generated locally and are NOT real model output.",
            file=sys.stderr,
        )
    if args.workers > 1:
        try:
            return _run_workers(args, settings, fake)
        finally:
            if fake is not None:
                fake.stop()
    config = uvicorn.Config(create_app(settings), **_uvicorn_options(args, settings))

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                url = f"http://{settings.host if settings.host not in ('0.0.0.0', '::') else host}:{port}"
                if args.json:
                    print(
                        json.dumps({"url": url, "service": "budget-router", "fake_gemini": fake.url if fake else None})
                    )
                else:
                    print(f"budget-router listening on {url}", file=sys.stderr)
                sys.stdout.flush()

    try:
        _Server(config).run()
    finally:
        if fake is not None:
            fake.stop()
    return 0


def settings_env(settings: Any) -> dict[str, str]:
    """``BUDGET_ROUTER_*`` variables that rebuild ``settings`` in another process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if name == "gemini_api_key":
            value = settings.gemini_api_key.get_secret_value()
        elif isinstance(value, (set, frozenset)):  # the key lists
            value = ",".join(sorted(value))
        env[f"BUDGET_ROUTER_{name.upper()}"] = str(value)
    return env


def _run_workers(args: argparse.Namespace, settings: Any, fake: Any) -> int:
    """Several worker processes: each builds the app from the environment (create_app factory)."""
    import os

    import uvicorn

    from router.cli import CommandError

    if settings.port == 0:
        raise CommandError("--workers needs a fixed --port")
    os.environ.update(settings_env(settings))
    url = f"http://{settings.host}:{settings.port}"
    if args.json:
        print(json.dumps({"url": url, "service": "budget-router", "fake_gemini": fake.url if fake else None}))
    else:
        print(f"budget-router listening on {url} ({args.workers} workers)", file=sys.stderr)
    sys.stdout.flush()
    uvicorn.run("router.app:create_app", factory=True, workers=args.workers, **_uvicorn_options(args, settings))
    return 0


def _uvicorn_options(args: argparse.Namespace, settings: Any) -> dict[str, Any]:
    """What every uvicorn start shares, one worker in this process or several."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": args.log_level.lower(),
        "access_log": args.access_log,
        "lifespan": "on",
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "backlog": 2048,
    }
