"""Decision-threshold selection, on the validation slice only.

:func:`choose_threshold` takes validation labels and scores (never test ones:
`trainer.model` calls it before the test slice is scored) and returns a
:class:`ThresholdChoice`. An alert is flagged when its score is at or above the
threshold. Objectives:

- ``"f1"``: the threshold with the highest F1;
- ``"recall"``: the highest threshold whose recall is at or above ``target``
  (the SOC default: miss at most 5% of real attacks, skip as many alerts as possible);
- ``"precision"``: the lowest threshold whose precision is at or above
  ``target``; when no threshold reaches it, the maximum-F1 threshold, and the
  choice says so.

:func:`carry_threshold` moves the chosen operating point to the model that
`trainer.model` refits on the whole training window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import precision_recall_curve

OBJECTIVES = ("f1", "recall", "precision")
FALLBACK_THRESHOLD = 0.5


@dataclass
class ThresholdChoice:
    """A chosen threshold and what it achieved on the validation slice."""

    threshold: float
    objective: str
    target: float | None
    reached: bool
    validation_precision: float | None = None
    validation_recall: float | None = None
    validation_f1: float | None = None
    validation_alerts_skipped: float | None = None
    message: str = ""
    chosen_for_validation_model: float | None = None

    def to_metrics(self) -> dict:
        return asdict(self)


def fixed_threshold(threshold: float, y_true, scores, *, reason: str) -> ThresholdChoice:
    """A threshold set by rule (the legacy 0.5), with its validation numbers when labels are given."""
    choice = ThresholdChoice(float(threshold), "fixed", None, True, message=reason)
    if y_true is not None and len(y_true):
        _fill(choice, np.asarray(y_true), np.asarray(scores))
    return choice


def _fill(choice: ThresholdChoice, y: np.ndarray, scores: np.ndarray) -> None:
    flagged = scores >= choice.threshold
    tp = int(np.sum(flagged & (y == 1)))
    positives = int(np.sum(y == 1))
    precision = tp / flagged.sum() if flagged.sum() else None
    recall = tp / positives if positives else None
    choice.validation_precision = None if precision is None else float(precision)
    choice.validation_recall = None if recall is None else float(recall)
    if precision is not None and recall is not None and precision + recall > 0:
        choice.validation_f1 = float(2 * precision * recall / (precision + recall))
    else:
        choice.validation_f1 = 0.0 if recall is not None else None
    choice.validation_alerts_skipped = float(np.mean(~flagged)) if len(y) else None


def choose_threshold(y_true, scores, objective: str = "recall", target: float = 0.95) -> ThresholdChoice:
    """Pick the threshold on validation labels ``y_true`` (0/1) and scores.

    Returns a :class:`ThresholdChoice`; when the validation slice holds no
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
                                 message=f"the validation slice has only one class ({int(y[0]) if len(y) else 'empty'}); "
                                         f"threshold left at {FALLBACK_THRESHOLD}")
        _fill(choice, y, s)
        return choice
    precision, recall, thresholds = precision_recall_curve(y, s)
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
            message = (f"precision {target:.2f} is not reached at any threshold on the validation slice "
                       f"(best {precision.max():.2f}); the threshold maximises F1 instead")
    choice = ThresholdChoice(float(thresholds[index]), objective, goal, reached, message=message)
    _fill(choice, y, s)
    return choice


def carry_threshold(old_scores, new_scores, threshold: float) -> tuple[float, float]:
    """Move ``threshold`` from one model to its refit, keeping the share of positives it flags.

    ``old_scores`` and ``new_scores`` are the two models' scores on the same
    known true positives (rows both were trained on). Returns (the new
    threshold, the share of those positives flagged), where the new
    threshold is the highest that flags at least that share under the new
    model. Refitting on more (and newer) data moves scores, so the raw
    number would no longer keep the recall it was chosen for.
    """
    old = np.asarray(old_scores, dtype=float)
    new = np.sort(np.asarray(new_scores, dtype=float))
    if len(old) == 0 or len(new) == 0:
        return float(threshold), float("nan")
    share = float(np.mean(old >= threshold))
    if share <= 0.0:
        return float(threshold), share
    index = min(len(new) - 1, max(0, int(np.floor((1.0 - share) * len(new) + 1e-9))))
    return float(new[index]), share
