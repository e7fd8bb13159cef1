"""The trainer's promises end to end: honest holdout, validation-only threshold, no leakage, any table."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from helpers.frames import feedback_frame, tiny_table
from trainer.config import Config
from trainer.learning import families
from trainer.learning.api import evaluate, fit, train_and_evaluate
from trainer.learning.splitting import split_newest
from trainer.learning.triage_model import encode_label
from trainer.learning.thresholds import choose_threshold

LEGACY_KEYS = ["precision", "recall", "f1_score", "accuracy", "true_positives", "false_positives",
               "true_negatives", "false_negatives", "training_samples", "test_samples"]
POST_TRIAGE = ["analyst_comments", "processed", "confidence"]
#: One cheap candidate, through the options a user has (training.preset = "custom" with one model and one
#: strategy): what these tests check (splits, thresholds, keys, columns, labels) does not depend on which
#: model wins the search, and the whole search costs 10 to 20 times as much. test_the_auto_preset_... runs it.
CHEAP = {"preset": "custom", "model": "logistic_regression", "imbalance": "class_weight"}


def _config(**training) -> Config:
    config = Config()
    config.training.permutation_repeats = 1
    config.training.min_test_positives = 5
    config.training.time_budget_seconds = 3600  # a busy machine must not change which candidates run
    for key, value in {**CHEAP, **training}.items():
        setattr(config.training, key, value)
    return config


@pytest.fixture(scope="module")
def history():
    return feedback_frame(2000, seed=0)


@pytest.fixture(scope="module")
def trained(history):
    return train_and_evaluate(history, _config())


def test_newest_feedback_is_held_out(history, trained):
    test_ids = set(trained.test_frame["alert_id"])
    train_rows = history[~history["alert_id"].isin(test_ids)]
    assert len(test_ids) == 400
    assert trained.test_frame["timestamp"].min() >= train_rows["timestamp"].max()
    window = trained.metrics["data_window"]
    assert window["split"] == "time" and window["test_start"] >= window["train_end"]
    rows = trained.metrics["rows"]
    # 2,000 rows hold too few positives for one validation slice: the window is cross-validated,
    # so every window row is fitted and the validation rows are scored out of fold.
    assert trained.metrics["model"]["validation"]["path"] == "cross_validation"
    assert rows["train"] + rows["test"] == len(history) and 0 < rows["validation"] <= rows["train"]


def test_metrics_hold_the_old_keys_and_are_strict_json(trained):
    metrics = trained.metrics
    assert all(isinstance(metrics[k], (int, float)) for k in LEGACY_KEYS)
    json.dumps(metrics, allow_nan=False)
    assert metrics["useful"] is True and metrics["pr_auc"] > 0.5
    assert metrics["model"]["selection"] and metrics["model"]["family"] in {
        c["family"] for c in metrics["model"]["selection"]}
    counts = metrics["class_counts"]
    assert counts["test"]["1"] == metrics["true_positives"] + metrics["false_negatives"]
    # the share the imbalance warning checks: the whole training window (here cross-validated: "train" is all of it)
    assert metrics["model"]["fitted_on"] == "window" and sum(counts["train"].values()) == metrics["training_samples"]
    assert metrics["training_positive_rate"] == pytest.approx(counts["train"]["1"] / metrics["training_samples"])
    assert metrics["feature_importance"][0]["feature"] in {"rule_name", "src_reputation"}


def test_post_triage_columns_never_reach_the_model(trained):
    features = trained.metrics["features"]
    assert sorted(features["excluded_post_triage"]) == sorted(POST_TRIAGE)
    used = features["numeric"] + features["categorical"] + features["boolean"] + features["time_derived"]
    assert not set(POST_TRIAGE) & set(used)
    assert not set(POST_TRIAGE) & set(trained.model.feature_columns)
    assert not set(POST_TRIAGE) & {f["feature"] for f in trained.metrics["feature_importance"]}
    # The model scores alerts that have not been triaged yet: no comment, no confidence.
    fresh = trained.test_frame.drop(columns=POST_TRIAGE)
    assert trained.model.predict_proba(fresh).shape == (len(fresh), 2)


def test_the_auto_preset_searches_every_default_candidate_and_keeps_the_best(history):
    """What a user gets by default: on small data each default candidate is cross-validated, blends of the best
    two and three are scored too, and the best of them all is the model."""
    result = train_and_evaluate(history, _config(preset="auto", model="auto", imbalance="auto"))
    model = result.metrics["model"]
    tried = model["selection"]
    assert [(c["family"], c["imbalance"]) for c in tried if c["family"] != "ensemble"] == \
        list(families.default_candidates(small=True))
    assert [c["family"] for c in tried].count("ensemble") == 2
    assert all(c["validation_pr_auc"] is not None and not c.get("skipped") for c in tried)
    best = max(tried, key=lambda c: c["validation_pr_auc"])
    assert (model["family"], model["imbalance"]) == (best["family"], best["imbalance"])
    assert result.metrics["useful"] is True


def test_a_leaking_column_not_declared_post_triage_is_flagged(history):
    config = _config(permutation_repeats=0)
    config.schema.post_triage = []
    config.schema.confidence_column = ""
    result = train_and_evaluate(history.drop(columns=["confidence", "processed"]), config)
    leaks = [w for w in result.metrics["warnings"] if w["code"] == "suspected_leakage"]
    assert leaks and "'analyst_comments'" in leaks[0]["message"]


def test_threshold_ignores_the_test_labels(history, trained):
    tampered = history.copy()
    newest = tampered.index[-400:]
    tampered.loc[newest, "is_true_positive"] = 1 - tampered.loc[newest, "is_true_positive"]
    # The flipped slice holds far more positives; the slice of 400 stays when it is not cut at the 100th.
    other = train_and_evaluate(tampered, _config(holdout_positives=0))
    assert other.model.threshold == trained.model.threshold
    assert other.metrics["recall"] != trained.metrics["recall"]


def test_a_test_slice_cut_at_its_positives_keeps_every_older_verdict_for_training():
    """On time-ordered feedback rich in positives, the test slice is the newest rows up to the 100th positive:
    the saved model learns every verdict older than that, and which of the test rows are positive (same count,
    same oldest row) never changes the model or its threshold."""
    frame = feedback_frame(3000, seed=4, positive_rate=0.4)
    ordered = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    positions = np.flatnonzero(ordered["is_true_positive"].to_numpy()[::-1] == 1)
    expected = int(positions[99]) + 1
    assert expected < 0.2 * len(frame)
    config = _config(imbalance="auto", permutation_repeats=0)
    result = train_and_evaluate(ordered, config)
    assert len(result.test_frame) == expected and result.metrics["test_samples"] == expected
    assert int(result.test_frame["is_true_positive"].sum()) == 100
    assert result.metrics["training_samples"] == len(frame) - expected
    assert result.test_frame["timestamp"].min() >= ordered["timestamp"].iloc[:-expected].max()

    shuffled = ordered.copy()
    inside = shuffled.index[-expected + 1:]  # the oldest test row, the 100th positive, stays where it is
    shuffled.loc[inside, "is_true_positive"] = np.random.default_rng(0).permutation(
        shuffled.loc[inside, "is_true_positive"].to_numpy())
    other = train_and_evaluate(shuffled, config)
    assert len(other.test_frame) == expected
    assert other.model.threshold == result.model.threshold
    assert other.metrics["pr_auc"] != result.metrics["pr_auc"]


@pytest.mark.parametrize("calibration", ["none", "sigmoid"])
def test_holdout_threshold_is_chosen_on_a_slice_the_saved_model_never_fitted(history, calibration):
    # min_validation_positives=0 forces the one-slice path of large data on this small frame.
    config = _config(calibration=calibration, imbalance="auto", permutation_repeats=0, min_validation_positives=0)
    result = train_and_evaluate(history, config)
    window = history[~history["alert_id"].isin(result.test_frame["alert_id"])]
    train, validation, _ = split_newest(window, "is_true_positive", "timestamp", config.training.validation_fraction, 42)
    assert result.metrics["model"]["validation"]["path"] == "holdout"
    assert result.metrics["rows"] == {"train": len(train), "validation": len(validation), "test": 400}
    if calibration == "none":
        # Time-ordered and small: the saved model is refitted on the whole window (it knows the newest
        # alerts), but its threshold comes from the same recipe fitted on the older rows only.
        assert result.metrics["model"]["fitted_on"] == "window"
        before = clone(result.model.estimator).fit(train, train["is_true_positive"].astype(int))
        scores = before.predict_proba(validation)[:, 1]
    else:
        assert result.metrics["model"]["fitted_on"] == "train"
        scores = result.model.predict_proba(validation)[:, 1]
    replay = choose_threshold(validation["is_true_positive"], scores, "recall", 0.95)
    assert result.model.threshold == pytest.approx(replay.threshold)
    assert result.metrics["model"]["calibration"] == calibration


def test_legacy_preset_is_the_old_recipe_at_half(history):
    model = fit(history, preset="legacy")
    forest = model.estimator.named_steps["classifier"]
    assert model.threshold == 0.5
    assert (forest.n_estimators, forest.max_depth, forest.class_weight) == (100, 10, "balanced")


def test_stratified_split_without_a_time_column():
    frame = feedback_frame(1000, seed=2, with_time=False)
    result = train_and_evaluate(frame, _config(imbalance="auto", permutation_repeats=0))
    assert result.metrics["data_window"]["split"] == "stratified"
    test_rate = result.test_frame["is_true_positive"].mean()
    assert test_rate == pytest.approx(frame["is_true_positive"].mean(), abs=0.01)


@pytest.fixture(scope="module")
def tiny_model():
    return fit(tiny_table(), label="outcome", **CHEAP)


def test_fit_works_on_a_tiny_table_without_time_or_id(tiny_model):
    table = tiny_table()
    proba = tiny_model.predict_proba(table)
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1)
    assert {"sensor", "reputation_copy"}.isdisjoint(tiny_model.feature_columns)
    assert set(tiny_model.predict(table)) <= {0, 1}
    metrics = evaluate(tiny_model, table, label="outcome")
    assert metrics["roc_auc"] > 0.8 and metrics["recall"] >= 0.9


def test_unseen_categories_and_extra_columns_are_scored(tiny_model):
    new = tiny_table(seed=9).head(5).copy()
    new["rule_name"] = pd.array(["brand_new_rule", None, "port_scan", "x", "y"], dtype="str")
    new["unrelated"] = "ignored"
    assert tiny_model.predict_proba(new).shape == (5, 2)


def test_missing_feature_columns_are_named(tiny_model):
    with pytest.raises(ValueError, match="src_reputation"):
        tiny_model.predict(tiny_table().drop(columns="src_reputation"))


def test_model_survives_a_joblib_round_trip(tiny_model, tmp_path):
    path = tmp_path / "model.pkl"
    joblib.dump(tiny_model, path)
    loaded = joblib.load(path)
    table = tiny_table()
    assert loaded.threshold == tiny_model.threshold
    assert np.array_equal(loaded.predict_proba(table), tiny_model.predict_proba(table))


@pytest.mark.parametrize("frame, kwargs, error, match", [
    (pd.DataFrame(), {}, ValueError, "empty"),
    (tiny_table(), {"label": "verdict"}, ValueError, "label column 'verdict' is not in the frame"),
    (tiny_table().assign(outcome="fp"), {"label": "outcome"}, ValueError,
     r"label column 'outcome' has only one class \(0\): need both true and false positives"),
    (tiny_table().assign(outcome="maybe"), {"label": "outcome"}, ValueError, "not a verdict"),
    (tiny_table(), {"label": "outcome", "learning_rate": 0.1}, TypeError, "learning_rate"),
    (tiny_table(), {"label": "outcome", "objective": "accuracy"}, ValueError, "training.objective"),
])
def test_bad_input_gets_a_message_naming_the_problem(frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        fit(frame, **kwargs)


@pytest.mark.parametrize("values, expected", [
    ([True, False, None], [1, 0, None]),
    ([1, 0, 1], [1, 0, 1]),
    (["tp", "FP", "True"], [1, 0, 1]),
    (["true_positive", "false_positive", "maybe"], None),
])
def test_labels_in_common_spellings_are_understood(values, expected):
    series = pd.Series(values)
    if expected is None:
        with pytest.raises(ValueError, match="not a verdict"):
            encode_label(series, "label")
    else:
        assert encode_label(series, "label").tolist() == [pd.NA if v is None else v for v in expected]


@pytest.mark.parametrize("objective, target", [("f1", 0.95), ("precision", 0.5)])
def test_other_objectives_choose_their_own_threshold(tiny_model, objective, target):
    model = fit(tiny_table(), label="outcome", objective=objective, target=target, random_state=1, **CHEAP)
    assert 0.0 < model.threshold < 1.0
    assert model.metadata["objective"] == objective


def test_calibration_works_on_a_dozen_positives():
    model = fit(tiny_table(), label="outcome", calibration="isotonic", **CHEAP)
    assert model.metadata["calibration"] == "isotonic"
    assert evaluate(model, tiny_table(seed=5), label="outcome")["pr_auc"] is not None


def test_sampled_negatives_are_reweighted_and_said_so(history, trained):
    """A BigQuery sample that kept 10% of false positives must not report the sample's flattering precision."""
    sampled = train_and_evaluate(history, _config(), negative_sample_rate=0.1)
    assert "sampled_negatives" in [w["code"] for w in sampled.metrics["warnings"]]
    assert "sampled_negatives" not in [w["code"] for w in trained.metrics["warnings"]]
    assert sampled.metrics["precision"] < trained.metrics["precision"]
    assert sampled.metrics["positive_rate"] < trained.metrics["positive_rate"]


def test_evaluate_reads_labels_with_the_positive_value_fit_was_given():
    table = tiny_table().assign(outcome=lambda f: f["outcome"].map({"tp": "malicious", "fp": "benign"}))
    model = fit(table, label="outcome", positive_value="malicious", **CHEAP)
    metrics = evaluate(model, table, label="outcome")
    assert metrics["true_positives"] + metrics["false_negatives"] == 12
    assert evaluate(model, table.assign(outcome=table["outcome"].eq("malicious")), label="outcome",
                    positive_value=True)["true_positives"] == metrics["true_positives"]


def test_a_model_from_the_training_cycle_evaluates_with_the_configured_positive_value(history):
    config = _config()
    config.schema.positive_value = "malicious"
    frame = history.assign(is_true_positive=history["is_true_positive"].map({1: "malicious", 0: "benign"}))
    model = train_and_evaluate(history, config).model
    metrics = evaluate(model, frame.tail(400), label="is_true_positive")
    assert metrics["true_positives"] + metrics["false_negatives"] == int(history["is_true_positive"].tail(400).sum())
