"""Each warning fires on data built to trigger it, and stays quiet on healthy data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trainer.learning.diagnostics import is_useful, label_warnings, leakage_warnings, prediction_warnings
from trainer.learning.evaluation import score_metrics

HEALTHY_Y = np.array([0] * 80 + [1] * 20)


def _codes(warnings):
    return [w["code"] for w in warnings]


@pytest.mark.parametrize("y, code", [
    (np.zeros(50), "no_positive_labels"),
    (np.ones(50), "single_class"),
    (np.array([0] * 990 + [1] * 10), "severe_imbalance"),
])
def test_label_warnings_fire(y, code):
    warnings = label_warnings(y, severe_imbalance_share=0.05)
    assert _codes(warnings) == [code]
    assert warnings[0]["message"]


def test_label_warnings_quiet_on_healthy_labels():
    assert label_warnings(HEALTHY_Y, severe_imbalance_share=0.05) == []


def _prediction_codes(y, scores, min_test_positives=5):
    metrics = score_metrics(y, scores, 0.5)
    return _codes(prediction_warnings(metrics, y, np.asarray(scores) >= 0.5, min_test_positives=min_test_positives))


def test_the_old_cla_failure_is_flagged_as_blocking():
    # Accuracy 0.95, F1 0: the model called every alert benign.
    y = np.array([0] * 95 + [1] * 5)
    metrics = score_metrics(y, np.full(100, 0.1), 0.5)
    warnings = prediction_warnings(metrics, y, np.zeros(100), min_test_positives=5)
    assert {"predicts_one_class", "majority_accuracy"} <= set(_codes(warnings))
    message = next(w["message"] for w in warnings if w["code"] == "majority_accuracy")
    assert message.startswith("accuracy 0.95 but F1 0.00")
    assert not is_useful(warnings)


def test_a_model_that_flags_everything_is_flagged_too():
    assert _prediction_codes(HEALTHY_Y, np.full(100, 0.9)) == ["predicts_one_class"]


def test_a_model_that_flags_nearly_every_alert_is_named():
    # 99 of 100 alerts go to analysts: recall is perfect, the model saves no work.
    y = np.array([0] * 90 + [1] * 10)
    scores = np.r_[0.05, np.full(99, 0.8)]
    warnings = prediction_warnings(score_metrics(y, scores, 0.5), y, scores >= 0.5, min_test_positives=5)
    assert _codes(warnings) == ["flags_almost_all"]
    assert "99% of test alerts" in warnings[0]["message"]
    assert is_useful(warnings)


def test_few_test_positives_fires_below_the_configured_count():
    y = np.array([0] * 97 + [1] * 3)
    scores = np.r_[np.full(97, 0.1), np.full(3, 0.9)]
    assert _prediction_codes(y, scores, min_test_positives=20) == ["few_test_positives"]
    assert _prediction_codes(y, scores, min_test_positives=3) == []


def test_prediction_warnings_quiet_on_a_good_model():
    scores = np.r_[np.full(75, 0.1), np.full(5, 0.7), np.full(20, 0.9)]
    assert _prediction_codes(HEALTHY_Y, scores) == []
    assert is_useful([{"code": "severe_imbalance", "severity": "warning", "message": ""}])


@pytest.mark.parametrize("leaky", ["numeric", "categorical"])
def test_leakage_fires_for_a_feature_that_alone_separates_the_classes(leaky):
    rng = np.random.default_rng(0)
    y = rng.random(600) < 0.2
    frame = pd.DataFrame({"noise": rng.normal(size=600),
                          "rule": rng.choice(["a", "b"], 600).astype(object),
                          "leak": (y * 3.0 + rng.random(600)) if leaky == "numeric"
                          else np.where(y, "escalated", "closed").astype(object)})
    warnings = leakage_warnings(frame.iloc[:400], y[:400], frame.iloc[400:], y[400:], ["noise", "rule", "leak"],
                                leakage_auc=0.995)
    assert _codes(warnings) == ["suspected_leakage"]
    assert "'leak'" in warnings[0]["message"]
