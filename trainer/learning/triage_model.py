"""The trained triage model, and the label encoding it is fitted and judged with.

:class:`TriageModel` is what a pair's ``.pkl`` holds: the fitted pipeline
(`trainer.learning.pipelines`), the decision threshold chosen on the validation
slice (`trainer.learning.thresholds`), the feature spec
(`trainer.learning.features`) and metadata. Pickles name it by this module's
path; `trainer.folder.scoring.MOVED_MODULES` maps the paths it had before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trainer.columns import map_labels
from trainer.learning.features import FeatureSpec, require_columns
from trainer.learning.pipelines import thread_limit

__all__ = ["TriageModel", "encode_label", "require_binary", "class_counts"]


class TriageModel:
    """A fitted alert-triage classifier with its decision threshold.

    ``predict_proba(X)`` returns an ``(n, 2)`` array (column 1: probability
    of a true positive) for any frame holding the feature columns; extra
    columns are ignored. ``predict(X)`` flags alerts at or above
    ``threshold`` (1) and the rest (0).
    """

    classes_ = np.array([0, 1])

    def __init__(self, estimator, threshold: float, feature_spec: FeatureSpec, label: str,
                 metadata: dict | None = None):
        self.estimator = estimator
        self.threshold = float(threshold)
        self.feature_spec = feature_spec
        self.label = label
        self.metadata = dict(metadata or {})

    @property
    def feature_columns(self) -> list[str]:
        return self.feature_spec.input_columns

    def _check(self, X) -> pd.DataFrame:
        require_columns(X, self.feature_columns)
        return X[self.feature_columns]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` float array; raises ``ValueError`` naming missing feature columns."""
        X = self._check(X)
        if len(X) == 0:
            return np.empty((0, 2))
        with thread_limit():
            return np.asarray(self.estimator.predict_proba(X), dtype=float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 decisions at :attr:`threshold`."""
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(int)

    def __repr__(self) -> str:
        meta = self.metadata
        return (f"TriageModel({meta.get('family', '?')}/{meta.get('imbalance', '?')}, "
                f"threshold={self.threshold:.4f}, features={len(self.feature_columns)})")


def encode_label(values: pd.Series, name: str, positive_value: Any = True) -> pd.Series:
    """The label as 0/1 ints, ``<NA>`` where missing (spellings as in `trainer.columns.map_labels`).

    Raises ``ValueError`` naming values that are not a verdict.
    """
    labels, _, invalid = map_labels(values, positive_value)
    if invalid.any():
        examples = sorted(values[invalid].astype(str).unique().tolist())[:5]
        raise ValueError(f"label column '{name}' holds values that are not a verdict: {examples} "
                         f"({int(invalid.sum())} rows); use true/false, 1/0 or tp/fp, or pass positive_value=")
    return labels.astype("Int64")


def require_binary(y: pd.Series, name: str) -> None:
    counts = y.value_counts()
    if len(counts) < 2:
        only = int(counts.index[0]) if len(counts) else "none"
        raise ValueError(f"label column '{name}' has only one class ({only}): need both true and false positives")



def class_counts(y: pd.Series) -> dict[str, int]:
    """``{"0": negatives, "1": positives}`` of a 0/1 label."""
    y = y.astype(int)
    return {"0": int((y == 0).sum()), "1": int((y == 1).sum())}
