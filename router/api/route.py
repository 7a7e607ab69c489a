"""``POST /v1/route``: the routing decision alone, with no upstream call.

Decisions are logged as request rows too (endpoint ``route``, no tokens or cost): a client that
routes here and calls Gemini itself can still send feedback on the decision's request id, and
the log shows what the router decided for it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.catalog import Thinking
from router.conversation import read_context
from router.errors import InvalidRequest, error_responses
from router.prompt import estimate_prompt_tokens, prompt_text
from router.routing import Overrides

from ._common import inline_schema, read_json, record, validate_model
from .deps import RoutingDeps

router = APIRouter(tags=["routing"])


class ThinkingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    budget: int | None = None
    level: str | None = None


class RouteRequest(BaseModel):
    """A prompt (or a Gemini request's ``contents``) and optional overrides (types strict: ``true``
    is no budget or cost, ``"5"`` no integer)."""

    # the schema says what _one_prompt checks: exactly one of the two, not null
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [
                {"required": ["prompt"], "properties": {"prompt": {"type": "string"}}},
                {"required": ["contents"], "properties": {"contents": {"type": "array", "minItems": 1}}},
            ]
        },
    )

    prompt: str | None = Field(default=None, description="the prompt text")
    contents: list[dict[str, Any]] | None = Field(
        default=None, description="a Gemini request's contents; the newest user turn is read"
    )
    tier: Literal["light", "intermediate", "advanced"] | None = Field(default=None, description="force a tier")
    model: str | None = Field(default=None, description="force a model (the tier is still predicted)")
    thinking: ThinkingIn | None = Field(default=None, description="force a thinking setting")
    max_output_tokens: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0, description="cap on the most the request may cost")

    @model_validator(mode="after")
    def _one_prompt(self) -> RouteRequest:
        if (self.prompt is None) == (self.contents is None):
            raise ValueError("give exactly one of 'prompt' and 'contents'")
        if self.contents is not None and not self.contents:
            raise ValueError("'contents' must not be empty")
        return self


class FallbackOut(BaseModel):
    model: str
    thinking: dict[str, Any]


class RouteDecision(BaseModel):
    """What ``/v1/route`` answers (also ``budget-router route --json``)."""

    request_id: str
    tier: str
    probabilities: dict[str, float]
    score: float
    model: str
    thinking: dict[str, Any]
    max_output_tokens: int | None
    fallbacks: list[FallbackOut]
    estimated_prompt_tokens: int
    estimated_cost_usd: float
    cost_verified: bool
    classifier_version: str
    overrides: list[str]
    warnings: list[str]


@router.post(
    "/v1/route",
    responses={200: {"model": RouteDecision}, **error_responses(503)},
    summary="Decide a route, call nothing",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": inline_schema(RouteRequest)}}}
    },
)
async def route(request: Request, deps: RoutingDeps) -> Response:
    """Classify the prompt and return the tier, per-tier probabilities, model, thinking setting,
    estimated cost and classifier version. Routing headers are set as on proxied answers."""
    engine, rid = deps.engine, deps.rid
    request.state.endpoint = "route"
    raw = await read_json(request)
    if not isinstance(raw, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    payload = validate_model(RouteRequest, raw)
    thinking = None
    if payload.thinking is not None:
        thinking = Thinking(budget=payload.thinking.budget, level=payload.thinking.level)
    overrides = Overrides(
        tier=payload.tier,
        model=payload.model,
        thinking=thinking,
        max_output_tokens=payload.max_output_tokens,
        max_cost_usd=payload.max_cost_usd,
    )
    opening = ""
    if payload.prompt is not None:
        text = payload.prompt
        tokens = estimate_prompt_tokens({"contents": [{"parts": [{"text": payload.prompt}]}]})
    else:
        text = prompt_text(payload.contents, engine.max_prompt_chars)
        tokens = estimate_prompt_tokens({"contents": payload.contents})
        # a conversation keeps the model its opening turn chose, exactly as the proxy routes do
        opening = read_context({"contents": payload.contents}, engine.max_prompt_chars).opening
    decision = engine.decide(text, prompt_tokens=tokens, overrides=overrides, request_id=rid, opening=opening)
    record(request, "route", decision)
    body = json.dumps(decision.to_json(), separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers=decision.headers())
