"""Load and upstream faults against a real router: throughput, latency, errors by cause, and
whether every answered request and every acknowledged feedback reached the database.

Starts the offline Gemini stand-in (zero latency, a seeded 5% mix of upstream faults: 429, 500,
503 and cuts; a cut drops a stream after about half of its chunks, a plain answer after half of
its body) and ``budget-router serve`` on 127.0.0.1 as subprocesses, the router logging to a
fresh SQLite file in a temporary directory (or ``--database-url``). Then ``--concurrency``
clients, each on its own keep-alive connection, send ``--requests`` requests in all, a seeded
mix of:

* ``POST /v1beta/models/auto:generateContent``;
* ``POST /v1beta/models/auto:streamGenerateContent?alt=sse``;
* ``POST /v1/chat/completions`` (``model: auto``), plain and streamed;
* ``POST /v1/feedback`` on the ``x-router-request-id`` of an answer received earlier.

The run is bounded: each request by ``--request-timeout`` (a request that runs past it counts as
an error by cause ``client timeout``), the load by ``--time-limit``, start-up and shutdown by
their own limits. The report gives throughput, latency percentiles, statuses, errors by cause
(what clients saw: an upstream fault passed through after the router's retries, a stream broken
off after its first chunk, a timeout, a connection error...), answers served by a fallback model,
and what the router did about the faults the stand-in injected (its retry and attempt counters
from ``/metrics``, and the stand-in's own count of faults fired).

As soon as the last request is sent, the router gets SIGTERM while the others are still in
flight (``--stop-idle``: after the load): its graceful shutdown finishes them, then flushes its
request-log queue. Once it has exited, the database is read with SQLAlchemy: every request id a
client got an answer for (any status) must have a row in ``requests``, and every feedback the
router acknowledged (2xx) its row in ``feedback``. Exits 1 when a row is missing, the time bound
was hit, the router answered an error of its own (a 5xx that is no upstream fault) or did not
shut down cleanly. Run::

    .venv/bin/python bench/load_faults.py [--requests 20000] [--concurrency 100] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import Answer, Connection, cpu_seconds, percentile, start_server

#: 5% of generation calls in all, each item its own slice of one seeded draw (see fake-gemini --help).
DEFAULT_FAULTS = "429~1.25%,500~1.25%,503~1.25%,cut~1.25%"
#: Shares of the request mix (feedback falls back to generateContent until an answer came back).
MIX = {"generate": 40, "stream": 25, "chat": 15, "chat_stream": 5, "feedback": 15}
PROMPTS = (
    "Translate 'good morning' into French",
    "Summarise the main causes of the French Revolution in three bullet points.",
    "Write a Python function that merges overlapping intervals, with tests, and explain its complexity.",
    "Prove that for every integer n >= 1, sum_{k=1}^{n} k^3 = (n(n+1)/2)^2, step by step, then implement "
    "an O(n) algorithm that checks it for n <= 10^6 and derive its complexity.",
)
PATHS = {
    "generate": "/v1beta/models/auto:generateContent",
    "stream": "/v1beta/models/auto:streamGenerateContent?alt=sse",
    "chat": "/v1/chat/completions",
    "chat_stream": "/v1/chat/completions",
    "feedback": "/v1/feedback",
}
_EVENT_SPLIT = re.compile(rb"\r?\n\r?\n")
_UPSTREAM_STATUS = re.compile(r"Gemini answered (\d{3})")


@dataclass
class Tally:
    """What the clients saw."""

    primary: dict[str, str]
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    suspects: list[str] = field(default_factory=list)
    fallbacks: Counter[str] = field(default_factory=Counter)
    answered: dict[str, str] = field(default_factory=dict)  # request id -> kind/status, any status
    ok_ids: list[str] = field(default_factory=list)  # answered 2xx whole: feedback targets
    feedback_acked: dict[int, str] = field(default_factory=dict)  # feedback row id -> request id
    sent: int = 0
    done: int = 0
    after_sigterm: int = 0  # answers that came back after the router got SIGTERM
    time_bound_hit: bool = False

    def error(self, cause: str, detail: str = "", suspect: bool = False) -> None:
        self.errors[cause] += 1
        if suspect and len(self.suspects) < 20:
            self.suspects.append(f"{cause}: {detail}"[:300])


def _body(kind: str, rng: random.Random, n: int, tally: Tally) -> bytes:
    if kind == "feedback":
        rid = rng.choice(tally.ok_ids)
        return json.dumps({"request_id": rid, "score": round(rng.random(), 3), "label": "bench"}).encode()
    prompt = f"{rng.choice(PROMPTS)} (request {n})"
    if kind in ("chat", "chat_stream"):
        body: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": prompt}]}
        if kind == "chat_stream":
            body["stream"] = True
        return json.dumps(body).encode()
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": prompt}]}]}).encode()


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
        return str(data["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace")


def _fault_cause(message: str) -> str | None:
    """The upstream fault a router error message names, or ``None`` for an error of its own."""
    found = _UPSTREAM_STATUS.search(message)
    if found:
        return f"upstream {found.group(1)}"
    if "broke off" in message:
        return "upstream stream broken off"
    if "cannot complete the call" in message or "not JSON" in message:
        return "upstream connection dropped"
    if "within the timeout" in message or "within the deadline" in message:
        return "upstream timeout"
    return None


def _events(body: bytes) -> list[bytes]:
    return [e[6:] for e in _EVENT_SPLIT.split(body) if e.startswith(b"data: ")]


def _classify(kind: str, answer: Answer, tally: Tally) -> bool:
    """Count one answer; ``True`` when it is a whole, successful one."""
    if kind == "feedback":
        if answer.status == 200 and answer.complete:
            data = json.loads(answer.body)
            tally.feedback_acked[int(data["id"])] = data["request_id"]
            return True
        tally.error(f"feedback {answer.status}", _message(answer.body), suspect=True)
        return False
    rid = answer.headers.get("x-router-request-id")
    if rid:
        tally.answered[rid] = f"{kind} {answer.status}"
    elif answer.status < 500:
        tally.error("answer without x-router-request-id", f"{kind} {answer.status}", suspect=True)
    if answer.status != 200:
        message = _message(answer.body)
        cause = _fault_cause(message)
        if cause is None:
            tally.error(f"router {answer.status} of its own", f"{kind}: {message}", suspect=answer.status >= 500)
        else:
            tally.error(f"{cause} passed through after retries ({answer.status})")
        return False
    if kind in ("stream", "chat_stream"):
        events = _events(answer.body)
        error = next((e for e in events if e.startswith(b'{"error"')), None)
        if error is not None:
            cause = _fault_cause(_message(error))
            if cause is None:
                tally.error("in-stream error of the router's own", _message(error), suspect=True)
            else:
                tally.error(f"stream cut: {cause} after the first chunk (in-stream error event)")
            return False
        if not answer.complete:
            tally.error("stream cut: router connection dropped mid-body", kind, suspect=True)
            return False
        whole = bool(events) and (events[-1] == b"[DONE]" if kind == "chat_stream" else b'"finishReason"' in events[-1])
        if not whole:
            tally.error("stream ended without its last chunk", f"{kind}: {len(events)} events", suspect=True)
            return False
    elif not answer.complete:
        tally.error("answer cut: router connection dropped mid-body", kind, suspect=True)
        return False
    served, tier = answer.headers.get("x-router-model"), answer.headers.get("x-router-tier", "")
    if served and served != tally.primary.get(tier, served):
        tally.fallbacks[served] += 1
    if rid:
        tally.ok_ids.append(rid)
    return True


class _Stopper:
    """Stops the router once with SIGTERM, after a snapshot of its counters and CPU time."""

    def __init__(self, proc: subprocess.Popen[str], url: str, stand_in_pid: int) -> None:
        self.proc, self.url, self.stand_in_pid = proc, url, stand_in_pid
        self.metrics: dict[str, dict[str, float]] = {}
        self.cpu = (0.0, 0.0)
        self.in_flight = 0
        self.signalled_at: float | None = None
        self._lock = threading.Lock()

    def stop(self, in_flight: int) -> None:
        with self._lock:
            if self.signalled_at is not None:
                return
            self.metrics = _metrics(_get(f"{self.url}/metrics").decode())
            self.cpu = (cpu_seconds(self.proc.pid), cpu_seconds(self.stand_in_pid))
            self.in_flight = in_flight
            self.signalled_at = time.perf_counter()
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """The router's exit code; ``None`` when it had to be killed after ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


