"""The severe-imbalance warning in one set of numbers, and what to do about it (plain Python, no Streamlit).

The trainer (``trainer.learning.diagnostics.label_warnings``) checks the share
of true positives in the *training window*: the training set plus the
validation slice, before any resampling. :func:`window_share` reads that
share from a model's stored class counts, :func:`share_of` the same share
from a model summary (``training_positive_rate``, written since this field
existed), so the headline chart, the warning and the tiles say one number for
that set. :func:`advice` says what the trainer already did about it (the
imbalance strategy it chose), whether the model is still useful despite it
(PR-AUC against a random ranker) and what would help. :func:`setting_help`
words a setting for a tooltip, from the same declaration as docs/CONFIG.md.
"""

from __future__ import annotations

import math
from typing import Any

from dashboard.formatting import fmt, number
from trainer.config import describe_options

WINDOW = "training window"
WINDOW_NOTE = "training set + validation slice, before any resampling"
#: what each imbalance strategy does, in words that finish "the trainer ..."
STRATEGY_WORDS = {
    "class_weight": "weighted the rare class up (class weights): nothing was resampled",
    "none": "fitted on the rows as they are (no weighting, no resampling), and moved the decision threshold instead",
    "smote": "added synthetic true positives (SMOTE) to the rows it fitted on",
    "adasyn": "added synthetic true positives (ADASYN) to the rows it fitted on",
    "undersample": "dropped false positives (undersampling) from the rows it fitted on",
}
#: how the final-fit bar of the class counts is labelled, by what happened to the rows
FIT_LABELS = {"class_weight": "final fit (class weights, rows as they are)",
              "none": "final fit (rows as they are)",
              "smote": "final fit (after SMOTE oversampling)",
              "adasyn": "final fit (after ADASYN oversampling)",
              "undersample": "final fit (after undersampling)"}
#: a model whose PR-AUC is at least this many times the random ranker's ranks alerts usefully
USEFUL_LIFT = 2.0


def _class_count(block: Any, label: str) -> float:
    if not isinstance(block, dict):
        return math.nan
    return number(block.get(label, block.get(int(label))))


def window_share(metrics: dict) -> dict:
    """``{"positives", "rows", "share"}`` of the training window (NaN when the file does not hold the counts).

    The window is the training set plus the validation slice, except on the
    cross-validated path, where the training set already is the whole window
    (its counts add up to ``training_samples``) and the validation rows are
    part of it.
    """
    counts = metrics.get("class_counts") if isinstance(metrics.get("class_counts"), dict) else {}
    train = counts.get("train")
    whole = number(metrics.get("training_samples"))
    in_train = sum(_class_count(train, label) for label in ("0", "1"))
    parts = [train] if not math.isnan(whole) and in_train >= whole else [train, counts.get("validation") or {}]
    positives = sum(_class_count(part, "1") if part else 0.0 for part in parts)
    rows = positives + sum(_class_count(part, "0") if part else 0.0 for part in parts)
    if math.isnan(rows) or rows == 0:
        return {"positives": math.nan, "rows": math.nan, "share": math.nan}
    return {"positives": positives, "rows": rows, "share": positives / rows}


def share_of(record: dict) -> float:
    """The training window's true-positive share of a model summary; NaN for files written before it was stored."""
    return number(record.get("training_positive_rate"))


def strategy_of(metrics: dict) -> str | None:
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    return model.get("imbalance") or None


def fit_label(metrics: dict) -> str:
    """The final-fit bar's label, named by what happened to the rows (unknown strategy: "final fit")."""
    return FIT_LABELS.get(strategy_of(metrics) or "", "final fit")


def advice(metrics: dict, warn_share: float) -> dict:
    """What the warning means for this model: ``did``, ``useful``, ``helps`` (sentences) and ``useful_flag``.

    ``useful_flag`` is True when the model ranks alerts at least
    :data:`USEFUL_LIFT` times better than a random ranker and carries no
    blocking warning, False when it does not, None when the file cannot say.
    """
    strategy = strategy_of(metrics)
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    family = str(model.get("family") or "").replace("_", " ")
    if strategy in STRATEGY_WORDS:
        did = f"The trainer {STRATEGY_WORDS[strategy]}" + (f" ({family})" if family else "")
        tried = sorted({str(c.get("imbalance")) for c in model.get("selection") or [] if isinstance(c, dict)
                        and c.get("imbalance")} - {strategy})
        did += (f"; it also tried {', '.join(t.replace('_', ' ') for t in tried)} and kept the best on validation"
                if tried else "") + ". Model detail shows the strategy and the candidates."
    else:
        did = "This file does not record how the trainer handled the imbalance."
    pr_auc, baseline = number(metrics.get("pr_auc")), number(metrics.get("positive_rate"))
    blocked = metrics.get("useful") is False
    if math.isnan(pr_auc) or math.isnan(baseline) or baseline <= 0:
        useful, flag = "Whether it still ranks alerts usefully is unknown: the file holds no PR-AUC.", None
    else:
        lift = pr_auc / baseline
        flag = lift >= USEFUL_LIFT and not blocked
        verdict = ("ranks alerts well despite the imbalance" if flag else "is not useful: it carries a blocking "
                   "warning" if blocked else "does not rank alerts much better than random yet")
        useful = (f"The model {verdict}: PR-AUC {fmt(pr_auc)} against {fmt(baseline)} for a random ranker on the "
                  f"test set ({lift:.1f} times better), recall {fmt(metrics.get('recall'))} at its threshold.")
        promotion = metrics.get("promotion") if isinstance(metrics.get("promotion"), dict) else {}
        if promotion.get("decision") == "rejected":
            failed = [r for r in promotion.get("reasons") or [] if str(r).startswith("failed: ")]
            useful += (" The trainer did not promote it"
                       + (f": {str(failed[0]).removeprefix('failed: ')}." if failed else "."))
    share = window_share(metrics)
    helps = ["more true-positive verdicts: every confirmed attack analysts label adds to the "
             f"{fmt(share['positives'], 0)} the window holds"]
    if strategy in ("none", "class_weight"):
        helps.append("if recall stays low, another imbalance strategy (oversampling such as SMOTE) to compare on "
                     "validation")
    elif strategy:
        helps.append("if precision suffers, class weights instead of resampling (resampling can distort the scores)")
    return {"did": did, "useful": useful, "useful_flag": flag, "helps": "What would help: " + "; ".join(helps) + "."}


def recipe_line(metrics: dict) -> str:
    """How the model was trained, for Model detail: family, imbalance strategy, the candidates compared.

    Empty when the file does not say (a legacy file).
    """
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    strategy = strategy_of(metrics)
    if not model.get("family") or not strategy:
        return ""
    tried = [f"{str(c.get('family')).replace('_', ' ')} with {str(c.get('imbalance')).replace('_', ' ')} "
             f"(validation PR-AUC {fmt(c.get('validation_pr_auc'))})"
             for c in model.get("selection") or [] if isinstance(c, dict) and c.get("family")]
    line = (f"Trained as {str(model['family']).replace('_', ' ')}; against the class imbalance the trainer "
            f"{STRATEGY_WORDS.get(strategy, strategy.replace('_', ' '))}.")
    return line + (f" Candidates compared: {'; '.join(tried)}." if tried else "")


def setting_help(key: str) -> str:
    """``key``, its default and its documented meaning (docs/CONFIG.md), for a tooltip; raises KeyError if unknown."""
    for name, default, text in describe_options():
        if name == key:
            return f"Setting `{name}` (default {default!r}): {text} Documented in docs/CONFIG.md."
    raise KeyError(f"no setting {key!r}")
