"""trainer.folder.promotion: champion and challenger scored on the same slice, gates, and acting on the decision.

The worse/better story uses real models from ``trainer.learning.api.fit``; the gate
details use :class:`ColumnModel`, a pickleable stand-in whose score is one
column of the frame, so each case is built exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.frames import feedback_frame

from trainer.learning.api import evaluate, fit
from trainer.learning.metrics_report import TrainingResult
from trainer.folder.pairs import write_pair
from trainer.folder.promotion import apply, judge_challenger
from trainer.folder.registry import Registry

LABEL = "is_true_positive"


class ColumnModel:
    """Scores each alert with ``frame[column]``; flags it at or above ``threshold``."""

    def __init__(self, column: str, threshold: float = 0.5):
        self.column, self.threshold, self.metadata = column, threshold, {}

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.column not in frame.columns:
            raise ValueError(f"the frame is missing feature column(s) {self.column}")
        p = frame[self.column].to_numpy(dtype=float)
        return np.column_stack([1 - p, p])


def slice_frame(rows: int = 400, positives: int = 40, seed: int = 0) -> pd.DataFrame:
    """A test slice with a sharp score column, a blurred one and a useless one."""
    rng = np.random.default_rng(seed)
    y = np.zeros(rows, dtype=int)
    y[:positives] = 1
    rng.shuffle(y)
    return pd.DataFrame({LABEL: y,
                         "sharp": np.clip(0.7 * y + rng.uniform(0, 0.3, rows), 0, 1),
                         "blurred": np.clip(0.3 * y + rng.uniform(0, 0.7, rows), 0, 1),
                         "noise": rng.uniform(0, 1, rows)})


def result(model, test: pd.DataFrame, warnings: list | None = None) -> TrainingResult:
    return TrainingResult(model=model, metrics={"warnings": warnings or [], "useful": not warnings}, test_frame=test)


def champion(layout, model, stored_pr_auc: float = 0.5) -> str:
    model_id = write_pair(layout, model, {"pr_auc": stored_pr_auc}).model_id
    Registry(layout.root).promote(model_id, actor="test")
    return model_id


@pytest.fixture
def lenient(config):
    """Gates that only compare PR-AUC (the recall target is tested on its own)."""
    config.promotion.require_recall_target = False
    return config


@pytest.fixture(scope="module")
def real_models():
    """A model fitted on real signal and one fitted on shuffled labels, plus a holdout."""
    frame = feedback_frame(1500, seed=1)
    train, test = frame.iloc[:1100], frame.iloc[1100:]
    shuffled = train.copy()
    shuffled[LABEL] = np.random.default_rng(0).permutation(shuffled[LABEL].to_numpy())
    options = {"preset": "custom", "model": "logistic_regression", "imbalance": "class_weight"}
    return fit(train, **options), fit(shuffled, **options), test


def test_a_worse_challenger_is_rejected_on_the_champions_own_rescore(layout, lenient, real_models):
    good, bad, test = real_models
    champion_id = champion(layout, good, stored_pr_auc=0.01)  # a stale stored number must not matter
    decision = judge_challenger(result(bad, test), Registry(layout.root), lenient)
    assert decision["decision"] == "rejected" and decision["champion_id"] == champion_id
    assert decision["champion"]["pr_auc"] == pytest.approx(evaluate(good, test)["pr_auc"])
    assert decision["challenger"]["pr_auc"] == pytest.approx(evaluate(bad, test)["pr_auc"])
    assert decision["challenger"]["pr_auc"] < decision["champion"]["pr_auc"] - 0.01
    assert any(r.startswith("failed: PR-AUC") for r in decision["reasons"])


def test_a_better_challenger_is_promoted_and_the_old_champion_becomes_previous(layout, lenient, real_models):
    good, bad, test = real_models
    champion_id = champion(layout, bad, stored_pr_auc=0.99)
    registry = Registry(layout.root)
    decision = judge_challenger(result(good, test), registry, lenient)
    assert decision["decision"] == "promoted"
    assert all(r.startswith("passed: ") for r in decision["reasons"])
    challenger_id = write_pair(layout, good, {"pr_auc": decision["challenger"]["pr_auc"],
                                              "promotion": decision}).model_id
    assert apply(decision, registry, challenger_id, actor="trainer") == "promoted"
    pointer = registry.champion()
    assert pointer.model_id == challenger_id and pointer.previous == (champion_id,)
    assert registry.events()[-1]["event"] == "promoted"
    assert registry.events()[-1]["details"]["champion"]["pr_auc"] == decision["champion"]["pr_auc"]


def test_the_first_model_without_a_blocking_warning_becomes_champion(layout, lenient):
    registry = Registry(layout.root)
    decision = judge_challenger(result(ColumnModel("noise"), slice_frame()), registry, lenient)
    assert decision["decision"] == "first_champion" and decision["champion"] is None
    model_id = write_pair(layout, ColumnModel("noise"), {"pr_auc": 0.1}).model_id
    assert apply(decision, registry, model_id, actor="trainer") == "first_champion"
    assert registry.champion().model_id == model_id


def test_a_model_with_a_blocking_warning_never_becomes_champion(layout, lenient):
    blocking = [{"code": "predicts_one_class", "severity": "blocking", "message": "flags nothing"}]
    registry = Registry(layout.root)
    decision = judge_challenger(result(ColumnModel("sharp"), slice_frame(), blocking), registry, lenient)
    assert decision["decision"] == "rejected" and "predicts_one_class" in decision["reasons"][0]
    champion(layout, ColumnModel("noise"))
    decision = judge_challenger(result(ColumnModel("sharp"), slice_frame(), blocking), registry, lenient)
    assert decision["decision"] == "rejected"
    assert "failed: blocking warning(s) predicts_one_class: the model is not useful" in decision["reasons"]
    model_id = write_pair(layout, ColumnModel("sharp"), {"pr_auc": 1.0}).model_id
    assert apply(decision, registry, model_id, actor="trainer") == "rejected"
    assert registry.events()[-1]["event"] == "rejected" and registry.champion().model_id != model_id


@pytest.mark.parametrize("break_champion, reason", [
    (lambda layout, model_id: layout.model_path(model_id).write_bytes(b"swapped"), "SHA-256"),
    (lambda layout, model_id: None, "missing feature column"),
])
def test_a_champion_that_cannot_score_the_slice_is_replaced_with_the_reason(layout, lenient, break_champion, reason):
    model_id = champion(layout, ColumnModel("retired_feature"))
    break_champion(layout, model_id)
    decision = judge_challenger(result(ColumnModel("noise"), slice_frame()), Registry(layout.root), lenient)
    assert decision["decision"] == "promoted" and decision["champion"] is None
    assert reason in decision["reasons"][0] and "replaces it" in decision["reasons"][0]


def test_too_few_test_positives_block_promotion(layout, lenient):
    champion(layout, ColumnModel("noise"))
    lenient.promotion.min_test_positives = 50
    decision = judge_challenger(result(ColumnModel("sharp"), slice_frame(positives=40)), Registry(layout.root), lenient)
    assert decision["decision"] == "rejected"
    assert "failed: 40 positives in the test slice (at least 50 required)" in decision["reasons"]


@pytest.mark.parametrize("champion_column, challenger_column, threshold, decision", [
    ("noise", "sharp", 0.5, "promoted"),      # recall 1.0 reaches 0.95
    ("noise", "blurred", 0.95, "rejected"),   # recall far below the target while the champion flags everything
    ("blurred", "sharp", 0.85, "promoted"),   # both miss the target; the challenger recalls more and ranks better
])
def test_recall_at_the_threshold_must_reach_the_target(layout, config, champion_column, challenger_column,
                                                       threshold, decision):
    champion(layout, ColumnModel(champion_column, threshold=0.0 if champion_column == "noise" else 0.9))
    got = judge_challenger(result(ColumnModel(challenger_column, threshold), slice_frame()), Registry(layout.root), config)
    assert got["decision"] == decision
    assert any("recall" in r and "target 0.950" in r for r in got["reasons"])


def test_relative_change_and_floor_gates(layout, lenient):
    champion(layout, ColumnModel("blurred"))
    lenient.promotion.min_absolute_change = -1.0
    lenient.promotion.min_relative_change = 0.5
    lenient.promotion.floor = 0.99
    decision = judge_challenger(result(ColumnModel("noise"), slice_frame()), Registry(layout.root), lenient)
    failed = {g["name"] for g in decision["gates"] if not g["passed"]}
    assert decision["decision"] == "rejected" and failed == {"min_relative_change", "floor"}


def test_with_auto_promote_off_a_passing_challenger_is_held(layout, lenient):
    champion_id = champion(layout, ColumnModel("noise"))
    lenient.promotion.auto_promote = False
    registry = Registry(layout.root)
    decision = judge_challenger(result(ColumnModel("sharp"), slice_frame()), registry, lenient)
    assert decision["decision"] == "held" and "auto_promote is off" in decision["reasons"][-1]
    model_id = write_pair(layout, ColumnModel("sharp"), {"pr_auc": 1.0}).model_id
    assert apply(decision, registry, model_id, actor="trainer") == "held"
    assert registry.champion().model_id == champion_id
    assert registry.events()[-1]["event"] == "held" and registry.events()[-1]["model_id"] == model_id


@pytest.mark.parametrize("fitted_on, decision", [("all", "promoted"), ("window", "rejected")])
def test_a_champion_that_learned_its_test_slice_is_compared_only_on_rows_it_never_saw(layout, lenient, fitted_on,
                                                                                       decision):
    """A champion refitted on every row after its gates knows the older half of this test slice by heart: judged
    there, it would beat any challenger. Compared on the rows newer than the newest it learned, it loses to a
    better challenger; a champion that never learned its test slice is compared on the whole slice as before."""
    test = slice_frame(rows=400, positives=80, seed=3)
    test["timestamp"] = pd.date_range("2026-11-01", periods=len(test), freq="h", tz="UTC")
    learned_until = test["timestamp"].iloc[199]
    older = np.arange(len(test)) < 200
    test["memorised"] = np.where(older, test[LABEL].astype(float), test["noise"])
    model = ColumnModel("memorised")
    model.metadata = {"fitted_on": fitted_on}
    model_id = write_pair(layout, model, {"pr_auc": 0.5, "data_window": {
        "split": "time", "end": learned_until.isoformat(), "train_end": learned_until.isoformat()}}).model_id
    Registry(layout.root).promote(model_id, actor="test")

    block = judge_challenger(result(ColumnModel("blurred"), test), Registry(layout.root), lenient)
    assert block["decision"] == decision
    if fitted_on == "all":
        assert block["compared_rows"] == 200
        assert block["champion"]["pr_auc"] < block["challenger"]["pr_auc"]
        assert any(r.startswith("note: compared on the 200 test rows newer than") for r in block["reasons"])
    else:
        assert "compared_rows" not in block and block["champion"]["pr_auc"] > block["challenger"]["pr_auc"]
