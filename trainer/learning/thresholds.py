"""Decision-threshold selection, on validation scores only.

:func:`choose_threshold` takes validation labels and scores (never test ones:
`trainer.learning.fit_recipe` calls it before the test slice is scored, and never training
ones: the scores come from a validation slice the scoring model did not fit,
or from out-of-fold scores, `trainer.learning.validation`) and returns a
:class:`ThresholdChoice`. An alert is flagged when its score is at or above the
threshold. Objectives:

- ``"f1"``: the threshold with the highest F1;
- ``"recall"``: the highest threshold whose recall is at or above ``target``
  (the SOC default: miss at most 5% of real attacks, skip as many alerts as possible);
- ``"precision"``: the lowest threshold whose precision is at or above
  ``target``; when no threshold reaches it, the maximum-F1 threshold, and the
  choice says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import precision_recall_curve

__all__ = ["ThresholdChoice", "choose_threshold", "fixed_threshold", "OBJECTIVES", "FALLBACK_THRESHOLD"]

OBJECTIVES = ("f1", "recall", "precision")
FALLBACK_THRESHOLD = 0.5


@dataclass
class ThresholdChoice:
    """A chosen threshold and what it achieved on the validation rows."""

    threshold: float
    objective: str
    target: float | None
    reached: bool
    validation_precision: float | None = None
    validation_recall: float | None = None
    validation_f1: float | None = None
    validation_alerts_skipped: float | None = None
    message: str = ""

    def to_metrics(self) -> dict:
        return asdict(self)


def fixed_threshold(threshold: float, y_true, scores, *, reason: str) -> ThresholdChoice:
    """A threshold set by rule (the legacy 0.5), with its validation numbers when labels are given."""
    choice = ThresholdChoice(float(threshold), "fixed", None, True, message=reason)
    if y_true is not None and len(y_true):
        _fill(choice, np.asarray(y_true), np.asarray(scores))
    return choice


def _fill(choice: ThresholdChoice, y: np.ndarray, scores: np.ndarray, weight: np.ndarray | None = None) -> None:
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    flagged = scores >= choice.threshold
    tp = float(np.sum(weight[flagged & (y == 1)]))
    positives = float(np.sum(weight[y == 1]))
    flagged_weight = float(np.sum(weight[flagged]))
    precision = tp / flagged_weight if flagged_weight else None
    recall = tp / positives if positives else None
    choice.validation_precision = None if precision is None else float(precision)
    choice.validation_recall = None if recall is None else float(recall)
    if precision is not None and recall is not None and precision + recall > 0:
        choice.validation_f1 = float(2 * precision * recall / (precision + recall))
    else:
        choice.validation_f1 = 0.0 if recall is not None else None
    choice.validation_alerts_skipped = float(np.sum(weight[~flagged]) / np.sum(weight)) if len(y) else None


def choose_threshold(y_true, scores, objective: str = "recall", target: float = 0.95, *,
                     sample_weight=None) -> ThresholdChoice:
    """Pick the threshold on validation labels ``y_true`` (0/1) and scores.

    ``sample_weight`` re-weights rows (negatives kept at a sampled rate count
    for the ones left out). Returns a :class:`ThresholdChoice`; when the validation rows hold no
    positive (or no negative) the threshold falls back to 0.5 with
    ``reached=False`` and a message saying why. Raises ``ValueError`` for an
    unknown objective.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"threshold objective {objective!r} is not known; choose one of {', '.join(OBJECTIVES)}")
    y = np.asarray(y_true).astype(int)
    s = np.asarray(scores, dtype=float)
    goal = None if objective == "f1" else float(target)
    if len(np.unique(y)) < 2:
        choice = ThresholdChoice(FALLBACK_THRESHOLD, objective, goal, False,
                                 message=f"the validation rows have only one class ({int(y[0]) if len(y) else 'empty'}); "
                                         f"threshold left at {FALLBACK_THRESHOLD}")
        _fill(choice, y, s, sample_weight)
        return choice
    precision, recall, thresholds = precision_recall_curve(y, s, sample_weight=sample_weight)
    # precision/recall[i] belong to thresholds[i]; the last point (recall 0) has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    reached = True
    message = ""
    if objective == "f1":
        index = int(np.argmax(f1))
    elif objective == "recall":
        ok = np.flatnonzero(recall >= target)
        index = int(ok[-1])  # recall at the lowest threshold is 1.0, so ok is never empty
    else:
        ok = np.flatnonzero(precision >= target)
        if len(ok):
            index = int(ok[0])
        else:
            index = int(np.argmax(f1))
            reached = False
            message = (f"precision {target:.2f} is not reached at any threshold on the validation rows "
                       f"(best {precision.max():.2f}); the threshold maximises F1 instead")
    choice = ThresholdChoice(float(thresholds[index]), objective, goal, reached, message=message)
    _fill(choice, y, s, sample_weight)
    return choice
