"""Prometheus metrics of one app instance, on a registry of its own (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The service's counters and histograms.

    ``requests`` counts answered requests by endpoint, tier, model and HTTP status;
    ``upstream_latency`` times each upstream attempt by model and outcome (``ok``, an HTTP status,
    ``timeout`` or ``connection``); ``tokens`` and ``cost`` add up ``usageMetadata`` by model
    (tokens by kind: prompt, cached, thoughts, candidates); ``retries`` and ``fallbacks`` count
    upstream retries and fallback routes taken; ``limited`` counts requests the router's own limits
    refused (``concurrency``).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "budget_router_requests",
            "Requests answered, by endpoint, tier, model and HTTP status.",
            ["endpoint", "tier", "model", "status"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "budget_router_upstream_latency_seconds",
            "Time of each upstream attempt (to the first chunk for streams), by model and outcome.",
            ["model", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "budget_router_tokens",
            "Tokens reported by upstream usageMetadata, by model and kind.",
            ["model", "kind"],
            registry=self.registry,
        )
        self.cost = Counter(
            "budget_router_cost_usd",
            "Cost of served responses in USD at catalog list prices, by model.",
            ["model"],
            registry=self.registry,
        )
        self.retries = Counter(
            "budget_router_upstream_retries",
            "Upstream attempts retried, by model and cause.",
            ["model", "cause"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "budget_router_fallbacks",
            "Requests served by a fallback model, by the model that served.",
            ["model"],
            registry=self.registry,
        )

        self.limited = Counter(
            "budget_router_limited",
            "Requests refused by the router's own limits, by limit.",
            ["limit"],
            registry=self.registry,
        )

    def add_usage(self, model: str, usage: dict[str, int], cost_usd: float) -> None:
        for kind, value in usage.items():
            if value:
                self.tokens.labels(model, kind).inc(value)
        if cost_usd:
            self.cost.labels(model).inc(cost_usd)

    def render(self) -> bytes:
        return generate_latest(self.registry)
