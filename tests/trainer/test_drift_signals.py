"""When the drift report asks for a training: major drift on a feature that matters, live recall clearly low."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trainer.config import ServiceConfig
from trainer.contract.drift_report import DriftEvidence, PerformanceEvidence
from trainer.monitoring.settings import DriftConfig
from trainer.monitoring.signals import drift_signal, importance_shares, performance_signal
from trainer.service.triggers import TriggerFacts, should_train

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def report(**overrides) -> dict:
    base = {"champion_id": "20261123_100000", "computed_at": "2026-11-23T11:59:00+00:00", "enough_data": True,
            "window": {"recent_rows": 900},
            "features": [{"feature": "src_reputation", "level": "major", "psi": 1.8, "test": "ks", "statistic": 0.6,
                          "p_value": 0.0, "importance_share": 0.4, "unseen_categories": []},
                         {"feature": "protocol", "level": "major", "psi": 0.4, "test": "chi2", "statistic": 80.0,
                          "p_value": 1e-9, "importance_share": 0.01, "unseen_categories": ["QUIC"]}],
            "live": {"recall_reference": 0.95,
                     "overall": {"recall": 0.80, "recall_interval": [0.74, 0.85], "verdicts": 2000, "positives": 150}}}
    base.update(overrides)
    return base


def test_importance_shares_are_of_the_positive_importance():
    shares = importance_shares({"feature_importance": [{"feature": "a", "importance": 0.3},
                                                       {"feature": "b", "importance": 0.1},
                                                       {"feature": "c", "importance": -0.05}]})
    assert shares == pytest.approx({"a": 0.75, "b": 0.25, "c": 0.0})
    assert importance_shares({}) == {}


def test_major_drift_on_an_important_feature_is_evidence_and_an_unimportant_one_is_not():
    evidence = drift_signal(report(), DriftConfig())
    assert [f["feature"] for f in evidence["features"]] == ["src_reputation"]
    assert "major drift on src_reputation (PSI 1.80)" in evidence["message"]


@pytest.mark.parametrize("change", [
    {"enough_data": False},
    {"features": [{"feature": "src_reputation", "level": "moderate", "psi": 0.2, "importance_share": 0.4}]},
    {"features": [{"feature": "src_reputation", "level": "major", "psi": 0.9, "importance_share": None}]},
])
def test_no_drift_evidence(change):
    assert drift_signal(report(**change), DriftConfig()) is None


def test_live_recall_whose_interval_lies_below_its_reference_is_evidence():
    evidence = performance_signal(report(), DriftConfig())
    assert evidence["recall_reference"] == 0.95 and evidence["recall_interval"] == [0.74, 0.85]
    assert "live recall 0.800 (95% interval up to 0.850) on 2000 new verdicts is below the 0.950" in evidence["message"]


@pytest.mark.parametrize("overall", [
    {"recall": 0.92, "recall_interval": [0.88, 0.96], "verdicts": 2000, "positives": 150},   # interval reaches it
    {"recall": 0.50, "recall_interval": [0.20, 0.80], "verdicts": 200, "positives": 10},     # too few positives
    {"recall": None, "recall_interval": [None, None], "verdicts": 200, "positives": 0},
])
def test_no_performance_evidence(overall):
    assert performance_signal(report(live={"recall_reference": 0.95, "overall": overall}), DriftConfig()) is None


def facts(**given) -> TriggerFacts:
    return TriggerFacts(**{"now": NOW, "last_training": NOW - timedelta(hours=1), "new_rows": 0, **given})


EVIDENCE = DriftEvidence("major drift on src_reputation (PSI 1.80) since champion X was trained")
LOW_RECALL = PerformanceEvidence("live recall low")


@pytest.mark.parametrize("given, trigger", [
    ({"drift": EVIDENCE}, "drift"),
    ({"performance": LOW_RECALL}, "performance"),
    ({"drift": EVIDENCE, "performance": LOW_RECALL, "new_rows": 5000}, "drift"),
    ({"drift": EVIDENCE, "force": True}, "force"),
])
def test_monitoring_triggers_come_after_force_and_before_new_data(given, trigger):
    decision = should_train(ServiceConfig(), facts(**given))
    assert decision.train and decision.trigger == trigger
    if trigger == "drift":
        assert decision.evidence is EVIDENCE and decision.message == EVIDENCE.message


def test_a_back_off_holds_a_drift_training_back():
    decision = should_train(ServiceConfig(), facts(drift=EVIDENCE, backoff_until=NOW + timedelta(minutes=5)))
    assert not decision.train and "backed off" in decision.message
