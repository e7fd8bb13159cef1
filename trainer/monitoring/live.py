"""Live performance: the champion scored on every verdict that arrived after it was trained.

:func:`live_performance` takes the recent labelled rows with the champion's
scores and returns the report's ``live`` block: precision, recall and F1 at
the champion's threshold and PR-AUC, over all new verdicts and over the last
N, one point per UTC day, each precision and recall with its Wilson interval
(:func:`trainer.monitoring.prevalence.wilson_interval`) and F1 and PR-AUC with
a bootstrap percentile interval; beside them the test-slice figures the
champion was promoted on. :func:`recall_reference` is the recall the
``performance`` trigger holds the champion to.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trainer.monitoring.prevalence import utc_days, utc_instants, wilson_interval

BOOTSTRAP_ROUNDS = 100
#: the bootstrap resamples at most this many verdicts (a uniform sample of them), so its cost stays bounded
BOOTSTRAP_MAX_ROWS = 10_000
TEST_KEYS = ("precision", "recall", "f1_score", "pr_auc", "test_samples")


def _f1(tp: float, fp: float, fn: float) -> float | None:
    return (2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) else None


def _pr_auc(y: np.ndarray, scores: np.ndarray) -> float | None:
    from sklearn.metrics import average_precision_score  # here: the dashboard imports this module, not scikit-learn

    return float(average_precision_score(y, scores)) if 0 < y.sum() < len(y) else None


def weighted_pr_auc(y_sorted: np.ndarray, ends: np.ndarray, weights: np.ndarray) -> float | None:
    """Average precision of verdicts already sorted by falling score, each counted ``weights`` times.

    ``ends`` are the positions where a run of equal scores ends (one
    threshold each, as ``sklearn.metrics.average_precision_score`` takes
    them); with unit weights the two agree. None when a class is missing.
    """
    tps = np.cumsum(weights * y_sorted)[ends]
    fps = np.cumsum(weights * ~y_sorted)[ends]
    if tps[-1] <= 0 or fps[-1] <= 0:
        return None
    flagged = tps + fps
    precision = np.divide(tps, flagged, out=np.ones_like(tps, dtype=float), where=flagged > 0)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def _bootstrap(y: np.ndarray, scores: np.ndarray, decisions: np.ndarray, seed: int) -> dict[str, list]:
    """Percentile intervals of F1 and PR-AUC from resampled verdicts.

    A resample is a vector of counts (how often each verdict was drawn), so the
    verdicts are sorted by score once, not once per round.
    """
    rng = np.random.default_rng(seed)
    if len(y) > BOOTSTRAP_MAX_ROWS:
        keep = rng.choice(len(y), BOOTSTRAP_MAX_ROWS, replace=False)
        y, scores, decisions = y[keep], scores[keep], decisions[keep]
    order = np.argsort(-scores, kind="stable")
    y_sorted, d_sorted = y[order], decisions[order]
    ends = np.r_[np.flatnonzero(np.diff(scores[order])), len(y) - 1]
    f1s, aucs = [], []
    for _ in range(BOOTSTRAP_ROUNDS):
        counts = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
        tp = float(counts[y_sorted & d_sorted].sum())
        f1 = _f1(tp, float(counts[~y_sorted & d_sorted].sum()), float(counts[y_sorted & ~d_sorted].sum()))
        if f1 is not None:
            f1s.append(f1)
        auc = weighted_pr_auc(y_sorted, ends, counts)
        if auc is not None:
            aucs.append(auc)

    def interval(values: list[float]) -> list:
        return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))] if values else [None, None]

    return {"f1_score": interval(f1s), "pr_auc": interval(aucs)}


def performance(y_true: np.ndarray, scores: np.ndarray, threshold: float, *, seed: int = 0,
                bootstrap: bool = True) -> dict[str, Any]:
    """Precision, recall, F1, PR-AUC of ``scores`` at ``threshold``, with intervals; None where undefined."""
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    decided = s >= threshold
    tp, fp, fn = int((y & decided).sum()), int((~y & decided).sum()), int((y & ~decided).sum())
    p_low, p_high = wilson_interval(tp, tp + fp)
    r_low, r_high = wilson_interval(tp, tp + fn)
    out: dict[str, Any] = {
        "verdicts": int(len(y)), "positives": int(y.sum()), "true_positives": tp, "false_positives": fp,
        "false_negatives": fn,
        "precision": (tp / (tp + fp)) if tp + fp else None, "precision_interval": [p_low, p_high],
        "recall": (tp / (tp + fn)) if tp + fn else None, "recall_interval": [r_low, r_high],
        "f1_score": _f1(tp, fp, fn), "pr_auc": _pr_auc(y, s),
        "f1_score_interval": [None, None], "pr_auc_interval": [None, None],
    }
    if bootstrap and len(y):
        boot = _bootstrap(y, s, decided, seed)
        out["f1_score_interval"], out["pr_auc_interval"] = boot["f1_score"], boot["pr_auc"]
    return out


def recall_reference(champion: dict[str, Any]) -> float | None:
    """The recall live verdicts are held to: the lower of the recall target and the test-slice recall.

    The lower one, so a champion that never reached its target on the test
    slice is not retrained for missing it again live.
    """
    values = [champion.get(k) for k in ("recall_target", "recall")]
    values = [float(v) for v in values if isinstance(v, (int, float))]
    return min(values) if values else None


def live_performance(labels: pd.Series, scores: np.ndarray, times: pd.Series | None, threshold: float,
                     champion: dict[str, Any], *, last_n: int,
                     newest: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """The report's ``live`` block (see the module docstring); ``labels`` 0/1, one score per label.

    ``newest`` (labels, scores) are the last N verdicts when ``labels`` is a
    sample that may miss some of them; by default they are taken from ``labels``.
    """
    y = labels.to_numpy(dtype=int)
    s = np.asarray(scores, dtype=float)
    order = np.arange(len(y))
    if times is not None and len(y):
        order = np.argsort(utc_instants(times), kind="stable")
    overall = performance(y, s, threshold)
    if newest is None:
        tail = order[-last_n:]
        newest = (y[tail], s[tail])
    last = performance(np.asarray(newest[0], dtype=int), newest[1], threshold, seed=1)
    points: list[dict[str, Any]] = []
    if times is not None and len(y):
        days = utc_days(times)
        for day in np.unique(days):
            rows = days == day
            point = performance(y[rows], s[rows], threshold, bootstrap=False)
            points.append({"day": str(day), **point})
    return {"threshold": float(threshold), "overall": overall, "last_n": {"n": int(last_n), **last},
            "daily": points, "test_slice": {k: champion.get(k) for k in TEST_KEYS},
            "recall_reference": recall_reference(champion)}
