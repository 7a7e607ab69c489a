"""The README stays true: every command documented, its examples executed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.cli import COMMANDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [c.replace("_", "-") for c in COMMANDS])
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"budget-router {command}" in README


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
README_URL = "http://127.0.0.1:8080"


def test_classifier_example_runs_and_says_what_it_prints() -> None:
    [block] = [b for b in PYTHON_BLOCKS if "TierClassifier" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    for line in block.splitlines():
        match = re.match(r"(clf\.predict\(.*\))\s+# array\(\['(\w+)'\]", line)
        if match:
            assert list(eval(match.group(1), namespace)) == [match.group(2)], line
    assert list(namespace["clf"].classes_) == ["light", "intermediate", "advanced"]  # type: ignore[attr-defined]


def test_client_examples_run_against_a_live_router(router_server) -> None:
    """The google-genai and openai examples, pointed at a router whose upstream is the stand-in."""
    blocks = [b for b in PYTHON_BLOCKS if README_URL in b]
    assert len(blocks) == 2
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block.replace(README_URL, router_server.url), "README.md", "exec"), namespace)
        reply = namespace["reply"]
        text = reply.text if hasattr(reply, "text") else reply.choices[0].message.content  # type: ignore[attr-defined]
        assert text.startswith("[fake-gemini]")
        client = namespace["client"]
        client.close()  # type: ignore[attr-defined]


def test_quickstart_has_exactly_two_setup_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in quickstart.splitlines() if line.startswith("    ")]
    assert len(commands) == 2
    assert commands[1] == "bash scripts/check"
    assert "budget-router serve" in commands[0]
