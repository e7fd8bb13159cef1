"""Decision-threshold selection, on validation scores only.

:func:`choose_threshold` takes validation labels and scores (never test ones:
`trainer.learning.fit_recipe` calls it before the test slice is scored, and never training
ones: the scores come from a validation slice the scoring model did not fit,
or from out-of-fold scores, `trainer.learning.validation`) and returns a
:class:`ThresholdChoice`. An alert is flagged when its score is at or above the
threshold. Objectives:

- ``"f1"``: the threshold with the highest F1;
- ``"recall"``: the highest threshold whose recall is at or above ``target``
  with 95% confidence (the SOC default: miss at most 5% of real attacks, skip
  as many alerts as possible). The recall on the validation rows is an
  estimate from their positives; the threshold that only just reaches the
  target there misses it on new alerts about half the time. So the recall
  must hold at the lower end of its one-sided 95% Wilson interval (about 1.6
  standard errors: target 0.95 on 460 positives asks 0.966 of them); when
  fewer positives stand behind it than the caller's ``min_bound_positives``
  (`trainer.learning.fit_recipe` passes ``training.min_validation_positives``),
  the bare validation recall decides, and the choice says so;
- ``"precision"``: the lowest threshold whose precision is at or above
  ``target``; when no threshold reaches it, the maximum-F1 threshold, and the
  choice says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ThresholdChoice", "choose_threshold", "fixed_threshold", "recall_lower_bound", "OBJECTIVES",
           "FALLBACK_THRESHOLD", "RECALL_CONFIDENCE_Z"]

OBJECTIVES = ("f1", "recall", "precision")
FALLBACK_THRESHOLD = 0.5

RECALL_CONFIDENCE_Z = 1.645
"""A recall target must hold at this many standard errors (one-sided 95%) below the validation recall."""


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
    recall_lower_bound: float | None = None
    """Objective recall: the one-sided 95% lower bound of the recall, from the positives behind it."""
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


def recall_lower_bound(recall, positives: int, z: float = RECALL_CONFIDENCE_Z):
    """The lower end of the one-sided Wilson score interval of ``recall`` measured on ``positives`` positives."""
    p = np.asarray(recall, dtype=float)
    n = max(int(positives), 1)
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def choose_threshold(y_true, scores, objective: str = "recall", target: float = 0.95, *,
                     sample_weight=None, positives: int | None = None,
                     min_bound_positives: int = 0) -> ThresholdChoice:
    """Pick the threshold on validation labels ``y_true`` (0/1) and scores.

    ``sample_weight`` re-weights rows (negatives kept at a sampled rate count
    for the ones left out). ``positives`` is the number of distinct positives
    the recall rests on (default: the positives of ``y_true``; pooled
    out-of-fold scores repeat each positive once per repetition). With fewer
    than ``min_bound_positives`` of them, a recall target is read off the
    bare validation recall: on a few dozen positives the bound asks for
    every one, and the lowest-scored (often a mislabelled one) drags the
    threshold under nearly every alert. Returns a
    :class:`ThresholdChoice`; when the validation rows hold no
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
    # Imported here: the config reads OBJECTIVES from this module without loading scikit-learn.
    from sklearn.metrics import precision_recall_curve

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
        n = int(np.sum(y == 1)) if positives is None else int(positives)
        bound = recall_lower_bound(recall, n)
        ok = np.flatnonzero(bound >= target - 1e-12)
        if n < min_bound_positives:
            index = int(np.flatnonzero(recall >= target - 1e-12)[-1])  # recall 1.0 at the lowest score
            message = (f"{n} validation positives (fewer than {min_bound_positives}): the threshold rests on the "
                       f"bare validation recall, which new alerts may miss by a few points")
        elif len(ok):
            index = int(ok[-1])  # thresholds rise as recall falls: the last is the highest
        else:
            index = int(np.flatnonzero(recall >= recall.max())[-1])  # recall 1.0 at the lowest score at least
            message = (f"{n} validation positives cannot assure recall {target:.2f} with 95% confidence at any "
                       f"threshold (at best {bound.max():.2f}); the threshold keeps every validation positive")
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
    if objective == "recall":
        choice.recall_lower_bound = float(bound[index])
    return choice
