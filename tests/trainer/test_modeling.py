"""Candidate pipelines: the legacy recipe, resampling only in fit, SMOTE on few positives, the time budget."""

from __future__ import annotations

import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.metrics import average_precision_score

from frames import feedback_frame, tiny_table
from trainer.learning import modeling
from trainer.config import SchemaConfig
from trainer.learning.features import infer_features
from trainer.learning.model import fit


@pytest.fixture(scope="module")
def data():
    frame = feedback_frame(1200, seed=1)
    return frame, frame["is_true_positive"], infer_features(frame, SchemaConfig())


def test_legacy_preset_is_the_old_random_forest_recipe(data):
    frame, y, spec = data
    assert modeling.candidates("legacy", "auto", "auto") == [("random_forest", "class_weight")]
    pipeline = modeling.build_pipeline(spec, "random_forest", "class_weight", minority=int(y.sum()),
                                       rows=len(y), random_state=0, legacy=True)
    forest = pipeline.named_steps["classifier"]
    assert isinstance(forest, RandomForestClassifier)
    assert (forest.n_estimators, forest.max_depth, forest.class_weight) == (100, 10, "balanced")


@pytest.mark.parametrize("strategy", ["undersample", "smote", "adasyn"])
def test_resampling_changes_training_counts_but_every_row_is_scored(data, strategy):
    frame, y, spec = data
    pipeline = modeling.build_pipeline(spec, "logistic_regression", strategy, minority=int(y.sum()),
                                       rows=len(y), random_state=0)
    pipeline.fit(frame, y)
    counts = modeling.resampled_counts(pipeline, y)
    assert counts != {"0": int((y == 0).sum()), "1": int(y.sum())}
    assert abs(counts["0"] - counts["1"]) <= 0.1 * max(counts.values())
    assert pipeline.predict_proba(frame).shape == (len(frame), 2)


@pytest.mark.parametrize("positives, expected", [(4, "smote"), (2, "class_weight")])
def test_smote_neighbours_are_clipped_to_the_positives_available(data, positives, expected):
    frame, y, spec = data
    keep = y.index[y == 0][:300].union(y.index[y == 1][:positives])
    small, y_small = frame.loc[keep], y.loc[keep]
    pipeline = modeling.build_pipeline(spec, "random_forest", "smote", minority=positives, rows=len(keep),
                                       random_state=0)
    pipeline.fit(small, y_small)
    used = "smote" if "resample" in pipeline.named_steps else "class_weight"
    assert used == expected == modeling.effective_strategy("smote", positives)


def test_search_ranks_by_validation_and_skips_candidates_past_the_budget(data):
    frame, y, spec = data
    train, val = frame.iloc[:900], frame.iloc[900:]
    pairs = modeling.candidates("auto", "auto", "auto")
    full = modeling.select(spec, pairs[:3], train, y.iloc[:900], val, y.iloc[900:], budget_seconds=60,
                           random_state=0)
    best = max(full.tried, key=lambda c: c.validation_pr_auc)
    assert (full.family, full.imbalance) == (best.family, best.imbalance)
    rushed = modeling.select(spec, pairs, train, y.iloc[:900], val, y.iloc[900:], budget_seconds=0,
                             random_state=0)
    assert rushed.tried[0].validation_pr_auc is not None
    assert all(c.skipped == "time budget used up" for c in rushed.tried[1:])


@pytest.mark.parametrize("model, imbalance, expected", [
    ("random_forest", "auto", [("random_forest", "class_weight")]),
    ("auto", "smote", [("logistic_regression", "smote"), ("hist_gradient_boosting", "smote"),
                       ("random_forest", "smote"), ("extra_trees", "smote")]),
])
def test_fixed_family_or_strategy_filters_the_candidates(model, imbalance, expected):
    assert modeling.candidates("custom", model, imbalance) == expected


def test_negative_sampling_keeps_every_positive(data):
    frame, y, _ = data
    X_small, y_small, rate = modeling.sample_negatives(frame, y, 400, random_state=0)
    assert len(y_small) == 400 and int(y_small.sum()) == int(y.sum())
    assert rate == pytest.approx((400 - y.sum()) / (y == 0).sum())


def test_extremely_randomised_trees_are_a_small_data_candidate_that_learns():
    assert ("extra_trees", "class_weight") in modeling.candidates("auto", "auto", "auto", small=True)
    frame = tiny_table()
    model = fit(frame, label="outcome", objective="f1", preset="custom", model="extra_trees")
    trees = model.estimator.named_steps["classifier"]
    assert isinstance(trees, ExtraTreesClassifier) and trees.class_weight == "balanced"
    assert model.metadata["family"] == "extra_trees"
    # 12 positives in 300 rows: chance is 0.04; the trees rank the positives far above it.
    assert average_precision_score(frame["outcome"] == "tp", model.predict_proba(frame)[:, 1]) > 0.5
