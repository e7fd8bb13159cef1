"""Validation on small data: out-of-fold candidates and thresholds, forward-only time folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.frames import feedback_frame, tiny_table
from trainer.learning import pipelines
from trainer.learning import validation
from trainer.learning.features import infer_features
from trainer.learning.api import _configs, clean_for_fit, fit, train_and_evaluate
from trainer.learning.thresholds import choose_threshold


def test_twelve_positives_without_a_time_column_get_a_threshold_from_out_of_fold_scores():
    frame = tiny_table()
    model = fit(frame, label="outcome", objective="f1", preset="custom", model="logistic_regression",
                imbalance="class_weight")
    info = model.metadata["validation"]
    assert info["path"] == "cross_validation"
    # 12 positives: the 5 folds are repeated twice, so 24 out-of-fold positive scores stand behind it.
    assert (info["fold_kind"], info["folds"], info["repeats"]) == ("stratified", 5, 2)
    assert (info["positives"], info["rows"], info["scores"]) == (12, 300, 600)

    # Replay: the same folds, every row scored by a model that did not fit it, F1 threshold on the pool.
    config = _configs("outcome", "f1", 0.95, {})
    cleaned = clean_for_fit(frame, config.schema).reset_index(drop=True)
    spec = infer_features(cleaned, config.schema)
    y = cleaned["outcome"].astype(int)
    folds = validation.folds(cleaned, y, time_column="", random_state=42)

    def make():
        return pipelines.build_pipeline(spec, "logistic_regression", "class_weight", minority=12, rows=300,
                                        random_state=42)

    oof = validation.out_of_fold(make, cleaned, y, folds)
    assert model.threshold == pytest.approx(choose_threshold(folds.pool(y), folds.pool(oof), "f1").threshold)
    # The saved model fitted every row: a threshold from its own scores would be another number.
    in_sample = model.predict_proba(cleaned)[:, 1]
    assert model.threshold != pytest.approx(choose_threshold(y, in_sample, "f1").threshold)


def test_time_folds_never_validate_on_rows_older_than_their_training_rows():
    rng = np.random.default_rng(0)
    times = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10_000, 600), unit="min"))
    times[rng.choice(600, 20, replace=False)] = pd.NaT
    y = (rng.random(600) < 0.2).astype(int)
    splits = validation.time_folds(times, y)
    assert len(splits) == validation.TIME_FOLDS
    for train, validate in splits:
        assert not set(train) & set(validate)
        assert times.iloc[validate].notna().all()  # rows without a time count as the oldest
        assert times.iloc[train].max() <= times.iloc[validate].min()


def test_a_time_ordered_small_window_is_validated_forward_in_time():
    history = feedback_frame(1200, seed=4)
    config = _configs("is_true_positive", "recall", 0.95, {"permutation_repeats": 0, "preset": "custom",
                                                           "model": "logistic_regression"})
    result = train_and_evaluate(history, config)
    info = result.metrics["model"]["validation"]
    assert info["path"] == "cross_validation" and info["fold_kind"] == "time"
    assert result.metrics["threshold_selection"]["validation_recall"] >= 0.95


def test_enough_validation_positives_keep_the_one_slice_path():
    y = pd.Series([1] * 600 + [0] * 5400)
    chosen = validation.plan(y, validation_fraction=0.2, min_validation_positives=100)
    assert chosen.path == validation.HOLDOUT
    few = validation.plan(pd.Series([1] * 200 + [0] * 2800), validation_fraction=0.2, min_validation_positives=100)
    assert few.path == validation.CROSS_VALIDATION and few.expected_positives == pytest.approx(40)


def test_a_class_with_one_example_cannot_be_cross_validated():
    with pytest.raises(ValueError, match="at least 2 examples of each class"):
        validation.folds(pd.DataFrame({"x": range(10)}), pd.Series([1] + [0] * 9), time_column="", random_state=0)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_on_small_data_is_fitted_on_out_of_fold_scores(method):
    from trainer.learning.calibration import OutOfFoldCalibrated

    frame = tiny_table()
    model = fit(frame, label="outcome", objective="f1", calibration=method, preset="custom", model="logistic_regression",
                imbalance="class_weight")
    assert isinstance(model.estimator, OutOfFoldCalibrated) and model.metadata["calibration"] == method
    scores = model.predict_proba(frame.drop(columns="outcome"))[:, 1]
    assert ((scores >= 0) & (scores <= 1)).all()
    # Calibrated on rows the fold models never saw, the mean probability stays near the real share (12 of 300).
    assert scores.mean() == pytest.approx(12 / 300, abs=0.03)
