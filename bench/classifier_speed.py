"""Classifier speed on one core: per-prompt latency, long prompts, batch throughput, model load.

    python bench/classifier_speed.py [--model-path DIR] [--json]

Prints medians and p99s measured in this one run. One prompt is timed through
``TierClassifier.classify``, the single-prompt call the router makes; the prompts of 2,000
characters are also timed through ``predict([text])``, which adds the batch machinery. Targets
(issue 2): a prompt of <= 2,000 characters in <= 0.3 ms median and <= 1 ms p99; a 100,000-character
prompt in <= 5 ms; model load <= 1 s. Timing is not asserted anywhere: shared machines make timed
tests flaky. ``compiled_speedups`` says whether the compiled helpers were used (see
``classifier/_compiled.py``; ``BUDGET_ROUTER_PURE_NUMPY=1`` measures the numpy versions).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _prompts import percentiles_ms, print_figures, repeated_to, test_split_texts  # noqa: E402

from classifier import TierClassifier  # noqa: E402
from classifier._compiled import speedups  # noqa: E402


def _time_each(clf: TierClassifier, texts: list[str], *, batch_api: bool = False) -> list[float]:
    """Seconds per prompt through ``classify`` (one prompt: the router's path), or through
    ``predict([text])`` (the batch API on a batch of one) with ``batch_api``."""
    out = []
    for text in texts:
        start = time.perf_counter()
        if batch_api:
            clf.predict([text])
        else:
            clf.classify(text)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    load_times = []
    for _ in range(5):
        start = time.perf_counter()
        clf = TierClassifier.load(args.model_path)
        load_times.append(time.perf_counter() - start)

    all_texts = test_split_texts()
    rng = random.Random(0)
    texts = [t for t in all_texts if len(t) <= 2000]
    sample = rng.sample(texts, 3000)
    long_texts = [t for t in all_texts if len(t) >= 400]
    exactly_2000 = repeated_to(rng.choices(long_texts, k=500), 2000)
    huge = repeated_to(rng.sample(long_texts, 50), 100_000)

    _time_each(clf, sample[:300])  # warm-up
    batch = rng.sample(texts, 5000)
    start = time.perf_counter()
    clf.predict(batch)
    batch_seconds = time.perf_counter() - start

    figures = {
        "test_prompts_le_2000_chars": {
            "n": len(sample),
            "median_chars": int(np.median([len(t) for t in sample])),
            **percentiles_ms(_time_each(clf, sample)),
        },
        "prompts_of_2000_chars": {"n": len(exactly_2000), **percentiles_ms(_time_each(clf, exactly_2000))},
        "prompts_of_2000_chars_via_predict": {
            "n": len(exactly_2000),
            **percentiles_ms(_time_each(clf, exactly_2000, batch_api=True)),
        },
        "prompts_of_100000_chars": {"n": len(huge), **percentiles_ms(_time_each(clf, huge))},
        "batch_throughput_prompts_per_s": round(len(batch) / batch_seconds),
        "model_load": {"median_s": round(float(np.median(load_times)), 4), "max_s": round(max(load_times), 4)},
        "cores": 1,
        "compiled_speedups": speedups is not None,
    }
    print_figures(figures, args.json)


if __name__ == "__main__":
    main()
