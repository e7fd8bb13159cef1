"""Prevalence drift: the true-positive share of recent verdicts against the champion's training window.

:func:`wilson_interval` is the binomial interval used here and by
:mod:`trainer.monitoring.live` (the Wilson score interval: sensible at 0 and 1
and for a handful of verdicts, where the normal approximation is not).
:func:`prevalence` compares the shares and gives one point per day with its
interval, so a spike in real attacks shows as such. It is flagged, as a
feature's drift is, by effect size with a test as guard: the share moved by
at least half (relative, a rise or a fall), the exact binomial test of the
recent verdicts against the training share is below ``drift.p_value``, and
there are at least ``drift.min_rows`` recent verdicts.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

#: confidence of every interval in the report
CONFIDENCE = 0.95
#: relative change of the true-positive share that counts as prevalence drift (with the interval excluding it)
RELATIVE_CHANGE = 0.5


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float | None, float | None]:
    """The Wilson score interval of ``successes / trials``; (None, None) when there are no trials."""
    if trials <= 0:
        return None, None
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def share_with_interval(successes: int, trials: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, trials)
    return {"share": (successes / trials) if trials else None, "low": low, "high": high,
            "positives": int(successes), "verdicts": int(trials)}


def utc_instants(times: pd.Series) -> np.ndarray:
    """Times as UTC ``datetime64`` values (a tz-aware column would become an array of objects, slow to sort)."""
    return pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy()


def utc_days(times: pd.Series) -> np.ndarray:
    """The UTC day of each time, as ``datetime64[D]``."""
    return utc_instants(times).astype("datetime64[D]")


def daily(labels: pd.Series, times: pd.Series) -> list[dict[str, Any]]:
    """One point per UTC day: the day, the share of true positives, its interval and the verdict count."""
    if labels.empty:
        return []
    grouped = pd.DataFrame({"day": utc_days(times), "y": labels.to_numpy(dtype=int)}).groupby("day")["y"]
    sums, counts = grouped.sum(), grouped.count()
    return [{"day": str(day)[:10], **share_with_interval(int(sums[day]), int(counts[day]))} for day in sums.index]


def prevalence(reference_labels: pd.Series, recent_labels: pd.Series, recent_times: pd.Series | None, *,
               alpha: float, min_rows: int) -> dict[str, Any]:
    """The prevalence block of the report: training share, recent share with interval, daily points, flagged."""
    ref = reference_labels.dropna().astype(int)
    cur = recent_labels.dropna().astype(int)
    training = share_with_interval(int(ref.sum()), len(ref))
    recent = share_with_interval(int(cur.sum()), len(cur))
    flagged, p_value = False, None
    if training["share"] is not None and recent["share"] is not None:
        from scipy import stats  # here: the dashboard's Wilson intervals need no scipy import

        p_value = float(stats.binomtest(recent["positives"], recent["verdicts"], training["share"]).pvalue)
        moved = abs(recent["share"] - training["share"]) >= RELATIVE_CHANGE * max(training["share"], 1e-9)
        flagged = bool(moved and p_value < alpha and recent["verdicts"] >= min_rows)
    points = daily(cur, recent_times[recent_labels.notna().to_numpy()]) if recent_times is not None else []
    return {"training": training, "recent": recent, "daily": points, "flagged": flagged, "p_value": p_value,
            "ratio": (recent["share"] / training["share"]) if recent["share"] is not None and training["share"]
            else None}
