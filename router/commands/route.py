"""``budget-router route "PROMPT"``: the routing decision for one prompt, offline (no upstream call)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from router.commands._output import emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "route",
        help="show the tier, model and thinking setting the router would pick for a prompt",
        description="Classify PROMPT and apply the policy, as POST /v1/route does, without calling any model. "
        "The estimated cost is the most the request can cost at list prices (prompt plus maxOutputTokens).",
    )
    parser.add_argument("prompt", help="the prompt text ('-' reads it from standard input)")
    parser.add_argument("--policy", default=None, help="policy preset or JSON file (default: flash-budget)")
    parser.add_argument("--model-path", type=Path, default=None, help="classifier directory (default: models/)")
    parser.add_argument("--catalog", type=Path, default=None, help="model catalog file (default: packaged)")
    parser.add_argument("--tier", choices=("light", "intermediate", "advanced"), help="force a tier")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from classifier import ClassifierError, TierClassifier
    from router.catalog import Catalog
    from router.cli import CommandError
    from router.errors import RouterError
    from router.policy import DEFAULT_POLICY, load_policy
    from router.prompt import estimate_prompt_tokens
    from router.routing import Overrides, RoutingEngine

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    try:
        catalog = Catalog.load(args.catalog)
        policy = load_policy(args.policy or DEFAULT_POLICY, catalog)
        classifier = TierClassifier.load(args.model_path)
        engine = RoutingEngine(classifier, catalog, policy)
        tokens = estimate_prompt_tokens({"contents": [{"parts": [{"text": prompt}]}]})
        decision = engine.decide(prompt, prompt_tokens=tokens, overrides=Overrides(tier=args.tier))
    except (RouterError, ClassifierError) as exc:
        raise CommandError(str(exc)) from exc
    out = decision.to_json()
    out.pop("request_id")
    if args.json:
        emit_json(out)
        return 0
    probs = ", ".join(f"{tier} {p:.2f}" for tier, p in decision.probabilities.items())
    print(f"tier:       {decision.tier} ({probs}; score {decision.score:.2f})")
    print(f"model:      {decision.model}")
    print(f"thinking:   {decision.thinking.header()}   maxOutputTokens: {decision.max_output_tokens}")
    if decision.fallbacks:
        chain = ", ".join(f"{r.model} ({r.thinking.header()})" for r in decision.routes[1:])
        print(f"fallbacks:  {chain}")
    verified = "" if decision.cost_verified else " (unverified prices)"
    print(f"cost:       at most ${decision.estimated_cost_usd:.6f}{verified}")
    print(f"classifier: {decision.classifier_version}   policy: {policy.name}")
    for warning in decision.warnings:
        print(f"warning:    {warning}")
    return 0
