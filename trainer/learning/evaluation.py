"""Test-slice metrics, curves and permutation importance.

:func:`score_metrics` turns test labels, scores and the (validation-chosen)
threshold into the metric keys of the metrics file, :func:`curves` into the
downsampled PR, reliability and threshold-trade-off curves, and
:func:`permutation_importances` ranks the model's input columns (the original
columns, not one-hot ones) by the drop in average precision when each is
shuffled. Every number is a plain ``float``/``int``, or ``None`` when it is not
defined (a single-class slice has no ROC-AUC): never NaN, so the result can be
written as JSON as is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, brier_score_loss,
                             confusion_matrix, matthews_corrcoef, precision_recall_curve, roc_auc_score)

__all__ = ["score_metrics", "curves", "permutation_importances", "negative_weights", "workload_saved_at_recall",
           "finite", "IMPORTANCE_MAX_ROWS", "RELIABILITY_BINS"]

IMPORTANCE_MAX_ROWS = 3000
IMPORTANCE_BATCH_ROWS = 200_000
"""Shuffled copies predicted in one call (at most this many rows: a few columns' worth at 3,000 rows)."""
RELIABILITY_BINS = 10


def finite(value) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _weights(y: np.ndarray, sample_weight) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float)
    if w.shape != y.shape:
        raise ValueError(f"sample_weight has {w.shape[0]} values for {y.shape[0]} rows")
    return w


def negative_weights(y_true, negative_rate: float) -> np.ndarray | None:
    """Weights that undo negative sampling: 1 for positives, ``1 / negative_rate`` for negatives.

    ``None`` when nothing was sampled (``negative_rate >= 1``), so the
    unweighted metrics are computed exactly as before.
    """
    if negative_rate is None or negative_rate >= 1.0:
        return None
    if negative_rate <= 0.0:
        raise ValueError(f"negative sampling rate must be above 0, got {negative_rate}")
    y = np.asarray(y_true).astype(int)
    return np.where(y == 1, 1.0, 1.0 / negative_rate)


def workload_saved_at_recall(y_true, scores, target: float, sample_weight=None) -> float | None:
    """The largest share of alerts an analyst could skip while still seeing ``target`` of the true positives.

    Alerts are skipped from the lowest score up; ties are skipped together.
    This is the SOC's headline for a ranking: at recall 0.95, how much of the
    queue never needs a look. ``None`` when the slice holds no positive.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    positives = float(w[y == 1].sum())
    if positives <= 0:
        return None
    order = np.argsort(s, kind="stable")
    s_sorted, y_sorted, w_sorted = s[order], y[order], w[order]
    # Candidate cut points: skip every alert scored below each distinct score.
    cuts = np.searchsorted(s_sorted, np.unique(s_sorted), side="left")
    missed = np.concatenate([[0.0], np.cumsum(w_sorted * (y_sorted == 1))])[cuts]
    skipped = np.concatenate([[0.0], np.cumsum(w_sorted)])[cuts]
    ok = (positives - missed) / positives >= target - 1e-12
    return finite(skipped[ok].max() / w.sum())


def score_metrics(y_true, scores, threshold: float, sample_weight=None, *, recall_target: float | None = None) -> dict:
    """Threshold and ranking metrics on one slice.

    Returns precision, recall, f1_score, accuracy, balanced_accuracy, mcc,
    pr_auc, roc_auc, brier_score, the four confusion counts, workload_saved
    (share of alerts scored below the threshold), positive_rate and
    test_samples; with ``recall_target``, also ``workload_saved_at_target``
    (:func:`workload_saved_at_recall`) and the target itself. Metrics undefined on the slice are ``None``. With
    ``sample_weight`` (see :func:`negative_weights`) every rate is estimated
    for the population the sample was drawn from, while the confusion counts
    stay the counts of rows actually scored. Raises ``ValueError`` on an
    empty slice.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0:
        raise ValueError("cannot evaluate on an empty slice: it holds no labelled rows")
    w = _weights(y, sample_weight)
    predicted = (s >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    wtn, wfp, wfn, wtp = (tn, fp, fn, tp) if w is None else \
        (float(v) for v in confusion_matrix(y, predicted, labels=[0, 1], sample_weight=w).ravel())
    both = len(np.unique(y)) == 2
    precision = wtp / (wtp + wfp) if wtp + wfp else None
    recall = wtp / (wtp + wfn) if wtp + wfn else None
    if precision is None and recall is not None:
        precision_for_f1 = 0.0
    else:
        precision_for_f1 = precision
    if recall is None:
        f1 = None
    elif (precision_for_f1 or 0) + recall > 0:
        f1 = 2 * precision_for_f1 * recall / (precision_for_f1 + recall)
    else:
        f1 = 0.0
    return {
        # An old-style reader expects numbers: precision is 0 when nothing was flagged.
        "precision": finite(precision if precision is not None else 0.0),
        "recall": finite(recall),
        "f1_score": finite(f1),
        "accuracy": finite(accuracy_score(y, predicted, sample_weight=w)),
        "balanced_accuracy": finite(balanced_accuracy_score(y, predicted, sample_weight=w)) if both else None,
        "mcc": finite(matthews_corrcoef(y, predicted, sample_weight=w)) if both else None,
        "pr_auc": finite(average_precision_score(y, s, sample_weight=w)) if y.sum() else None,
        "roc_auc": finite(roc_auc_score(y, s, sample_weight=w)) if both else None,
        "brier_score": finite(brier_score_loss(y, s, labels=[0, 1], sample_weight=w)),
        "true_positives": tp, "false_positives": fp, "true_negatives": tn, "false_negatives": fn,
        "threshold": finite(threshold),
        "workload_saved": finite(np.average(s < threshold, weights=w)),
        "positive_rate": finite(np.average(y, weights=w)),
        "test_samples": int(len(y)),
        **({} if recall_target is None else {
            "recall_target": float(recall_target),
            "workload_saved_at_target": workload_saved_at_recall(y, s, recall_target, w)}),
    }


def _downsample(n: int, points: int) -> np.ndarray:
    if n <= points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, points).round().astype(int))


