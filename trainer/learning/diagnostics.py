"""Warnings stored with every model: a code, a severity and a sentence for a person.

:func:`label_warnings` checks the training labels (no positives, one class,
severe imbalance), :func:`prediction_warnings` the test-slice results (a model
that predicts one class, accuracy that only reflects the majority, a model that
flags almost every alert, too few test positives), and :func:`leakage_warnings` looks for a single feature that
separates the classes almost perfectly. A *blocking* warning makes a model not
useful (:func:`is_useful`), which the promotion gate and the dashboard honour.
The codes and severities are listed in docs/CONTRACTS.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_warning", "is_useful", "shown", "title", "SEVERITY_WORDS", "label_warnings", "prediction_warnings", "leakage_warnings",
           "single_feature_auc", "SEVERITY", "MIN_WORKLOAD_SAVED", "LEAKAGE_MAX_ROWS"]

SEVERITY = {
    "no_positive_labels": "blocking",
    "single_class": "blocking",
    "predicts_one_class": "blocking",
    "majority_accuracy": "blocking",
    "few_test_positives": "warning",
    "severe_imbalance": "warning",
    "suspected_leakage": "warning",
    "threshold_target_unreached": "warning",
    "flags_almost_all": "warning",
    "sampled_negatives": "info",
    "time_unordered": "warning",
}

#: the severities a person reads, most severe first; every page, the CLI and the tally use these words
SEVERITY_WORDS = ("blocking", "warning", "info")
#: a code whose warning is information, not an alarm, on a model that is otherwise useful: rare attacks are the
#: normal case in a SOC, and a useful model has already shown it ranks them despite the imbalance
INFO_WHEN_USEFUL = frozenset({"severe_imbalance"})

#: below this share of test alerts scored under the threshold, a model saves analysts almost nothing
MIN_WORKLOAD_SAVED = 0.05

LEAKAGE_MAX_ROWS = 50_000


def make_warning(code: str, message: str) -> dict:
    """One warning dict; raises ``KeyError`` for a code not in :data:`SEVERITY`."""
    return {"code": code, "severity": SEVERITY[code], "message": message}


def is_useful(warnings: list[dict]) -> bool:
    """False when any warning is blocking."""
    return not any(w.get("severity") == "blocking" for w in warnings)


def title(code: str) -> str:
    """A warning code in words (``severe_imbalance`` -> ``severe imbalance``)."""
    return str(code).replace("_", " ")


def shown(warning: dict | str, *, useful: bool | None) -> dict:
    """One stored warning as every reader shows it: ``{"code", "title", "severity", "message"}``.

    The one place that decides a warning's displayed severity: the stored one
    (or :data:`SEVERITY`'s for a bare code), except that a code in
    :data:`INFO_WHEN_USEFUL` reads ``info`` on a model whose other warnings
    leave it useful. An unknown severity reads ``warning``, never a new word.
    """
    item = warning if isinstance(warning, dict) else {"code": warning}
    code = str(item.get("code") or "unknown")
    severity = str(item.get("severity") or SEVERITY.get(code, "warning"))
    if severity not in SEVERITY_WORDS:
        severity = "warning"
    if code in INFO_WHEN_USEFUL and useful is True:
        severity = "info"
    return {"code": code, "title": title(code), "severity": severity,
            "message": str(item.get("message") or title(code))}


def label_warnings(y_train, *, severe_imbalance_share: float) -> list[dict]:
    """Warnings about the labels of the training window (training set + validation slice, 0/1)."""
    y = np.asarray(y_train).astype(int)
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    if positives == 0:
        return [make_warning("no_positive_labels",
                             f"no true positives among {negatives} training rows: the model cannot learn what an "
                             "attack looks like")]
    if negatives == 0:
        return [make_warning("single_class",
                             f"all {positives} training rows are true positives: the model cannot learn what a "
                             "false positive looks like")]
    share = min(positives, negatives) / len(y)
    if share < severe_imbalance_share:
        minority = "true positives" if positives < negatives else "false positives"
        return [make_warning("severe_imbalance",
                             f"only {share:.1%} of the training window (training set + validation slice) are "
                             f"{minority} ({min(positives, negatives):,} of {len(y):,}), below "
                             f"{severe_imbalance_share:.0%}: accuracy means little here; the Class balance page "
                             "says what the trainer did about it and what would help")]
    return []


def prediction_warnings(metrics: dict, y_test, predicted, *, min_test_positives: int) -> list[dict]:
    """Warnings about the test-slice results.

    ``metrics`` holds accuracy and f1_score from `trainer.learning.evaluation`;
    ``predicted`` is the 0/1 decision at the threshold.
    """
    y = np.asarray(y_test).astype(int)
    decided = np.asarray(predicted).astype(int)
    out = []
    if len(decided) and len(np.unique(decided)) == 1:
        verdict = "a true positive" if decided[0] == 1 else "benign"
        out.append(make_warning("predicts_one_class",
                                f"the model calls every one of the {len(decided)} test alerts {verdict}"))
    majority_share = max(np.mean(y), 1 - np.mean(y)) if len(y) else 0.0
    accuracy, f1 = metrics.get("accuracy"), metrics.get("f1_score")
    if accuracy is not None and accuracy >= majority_share and (f1 or 0.0) == 0.0 and y.sum() > 0:
        out.append(make_warning("majority_accuracy",
                                f"accuracy {accuracy:.2f} but F1 {f1 or 0.0:.2f}: the accuracy only reflects the "
                                f"majority class ({majority_share:.0%} of the test slice); the model finds no true "
                                "positive"))
    saved, flagged_share = metrics.get("workload_saved"), float(np.mean(decided)) if len(decided) else 0.0
    if saved is not None and saved < MIN_WORKLOAD_SAVED and 0 < flagged_share < 1 and np.mean(y) < 0.5:
        out.append(make_warning("flags_almost_all",
                                f"the model sends {1 - saved:.0%} of test alerts to analysts (precision "
                                f"{metrics.get('precision') or 0.0:.2f}): it barely reduces the workload; collect "
                                "more feedback or lower the recall target"))
    positives = int(y.sum())
    if positives < min_test_positives:
        out.append(make_warning("few_test_positives",
                                f"the test slice holds {positives} true positive{'s' if positives != 1 else ''} "
                                f"(fewer than {min_test_positives}): recall and precision are not stable; "
                                "collect more feedback"))
    return out


def single_feature_auc(train: pd.Series, y_train, scored: pd.Series, y_scored) -> float | None:
    """How well one feature alone ranks ``y_scored``, as ROC-AUC folded to >= 0.5.

    Numeric columns are ranked by value (missing values take the training
    median); other columns by their category's positive rate on the training
    rows (unseen categories take the overall rate). ``None`` when undefined.
    """
    y_fit = np.asarray(y_train).astype(int)
    y_eval = np.asarray(y_scored).astype(int)
    if len(np.unique(y_eval)) < 2 or len(y_fit) == 0:
        return None
    if pd.api.types.is_numeric_dtype(train) and not pd.api.types.is_bool_dtype(train):
        fill = pd.to_numeric(train, errors="coerce").median()
        values = pd.to_numeric(scored, errors="coerce").fillna(0.0 if pd.isna(fill) else fill).to_numpy(float)
    else:
        keys = train.astype(str).where(train.notna(), "<missing>")
        rates = pd.Series(y_fit, index=train.index).groupby(keys.to_numpy()).mean()
        eval_keys = scored.astype(str).where(scored.notna(), "<missing>")
        values = eval_keys.map(rates).fillna(float(y_fit.mean())).to_numpy(float)
    from sklearn.metrics import roc_auc_score  # here, not at the top: the dashboard reads SEVERITY without scikit-learn

    auc = roc_auc_score(y_eval, values)
    return float(max(auc, 1.0 - auc))


def leakage_warnings(train: pd.DataFrame, y_train, scored: pd.DataFrame, y_scored, columns: list[str], *,
                     leakage_auc: float) -> list[dict]:
    """One ``suspected_leakage`` warning per feature that alone reaches ``leakage_auc``.

    ``train``/``scored`` are model-input frames (as `trainer.learning.features.FeatureFrame`
    returns them); rates are learned on ``train`` and scored on ``scored`` (at
    most ``LEAKAGE_MAX_ROWS`` rows of each).
    """
    train, scored = train.reset_index(drop=True), scored.reset_index(drop=True)
    y_train = pd.Series(np.asarray(y_train).astype(int), index=train.index)
    y_scored = pd.Series(np.asarray(y_scored).astype(int), index=scored.index)
    if len(train) > LEAKAGE_MAX_ROWS:
        train = train.sample(LEAKAGE_MAX_ROWS, random_state=0)
        y_train = y_train.loc[train.index]
    if len(scored) > LEAKAGE_MAX_ROWS:
        scored = scored.sample(LEAKAGE_MAX_ROWS, random_state=0)
        y_scored = y_scored.loc[scored.index]
    out = []
    for column in columns:
        auc = single_feature_auc(train[column], y_train, scored[column], y_scored)
        if auc is not None and auc >= leakage_auc:
            out.append(make_warning("suspected_leakage",
                                    f"the column '{column}' alone separates true from false positives "
                                    f"(ROC-AUC {auc:.3f}): check it is known when the alert fires, not written "
                                    "after triage; if it is post-triage, add it to schema.post_triage"))
    return out
