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
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, brier_score_loss,
                             confusion_matrix, matthews_corrcoef, precision_recall_curve, roc_auc_score)

IMPORTANCE_MAX_ROWS = 3000
RELIABILITY_BINS = 10


def finite(value) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def score_metrics(y_true, scores, threshold: float) -> dict:
    """Threshold and ranking metrics on one slice.

    Returns precision, recall, f1_score, accuracy, balanced_accuracy, mcc,
    pr_auc, roc_auc, brier_score, the four confusion counts, workload_saved
    (share of alerts scored below the threshold), positive_rate and
    test_samples. Metrics undefined on the slice are ``None``. Raises
    ``ValueError`` on an empty slice.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0:
        raise ValueError("cannot evaluate on an empty slice: it holds no labelled rows")
    predicted = (s >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    both = len(np.unique(y)) == 2
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
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
        "accuracy": finite(accuracy_score(y, predicted)),
        "balanced_accuracy": finite(balanced_accuracy_score(y, predicted)) if both else None,
        "mcc": finite(matthews_corrcoef(y, predicted)) if both else None,
        "pr_auc": finite(average_precision_score(y, s)) if y.sum() else None,
        "roc_auc": finite(roc_auc_score(y, s)) if both else None,
        "brier_score": finite(brier_score_loss(y, s, labels=[0, 1])),
        "true_positives": tp, "false_positives": fp, "true_negatives": tn, "false_negatives": fn,
        "threshold": finite(threshold),
        "workload_saved": finite(np.mean(s < threshold)),
        "positive_rate": finite(np.mean(y)),
        "test_samples": int(len(y)),
    }


def _downsample(n: int, points: int) -> np.ndarray:
    if n <= points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, points).round().astype(int))


def _floats(values) -> list:
    return [finite(v) for v in values]


def curves(y_true, scores, *, points: int = 200) -> dict:
    """PR, reliability and threshold-trade-off curves, at most ``points`` points each.

    The PR curve and the trade-off are empty when the slice has no positive.
    ``alerts_skipped`` is the share of alerts scored below each threshold.
    """
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    out = {"pr": {"precision": [], "recall": [], "threshold": []},
           "reliability": {"mean_predicted": [], "fraction_positive": [], "count": []},
           "threshold_tradeoff": {"threshold": [], "precision": [], "recall": [], "alerts_skipped": []}}
    if len(y) == 0:
        return out
    if y.sum() > 0:
        precision, recall, thresholds = precision_recall_curve(y, s)
        keep = _downsample(len(thresholds), points)
        out["pr"] = {"precision": _floats(precision[keep]), "recall": _floats(recall[keep]),
                     "threshold": _floats(thresholds[keep])}
        sorted_scores = np.sort(s)
        skipped = np.searchsorted(sorted_scores, thresholds[keep], side="left") / len(s)
        out["threshold_tradeoff"] = {"threshold": _floats(thresholds[keep]), "precision": _floats(precision[keep]),
                                     "recall": _floats(recall[keep]), "alerts_skipped": _floats(skipped)}
    clipped = np.clip(s, 0.0, 1.0)
    fraction_positive, mean_predicted = calibration_curve(y, clipped, n_bins=RELIABILITY_BINS, strategy="uniform")
    # calibration_curve drops empty bins; count the rows per bin the same way it bins them.
    bins = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    counts = np.bincount(np.searchsorted(bins[1:-1], clipped), minlength=RELIABILITY_BINS)
    out["reliability"] = {"mean_predicted": _floats(mean_predicted), "fraction_positive": _floats(fraction_positive),
                          "count": [int(c) for c in counts[counts > 0]]}
    return out


def permutation_importances(model, X: pd.DataFrame, y, columns: list[str], *, repeats: int, top: int,
                            random_state: int) -> list[dict]:
    """The ``top`` input columns by mean drop in average precision when shuffled.

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
    X = X[columns]

    def average_precision(estimator, X_, y_):
        return average_precision_score(y_, estimator.predict_proba(X_)[:, 1])

    result = permutation_importance(model, X, y, scoring=average_precision, n_repeats=repeats,
                                    random_state=random_state, n_jobs=1)
    order = np.argsort(-result.importances_mean)[:top]
    return [{"feature": columns[i], "importance": finite(result.importances_mean[i]),
             "std": finite(result.importances_std[i])} for i in order]