async def _load(url: str, args: argparse.Namespace, tally: Tally, stopper: _Stopper | None) -> float:
    """The closed loop; returns its wall time in seconds. With a ``stopper``, the router gets
    SIGTERM as soon as the last request is sent, while the others are still in flight."""
    started = time.perf_counter()
    deadline = started + args.time_limit
    kinds, weights = list(MIX), list(MIX.values())
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Future[None]] = []

    async def client(index: int) -> None:
        rng = random.Random(args.seed * 1000 + index)
        conn: Connection | None = None
        while tally.sent < args.requests:
            now = time.perf_counter()
            if now >= deadline:
                tally.time_bound_hit = True
                break
            n = tally.sent
            tally.sent += 1
            kind = rng.choices(kinds, weights)[0]
            if kind == "feedback" and not tally.ok_ids:
                kind = "generate"
            body = _body(kind, rng, n, tally)
            limit = min(args.request_timeout, deadline - now)
            t0 = time.perf_counter()
            answer: Answer | None = None
            try:
                async with asyncio.timeout(limit):
                    if conn is None:
                        conn = await Connection(url).open()
                    pending = conn.request(PATHS[kind], body)
                    sending = asyncio.ensure_future(pending)
                    if stopper is not None and tally.sent == args.requests:
                        await asyncio.sleep(0)  # the request is written before the signal goes
                        in_flight = tally.sent - tally.done
                        stopping.append(loop.run_in_executor(None, stopper.stop, in_flight))
                    answer = await sending
            except TimeoutError:
                if limit < args.request_timeout:
                    tally.time_bound_hit = True
                    tally.error("cut off by the time limit")
                else:
                    tally.error("client timeout", kind, suspect=True)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.error("connection error", f"{kind}: {type(exc).__name__}: {exc}", suspect=True)
            ended = time.perf_counter()
            elapsed = ended - t0
            tally.done += 1
            if stopper is not None and stopper.signalled_at is not None and ended > stopper.signalled_at:
                tally.after_sigterm += 1
            tally.latencies.setdefault(kind, []).append(elapsed)
            if answer is None:
                tally.statuses[f"{kind} no answer"] += 1
            else:
                tally.statuses[f"{kind} {answer.status}"] += 1
                _classify(kind, answer, tally)
            if conn is not None and (answer is None or not conn.usable):
                await conn.close()
                conn = None
        if conn is not None:
            await conn.close()

    await asyncio.gather(*(client(i) for i in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*stopping)
    return elapsed


def _get(url: str, timeout: float = 10.0) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: no proxy
    with opener.open(url, timeout=timeout) as response:
        data: bytes = response.read()
        return data


def _metrics(text: str) -> dict[str, dict[str, float]]:
    """The router's upstream counters from its /metrics text, summed by outcome or cause."""
    out: dict[str, dict[str, float]] = {"attempts": {}, "retries": {}, "fallbacks": {}}
    pattern = re.compile(r"^(\w+)\{(.*)\} ([0-9.e+-]+)$")
    for line in text.splitlines():
        found = pattern.match(line)
        if not found:
            continue
        name, labels, value = found.group(1), dict(re.findall(r'(\w+)="([^"]*)"', found.group(2))), found.group(3)
        if name == "budget_router_upstream_latency_seconds_count":
            key, slot = labels.get("outcome", "?"), "attempts"
        elif name == "budget_router_upstream_retries_total":
            key, slot = labels.get("cause", "?"), "retries"
        elif name == "budget_router_fallbacks_total":
            key, slot = labels.get("model", "?"), "fallbacks"
        else:
            continue
        out[slot][key] = out[slot].get(key, 0) + float(value)
    return out


def _check_database(url: str, tally: Tally) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from router.store import FeedbackRow, RequestRow, normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            logged = dict(connection.execute(select(RequestRow.request_id, RequestRow.status)).all())
            feedback = dict(connection.execute(select(FeedbackRow.id, FeedbackRow.request_id)).all())
    finally:
        engine.dispose()
    missing = sorted(rid for rid in tally.answered if rid not in logged)
    missing_feedback = sorted(fid for fid, rid in tally.feedback_acked.items() if feedback.get(fid) != rid)
    return {
        "answered_request_ids": len(tally.answered),
        "request_rows": len(logged),
        "request_rows_by_status": dict(Counter(str(s) for s in logged.values()).most_common()),
        "missing_request_rows": len(missing),
        "missing_request_ids": [f"{rid} ({tally.answered[rid]})" for rid in missing[:20]],
        "acknowledged_feedback": len(tally.feedback_acked),
        "feedback_rows": len(feedback),
        "missing_feedback_rows": len(missing_feedback),
        "missing_feedback_ids": missing_feedback[:20],
    }


def _latency_ms(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": percentile(values, 0.50) * 1e3,
        "p90": percentile(values, 0.90) * 1e3,
        "p99": percentile(values, 0.99) * 1e3,
        "max": max(values) * 1e3,
    }


def _log_problems(path: Path) -> list[str]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line[:300] for line in lines if re.search(r"\b(ERROR|CRITICAL|Traceback)\b|WARNING", line)][:30]


