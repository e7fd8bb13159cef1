"""trainer.contract.drift_report: every report the product wrote is read, today's is written back as it was."""

from __future__ import annotations

import json

import pytest

from trainer.config import load_config
from trainer.contract.drift_report import DriftReport, DriftReportError, HistoryEntry
from trainer.monitoring.report import build_report, read_report, verdict, write_report

#: a report as the first drift release wrote it: no score_error, timings, sampled_from, score_level
OLD_REPORT = {
    "schema_version": 1, "computed_at": "2026-10-01T10:00:00.000+00:00", "champion_id": "20260930_120000",
    "features": [{"feature": "src_reputation", "kind": "numeric", "psi": 0.4, "test": "ks", "statistic": 0.3,
                  "p_value": 0.0, "level": "major", "unseen_categories": [], "reference_rows": 900,
                  "recent_rows": 400, "distribution": {"bins": ["[-inf, 1)", "[1, inf)"], "training": [0.5, 0.5],
                                                       "recent": [0.1, 0.9]}}],
    "score": None, "prevalence": None, "enough_data": True,
    "summary": {"level": "major", "drifted": ["src_reputation"], "major": ["src_reputation"]},
    "thresholds": {"min_rows": 300}, "window": {"recent_rows": 400}, "retired_key": 1,
}


def test_a_report_that_failed_is_written_back_as_it_was(workdir):
    report = build_report(load_config())  # no champion here: the report holds the reason
    typed = DriftReport.from_json(report)
    assert typed.failed and typed.error.startswith("no champion") and typed.window is None
    assert json.dumps(typed.to_json()) == json.dumps(report, default=str)
    assert verdict(typed).level == "unknown"


def test_an_old_report_without_the_newer_keys_is_read(workdir):
    typed = DriftReport.from_json(OLD_REPORT)
    assert typed.features[0].importance_share is None and typed.timings is None and typed.live is None
    assert typed.summary.score_level is None and typed.signals.drift is None
    said = verdict(typed)
    assert (said.level, said.flagged, said.recent_rows, said.min_rows) == ("major", ("src_reputation",), 400, 300)
    assert "retired_key" not in typed.to_json()


def test_too_few_recent_alerts_make_the_verdict_unreliable():
    said = verdict(DriftReport.from_json({**OLD_REPORT, "enough_data": False}))
    assert said.level == "unreliable" and said.flagged == ()
    assert verdict(None).to_json() == {"level": "unknown", "flagged": [], "recent_rows": None, "min_rows": None,
                                       "champion_id": None, "computed_at": None}


@pytest.mark.parametrize("value", [[], "report", 3, None])
def test_a_non_object_is_refused_by_name(value):
    with pytest.raises(DriftReportError, match="drift report is not a JSON object"):
        DriftReport.from_json(value)
    with pytest.raises(DriftReportError, match="drift history line"):
        HistoryEntry.from_json(value)


def test_a_file_that_is_not_an_object_reads_as_unreadable_with_its_reason(workdir):
    config = load_config()
    config.layout.ensure()
    write_report(config.layout, [1, 2])
    typed = DriftReport.from_json(read_report(config.layout))
    assert typed.unreadable and "cannot be read" in str(typed.error) and verdict(typed).level == "unknown"
