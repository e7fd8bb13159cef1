"""The candidate search: the time budget, candidate lists filtered by config, negative sampling."""

from __future__ import annotations

import pytest

from helpers.frames import feedback_frame
from trainer.config import SchemaConfig
from trainer.learning import search
from trainer.learning.features import infer_features


@pytest.fixture(scope="module")
def data():
    frame = feedback_frame(1200, seed=1)
    return frame, frame["is_true_positive"], infer_features(frame, SchemaConfig())


def test_search_ranks_by_validation_and_skips_candidates_past_the_budget(data):
    frame, y, spec = data
    train, val = frame.iloc[:900], frame.iloc[900:]
    pairs = search.candidates("auto", "auto", "auto")
    full = search.select(spec, pairs[:3], train, y.iloc[:900], val, y.iloc[900:], budget_seconds=60,
                         random_state=0)
    best = max(full.tried, key=lambda c: c.validation_pr_auc)
    assert (full.family, full.imbalance) == (best.family, best.imbalance)
    rushed = search.select(spec, pairs, train, y.iloc[:900], val, y.iloc[900:], budget_seconds=0,
                           random_state=0)
    assert rushed.tried[0].validation_pr_auc is not None
    assert all(c.skipped == "time budget used up" for c in rushed.tried[1:])


def test_the_small_data_path_keeps_the_same_budget_through_the_same_loop(data):
    """Cross-validated ranking (few positives) goes through ``try_candidates`` too: past the budget, skipped."""
    from trainer.config import TrainingConfig
    from trainer.learning.fit_recipe import fit_window

    frame, y, spec = data
    small = frame.iloc[:400]
    fitted = fit_window(small, spec, SchemaConfig(), TrainingConfig(time_budget_seconds=1))
    assert fitted.validation_info["path"] == "cross_validation"
    singles = [c for c in fitted.selection.tried if c.family != "ensemble"]
    skipped = [c.skipped == "time budget used up" for c in singles]
    assert singles[0].validation_pr_auc is not None and any(skipped), [c.to_metrics() for c in singles]
    assert skipped == sorted(skipped), "once the budget is used up, every later candidate is skipped"


def test_a_candidate_that_fails_is_recorded_with_its_error_and_none_scoring_is_an_error():
    def score(family, strategy):
        if family == "logistic_regression":
            raise ValueError("Input contains NaN")
        return 0.5, f"{family} payload"

    pairs = [("logistic_regression", "class_weight"), ("random_forest", "class_weight")]
    tried, scored = search.try_candidates(pairs, minority=50, budget_seconds=60, score=score)
    assert [c.error for c in tried] == ["ValueError: Input contains NaN", ""]
    assert [(done.pair, done.payload, done.candidate.validation_pr_auc) for done in scored] == [
        (("random_forest", "class_weight"), "random_forest payload", 0.5)]
    with pytest.raises(RuntimeError, match="every candidate model failed to train: logistic_regression/class_weight: "
                                           "ValueError: Input contains NaN"):
        search.try_candidates(pairs[:1], minority=50, budget_seconds=60, score=score)


@pytest.mark.parametrize("model, imbalance, expected", [
    ("random_forest", "auto", [("random_forest", "class_weight")]),
    ("auto", "smote", [("logistic_regression", "smote"), ("hist_gradient_boosting", "smote"),
                       ("random_forest", "smote"), ("extra_trees", "smote")]),
])
def test_fixed_family_or_strategy_filters_the_candidates(model, imbalance, expected):
    assert search.candidates("custom", model, imbalance) == expected


def test_negative_sampling_keeps_every_positive(data):
    frame, y, _ = data
    X_small, y_small, rate = search.sample_negatives(frame, y, 400, random_state=0)
    assert len(y_small) == 400 and int(y_small.sum()) == int(y.sum())
    assert rate == pytest.approx((400 - y.sum()) / (y == 0).sum())


def test_a_source_sample_is_undone_when_candidates_are_ranked(data):
    """Negatives the source left out count again: each validation negative weighs 1 / rate, so precision falls."""
    frame, y, spec = data
    train, val = frame.iloc[:900], frame.iloc[900:]
    pairs = search.candidates("auto", "auto", "auto")[:2]
    as_read = search.select(spec, pairs, train, y.iloc[:900], val, y.iloc[900:], budget_seconds=60, random_state=0)
    undone = search.select(spec, pairs, train, y.iloc[:900], val, y.iloc[900:], budget_seconds=60, random_state=0,
                           source_negative_rate=0.1)
    for plain, weighted in zip(as_read.tried, undone.tried):
        assert weighted.validation_pr_auc < plain.validation_pr_auc
