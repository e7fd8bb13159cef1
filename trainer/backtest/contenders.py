"""The contenders a backtest replays beside CLA's own policy, on the same steps and the same known rows.

- ``static``: CLA's first champion, never retrained (what a one-off model would have done);
- ``old_recipe``: the old CLA recipe (``training.preset = "legacy"``: random forest,
  100 trees, depth 10, balanced weights, categories cut to 30 values) refitted on every
  known labelled row at every step, threshold 0.5;
- ``online``: River's adaptive random forest (``river.forest.ARFClassifier``, ADWIN
  drift detectors, the established anchor for learning from a stream), which learns
  each row once its verdict is known and scores the next step, threshold 0.5. Its
  inputs are typed as CLA types them (`trainer.learning.features.FeatureFrame`).

Each contender answers ``update(known, moment)`` (learn what is known at the step's
start) and ``score(rows)`` (probabilities for the step's alerts), and has a ``threshold``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from trainer.config import Config
from trainer.columns import map_labels
from trainer.learning.api import clean_for_fit
from trainer.learning.features import FeatureFrame, FeatureSpec, infer_features
from trainer.learning.fit_recipe import fit_window
from trainer.learning.pipelines import thread_limit

__all__ = ["OldRecipe", "Online", "Static", "CONTENDERS", "triage_scores"]

CONTENDERS = ("cla", "static", "old_recipe", "online")
"""Every contender's name, CLA's own policy first."""


def _labelled(known: pd.DataFrame, label: str) -> pd.DataFrame:
    return known[known[label].notna()]


def triage_scores(model, rows: pd.DataFrame) -> np.ndarray | None:
    """``model``'s probability that each of ``rows`` is a true positive; ``None`` while there is no model."""
    if model is None:
        return None
    with thread_limit():
        return model.predict_proba(rows)[:, 1]


class _TriageModelContender:
    """A contender that scores with a CLA triage model once it has one, at that model's threshold."""

    name = ""

    def __init__(self):
        self.model = None
        self.error = ""

    @property
    def threshold(self) -> float | None:
        return None if self.model is None else float(self.model.threshold)

    def score(self, rows: pd.DataFrame) -> np.ndarray | None:
        return triage_scores(self.model, rows)


class Static(_TriageModelContender):
    """CLA's first champion, kept for every later step (set by the replay once a champion exists)."""

    name = "static"

    def adopt(self, model) -> None:
        if self.model is None:
            self.model = model


class OldRecipe(_TriageModelContender):
    """The legacy recipe refitted on every known labelled row at each step (through CLA's own fit path)."""

    name = "old_recipe"

    def __init__(self, config: Config):
        super().__init__()
        self.config = dataclasses.replace(config, training=dataclasses.replace(config.training, preset="legacy"))

    def update(self, known: pd.DataFrame) -> None:
        schema = self.config.schema
        try:
            cleaned = clean_for_fit(_labelled(known, schema.label), schema)
            spec = infer_features(cleaned, schema)
            with thread_limit():
                self.model = fit_window(cleaned, spec, schema, self.config.training).model
            self.error = ""
        except ValueError as exc:  # one class only, no feature left: keep the last model, say why
            self.error = str(exc)


class Online:
    """River's adaptive random forest, learning each row once, in time order, when its verdict is known."""

    name = "online"
    threshold = 0.5

    def __init__(self, config: Config, seed: int):
        from river import forest

        self.config = config
        self.model = forest.ARFClassifier(n_models=10, seed=seed)
        self.spec: FeatureSpec | None = None
        self.learned: set = set()
        self.error = ""

    def _records(self, rows: pd.DataFrame) -> list[dict]:
        frame = FeatureFrame(self.spec).transform(rows)
        records = []
        for row in frame.to_dict("records"):
            records.append({k: v for k, v in row.items()
                            if v is not None and not (isinstance(v, float) and math.isnan(v))
                            and v is not pd.NA})
        return records

    def update(self, known: pd.DataFrame, position: pd.Series) -> None:
        """Learn the known labelled rows not learned yet; ``position`` holds each row's index in the history."""
        schema = self.config.schema
        labelled = _labelled(known, schema.label)
        if self.spec is None:
            try:
                self.spec = infer_features(clean_for_fit(labelled, schema), schema)
            except ValueError as exc:
                self.error = str(exc)
                return
        fresh = labelled[~position.loc[labelled.index].isin(self.learned).to_numpy()]
        if fresh.empty:
            return
        y = map_labels(fresh[schema.label], schema.positive_value)[0].to_numpy()
        for record, target in zip(self._records(fresh), y):
            self.model.learn_one(record, bool(target))
        self.learned.update(position.loc[fresh.index].tolist())

    def score(self, rows: pd.DataFrame) -> np.ndarray | None:
        if self.spec is None:
            return None
        return np.array([float(self.model.predict_proba_one(r).get(True, 0.0)) for r in self._records(rows)])
