"""Schemathesis over the router's own OpenAPI schema, against a real uvicorn server of the router.

Every operation the schema declares (the Gemini-native routes, ``/v1/route``,
``/v1/chat/completions``, ``/v1/feedback``, health, metrics, the model list and the admin
endpoints) gets generated requests: positive ones (valid per the schema) and negative ones (each
breaking it somewhere), plus schemathesis's examples and coverage phases (boundary values, missing
and wrongly typed fields, other methods on each path). They go over HTTP to a router started for
this module (:func:`fuzzed_router`: upstream the offline Gemini stand-in, an admin key sent with
every request). Every answer must

* not be a 5xx (``not_a_server_error``), and come within ``MAX_RESPONSE_S`` (``max_response_time``,
  headers) and ``HANG_S`` (the whole body, streams included: no hang);
* be documented: its status code, content type, body schema (SSE events one by one) and
  required headers (``x-router-request-id`` on routed answers and on every error);
* reject negative data with a 4xx (``negative_data_rejection``).

Checks left out, with the reason: ``positive_data_acceptance`` (a request valid per the schema
can still be refused for what a schema cannot say: a thinking budget the routed model rejects,
an unknown model id, feedback on a request id the log does not hold) and the stateful checks (no
resources to create), and ``negative_data_rejection`` on the Gemini routes (they pass a body
through unchanged and check only the fields the router reads; an unknown field or a
``safetySettings: null`` is for the upstream to judge). Other methods on each path must answer
405 with an ``Allow`` header (``unsupported_method``, ``allow_header_conformance``;
:func:`test_405_names_the_allowed_methods`), except that on ``/{version}/models/...`` the
``Allow`` header names both GET and POST: the two operations there share their URLs, which the
schema's templates cannot tell apart.
Hooks steer some generated requests past what a schema cannot state (``auto`` as the model, a
request id the log holds), so the fuzzing reaches routing, the upstream and the store too
(:func:`test_the_fuzzing_got_past_validation`).

The schema is the app's own (``create_app().openapi()``, what ``/openapi.json`` serves, checked
by :func:`test_the_fuzzed_schema_is_the_served_one`); it is read when the module is imported
because the pytest integration makes one test per operation at collection time.

Bounded and deterministic: a fixed seed, ``derandomize``, no example database, and
``max-examples`` per operation. For a longer local hunt, ``BUDGET_ROUTER_FUZZ_EXAMPLES`` raises it
and ``BUDGET_ROUTER_FUZZ_SEED`` changes the seed.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import strategies as st

from router.app import create_app
from router.settings import Settings

# the `test` extra installs it; an environment set up before it was added skips, with the reason
schemathesis = pytest.importorskip("schemathesis", minversion="4")

#: Seconds the whole exchange (a stream's last byte included) may take: past it, a hang.
HANG_S = 8.0
#: Seconds until the response headers arrive.
MAX_RESPONSE_S = 5.0
MAX_EXAMPLES = int(os.environ.get("BUDGET_ROUTER_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("BUDGET_ROUTER_FUZZ_SEED", "20260601"))

#: The fuzzed router's admin key, sent with every request (client keys are not checked there).
ADMIN_KEY = "fuzz-admin-key-0123456789"
GENERATE = "POST /{version}/models/{target}"
CHAT = "POST /v1/chat/completions"
FEEDBACK = "POST /v1/feedback"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": HANG_S,
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "max_response_time": MAX_RESPONSE_S,
            "positive_data_acceptance": {"enabled": False},
        },
        "operations": [
            # the Gemini routes pass a body through unchanged and check only what the router reads
            # (contents, thinking, the output cap); the upstream judges the rest, as Gemini does
            {"include-name": GENERATE, "checks": {"negative_data_rejection": {"enabled": False}}},
            # GET /{version}/models/{model} and POST /{version}/models/{target} share their URLs (a target
            # is MODEL:ACTION, which a path template cannot say), so Allow names both there
            {
                "include-path-regex": "^/\\{version\\}/models/",
                "checks": {"allow_header_conformance": {"enabled": False}},
            },
            # the widest body: more draws, so some valid ones reach the translation and the upstream
            {"include-path": "/v1/chat/completions", "generation": {"max-examples": 3 * MAX_EXAMPLES}},
        ],
    }
)


def _openapi() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(Settings(gemini_api_key=None)).openapi()
    return spec


schema = schemathesis.openapi.from_dict(_openapi(), config=CONFIG)

#: Answers seen, by (operation, status class): the closing test checks the fuzzing got past validation.
SEEN: Counter[tuple[str, str]] = Counter()

_TARGET = re.compile(r"^[^:/]+:(generateContent|streamGenerateContent|countTokens)$")


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half the generated Gemini targets name ``auto``: a random model id is only ever a 404."""
    if context.operation is None or context.operation.label != GENERATE:
        return st.just(path_parameters)
    target = unquote(str(path_parameters.get("target", "")))
    if not _TARGET.match(target):  # a negative case keeps its broken target
        return st.just(path_parameters)
    routed = {**path_parameters, "target": quote("auto:" + target.partition(":")[2], safe="")}
    return st.sampled_from([path_parameters, routed])


