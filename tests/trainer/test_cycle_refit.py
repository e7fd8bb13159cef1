"""A model let in by the gates learns the test slice it was judged on, and says so in its metrics file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers.frames import cheap_training, replay_history

from trainer.backtest.history import ReplaySource
from trainer.feedback.quality import prepare
from trainer.folder.scoring import load_model
from trainer.learning.api import train_and_evaluate
from trainer.service.cycle import run_cycle

LABEL = "is_true_positive"
NEW_DETECTOR = 99


@pytest.fixture
def history():
    """Six days of alerts; in the newest 60, a detector never seen before fires, and every one is an attack."""
    frame = replay_history(days=6, per_day=200, seed=1)
    newest = frame.index[-60:]
    frame.loc[newest, "detector_id"] = NEW_DETECTOR
    frame.loc[newest, LABEL] = True
    return frame


def new_detector_alerts(frame: pd.DataFrame) -> pd.DataFrame:
    alerts = frame.tail(40).drop(columns=[LABEL]).copy()
    alerts["detector_id"] = NEW_DETECTOR
    return alerts


def test_the_serving_model_knows_a_detector_that_fired_only_in_its_test_slice(config, history, tmp_path):
    cheap_training(config)
    prepared = prepare(history, config.schema, quarantine_dir=tmp_path, stamp="20261001_000000").frame
    result = train_and_evaluate(prepared, config)
    assert set(result.test_frame["detector_id"].astype(int)) >= {NEW_DETECTOR}
    assert NEW_DETECTOR not in set(prepared.drop(result.test_frame.index)["detector_id"].astype(int))
    measured = result.model
    before = measured.predict_proba(new_detector_alerts(history))[:, 1].mean()
    pr_auc = result.metrics["pr_auc"]

    assert result.refit_on_all()
    after = result.model.predict_proba(new_detector_alerts(history))[:, 1].mean()
    assert before < 0.5 < 0.8 < after
    assert result.model.threshold == measured.threshold == result.metrics["threshold"]
    assert result.metrics["pr_auc"] == pr_auc  # what was measured stays what the file says
    block = result.metrics["model"]
    assert block["fitted_on"] == "all" and block["fit_rows"] == len(prepared)
    assert any("refitted on all" in note for note in block["notes"])


def test_the_cycle_saves_the_refitted_model_once_it_passes_the_gates(config, history):
    cheap_training(config)
    moment = (history["timestamp"].max().ceil("s") + pd.Timedelta(seconds=1)).to_pydatetime()
    outcome = run_cycle(config, trigger="manual", actor="tester",
                        source=ReplaySource(history, LABEL, "the test history", moment))
    assert outcome.outcome == "finished", outcome.message
    assert outcome.metrics["promotion"]["decision"] == "first_champion"
    metrics = json.loads(config.layout.metrics_path(outcome.model_id).read_text())
    assert metrics["model"]["fitted_on"] == "all" and metrics["timings"]["refit_s"] >= 0
    model = load_model(config.layout.root, outcome.model_id, key_file=config.model_key_path)
    assert model.metadata["fitted_on"] == "all"
    assert model.predict_proba(new_detector_alerts(history))[:, 1].mean() > 0.8


def test_the_drift_report_compares_new_scores_with_the_measured_models_not_the_refitted_ones(config, history):
    """A model that learned its test slice scores it more sharply than alerts it never saw; the score drift
    reference is the slice's scores from the model measured on it, kept in the metrics file."""
    from trainer.monitoring.report import stored_reference

    cheap_training(config)
    moment = (history["timestamp"].max().ceil("s") + pd.Timedelta(seconds=1)).to_pydatetime()
    outcome = run_cycle(config, trigger="manual", actor="tester",
                        source=ReplaySource(history, LABEL, "the test history", moment))
    metrics = json.loads(config.layout.metrics_path(outcome.model_id).read_text())
    reference = stored_reference(metrics)
    assert reference is not None and len(reference) == metrics["test_samples"] == metrics["score_reference"]["rows"]
    test = history.tail(metrics["test_samples"])
    model = load_model(config.layout.root, outcome.model_id, key_file=config.model_key_path)
    refitted = model.predict_proba(test)[:, 1]
    # the refitted model is surer of the rows it learned: its scores on the new detector's attacks rose
    assert refitted[-60:].mean() > reference[-60:].mean() + 0.3


def test_the_drift_report_of_a_refitted_champion_scores_against_its_stored_reference(config, history):
    from trainer.monitoring import drift
    from trainer.monitoring.report import build_report, stored_reference

    cheap_training(config)
    learned = history.iloc[:-200]
    moment = (learned["timestamp"].max().ceil("s") + pd.Timedelta(seconds=1)).to_pydatetime()
    outcome = run_cycle(config, trigger="manual", actor="tester",
                        source=ReplaySource(learned, LABEL, "the test history", moment))
    metrics = json.loads(config.layout.metrics_path(outcome.model_id).read_text())
    assert metrics["model"]["fitted_on"] == "all"
    later = history["timestamp"].max().ceil("s") + pd.Timedelta(seconds=1)
    report = build_report(config, source=ReplaySource(history, LABEL, "the test history", later.to_pydatetime()),
                          now=later.to_pydatetime())
    model = load_model(config.layout.root, outcome.model_id, key_file=config.model_key_path)
    recent = model.predict_proba(history.tail(200))[:, 1]
    expected = drift.score_drift(stored_reference(metrics), recent, bins=config.drift.bins)
    assert report["score"]["psi"] == pytest.approx(expected.psi)
