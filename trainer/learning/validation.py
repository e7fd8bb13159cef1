"""How a training window is validated: one slice on large data, cross-validation on small data.

On a small window the newest slice holds a handful of positives: a candidate
ranking and a threshold chosen on it are noise. :func:`plan` decides the path
from the positives a validation slice would hold; on the ``cross_validation``
path, :func:`folds` splits the window (forward-chaining by time when a time
column orders it, stratified otherwise) and :func:`out_of_fold` scores every
validated row with a model that never saw it. `trainer.learning.fit_recipe` ranks the
candidates on those pooled out-of-fold scores, chooses the threshold on them,
and fits the final model on the whole window: the threshold always comes from
rows its scoring model did not train on.

scikit-learn's ``TunedThresholdClassifierCV`` does the threshold half of this
for one estimator and a scorer to maximise; it cannot state "recall at least
0.95 with the highest threshold", and it would refit every fold again for each
candidate already cross-validated here, so the folds are scored once and
shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from trainer.learning.families import Recipe

__all__ = ["ValidationPlan", "Folds", "plan", "folds", "out_of_fold", "time_folds", "repeats_for", "has_time",
           "orders_rows", "CROSS_VALIDATION", "HOLDOUT", "NONE", "MAX_FOLDS", "TIME_FOLDS", "POOL_POSITIVES", "MAX_REPEATS",
           "OLDEST_SHARE", "MIN_DISTINCT_TIMES", "MAX_ROWS"]

CROSS_VALIDATION = "cross_validation"
HOLDOUT = "holdout"
NONE = "none"

MAX_FOLDS = 5

TIME_FOLDS = 3
"""Forward-chaining folds over the newest half of a window: each fold model trains on every older row, so
five folds would cost 3.5 window fits per candidate; three cost 2 and still validate the same rows."""

POOL_POSITIVES = 100
"""Stratified folds are repeated (new shuffles) until about this many out-of-fold scores of the rarer class
stand behind the candidate ranking and the threshold..."""

MAX_REPEATS = 2
"""...but at most this many times: each repetition costs one more fit per fold and candidate."""

OLDEST_SHARE = 0.5
"""Forward-chaining folds validate the newest half of a window; its older half only trains."""

MIN_DISTINCT_TIMES = 20
"""A time column with fewer distinct values cannot say which feedback is newest (a batch stamped at once)."""

MAX_ROWS = 30_000
"""A cross-validated window keeps every positive and at most this many rows in all (negatives sampled);
the final model is fitted on the same rows, so out-of-fold scores and the final model share one scale."""


@dataclass
class ValidationPlan:
    """Which path validates a window, and why (``reason`` is one sentence for the metrics)."""

    path: str
    reason: str
    expected_positives: float


def has_time(frame: pd.DataFrame, column: str) -> bool:
    """True when ``column`` is a parsed time column of ``frame`` with at least one time."""
    return bool(column) and column in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[column]) \
        and frame[column].notna().any()


def orders_rows(frame: pd.DataFrame, column: str) -> bool:
    """True when ``column`` holds enough distinct times (``MIN_DISTINCT_TIMES``) to order the feedback by it."""
    return has_time(frame, column) and frame[column].nunique() >= MIN_DISTINCT_TIMES


def plan(y: pd.Series, *, validation_fraction: float, min_validation_positives: int,
         recipe: Recipe | None = None) -> ValidationPlan:
    """The validation path for a window whose labels are ``y`` (0/1).

    Cross-validation when a validation slice of ``validation_fraction`` would
    hold fewer than ``min_validation_positives`` positives (or negatives,
    whichever class is rarer) and the rarer class has the 2 rows folds need;
    one slice otherwise; none for a fixed ``recipe`` (`trainer.learning.families.RECIPES`).
    """
    positives = int(y.sum())
    rarer = min(positives, len(y) - positives)
    expected = rarer * validation_fraction
    if recipe is not None:
        return ValidationPlan(NONE, f"{recipe.name} preset: no validation, fixed threshold {recipe.threshold:g}",
                              expected)
    if expected < min_validation_positives and rarer < 2:
        return ValidationPlan(HOLDOUT, "one example of a class: too few to cross-validate; one newest slice is used",
                              expected)
    if expected < min_validation_positives:
        return ValidationPlan(CROSS_VALIDATION, f"a {validation_fraction:.0%} validation slice would hold about "
                              f"{expected:.0f} examples of the rarer class (fewer than {min_validation_positives}): "
                              "candidates and threshold are chosen on out-of-fold scores", expected)
    return ValidationPlan(HOLDOUT, f"a {validation_fraction:.0%} validation slice holds about {expected:.0f} "
                          "examples of the rarer class: candidates and threshold are chosen on it", expected)


@dataclass
class Folds:
    """Train/validation index pairs over a window, and how they were made (``"time"`` or ``"stratified"``).

    ``rounds`` holds one list of (train, validate) positional index pairs per
    repetition; every repetition validates the same rows (:attr:`rows`).
    """

    kind: str
    rounds: list[list[tuple[np.ndarray, np.ndarray]]]
    note: str = ""

    @property
    def rows(self) -> np.ndarray:
        """Sorted positional indices of the rows the folds validate."""
        first = self.rounds[0] if self.rounds else []
        return np.unique(np.concatenate([v for _, v in first])) if first else np.empty(0, dtype=int)

    @property
    def fold_count(self) -> int:
        return sum(len(r) for r in self.rounds)

    def pool(self, values) -> np.ndarray:
        """The validated entries of every repetition, stacked: per-row values (labels, weights) are
        repeated once per repetition; out-of-fold scores (one row per repetition) are taken as they are."""
        values = np.asarray(values)
        if values.ndim == 1:
            return np.tile(values[self.rows], len(self.rounds))
        return values[:, self.rows].ravel()


def time_folds(times: pd.Series, y: np.ndarray, n_splits: int = TIME_FOLDS,
               oldest_share: float = OLDEST_SHARE) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward-chaining folds: each validates one block of rows on every row older than it.

    Rows are ordered by ``times`` (missing times first, as the oldest). The
    oldest ``oldest_share`` of them only ever train; the newer rows are cut
    into ``n_splits`` blocks, and fold ``k`` trains on every row older than
    block ``k`` and validates on it. So every fold model learns from at least
    that share of the window, as the final model learns from all of it. A fold
    whose training rows lack a class cannot fit and is left out. Returns
    positional indices.
    """
    order = np.argsort(times.to_numpy(dtype="datetime64[ns]"), kind="stable")
    missing = times.isna().to_numpy()
    order = np.concatenate([order[missing[order]], order[~missing[order]]])
    first = int(round(len(order) * oldest_share))
    blocks = np.array_split(np.arange(first, len(order)), n_splits)
    splits = []
    for block in blocks:
        if not len(block):
            continue
        train = order[:block[0]]
        if len(np.unique(y[train])) == 2:
            splits.append((train, order[block]))
    return splits


