"""The cost-savings report: every figure computed by tested functions from a request/feedback log.

>>> from router.report import build_report, read_log, write_html
>>> report = build_report(read_log(engine, outcomes))       # doctest: +SKIP
>>> write_html(report, "out/")                             # doctest: +SKIP

* :mod:`router.report._log` - the log's rows with their latest feedback (token estimates for a replay).
* :mod:`router.report._cost` - pricing, and the strategies: always-light, always-advanced, dynamic
  thinking, the router; presets and price tables re-priced.
* :mod:`router.report._breakdown` - threshold curve, savings by tier/model, thinking, latency, confusion.
* :mod:`router.report._build` - :func:`build_report`; :mod:`router.report.plots` - figures and HTML
  (imports matplotlib).
"""

from router.report._breakdown import (
    Confusion,
    Curve,
    Saving,
    TierStats,
    confusion,
    latency_by_tier,
    needed_tier,
    savings,
    thinking_by_tier,
    threshold_curve,
)
from router.report._build import Report, build_report, classifier_scores, scale_prices
from router.report._cost import Strategy, dynamic_thinking, preset_costs, reprice, strategies
from router.report._log import Entry, ReportLog, read_log

__all__ = [
    "Confusion",
    "Curve",
    "Entry",
    "Report",
    "ReportLog",
    "Saving",
    "Strategy",
    "TierStats",
    "build_report",
    "classifier_scores",
    "confusion",
    "dynamic_thinking",
    "latency_by_tier",
    "needed_tier",
    "preset_costs",
    "read_log",
    "reprice",
    "savings",
    "scale_prices",
    "strategies",
    "thinking_by_tier",
    "threshold_curve",
]
