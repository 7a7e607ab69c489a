"""Latency the router adds over calling the Gemini stand-in directly, and /v1/route throughput.

Starts the offline stand-in (zero latency, or ``--latency-ms``) and the router (its upstream: the stand-in) as separate
processes, then, in one run:

* sends the same light prompt to the stand-in directly (``gemini-2.5-flash`` with the light
  route's thinking, as the router would send it) and to the router (``model: auto``), at
  concurrency 1 and 64, in alternating blocks so that both see the same machine state, and
  prints the median and p99 of each and the difference (the latency the router adds);
* measures ``POST /v1/route`` requests per second on one router worker.

The load generator is a minimal keep-alive HTTP/1.1 client (one connection per concurrent
client), so that its own cost is small next to what it measures. Figures are printed, not
asserted: they depend on the machine. Run::

    .venv/bin/python bench/router_overhead.py [--requests 2000] [--model-path DIR] [--json]

With a zero-latency upstream, concurrent clients keep the router busy all the time, so at
concurrency 64 the added latency is mostly queueing: about 64 x (the router's CPU per request) /
workers. ``--latency-ms 1000 --concurrency 64 --requests 640`` shows what the router adds when the
upstream answers like a model does and the router is not saturated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from _harness import Connection, free_port, percentile, start_server
from _harness import cpu_seconds as _cpu_s

LIGHT = "Translate 'good morning' into French"
ROUTED_BODY = json.dumps({"contents": [{"role": "user", "parts": [{"text": LIGHT}]}]}).encode()
ROUTE_BODY = json.dumps({"prompt": LIGHT}).encode()


async def _run(url: str, path: str, body: bytes, total: int, concurrency: int) -> list[float]:
    """Closed loop: ``concurrency`` clients send ``total`` requests; returns latencies in s."""
    conns = [await Connection(url).open() for _ in range(concurrency)]
    latencies: list[float] = []
    remaining = total

    async def client(conn: Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status = await conn.post(path, body)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")

    try:
        await asyncio.gather(*(client(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    return latencies


async def _latency(
    procs: dict[str, Any], fake: str, router: str, direct: tuple[str, bytes], n: int, c: int, blocks: int
) -> dict[str, Any]:
    direct_s: list[float] = []
    routed_s: list[float] = []
    per_block = max(n // blocks, c)
    router_cpu = fake_cpu = 0.0
    for _ in range(blocks):  # alternate, so both see the same machine state
        direct_s += await _run(fake, direct[0], direct[1], per_block, c)
        r0, f0 = _cpu_s(procs["router"].pid), _cpu_s(procs["fake"].pid)
        routed_s += await _run(router, "/v1beta/models/auto:generateContent", ROUTED_BODY, per_block, c)
        router_cpu += _cpu_s(procs["router"].pid) - r0
        fake_cpu += _cpu_s(procs["fake"].pid) - f0
    out: dict[str, Any] = {"concurrency": c, "requests_each": len(direct_s)}
    for name, values in (("direct", direct_s), ("routed", routed_s)):
        out[name] = {"median_ms": statistics.median(values) * 1e3, "p99_ms": percentile(values, 0.99) * 1e3}
    out["added"] = {
        "median_ms": out["routed"]["median_ms"] - out["direct"]["median_ms"],
        "p99_ms": out["routed"]["p99_ms"] - out["direct"]["p99_ms"],
    }
    out["cpu_ms_per_request"] = {"router": router_cpu * 1e3 / len(routed_s), "stand_in": fake_cpu * 1e3 / len(routed_s)}
    return out


async def _throughput(proc: Any, router: str, seconds: float, concurrency: int) -> dict[str, Any]:
    await _run(router, "/v1/route", ROUTE_BODY, 200, concurrency)  # warm-up
    done = 0
    cpu0 = _cpu_s(proc.pid)
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += len(await _run(router, "/v1/route", ROUTE_BODY, 500, concurrency))
    elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "requests": done,
        "seconds": elapsed,
        "requests_per_s": done / elapsed,
        "router_cpu_ms_per_request": (_cpu_s(proc.pid) - cpu0) * 1e3 / done,
    }


async def _client_costs(fake: str, path: str, body: dict[str, Any], model: str, n: int) -> dict[str, float]:
    """Median time of one call to the stand-in, by client: what the SDK itself costs."""
    import aiohttp
    from google import genai
    from google.genai import types

    raw = json.dumps(body).encode()
    results: dict[str, float] = {}

    async def timed(name: str, call: Any) -> None:
        for _ in range(100):
            await call()
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - started)
        results[name] = statistics.median(samples) * 1e3

    conn = await Connection(fake).open()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), trust_env=False)
    own = genai.Client(
        api_key="bench", vertexai=False, http_options=types.HttpOptions(base_url=fake, aiohttp_client=session)
    )
    default = genai.Client(api_key="bench", vertexai=False, http_options=types.HttpOptions(base_url=fake))
    contents = [types.Content.model_validate(c) for c in body["contents"]]
    config = types.GenerateContentConfig.model_validate(body.get("generationConfig", {}))
    try:

        async def lean() -> None:
            await conn.post(path, raw)

        async def plain_aiohttp() -> None:
            async with session.post(fake + path, data=raw, headers={"content-type": "application/json"}) as r:
                await r.read()

        async def sdk_api_client() -> None:  # the router's path: SDK API client over our session
            await own.aio._api_client.async_request("post", path.split("/", 2)[2], dict(body), None)

        async def sdk_typed() -> None:  # the SDK's public typed call, its default transport
            await default.aio.models.generate_content(model=model, contents=contents, config=config)

        await timed("lean_http_client", lean)
        await timed("aiohttp", plain_aiohttp)
        await timed("sdk_api_client_over_aiohttp (router)", sdk_api_client)
        await timed("sdk_generate_content_typed (default transport)", sdk_typed)
    finally:
        await conn.close()
        await own.aio.aclose()
        await default.aio.aclose()
        default.close()
        own.close()
        await session.close()
    return results


async def main_async(args: argparse.Namespace, procs: dict[str, Any], fake: str, router: str) -> dict[str, Any]:
    from router.catalog import Catalog
    from router.policy import load_policy

    # what the router sends for the light prompt: the light route of the policy, today
    route = load_policy(args.policy, Catalog.load()).route("light")
    config: dict[str, Any] = {"thinkingConfig": route.thinking.to_config(), "maxOutputTokens": route.max_output_tokens}
    body = {"contents": [{"role": "user", "parts": [{"text": LIGHT}]}], "generationConfig": config}
    direct = (f"/v1beta/models/{route.model}:generateContent", json.dumps(body).encode())
    for url, path, data in ((fake, *direct), (router, "/v1beta/models/auto:generateContent", ROUTED_BODY)):
        # warm-up (connections, caches, first-call imports); with a slow stand-in, one round at concurrency 64
        await _run(url, path, data, *((300, 8) if not args.latency_ms else (64, 64)))
    results: dict[str, Any] = {"route": {"model": route.model, "thinking": route.thinking.header()}, "latency": []}
    for c in args.concurrency:
        results["latency"].append(await _latency(procs, fake, router, direct, args.requests, c, args.blocks))
    results["route_throughput"] = await _throughput(procs["router"], router, args.seconds, args.route_concurrency)
    # the cost of each client over the stand-in (sequential calls: measured at zero latency only)
    results["client_cost_ms"] = (
        await _client_costs(fake, direct[0], body, route.model, min(args.requests, 1000)) if not args.latency_ms else {}
    )
    return results


def _print(results: dict[str, Any]) -> None:
    route, cpus = results["route"], results["machine"]["cpus"]
    workers = results["machine"]["router_workers"]
    print(
        f"light route: {route['model']} {route['thinking']}; {cpus} CPUs; router: {workers} uvicorn worker(s); "
        f"stand-in latency {results['stand_in_latency_ms']} ms"
    )
    print("latency in ms     direct p50  routed p50   added p50  direct p99  routed p99   added p99  router CPU/req")
    for row in results["latency"]:
        d, r, a, cpu = row["direct"], row["routed"], row["added"], row["cpu_ms_per_request"]["router"]
        cells = [d["median_ms"], r["median_ms"], a["median_ms"], d["p99_ms"], r["p99_ms"], a["p99_ms"]]
        print(f"concurrency {row['concurrency']:>3} " + " ".join(f"{v:>11.2f}" for v in cells) + f" {cpu:>15.2f}")
    t = results["route_throughput"]
    print(
        f"POST /v1/route, {workers} worker(s): {t['requests_per_s']:.0f} requests/s "
        f"(concurrency {t['concurrency']}, {t['seconds']:.1f} s, {t['router_cpu_ms_per_request']:.2f} ms CPU each)"
    )
    print("one call to the stand-in, median ms by client:")
    for name, value in results["client_cost_ms"].items():
        print(f"  {name:<48} {value:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per side and concurrency (default 2000)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--blocks", type=int, default=4, help="alternating direct/routed blocks (default 4)")
    parser.add_argument("--seconds", type=float, default=5.0, help="/v1/route throughput run length")
    parser.add_argument("--route-concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="router worker processes (default 1)")
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="the stand-in's latency per answer (default 0: the targets' setting)"
    )
    parser.add_argument("--policy", default="flash-budget")
    parser.add_argument("--model-path", default=None, help="classifier directory (default: models/)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    exe = [sys.executable, "-m", "router.cli"]
    fake_cmd = [*exe, "fake-gemini", "--port", "0", "--json", "--log-level", "warning", "--record-limit", "0"]
    fake_cmd += ["--latency-ms", str(args.latency_ms)]
    procs: dict[str, Any] = {}
    procs["fake"], fake = start_server(fake_cmd)
    serve = [*exe, "serve", "--port", "0", "--upstream-url", fake, "--json", "--log-level", "warning"]
    serve += ["--policy", args.policy] + (["--model-path", args.model_path] if args.model_path else [])
    if args.workers > 1:
        serve += ["--workers", str(args.workers), "--port", str(free_port())]
    try:
        procs["router"], router = start_server(serve)
        results = asyncio.run(main_async(args, procs, fake, router))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(10)
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "router_workers": args.workers}
    results["stand_in_latency_ms"] = args.latency_ms
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