def _stop(proc: subprocess.Popen[str], timeout: float) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from router.catalog import Catalog
    from router.policy import load_policy
    from router.settings import Settings

    policy = load_policy(args.policy, Catalog.load())
    tally = Tally(primary={t: policy.route(t).model for t in ("light", "intermediate", "advanced")})
    database_url = args.database_url or f"sqlite:///{workdir / 'requests.db'}"
    exe = [sys.executable, "-m", "router.cli"]
    fake_cmd = [*exe, "fake-gemini", "--port", "0", "--json", "--log-level", "warning", "--record-limit", "0"]
    fake_cmd += ["--seed", str(args.seed), "--fault", args.faults]
    serve = [*exe, "serve", "--port", "0", "--json", "--log-level", args.router_log_level, "--policy", args.policy]
    serve += ["--database-url", database_url]
    settings = Settings(database_url=database_url)  # what the router reads from BUDGET_ROUTER_* too
    results: dict[str, Any] = {
        "config": {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "mix_percent": MIX,
            "faults": args.faults,
            "seed": args.seed,
            "request_timeout_s": args.request_timeout,
            "time_limit_s": args.time_limit,
            "database": "sqlite (temporary file)" if not args.database_url else "given --database-url",
            "router_retries": {
                "max_retries": settings.max_retries,
                "retry_base_delay_s": settings.retry_base_delay_s,
                "retry_max_delay_s": settings.retry_max_delay_s,
                "log_queue_size": settings.log_queue_size,
            },
        },
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    fake_log, router_log = workdir / "fake-gemini.log", workdir / "router.log"
    wall0 = time.perf_counter()
    with open(fake_log, "w") as fake_err, open(router_log, "w") as router_err:
        fake_proc, fake = start_server(fake_cmd, stderr=fake_err, timeout_s=args.start_timeout)
        router_proc: subprocess.Popen[str] | None = None
        try:
            router_proc, router = start_server(
                [*serve, "--upstream-url", fake], stderr=router_err, timeout_s=args.start_timeout
            )
            _get(f"{router}/readyz")
            stopper = _Stopper(router_proc, router, fake_proc.pid)
            cpu0 = (cpu_seconds(router_proc.pid), cpu_seconds(fake_proc.pid))
            load_s = asyncio.run(_load(router, args, tally, None if args.stop_idle else stopper))
            stopper.stop(in_flight=0)  # after the load (--stop-idle, or the time bound was hit)
            code = stopper.wait(args.shutdown_timeout)
            assert stopper.signalled_at is not None
            shutdown_s = time.perf_counter() - stopper.signalled_at
            cpu1 = stopper.cpu
            results["upstream"] = stopper.metrics
            faults = json.loads(_get(f"{fake}/_fake/faults"))["faults"]
            results["upstream"]["injected"] = {f"{f['fault']} ({f.get('rate', f['times'])})": f["used"] for f in faults}
            results["upstream"]["injected_total"] = sum(f["used"] for f in faults)
            # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done: -15 is clean
            results["shutdown"] = {
                "exit_code": code,
                "seconds": shutdown_s,
                "clean": code in (0, -signal.SIGTERM),
                "requests_in_flight_at_sigterm": stopper.in_flight,
                "answers_after_sigterm": tally.after_sigterm,
            }
        finally:
            if router_proc is not None and router_proc.poll() is None:
                router_proc.kill()
                router_proc.wait()
            _stop(fake_proc, 10)
    results["wall_s"] = time.perf_counter() - wall0
    all_latencies = [v for values in tally.latencies.values() for v in values]
    results["load"] = {
        "sent": tally.sent,
        "completed": tally.done,
        "seconds": load_s,
        "requests_per_s": tally.done / load_s if load_s else 0.0,
        "time_bound_hit": tally.time_bound_hit,
        "cpu_ms_per_request": {
            "router": (cpu1[0] - cpu0[0]) * 1e3 / max(tally.done, 1),
            "stand_in": (cpu1[1] - cpu0[1]) * 1e3 / max(tally.done, 1),
        },
        "latency_ms": {"all": _latency_ms(all_latencies)}
        | {kind: _latency_ms(values) for kind, values in sorted(tally.latencies.items())},
        "statuses": dict(sorted(tally.statuses.items())),
        "errors_by_cause": dict(tally.errors.most_common()),
        "errors": sum(tally.errors.values()),
        "served_by_fallback": dict(tally.fallbacks),
        "suspects": tally.suspects,
    }
    results["database"] = _check_database(database_url, tally)
    results["logs"] = {"router": _log_problems(router_log), "stand_in": _log_problems(fake_log)}
    own = sum(n for cause, n in tally.errors.items() if "of its own" in cause or "dropped mid-body" in cause)
    results["failures"] = [
        reason
        for reason, failed in (
            ("request rows missing", results["database"]["missing_request_rows"] > 0),
            ("feedback rows missing", results["database"]["missing_feedback_rows"] > 0),
            ("time bound hit", tally.time_bound_hit),
            ("router did not shut down cleanly", not results["shutdown"]["clean"]),
            ("router errors that are not upstream faults", own > 0),
        )
        if failed
    ]
    return results


def _print(r: dict[str, Any]) -> None:
    c, load, db, up = r["config"], r["load"], r["database"], r["upstream"]
    print(
        f"{load['completed']} of {c['requests']} requests at concurrency {c['concurrency']}, faults {c['faults']} "
        f"(seed {c['seed']}); {r['machine']['cpus']} CPUs; router retries: {c['router_retries']['max_retries']}"
    )
    print(
        f"load: {load['seconds']:.1f} s, {load['requests_per_s']:.0f} requests/s; router CPU "
        f"{load['cpu_ms_per_request']['router']:.2f} ms/request, stand-in {load['cpu_ms_per_request']['stand_in']:.2f}"
    )
    print("latency ms        p50      p90      p99      max")
    for kind, lat in load["latency_ms"].items():
        if lat:
            print(f"  {kind:<12}" + "".join(f"{lat[k]:>9.1f}" for k in ("p50", "p90", "p99", "max")))
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in load["statuses"].items()))
    print(f"errors seen by clients: {load['errors']}")
    for cause, count in load["errors_by_cause"].items():
        print(f"  {count:>6}  {cause}")
    print(f"served by a fallback model: {sum(load['served_by_fallback'].values())} {load['served_by_fallback']}")
    print(f"faults injected by the stand-in: {up['injected_total']} {up['injected']}")
    print(f"router upstream attempts by outcome: {up['attempts']}; retries by cause: {up['retries']}")
    sd = r["shutdown"]
    print(
        f"router shutdown: SIGTERM with {sd['requests_in_flight_at_sigterm']} requests in flight, "
        f"{sd['answers_after_sigterm']} answered after it; exit code {sd['exit_code']} after {sd['seconds']:.1f} s"
    )
    print(
        f"database: {db['answered_request_ids']} answered request ids, {db['request_rows']} rows, "
        f"{db['missing_request_rows']} missing; {db['acknowledged_feedback']} feedback acknowledged, "
        f"{db['feedback_rows']} rows, {db['missing_feedback_rows']} missing"
    )
    for rid in db["missing_request_ids"]:
        print(f"  missing request row: {rid}")
    for line in load["suspects"]:
        print(f"  suspect: {line}")
    for name, lines in r["logs"].items():
        for line in lines[:10]:
            print(f"  {name} log: {line}")
    print(f"wall time: {r['wall_s']:.1f} s; " + ("FAILED: " + "; ".join(r["failures"]) if r["failures"] else "OK"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all (default 20000)")
    parser.add_argument("--concurrency", type=int, default=100, help="clients, one connection each (default 100)")
    parser.add_argument(
        "--faults", default=DEFAULT_FAULTS, help="stand-in fault spec, see fake-gemini --help (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seeds the request mix and the faults (default 1)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds per request (default 30)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the load (default 600)")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds for each server to start")
    parser.add_argument("--shutdown-timeout", type=float, default=60.0, help="seconds for the router to exit")
    parser.add_argument(
        "--stop-idle",
        action="store_true",
        help="send SIGTERM after the load (default: as soon as the last request is sent, the rest in flight)",
    )
    parser.add_argument("--database-url", default=None, help="request log (default: SQLite in a temp dir)")
    parser.add_argument("--policy", default="flash-budget")
    parser.add_argument("--router-log-level", default="warning", help="the router's log level (default warning)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.time_limit <= 0 or args.request_timeout <= 0:
        parser.error("--requests, --concurrency, --time-limit and --request-timeout must be positive")
    workdir = Path(tempfile.mkdtemp(prefix="load-faults-"))
    try:
        results = run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        results["workdir"] = str(workdir)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
        if args.keep:
            print(f"kept: {workdir}")
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
