"""The drift statistics: PSI, levels by effect size with the test as guard, unseen categories, intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trainer.monitoring.drift import (categorical_drift, drift_level, numeric_drift, psi, quantile_edges)
from trainer.monitoring.live import performance, recall_reference
from trainer.monitoring.prevalence import prevalence, wilson_interval

LEVELS = {"moderate": 0.1, "major": 0.25, "alpha": 0.001}


def test_psi_is_zero_for_equal_shares_and_matches_the_formula():
    assert psi(np.array([10, 20, 70]), np.array([1, 2, 7])) == pytest.approx(0.0)
    # shares 0.5/0.5 against 0.2/0.8: (0.2-0.5)ln(0.2/0.5) + (0.8-0.5)ln(0.8/0.5)
    expected = -0.3 * math.log(0.4) + 0.3 * math.log(1.6)
    assert psi(np.array([50, 50]), np.array([20, 80])) == pytest.approx(expected)
    assert psi(np.array([50, 50]), np.array([20, 80])) == pytest.approx(psi(np.array([20, 80]), np.array([50, 50])))


def test_psi_of_an_empty_bin_is_large_but_finite():
    value = psi(np.array([100, 0]), np.array([50, 50]))
    assert math.isfinite(value) and value > 2


def test_psi_refuses_counts_over_different_bins():
    with pytest.raises(ValueError, match="same bins"):
        psi(np.array([1, 2]), np.array([1, 2, 3]))


@pytest.mark.parametrize("psi_value, p_value, level", [
    (0.05, 1e-12, "none"),        # significant but small: large samples make every p-value tiny
    (0.12, 1e-12, "moderate"),
    (0.30, 1e-12, "major"),
    (0.30, 0.2, "none"),          # a large PSI the test cannot tell from noise (a handful of alerts)
    (None, None, "none"),
])
def test_level_comes_from_the_psi_and_the_test_only_vetoes(psi_value, p_value, level):
    assert drift_level(psi_value, p_value, **LEVELS) == level


def test_numeric_bins_are_cut_at_the_training_quantiles():
    reference = np.arange(1000, dtype=float)
    edges = quantile_edges(reference, 10)
    assert len(edges) == 9
    result = numeric_drift("x", pd.Series(reference), pd.Series(reference), bins=10)
    assert result.reference_share == pytest.approx([0.1] * 10, abs=0.002)
    assert result.psi == pytest.approx(0.0, abs=1e-3) and result.p_value > 0.5


def test_a_shifted_numeric_feature_is_major_and_a_resample_is_not():
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.normal(50, 10, 20_000))
    same = numeric_drift("rep", reference, pd.Series(rng.normal(50, 10, 5_000)))
    moved = numeric_drift("rep", reference, pd.Series(rng.normal(65, 10, 5_000)))
    assert drift_level(same.psi, same.p_value, **LEVELS) == "none"
    assert drift_level(moved.psi, moved.p_value, **LEVELS) == "major"
    assert moved.test == "ks" and moved.statistic > 0.4


def test_a_million_stable_rows_are_not_flagged_though_their_p_value_may_be_small():
    rng = np.random.default_rng(1)
    reference = pd.Series(rng.normal(0, 1, 200_000))
    recent = pd.Series(rng.normal(0.02, 1, 1_000_000))   # a negligible shift, significant at this size
    result = numeric_drift("x", reference, recent)
    assert result.p_value < 0.001
    assert drift_level(result.psi, result.p_value, **LEVELS) == "none"


def test_categories_never_seen_in_training_are_named():
    reference = pd.Series(["EDR"] * 600 + ["IDS"] * 400)
    recent = pd.Series(["EDR"] * 300 + ["IDS"] * 200 + ["NDR"] * 500)
    result = categorical_drift("source_product", reference, recent)
    assert result.unseen == ["NDR"]
    assert result.test == "chi2" and result.p_value < 1e-10
    assert drift_level(result.psi, result.p_value, **LEVELS) == "major"
    assert dict(zip(result.bins, result.recent_share))["NDR"] == pytest.approx(0.5)


def test_missing_values_and_booleans_are_categories():
    reference = pd.Series([True, False, None, True] * 100, dtype="boolean")
    result = categorical_drift("flag", reference, reference)
    assert set(result.bins) == {"True", "False", "missing"}
    assert result.psi == pytest.approx(0.0)


def test_many_categories_are_drawn_as_the_largest_and_one_other_bar():
    reference = pd.Series([f"rule {i}" for i in range(40)] * 10)
    result = categorical_drift("rule_name", reference, reference)
    assert len(result.bins) == 26 and result.bins[-1] == "other (15 categories)"
    assert sum(result.reference_share) == pytest.approx(1.0)


@pytest.mark.parametrize("successes, trials, low, high", [
    (0, 10, 0.0, 0.2775),          # Wilson at 0: a real upper bound, not 0
    (10, 10, 0.7225, 1.0),
    (50, 100, 0.4038, 0.5962),
])
def test_wilson_interval(successes, trials, low, high):
    got_low, got_high = wilson_interval(successes, trials)
    assert got_low == pytest.approx(low, abs=1e-4) and got_high == pytest.approx(high, abs=1e-4)


def test_no_trials_have_no_interval():
    assert wilson_interval(0, 0) == (None, None)


def test_a_spike_in_attacks_is_flagged_and_the_same_share_is_not():
    training = pd.Series([1] * 50 + [0] * 950)
    same = prevalence(training, pd.Series([1] * 26 + [0] * 474), None, alpha=0.001, min_rows=300)
    spike = prevalence(training, pd.Series([1] * 75 + [0] * 425), None, alpha=0.001, min_rows=300)
    assert not same["flagged"]
    assert spike["flagged"] and spike["recent"]["share"] == pytest.approx(0.15)
    assert spike["recent"]["low"] > 0.05


def test_live_performance_counts_and_intervals():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1])
    out = performance(y, scores, threshold=0.5)
    assert (out["true_positives"], out["false_positives"], out["false_negatives"]) == (3, 1, 1)
    assert out["recall"] == pytest.approx(0.75) and out["precision"] == pytest.approx(0.75)
    low, high = out["recall_interval"]
    assert low < 0.75 < high
    assert out["pr_auc"] is not None and out["pr_auc_interval"][0] <= out["pr_auc"] <= out["pr_auc_interval"][1]


def test_without_a_true_positive_recall_is_unknown_not_zero():
    out = performance(np.zeros(5, dtype=int), np.full(5, 0.9), threshold=0.5)
    assert out["recall"] is None and out["pr_auc"] is None and out["precision"] == 0.0


def test_the_recall_reference_is_the_lower_of_target_and_test_slice():
    assert recall_reference({"recall_target": 0.95, "recall": 0.91}) == pytest.approx(0.91)
    assert recall_reference({"recall": 0.97}) == pytest.approx(0.97)
    assert recall_reference({}) is None


def test_the_bootstraps_average_precision_is_sklearns_with_unit_weights():
    from sklearn.metrics import average_precision_score

    from trainer.monitoring.live import weighted_pr_auc

    rng = np.random.default_rng(3)
    y = rng.random(2000) < 0.1
    scores = np.round(np.clip(rng.normal(0.3 + 0.3 * y, 0.2), 0, 1), 2)   # rounded: many ties
    order = np.argsort(-scores, kind="stable")
    ends = np.r_[np.flatnonzero(np.diff(scores[order])), len(y) - 1]
    ours = weighted_pr_auc(y[order], ends, np.ones(len(y)))
    assert ours == pytest.approx(average_precision_score(y, scores), abs=1e-12)
    counts = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
    resample = np.repeat(np.arange(len(y)), counts.astype(int))
    assert weighted_pr_auc(y[order], ends, counts[order]) == pytest.approx(
        average_precision_score(y[resample], scores[resample]), abs=1e-12)
