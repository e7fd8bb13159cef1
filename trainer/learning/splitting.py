"""Splitting feedback: the newest rows apart by time, else a stratified random split.

`trainer.learning.api` holds out the newest feedback as the test slice with
:func:`split_newest`; `trainer.learning.fit_recipe` splits the validation slice
off the training window the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from trainer.learning import validation

__all__ = ["split_newest"]


def _stratify(y: pd.Series):
    counts = y.value_counts()
    return y if len(counts) == 2 and counts.min() >= 2 else None


def split_newest(frame: pd.DataFrame, label: str, time_column: str, fraction: float, random_state: int, *,
                 positives: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(older, newer, kind): the newest ``fraction`` of rows apart.

    ``kind`` is ``"time"`` when the time column orders the rows (rows without
    a time stay in the older part; at least ``validation.MIN_DISTINCT_TIMES`` distinct
    times), else ``"stratified"`` (a random split that keeps the label balance).
    With ``positives`` above 0, a split by time ends the newer part as soon as
    it holds that many positive labels, if that comes before ``fraction``.
    """
    n_new = max(1, int(math.ceil(len(frame) * fraction)))
    if validation.orders_rows(frame, time_column):
        ordered = frame.sort_values(time_column, kind="stable", na_position="first")
        if positives > 0:
            newest_first = ordered[label].to_numpy()[::-1] == 1
            reached = np.flatnonzero(newest_first.cumsum() >= positives)
            if len(reached):
                n_new = min(n_new, int(reached[0]) + 1)
        return ordered.iloc[:-n_new], ordered.iloc[-n_new:], "time"
    older, newer = train_test_split(frame, test_size=n_new, random_state=random_state,
                                    stratify=_stratify(frame[label]))
    return older, newer, "stratified"

