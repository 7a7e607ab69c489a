"""Quality against the share sent to the expensive setting.

Routing sends the ``k`` items with the highest routing score to the expensive setting and the
rest to the cheap one. Quality at share ``k / n`` is the mean correctness of what was served.
The headline figure (as in ``data/sources/SHARED_MANIFEST.md``): the smallest share whose quality
keeps 95% of the always-expensive accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TARGET = 0.95


def quality_by_share(score: np.ndarray, cheap: np.ndarray, expensive: np.ndarray) -> np.ndarray:
    """``q[k]``: accuracy when the ``k`` top-scored items go expensive (ties: file order)."""
    order = np.argsort(-score, kind="stable")
    gain = (expensive - cheap)[order]
    return (cheap.sum() + np.concatenate([[0.0], np.cumsum(gain)])) / len(cheap)


def share_at(quality: np.ndarray, target: float) -> float:
    """Smallest share whose quality reaches ``target`` (1.0 when none does)."""
    reached = np.flatnonzero(quality >= target - 1e-12)
    n = len(quality) - 1
    return float(reached[0] / n) if reached.size else 1.0


def random_share(cheap: np.ndarray, expensive: np.ndarray, target_fraction: float = TARGET) -> float:
    """Share random routing needs: quality is linear in the share, in expectation."""
    c, e = float(cheap.mean()), float(expensive.mean())
    goal = target_fraction * e
    if c >= goal:
        return 0.0
    if e <= c:
        return 1.0
    return min(1.0, (goal - c) / (e - c))


def curve(quality: np.ndarray, points: int = 21) -> list[dict[str, float]]:
    """Quality at evenly spaced shares (0, 0.05, ..., 1)."""
    n = len(quality) - 1
    out = []
    for share in np.linspace(0.0, 1.0, points):
        k = round(share * n)
        out.append({"expensive_share": round(float(share), 4), "quality": round(float(quality[k]), 4)})
    return out


def summary(score: np.ndarray, cheap: np.ndarray, expensive: np.ndarray) -> dict[str, Any]:
    """The replay's figures for one routing score."""
    target = TARGET * float(expensive.mean())
    q = quality_by_share(score, cheap, expensive)
    oracle_q = quality_by_share(expensive - cheap, cheap, expensive)
    share = share_at(q, target)
    return {
        "expensive_share_at_95": round(share, 4),
        "random_share_at_95": round(random_share(cheap, expensive), 4),
        "oracle_share_at_95": round(share_at(oracle_q, target), 4),
        # the share the per-item oracle routes when it takes every gain (the MANIFEST's "oracle needs")
        "oracle_share_all_gains": round(float(np.mean(expensive > cheap)), 4),
        "quality": {
            "cheap": round(float(cheap.mean()), 4),
            "expensive": round(float(expensive.mean()), 4),
            "target": round(target, 4),
            "at_95": round(float(q[round(share * (len(q) - 1))]), 4),
            "oracle": round(float(np.maximum(cheap, expensive).mean()), 4),
        },
        "curve": curve(q),
    }
