"""Candidate pipelines: the legacy recipe, resampling only in fit, SMOTE on few positives."""

from __future__ import annotations

import pytest
from sklearn.ensemble import RandomForestClassifier

from helpers.frames import feedback_frame
from trainer.config import SchemaConfig
from trainer.learning import families, pipelines
from trainer.learning.features import infer_features
from trainer.learning.search import candidates


@pytest.fixture(scope="module")
def data():
    frame = feedback_frame(1200, seed=1)
    return frame, frame["is_true_positive"], infer_features(frame, SchemaConfig())


def test_legacy_preset_is_the_old_random_forest_recipe(data):
    frame, y, spec = data
    recipe = families.recipe("legacy")
    assert candidates("legacy", "auto", "auto") == [("random_forest", "class_weight")] == [(recipe.family,
                                                                                            recipe.strategy)]
    pipeline = pipelines.build_pipeline(spec, recipe.family, recipe.strategy, minority=int(y.sum()),
                                        rows=len(y), random_state=0, recipe=recipe)
    forest = pipeline.named_steps["classifier"]
    assert isinstance(forest, RandomForestClassifier)
    assert (forest.n_estimators, forest.max_depth, forest.class_weight) == (100, 10, "balanced")


@pytest.mark.parametrize("strategy", ["undersample", "smote", "adasyn"])
def test_resampling_changes_training_counts_but_every_row_is_scored(data, strategy):
    frame, y, spec = data
    pipeline = pipelines.build_pipeline(spec, "logistic_regression", strategy, minority=int(y.sum()),
                                        rows=len(y), random_state=0)
    pipeline.fit(frame, y)
    counts = pipelines.resampled_counts(pipeline, y)
    assert counts != {"0": int((y == 0).sum()), "1": int(y.sum())}
    assert abs(counts["0"] - counts["1"]) <= 0.1 * max(counts.values())
    assert pipeline.predict_proba(frame).shape == (len(frame), 2)


@pytest.mark.parametrize("positives, expected", [(4, "smote"), (2, "class_weight")])
def test_smote_neighbours_are_clipped_to_the_positives_available(data, positives, expected):
    frame, y, spec = data
    keep = y.index[y == 0][:300].union(y.index[y == 1][:positives])
    small, y_small = frame.loc[keep], y.loc[keep]
    pipeline = pipelines.build_pipeline(spec, "random_forest", "smote", minority=positives, rows=len(keep),
                                        random_state=0)
    pipeline.fit(small, y_small)
    used = "smote" if "resample" in pipeline.named_steps else "class_weight"
    assert used == expected == pipelines.effective_strategy("smote", positives)