_TIERS = ("light", "intermediate", "advanced")


@schema.hook
def filter_headers(context: Any, headers: dict[str, Any] | None) -> bool:
    """Leaves out override headers the router reads leniently on purpose, as it documents: a blank
    value counts as absent, a tier's case and surrounding spaces are ignored. Either would be a
    "negative" value the router accepts."""
    headers = headers or {}
    tier = headers.get("x-router-tier")
    if isinstance(tier, str) and tier not in _TIERS and tier.strip().lower() in ("", *_TIERS):
        return False
    cost = headers.get("x-router-max-cost-usd")
    return not (isinstance(cost, str) and not cost.strip())


#: Request ids of answered routed requests (their rows are in the fuzzed router's log).
ROUTED_IDS: list[str] = []


def _chat_body(body: Any) -> Any:
    """Generated chat bodies name ``auto`` (a random model id is only ever a 404, which the coverage
    phase tries), and valid ones carry, half the time, one plain user message instead of the
    generated ones (tool turns rarely match a tool call), so the other generated fields reach the
    translation and the upstream."""
    from pydantic import ValidationError

    from router.api._openai_translate import ChatRequest

    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return st.just(body)
    routed = {**body, "model": "auto"}
    try:
        ChatRequest.model_validate(routed)
    except ValidationError:
        return st.just(routed)
    plain = {**routed, "messages": [{"role": "user", "content": "Summarise the plot of Hamlet in one line."}]}
    return st.sampled_from([routed, plain])


def _feedback_body(body: Any) -> Any:
    """Valid generated feedback rates a request the router answered (the coverage phase tries
    unknown ids, 404)."""
    from pydantic import ValidationError

    from router.api.feedback import FeedbackIn

    if not ROUTED_IDS:
        return st.just(body)
    try:
        FeedbackIn.model_validate(body)
    except ValidationError:
        return st.just(body)
    return st.just({**body, "request_id": ROUTED_IDS[-1]})


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Bodies steered past the checks a schema cannot state; a body that breaks the schema keeps
    what breaks it."""
    label = context.operation.label if context.operation is not None else None
    if label == CHAT:
        return _chat_body(body)
    if label == FEEDBACK:
        return _feedback_body(body)
    return st.just(body)


@pytest.fixture(scope="module")
def fuzzed_router(router_factory: Any) -> Any:
    """A router like the session's (upstream: the stand-in), with an admin key, so the admin
    endpoints are fuzzed past their key check."""
    server = router_factory(admin_api_keys=frozenset({ADMIN_KEY}))
    if server.app.state.engine is None:  # every routed answer would be a 503
        pytest.fail(f"the router's classifier did not load: {server.app.state.load_error}")
    return server


@schema.parametrize()
def test_no_5xx_no_hang_and_answers_as_documented(case: Any, fuzzed_router: Any) -> None:
    started = time.monotonic()
    response = case.call_and_validate(base_url=fuzzed_router.url, headers={"x-goog-api-key": ADMIN_KEY})
    elapsed = time.monotonic() - started
    SEEN[(case.operation.label, f"{response.status_code // 100}xx")] += 1
    rid = response.headers.get("x-router-request-id")  # schemathesis keeps each header's values in a list
    if response.status_code == 200 and rid and case.operation.label in (GENERATE, CHAT, "POST /v1/route"):
        ROUTED_IDS.append(rid[0])
    assert elapsed < HANG_S, f"{case.operation.label} took {elapsed:.1f}s"


def test_the_fuzzing_got_past_validation() -> None:
    """Each request-taking operation got some 2xx answers: the schema generates requests the router
    serves, so the fuzzing reaches routing, the upstream call and streaming, not only validation."""
    if not SEEN:
        pytest.skip("the fuzz test did not run in this session")
    print(f"{sum(SEEN.values())} requests:", dict(sorted(SEEN.items())))  # shown with -s or on failure
    for label in (GENERATE, CHAT, FEEDBACK, "POST /v1/route", "GET /{version}/models/{model}"):
        assert SEEN[(label, "2xx")] >= 2, (label, dict(SEEN))
    assert not any(kind == "5xx" for _, kind in SEEN)


@pytest.fixture(scope="module")
def http(fuzzed_router: Any) -> Any:
    with httpx.Client(base_url=fuzzed_router.url, timeout=30) as client:
        yield client


def test_the_fuzzed_schema_is_the_served_one(http: httpx.Client) -> None:
    served = http.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == _openapi()


def test_405_names_the_allowed_methods(http: httpx.Client) -> None:
    response = http.request("TRACE", "/v1/route")
    assert response.status_code == 405
    assert response.headers.get("allow") == "POST"
    both = http.request("DELETE", "/v1/models/auto")  # GET a model, POST MODEL:ACTION: one URL shape
    assert both.status_code == 405 and both.headers.get("allow") == "GET, POST"
    assert "allowed: GET, POST" in both.json()["error"]["message"]


def test_metrics_content_type_is_documented(http: httpx.Client) -> None:
    declared = _openapi()["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    answered = http.get("/metrics").headers["content-type"].split(";")[0]
    assert answered in declared, (answered, list(declared))
