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


def test_python_example_runs_and_says_what_it_prints() -> None:
    [block] = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    clf = namespace["clf"]
    for line in block.splitlines():
        match = re.match(r"(clf\.predict\(.*\))\s+# array\(\['(\w+)'\]", line)
        if match:
            assert list(eval(match.group(1), namespace)) == [match.group(2)], line
    assert list(clf.classes_) == ["light", "intermediate", "advanced"]  # type: ignore[attr-defined]


def test_quickstart_has_exactly_two_setup_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in quickstart.splitlines() if line.startswith("    ")]
    assert len(commands) == 2
    assert commands[1] == "bash scripts/check"
    assert "budget-router serve" in commands[0]
