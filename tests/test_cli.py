"""The ``budget-router`` command line: help everywhere, JSON output, clear errors."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from router.cli import COMMANDS, build_parser, main

COMMAND_NAMES = [name.replace("_", "-") for name in COMMANDS]


def test_every_command_is_registered_and_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert sorted(subparsers.choices) == sorted(COMMAND_NAMES)
    for name in COMMAND_NAMES:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert f"usage: budget-router {name}" in out


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys; from router.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('sklearn', 'google.genai', 'fastapi', 'scipy') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _write(path: Path, lines: list[str] | bytes) -> Path:
    path.write_bytes(lines if isinstance(lines, bytes) else "\n".join(lines).encode())
    return path


def test_eval_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"text": "Translate 'thank you very much' into Spanish.", "tier": "light"},
        {"text": "What is the capital of Australia?", "tier": "light"},
        {"text": "Prove that the square root of 2 is irrational.", "tier": "advanced"},
        {"text": "Implement a B+ tree with range scans in Rust and analyse its complexity.", "tier": "advanced"},
    ]
    data = _write(tmp_path / "e.jsonl", [json.dumps(r) for r in rows])
    assert main(["eval", "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"accuracy", "macro_f1", "per_tier", "confusion", "under_routing", "over_routing"}
    assert report["n"] == 4
    assert set(report["per_tier"]) == {"light", "intermediate", "advanced"}
    assert set(report["per_tier"]["light"]) >= {"precision", "recall", "f1"}
    assert sum(sum(row.values()) for row in report["confusion"].values()) == 4


def test_eval_reads_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps({"text": "hola", "tier": "light"}).encode()))
    assert main(["eval", "--data", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "ok", "tier": "light"}\n{not json}\n', "e.jsonl:2: invalid JSON"),
        (b'{"text": 5, "tier": "light"}\n', "`text` must be a string, got int"),
        (b'{"text": null, "tier": "light"}\n', "`text` must be a string, got NoneType"),
        (b'{"text": "x", "tier": "hard"}\n', "`tier` must be one of"),
        (b'{"text": "\xff\xfe", "tier": "light"}\n', "invalid UTF-8"),
        (b"[1, 2]\n", "expected a JSON object"),
        (b"\n\n", "no rows"),
    ],
)
def test_eval_rejects_bad_files_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    data = _write(tmp_path / "e.jsonl", content)
    assert main(["eval", "--data", str(data), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_train_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`train` end to end on a small slice, into a temporary folder: a loadable model and card."""
    from classifier import TierClassifier

    args = ["train", "--limit", "1500", "--out", str(tmp_path), "--loso-source", "svamp", "--json"]
    assert main(args) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["training_data"]["train_rows"] == 1500
    assert {"test", "test_by_source", "within_source_contrasts_test", "project_holdout"} <= set(card["metrics"])
    assert list(card["metrics"]["leave_one_source_out"]) == ["svamp"]  # one held-out source, one more fit
    model = TierClassifier.load(tmp_path)
    assert model.predict(["hello"])[0] in {"light", "intermediate", "advanced"}


def test_train_names_the_sources_when_asked_for_an_unknown_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--loso-source", "no_such_source", "--json"]) == 2
    err = capsys.readouterr().err
    assert "unknown source no_such_source" in err and "svamp" in err


@pytest.mark.parametrize(
    "stdin",
    [b"", b"   \n\t ", b"caf\xc3\x28 \xff\xfe broken utf-8", b"word " * 200_000],
    ids=["empty", "whitespace", "invalid-utf8", "1MB"],
)
def test_route_gives_a_defined_tier_for_degenerate_input(stdin: bytes) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "router.cli", "route", "-", "--json"], input=stdin, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["tier"] in {"light", "intermediate", "advanced"}
    assert b"Traceback" not in result.stderr


def test_route_refuses_a_prompt_no_model_could_read_with_a_clear_error() -> None:
    """5 MB of text is about 1.25M tokens, over every context window: the service would answer
    400, and the command says the same, without a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "router.cli", "route", "-", "--json"],
        input=b"word " * 1_000_000,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert b"too long" in result.stderr and b"context window" in result.stderr
    assert b"Traceback" not in result.stderr


def test_closed_pipe_is_not_a_traceback() -> None:
    code = "from router.cli import main; import sys; sys.exit(main(['route', 'hello', '--json']))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before the command writes
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err
