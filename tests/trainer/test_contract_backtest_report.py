"""trainer.contract.backtest_report: a report with fewer keys is read, a non-object is refused by name."""

from __future__ import annotations

import pytest

from trainer.backtest import BacktestError, BacktestReport, read_report

#: a replay of CLA and one contender whose online learner failed at the second step; the cla block of the
#: first step trained, the second did not (no message, no model id)
REPORT = {
    "version": 1, "steps": 2, "recall_target": 0.95,
    "contenders": {"cla": {"pr_auc": 0.8, "recall": 0.9, "skipped": 0.5, "skippable_at_target": 0.4, "missed": 3,
                           "seconds": 1.5, "steps_scored": 1, "steps_at_target": 0, "trainings": 1, "promotions": 1,
                           "failed_trainings": 0},
                   "online": {"pr_auc": None, "recall": None, "skipped": None, "skippable_at_target": None,
                              "missed": 0, "seconds": 0.1, "steps_scored": 0, "steps_at_target": 0}},
    "per_step": [
        {"step": 0, "start": "2026-11-01T00:00:00+00:00", "end": "2026-11-02T00:00:00+00:00", "alerts": 10,
         "labelled": 10, "positives": 2,
         "cla": {"rows": 10, "positives": 2, "scored": True, "threshold": 0.3, "pr_auc": 0.8, "recall": 0.5,
                 "skipped": 0.6, "skippable": 0.4, "missed": 1, "flagged": 4, "trained": True, "trigger": "force",
                 "decision": "no champion", "outcome": "finished", "promotion": "first_champion",
                 "known_labelled": 40, "message": "promoted", "model_id": "20261101_000000",
                 "champion": "20261101_000000", "seconds": 1.0},
         "online": {"rows": 10, "positives": 2, "scored": False, "pr_auc": None, "recall": None, "skipped": None,
                    "skippable": None, "missed": None, "flagged": None, "threshold": None,
                    "error": "one class only", "seconds": 0.05}},
        {"step": 1, "start": "2026-11-02T00:00:00+00:00", "end": "2026-11-03T00:00:00+00:00", "alerts": 5,
         "labelled": 5, "positives": 0,
         "cla": {"rows": 5, "positives": 0, "scored": True, "threshold": 0.3, "pr_auc": None, "recall": None,
                 "skipped": 0.8, "skippable": None, "missed": 0, "flagged": 1, "trained": False, "trigger": None,
                 "decision": "too few new verdicts", "outcome": None, "promotion": None, "known_labelled": 50,
                 "champion": "20261101_000000", "seconds": 0.5}},
    ],
    "source": "alerts.csv", "rows": 55, "every": "1 day", "verdict_delay": "none", "random_state": 42,
    "seconds": 2.1,
}


def test_every_block_round_trips_key_for_key():
    import json

    typed = BacktestReport.from_json(REPORT)
    assert typed.cla.trainings == 1 and typed.contenders["online"].trainings is None
    first, second = typed.per_step
    assert first.cla.policy.model_id == "20261101_000000" and first.contenders["online"].error == "one class only"
    assert second.cla.policy.trained is False and "online" not in second.contenders
    assert json.dumps(typed.to_json()) == json.dumps(REPORT)


def test_an_older_report_without_the_run_facts_is_read():
    old = {"steps": 0, "contenders": {"cla": {"missed": 0}}, "per_step": []}
    typed = BacktestReport.from_json(old)
    assert typed.source is None and typed.every is None and typed.cla.steps_scored is None and typed.per_step == ()


@pytest.mark.parametrize("value", [[], "backtest", None])
def test_a_non_object_is_refused_with_the_backtest_error(value):
    with pytest.raises(BacktestError, match="backtest report is not a JSON object"):
        BacktestReport.from_json(value)


def test_the_reader_gives_the_typed_report(tmp_path):
    import json

    (tmp_path / "backtest.json").write_text(json.dumps(REPORT), encoding="utf-8")
    assert read_report(tmp_path / "backtest.json") == BacktestReport.from_json(REPORT)
