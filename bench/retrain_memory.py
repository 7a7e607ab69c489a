"""Memory of retraining's log reading and training-set building on a log of 1,000,000 requests.

    .venv/bin/python bench/retrain_memory.py [--rows 1000000] [--feedback-share 0.3] [--db PATH]

Generates the log in a child process (SQLite file; distinct prompts = rows / 5, 30% of requests
rated), then, in this process, reads the latest feedback per request in chunks, folds it into
per-prompt evidence and builds the training set over the corpus train split, and prints the time
and the peak resident memory (``getrusage``) and Python heap peak (``tracemalloc``). Target: under
2 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIERS = ("light", "intermediate", "advanced")
WORDS = [
    "plan",
    "compare",
    "prove",
    "translate",
    "summarise",
    "schedule",
    "derive",
    "optimise",
    "explain",
    "list",
    "classify",
    "rewrite",
]


def generate(url: str, rows: int, feedback_share: float, seed: int = 0) -> None:
    from sqlalchemy import insert

    from router.store import FeedbackRow, RequestRow, make_engine, migrate, prompt_hash

    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    prompts = max(1, rows // 5)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    batch = 20_000
    try:
        for offset in range(0, rows, batch):
            requests, feedback = [], []
            for i in range(offset, min(rows, offset + batch)):
                p = rng.randrange(prompts)
                text = f"{WORDS[p % len(WORDS)]} item {p}: " + " ".join(rng.choice(WORDS) for _ in range(30))
                rid = f"b{i:08d}"
                when = start + timedelta(seconds=i)
                requests.append(
                    {
                        "request_id": rid,
                        "created_at": when,
                        "endpoint": "generateContent",
                        "prompt_hash": prompt_hash(f"prompt {p}"),
                        "prompt_text": text,
                        "tier_predicted": TIERS[p % 3],
                        "tier_served": TIERS[p % 3],
                        "model": "gemini-2.5-flash",
                        "thinking": "budget=0",
                        "overrides": "",
                        "overridden": rng.random() < 0.02,
                        "stand_in": False,
                        "status": 200,
                        "latency_ms": 120.0,
                        "prompt_tokens": 60,
                        "candidates_tokens": 200,
                        "cost_usd": 0.0005,
                        "cost_verified": True,
                    }
                )
                if rng.random() < feedback_share:
                    feedback.append({"request_id": rid, "created_at": when, "score": rng.choice((0.0, 0.2, 0.8, 1.0))})
            with engine.begin() as connection:
                connection.execute(insert(RequestRow), requests)
                if feedback:
                    connection.execute(insert(FeedbackRow), feedback)
    finally:
        engine.dispose()


def measure(url: str) -> dict[str, object]:
    from classifier._train import load_rows
    from router.learning import build_training_set, collect_feedback
    from router.paths import data_dir
    from router.store import iter_learning_rows, make_engine

    tracemalloc.start()
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        summary = collect_feedback(iter_learning_rows(engine, chunk_size=5000))
    finally:
        engine.dispose()
    read_s = time.perf_counter() - started
    corpus = load_rows(data_dir() / "corpus" / "train.jsonl.gz")
    dataset = build_training_set(corpus, summary)
    total_s = time.perf_counter() - started
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "feedback": summary.stats(),
        "training_set": dataset.stats,
        "read_seconds": round(read_s, 1),
        "total_seconds": round(total_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python_heap_peak_mb": round(heap_peak / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--feedback-share", type=float, default=0.3)
    parser.add_argument("--db", type=Path, default=None, help="reuse or keep this SQLite file")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="retrain-memory-") as tmp:
        db = args.db or Path(tmp) / "log.db"
        url = f"sqlite:///{db}"
        if args.generate_only:
            generate(url, args.rows, args.feedback_share)
            return 0
        if not db.exists():
            t0 = time.perf_counter()
            cmd = [sys.executable, __file__, "--generate-only", "--rows", str(args.rows), "--db", str(db)]
            subprocess.run([*cmd, "--feedback-share", str(args.feedback_share)], check=True)
            print(f"generated {args.rows} requests in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        result = {"rows": args.rows, "db_mb": round(db.stat().st_size / 2**20, 1), **measure(url)}
    print(json.dumps(result, indent=2))
    limit_mb = 2048
    print(f"peak RSS {result['peak_rss_mb']} MB ({'under' if result['peak_rss_mb'] < limit_mb else 'OVER'} 2 GB)")
    return 0 if result["peak_rss_mb"] < limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