def repeats_for(rarer: int) -> int:
    """Repetitions of the stratified folds: enough that about ``POOL_POSITIVES`` scores of the rarer
    class stand behind the ranking and the threshold, at most ``MAX_REPEATS``."""
    return int(min(MAX_REPEATS, max(1, math.ceil(POOL_POSITIVES / max(1, rarer)))))


def folds(frame: pd.DataFrame, y: pd.Series, *, time_column: str, random_state: int) -> Folds:
    """The folds of the cross-validated path for ``frame`` with labels ``y``.

    Forward-chaining by ``time_column`` when it orders the rows and at least
    two folds can fit (one repetition: time fixes the folds). Else stratified
    folds (as many as the rarer class allows, at most ``MAX_FOLDS``; at least
    2, so the rarer class needs 2 rows), repeated with new shuffles while the
    rarer class is small (:func:`repeats_for`).
    """
    labels = y.to_numpy().astype(int)
    rarer = int(min(labels.sum(), len(labels) - labels.sum()))
    note = ""
    if orders_rows(frame, time_column):
        splits = time_folds(frame[time_column], labels)
        validated = np.concatenate([v for _, v in splits]) if splits else np.empty(0, dtype=int)
        if len(splits) >= 2 and len(np.unique(labels[validated])) == 2:
            return Folds("time", [splits])
        note = ("the time column leaves too few folds with both classes to validate forward in time; "
                "folds are stratified instead")
    if rarer < 2:
        raise ValueError("cross-validation needs at least 2 examples of each class")
    n_splits = min(MAX_FOLDS, rarer)
    rounds = []
    for repeat in range(repeats_for(rarer)):
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state + repeat)
        rounds.append(list(splitter.split(np.zeros(len(labels)), labels)))
    return Folds("stratified", rounds, note)


def out_of_fold(make: Callable[[], object], X: pd.DataFrame, y: pd.Series, folds: Folds) -> np.ndarray:
    """Scores of every validated row by a model fitted without it, one row of scores per repetition.

    ``make`` returns a fresh unfitted estimator for each fold. Rows no fold
    validates are ``NaN``.
    """
    scores = np.full((len(folds.rounds), len(y)), np.nan)
    for repeat, splits in enumerate(folds.rounds):
        for train, validate in splits:
            model = make()
            model.fit(X.iloc[train], y.iloc[train])
            scores[repeat, validate] = model.predict_proba(X.iloc[validate])[:, 1]
    return scores
