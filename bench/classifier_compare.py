"""Classifier speed of this checkout against another one, in the same run, on one core.

    python bench/classifier_compare.py --other DIR [--json]

``DIR`` is another checkout of the project (``git worktree add /tmp/base <commit>``), run with
its own code and model. On a shared machine the same code's median can move by half between runs
a minute apart, so two separate runs of ``bench/classifier_speed.py`` compare badly. Here two
worker processes, one per checkout, pinned to the same core, take the prompts in turns of
:data:`BLOCK` (the same block to each, in alternating order), so both see the machine in the same
state and each keeps its model warm in the cache within a block. Prints each side's median and p99
and the median of the per-prompt time ratios (this checkout / the other).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
from _prompts import percentiles_ms, print_figures, repeated_to, test_split_texts

#: Prompts a worker classifies before the other worker takes the same ones.
BLOCK = 25
#: Each worker loads its checkout's classifier and answers a line holding a block of prompts with
#: the seconds ``classify`` took on each (``predict([text])`` where the checkout has no ``classify``).
_WORKER = """
import json, os, sys, time
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {int(sys.argv[1])})
from classifier import TierClassifier
clf = TierClassifier.load()
one = getattr(clf, "classify", None) or (lambda text: clf.predict([text]))
for line in sys.stdin:
    seconds = []
    for text in json.loads(line):
        start = time.perf_counter()
        one(text)
        seconds.append(time.perf_counter() - start)
    print(json.dumps(seconds), flush=True)
"""


class _Worker:
    def __init__(self, checkout: Path, core: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(core)],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def time(self, texts: list[str]) -> list[float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(texts) + "\n")
        self.process.stdin.flush()
        seconds: list[float] = json.loads(self.process.stdout.readline())
        return seconds

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def _compare(this: _Worker, other: _Worker, texts: list[str]) -> dict[str, float]:
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(0, len(texts), BLOCK):
        block = texts[i : i + BLOCK]
        if (i // BLOCK) % 2:
            theirs += other.time(block)
            ours += this.time(block)
        else:
            ours += this.time(block)
            theirs += other.time(block)
    return {
        "n": len(texts),
        **{f"this_{key}": value for key, value in percentiles_ms(ours).items()},
        **{f"other_{key}": value for key, value in percentiles_ms(theirs).items()},
        "median_ratio": round(float(np.median(np.asarray(ours) / np.asarray(theirs))), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="another checkout of the project")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    if not (args.other / "classifier" / "__init__.py").exists():
        parser.error(f"{args.other} is not a checkout of the project (no classifier/__init__.py)")

    all_texts = test_split_texts()
    rng = random.Random(0)
    texts = rng.sample([t for t in all_texts if len(t) <= 2000], 2000)
    exactly_2000 = repeated_to(rng.choices([t for t in all_texts if len(t) >= 400], k=500), 2000)

    core = sorted(os.sched_getaffinity(0))[0] if hasattr(os, "sched_getaffinity") else 0
    this = _Worker(Path(__file__).resolve().parent.parent, core)
    other = _Worker(args.other.resolve(), core)
    try:
        _compare(this, other, texts[:200])  # warm-up
        figures = {
            "test_prompts_le_2000_chars": _compare(this, other, texts),
            "prompts_of_2000_chars": _compare(this, other, exactly_2000),
        }
    finally:
        this.close()
        other.close()
    print_figures(figures, args.json)


if __name__ == "__main__":
    main()
