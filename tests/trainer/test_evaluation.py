"""Test-slice metrics and curves: correct numbers, no NaN, and the original column names."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.compose import make_column_transformer
from sklearn.preprocessing import OneHotEncoder

from trainer.learning.evaluation import curves, negative_weights, permutation_importances, score_metrics


def test_metrics_match_the_confusion_counts():
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    s = [0.9, 0.8, 0.7, 0.2, 0.6, 0.1, 0.1, 0.1, 0.05, 0.0]
    m = score_metrics(y, s, threshold=0.5)
    assert (m["true_positives"], m["false_positives"], m["true_negatives"], m["false_negatives"]) == (3, 1, 5, 1)
    assert m["precision"] == pytest.approx(0.75) and m["recall"] == pytest.approx(0.75)
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["workload_saved"] == pytest.approx(0.6)
    assert m["positive_rate"] == pytest.approx(0.4)
    assert m["roc_auc"] == pytest.approx(23 / 24)


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_slice_gives_none_not_nan(label):
    m = score_metrics([label] * 6, np.linspace(0.1, 0.9, 6), threshold=0.5)
    assert m["roc_auc"] is None and m["mcc"] is None
    json.dumps(m, allow_nan=False)
    json.dumps(curves([label] * 6, np.linspace(0.1, 0.9, 6)), allow_nan=False)


def test_curves_are_downsampled_and_skipped_share_grows_with_threshold():
    rng = np.random.default_rng(0)
    y = rng.random(5000) < 0.1
    s = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    out = curves(y, s, points=50)
    tradeoff = out["threshold_tradeoff"]
    assert 10 <= len(out["pr"]["threshold"]) <= 50
    assert len(tradeoff["threshold"]) == len(tradeoff["alerts_skipped"]) <= 50
    assert np.all(np.diff(tradeoff["alerts_skipped"]) >= 0)
    assert sum(out["reliability"]["count"]) == 5000


def test_permutation_importance_names_original_columns_and_ranks_the_signal_first():
    rng = np.random.default_rng(1)
    n = 1500
    frame = pd.DataFrame({"rule_name": rng.choice(["a", "b", "c"], n), "noise": rng.normal(size=n)})
    y = (frame["rule_name"] == "a").to_numpy() & (rng.random(n) < 0.9)
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["rule_name"]), remainder="passthrough"),
                          RandomForestClassifier(n_estimators=20, random_state=0)).fit(frame, y)
    ranked = permutation_importances(model, frame, y, ["rule_name", "noise"], repeats=2, top=5, random_state=0)
    assert [r["feature"] for r in ranked] == ["rule_name", "noise"]
    assert ranked[0]["importance"] > 0.2


def test_permutation_importance_scores_shuffled_copies_in_batches_without_changing_them(monkeypatch):
    """One column per prediction call or all columns in one call: the same numbers, and those of scikit-learn's
    permutation_importance within the noise of the shuffles."""
    from sklearn.inspection import permutation_importance

    from trainer.learning import evaluation

    rng = np.random.default_rng(2)
    n = 1200
    frame = pd.DataFrame({"rule_name": rng.choice(["a", "b", "c"], n), "score": rng.normal(size=n),
                          "noise": rng.normal(size=n)})
    y = ((frame["rule_name"] == "a") & (frame["score"] > -0.5)).to_numpy() & (rng.random(n) < 0.9)
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["rule_name"]), remainder="passthrough"),
                          RandomForestClassifier(n_estimators=20, random_state=0)).fit(frame, y)
    columns = ["rule_name", "score", "noise"]
    batched = permutation_importances(model, frame, y, columns, repeats=20, top=5, random_state=3)
    monkeypatch.setattr(evaluation, "IMPORTANCE_BATCH_ROWS", 1)
    one_by_one = permutation_importances(model, frame, y, columns, repeats=20, top=5, random_state=3)
    assert batched == one_by_one
    reference = permutation_importance(model, frame, y, n_repeats=20, random_state=3,
                                       scoring=lambda m, X, y_: average_precision_score(y_, m.predict_proba(X)[:, 1]))
    ours = {r["feature"]: r["importance"] for r in batched}
    for i, column in enumerate(columns):
        assert abs(ours[column] - reference.importances_mean[i]) < 0.03, column


def test_sampled_negatives_reweighted_equal_the_full_population():
    """Negatives kept at rate 1/4, each weighted 4: the same numbers as the population they stand for."""
    rng = np.random.default_rng(5)
    y_sample = np.r_[np.zeros(300, int), np.ones(60, int)]
    s_sample = np.clip(rng.normal(0.3 + 0.4 * y_sample, 0.2), 0, 1)
    population_y = np.r_[np.repeat(y_sample[:300], 4), y_sample[300:]]
    population_s = np.r_[np.repeat(s_sample[:300], 4), s_sample[300:]]
    weights = negative_weights(y_sample, 0.25)
    weighted = score_metrics(y_sample, s_sample, 0.5, sample_weight=weights)
    full = score_metrics(population_y, population_s, 0.5)
    for key in ("precision", "recall", "f1_score", "accuracy", "pr_auc", "roc_auc", "workload_saved", "positive_rate",
                "brier_score", "mcc"):
        assert weighted[key] == pytest.approx(full[key]), key
    assert weighted["precision"] < score_metrics(y_sample, s_sample, 0.5)["precision"]
    assert weighted["false_positives"] + weighted["true_negatives"] == 300  # counts stay the rows scored
    weighted_curves = curves(y_sample, s_sample, sample_weight=weights)
    full_curves = curves(population_y, population_s)
    assert weighted_curves["reliability"]["fraction_positive"] == pytest.approx(
        full_curves["reliability"]["fraction_positive"])
    assert weighted_curves["threshold_tradeoff"]["alerts_skipped"] == pytest.approx(
        full_curves["threshold_tradeoff"]["alerts_skipped"])


def test_no_sampling_means_no_weights():
    assert negative_weights(np.array([0, 1]), 1.0) is None
    with pytest.raises(ValueError, match="above 0"):
        negative_weights(np.array([0, 1]), 0.0)


def test_workload_saved_at_the_target_recall_is_the_queue_share_an_analyst_never_opens():
    from trainer.learning.evaluation import workload_saved_at_recall

    # 20 alerts, 4 real: scores rank three of them on top and one in the middle.
    y = np.array([0] * 16 + [1] * 4)
    scores = np.concatenate([np.linspace(0.0, 0.5, 16), [0.9, 0.8, 0.7, 0.31]])
    # All four attacks seen: skip every alert scored below 0.31 (the 10 lowest negatives, 0.0 to 0.3).
    assert workload_saved_at_recall(y, scores, 1.0) == pytest.approx(10 / 20)
    # Three of four (0.75) are enough: skip everything below 0.7.
    assert workload_saved_at_recall(y, scores, 0.75) == pytest.approx(17 / 20)
    assert workload_saved_at_recall(np.zeros(5), np.ones(5), 0.95) is None
    metrics = score_metrics(y, scores, 0.5, recall_target=0.75)
    assert metrics["workload_saved_at_target"] == pytest.approx(17 / 20) and metrics["recall_target"] == 0.75
