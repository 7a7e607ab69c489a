"""``budget-router serve`` as a real process, for tests that signal or kill it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def start_serve(*args: str, env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start ``serve --port 0 --json`` with ``args`` (no Gemini key from the developer's
    environment; ``env`` added to it) and return the process and its URL once it listens."""
    environ = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    environ.update(env or {})
    server = subprocess.Popen(
        [sys.executable, "-m", "router.cli", "serve", "--port", "0", "--json", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=environ,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line:
        server.kill()
        raise RuntimeError("the server did not start")
    return server, json.loads(line)["url"]
