"""What a drift report says to the trainer service: the ``drift`` and ``performance`` retraining signals.

:func:`signals` reads the report's rows and live block against the
``[drift]`` options and returns, per trigger, either None or the evidence a
``trigger`` event records: the features with a major drift that matter to the
champion (their share of its permutation importance is at least
``drift.min_importance_share``), or the live recall whose whole interval lies
below the recall the champion is held to. Both need
``drift.min_rows`` recent alerts (and ``drift.min_live_positives`` true
positives for recall), so a few noisy alerts never retrain.
"""

from __future__ import annotations

from typing import Any

from trainer.config import DriftConfig


def importance_shares(champion: dict[str, Any]) -> dict[str, float]:
    """Each feature's share of the champion's positive permutation importance; empty when it recorded none."""
    rows = champion.get("feature_importance") or []
    values = {str(r.get("feature")): max(float(r.get("importance") or 0.0), 0.0) for r in rows
              if isinstance(r, dict) and r.get("feature") is not None}
    total = sum(values.values())
    return {name: value / total for name, value in values.items()} if total > 0 else {}


def drift_signal(report: dict[str, Any], options: DriftConfig) -> dict[str, Any] | None:
    """Evidence for the ``drift`` trigger, or None."""
    if not report.get("enough_data"):
        return None
    features = [row for row in report.get("features") or []
                if row.get("level") == "major" and (row.get("importance_share") or 0.0) >= options.min_importance_share]
    if not features:
        return None
    names = ", ".join(f"{r['feature']} (PSI {r['psi']:.2f})" for r in features)
    return {"message": f"major drift on {names} since champion {report.get('champion_id')} was trained, "
                       f"over {report.get('window', {}).get('recent_rows')} recent alerts",
            "champion_id": report.get("champion_id"), "report_computed_at": report.get("computed_at"),
            "features": [{k: r.get(k) for k in ("feature", "psi", "test", "statistic", "p_value", "importance_share",
                                                "unseen_categories")} for r in features]}


def performance_signal(report: dict[str, Any], options: DriftConfig) -> dict[str, Any] | None:
    """Evidence for the ``performance`` trigger, or None."""
    live = report.get("live") or {}
    overall = live.get("overall") or {}
    reference = live.get("recall_reference")
    high = (overall.get("recall_interval") or [None, None])[1]
    if reference is None or high is None or (overall.get("positives") or 0) < options.min_live_positives:
        return None
    if high >= reference:
        return None
    return {"message": f"live recall {overall['recall']:.3f} (95% interval up to {high:.3f}) on "
                       f"{overall['verdicts']} new verdicts is below the {reference:.3f} the champion "
                       f"{report.get('champion_id')} is held to",
            "champion_id": report.get("champion_id"), "report_computed_at": report.get("computed_at"),
            "recall": overall.get("recall"), "recall_interval": overall.get("recall_interval"),
            "recall_reference": reference, "verdicts": overall.get("verdicts"), "positives": overall.get("positives")}


def signals(report: dict[str, Any], options: DriftConfig) -> dict[str, Any]:
    """``{"drift": evidence | None, "performance": evidence | None}``."""
    return {"drift": drift_signal(report, options), "performance": performance_signal(report, options)}
