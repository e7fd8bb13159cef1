"""The ``[drift]`` options: how the drift and live-performance report is computed and when it retrains.

Declared with `trainer.options.opt` like every other option; `trainer.config.Config`
holds them as ``drift``, and ``cla config options`` lists them with the rest
(docs/DRIFT.md explains each).
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.options import check_fields, opt


@dataclass
class DriftConfig:
    """Drift and live-performance monitoring of the champion (docs/DRIFT.md)."""

    enabled: bool = opt(True, "The trainer service computes the drift report (drift_report.json).")
    interval_minutes: float = opt(5.0, "Recompute the report this often while feedback arrives.", min=0.5)
    psi_moderate: float = opt(0.1, "Population stability index from which a feature's drift is 'moderate'.", min=0.0)
    psi_major: float = opt(0.25, "Population stability index from which a feature's drift is 'major'.", min=0.0)
    p_value: float = opt(0.001, "A level needs the test (KS or chi-squared) below this p-value, against small-sample "
                         "noise; the PSI sets the level.", min=0.0, max=1.0)
    min_rows: int = opt(300, "Fewest recent alerts before any feature is flagged.", min=1)
    bins: int = opt(10, "Bins of a numeric feature, cut at the training window's quantiles.", min=2, max=50)
    last_n: int = opt(500, "Live performance is also given over the last N verdicts.", min=10)
    min_live_positives: int = opt(30, "Fewest new true positives before live recall can start a training.", min=1)
    max_score_rows: int = opt(50_000, "The champion scores at most this many recent alerts per report (a uniform "
                              "sample beyond it) for its score distribution and live performance.", min=1000)
    drift_trigger: bool = opt(True, "Train when a feature that matters to the champion shows major drift.")
    performance_trigger: bool = opt(True, "Train when live recall is clearly (interval and all) below the champion's.")
    min_importance_share: float = opt(0.05, "Share of the champion's importance that makes a feature matter.", min=0.0,
                                      max=1.0)
    cooldown_hours: float = opt(6.0, "No second drift or performance training within this many hours.", min=0.0)

    def __post_init__(self) -> None:
        check_fields(self, "drift.")
