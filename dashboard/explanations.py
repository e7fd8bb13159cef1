"""Warnings of one model in plain words, for the Class balance and Model detail pages.

New metrics files carry their warnings (code, severity, sentence) written by
``trainer.learning.diagnostics``; :func:`findings` shows those as stored. A legacy file
from the old CLA has only confusion counts, so the same diagnostics are run
on labels rebuilt from those counts, and the test set's imbalance is measured
the same way: the user reads one kind of sentence whatever the file's age.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard.formatting import fmt, number
from dashboard.tables import LEGACY_FLAG, warning_codes
from trainer.learning import prediction_warnings, shown, title

LEGACY_SENTENCE = ("old CLA metrics file: no PR-AUC, threshold or class counts were recorded, so how well this model "
                   "ranks alerts is unknown; it is judged from its confusion counts only")
FALLBACK_SENTENCES = {
    "no_positive_labels": "no true positives in the training data: the model cannot learn what an attack looks like",
    "single_class": "the training data held one class only: the model cannot tell the classes apart",
    "predicts_one_class": "the model gives every test alert the same verdict",
    "majority_accuracy": "the accuracy only reflects the majority class: the model finds no true positive",
    "few_test_positives": "the test slice holds few true positives: recall and precision are not stable",
    "severe_imbalance": "true positives are rare in the training window: accuracy means little; see what the trainer did "
                        "about it on the Class balance page",
    "suspected_leakage": "one column alone separates true from false positives: check it is known when the alert fires",
}


def is_legacy(metrics: dict) -> bool:
    """A file from the old CLA: the registry marks it ``legacy``; it has no ``pr_auc`` key at all."""
    return bool(metrics.get("legacy")) or "pr_auc" not in metrics


def findings(metrics: dict, *, severe_imbalance_share: float, min_test_positives: int) -> list[dict]:
    """The model's warnings as ``{"code", "severity", "message", "source"}``, blocking ones first.

    ``source`` is "stored" for warnings read from the file and "computed from
    the confusion counts" for those derived here for a legacy file.
    """
    if is_legacy(metrics):
        out = legacy_findings(metrics, severe_imbalance_share=severe_imbalance_share,
                              min_test_positives=min_test_positives)
    else:
        out = []
        for item in metrics.get("warnings") or []:
            if not isinstance(item, (dict, str)):
                continue
            code = str((item.get("code") if isinstance(item, dict) else item) or "unknown")
            if isinstance(item, dict) and not item.get("message") and code in FALLBACK_SENTENCES:
                item = {**item, "message": FALLBACK_SENTENCES[code]}
            out.append({**shown(item, useful=metrics.get("useful")), "source": "stored"})
    order = {"blocking": 0, "warning": 1, "info": 2}
    return sorted(({**f, **shown(f, useful=metrics.get("useful")), "source": f["source"]} for f in out),
                  key=lambda f: order.get(f["severity"], 3))


def legacy_findings(metrics: dict, *, severe_imbalance_share: float, min_test_positives: int) -> list[dict]:
    """Warnings for a legacy file, computed from its four confusion counts (none when a count is missing)."""
    source = "computed from the confusion counts"
    out = [{"code": "legacy_metrics", "severity": "info", "message": LEGACY_SENTENCE, "source": source}]
    tp, fn, tn, fp = (number(metrics.get(k)) for k in
                      ("true_positives", "false_negatives", "true_negatives", "false_positives"))
    if any(math.isnan(v) or v < 0 for v in (tp, fn, tn, fp)) or tp + fn + tn + fp == 0:
        return out
    tp, fn, tn, fp = (int(v) for v in (tp, fn, tn, fp))
    actual = np.concatenate([np.ones(tp + fn, dtype=int), np.zeros(tn + fp, dtype=int)])
    predicted = np.concatenate([np.ones(tp, dtype=int), np.zeros(fn + tn, dtype=int), np.ones(fp, dtype=int)])
    scores = {"accuracy": metrics.get("accuracy"), "f1_score": metrics.get("f1_score")}
    for warning in prediction_warnings(scores, actual, predicted, min_test_positives=min_test_positives):
        out.append({**warning, "source": source})
    accuracy, f1 = number(scores["accuracy"]), number(scores["f1_score"])
    if tp + fp == 0 and f1 == 0 and not any(f["code"] == "majority_accuracy" for f in out):
        # The old CLA's signature failure: high accuracy from a model that flags nothing.
        message = f"accuracy {fmt(accuracy, 2)} but F1 {f1:.2f}: the model calls every alert benign"
        if tp + fn == 0:
            message += "; its test set held no true positive, so nothing shows it could find one"
        out.append({"code": "majority_accuracy", "severity": "blocking", "message": message, "source": source})
    positives, total = tp + fn, tp + fn + tn + fp
    share = min(positives, total - positives) / total
    if share < severe_imbalance_share:
        minority = "true positives" if positives <= total - positives else "false positives"
        out.append({"code": "severe_imbalance", "severity": "warning", "source": source,
                    "message": f"only {share:.1%} of the test alerts are {minority} ({min(positives, total - positives)}"
                               f" of {total}), below {severe_imbalance_share:.0%}: accuracy means little here"})
    return out


def warning_tally(rows: list[dict], *, severe_imbalance_share: float, min_test_positives: int) -> pd.DataFrame:
    """How many models carry each warning: ``warning``, ``models``, ``what it means``; most frequent first.

    ``rows`` are registry summaries: their stored warning codes are counted;
    a legacy summary is checked from its confusion counts when it holds them
    (and counted as :data:`dashboard.tables.LEGACY_FLAG` in any case).
    """
    tally: dict[str, int] = {}
    for row in rows:
        if row.get("legacy"):
            codes = {f["code"] for f in legacy_findings(row, severe_imbalance_share=severe_imbalance_share,
                                                        min_test_positives=min_test_positives)}
        else:
            codes = set(warning_codes(row))
        for code in codes:
            tally[code] = tally.get(code, 0) + 1
    meaning = {**FALLBACK_SENTENCES, "legacy_metrics": LEGACY_SENTENCE}
    frame = pd.DataFrame([{"warning": LEGACY_FLAG if code == "legacy_metrics" else title(code),
                           "models": count, "what it means": meaning.get(code, "")} for code, count in tally.items()],
                         columns=["warning", "models", "what it means"])
    return frame.sort_values(["models", "warning"], ascending=[False, True], kind="stable").reset_index(drop=True)


def threshold_origin(metrics: dict) -> str:
    """Where a model's threshold came from, in one sentence (empty for files that do not say).

    Reads the ``model.validation`` block the trainer writes (`trainer.learning.validation`);
    the reader learns which rows stood behind the threshold, and that the model
    scoring them had never seen them.
    """
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    block = model.get("validation") if isinstance(model.get("validation"), dict) else {}
    path = block.get("path")
    positives = fmt(number(block.get("positives")), 0)
    if path == "cross_validation":
        repeats = number(block.get("repeats"))
        times = f", repeated {fmt(repeats, 0)} times" if repeats > 1 else ""
        kind = {"time": "forward-in-time"}.get(block.get("fold_kind"), block.get("fold_kind") or "")
        return (f"The threshold was chosen on out-of-fold scores ({fmt(number(block.get('folds')), 0)} "
                f"{kind} folds{times}; {positives} true positives among "
                f"{fmt(number(block.get('rows')), 0)} rows), each scored by a model that never saw it: too few "
                "positives for one validation slice. The saved model was then fitted on the whole training window.")
    if path == "holdout":
        return (f"The threshold was chosen on the newest {fmt(number(block.get('rows')), 0)} rows of the training "
                f"window ({positives} true positives), which the saved model was not fitted on.")
    if path == "none":
        return "The threshold is fixed at 0.5 (the old recipe): nothing was validated."
    return ""