def _floats(values) -> list:
    return [finite(v) for v in values]


def curves(y_true, scores, *, points: int = 200, sample_weight=None) -> dict:
    """PR, reliability and threshold-trade-off curves, at most ``points`` points each.

    The PR curve and the trade-off are empty when the slice has no positive.
    ``alerts_skipped`` is the share of alerts scored below each threshold.
    ``sample_weight`` re-weights sampled rows as in :func:`score_metrics`.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    w = _weights(y, sample_weight)
    out = {"pr": {"precision": [], "recall": [], "threshold": []},
           "reliability": {"mean_predicted": [], "fraction_positive": [], "count": []},
           "threshold_tradeoff": {"threshold": [], "precision": [], "recall": [], "alerts_skipped": []}}
    if len(y) == 0:
        return out
    weights = np.ones(len(y)) if w is None else w
    if y.sum() > 0:
        precision, recall, thresholds = precision_recall_curve(y, s, sample_weight=w)
        keep = _downsample(len(thresholds), points)
        order = np.argsort(s, kind="stable")
        below = np.concatenate([[0.0], np.cumsum(weights[order])])
        skipped = below[np.searchsorted(s[order], thresholds[keep], side="left")] / below[-1]
        out["pr"] = {"precision": _floats(precision[keep]), "recall": _floats(recall[keep]),
                     "threshold": _floats(thresholds[keep])}
        out["threshold_tradeoff"] = {"threshold": _floats(thresholds[keep]), "precision": _floats(precision[keep]),
                                     "recall": _floats(recall[keep]), "alerts_skipped": _floats(skipped)}
    # Uniform bins, as sklearn's calibration_curve(strategy="uniform") draws them, but weighted.
    clipped = np.clip(s, 0.0, 1.0)
    bins = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    index = np.searchsorted(bins[1:-1], clipped)
    counts = np.bincount(index, minlength=RELIABILITY_BINS)
    total = np.bincount(index, weights=weights, minlength=RELIABILITY_BINS)
    seen = counts > 0
    out["reliability"] = {
        "mean_predicted": _floats(np.bincount(index, weights=weights * clipped, minlength=RELIABILITY_BINS)[seen]
                                  / total[seen]),
        "fraction_positive": _floats(np.bincount(index, weights=weights * y, minlength=RELIABILITY_BINS)[seen]
                                     / total[seen]),
        "count": [int(c) for c in counts[seen]],
    }
    return out


def permutation_importances(model, X: pd.DataFrame, y, columns: list[str], *, repeats: int, top: int,
                            random_state: int) -> list[dict]:
    """The ``top`` input columns by mean drop in average precision when shuffled.

    What `sklearn.inspection.permutation_importance` measures with an
    average-precision scorer, but every shuffled copy of a batch of columns
    is scored in one ``predict_proba`` call instead of one call per column
    and repeat: on a test slice of a few thousand rows the per-call cost of
    a pipeline (an ensemble's three) was most of a training cycle.

    ``model`` is a fitted estimator taking frames; at most
    ``IMPORTANCE_MAX_ROWS`` rows are used (every positive first). Returns
    ``[{"feature", "importance", "std"}]``, largest first; empty when
    ``repeats`` or ``top`` is 0 or the slice holds one class.
    """
    y = pd.Series(np.asarray(y).astype(int), index=X.index)
    if repeats <= 0 or top <= 0 or y.nunique() < 2 or not columns:
        return []
    if len(y) > IMPORTANCE_MAX_ROWS:
        rng = np.random.default_rng(random_state)
        positives = np.flatnonzero(y.to_numpy() == 1)
        negatives = np.flatnonzero(y.to_numpy() == 0)
        positives = rng.choice(positives, size=min(len(positives), IMPORTANCE_MAX_ROWS // 2), replace=False)
        negatives = rng.choice(negatives, size=min(len(negatives), IMPORTANCE_MAX_ROWS - len(positives)),
                               replace=False)
        rows = np.sort(np.concatenate([positives, negatives]))
        X, y = X.iloc[rows], y.iloc[rows]
    X = X[columns].reset_index(drop=True)
    labels = y.to_numpy()
    base = average_precision_score(labels, model.predict_proba(X)[:, 1])
    rng = np.random.default_rng(random_state)
    rows = len(X)
    drops = np.empty((len(columns), repeats))
    per_call = max(1, IMPORTANCE_BATCH_ROWS // (rows * repeats))
    for first in range(0, len(columns), per_call):
        batch = range(first, min(first + per_call, len(columns)))
        copies = []
        for i in batch:
            for _ in range(repeats):
                copy = X.copy()
                copy[columns[i]] = X[columns[i]].iloc[rng.permutation(rows)].reset_index(drop=True)
                copies.append(copy)
        # One prediction for many shuffled copies: per call, a pipeline pays a fixed cost (column
        # selection, checks, one pass per ensemble member) that dominates on a few thousand rows.
        scores = model.predict_proba(pd.concat(copies, ignore_index=True))[:, 1].reshape(len(batch), repeats, rows)
        for k, i in enumerate(batch):
            drops[i] = [base - average_precision_score(labels, scores[k, r]) for r in range(repeats)]
    mean, std = drops.mean(axis=1), drops.std(axis=1)
    return [{"feature": columns[i], "importance": finite(mean[i]), "std": finite(std[i])}
            for i in np.argsort(-mean)[:top]]
