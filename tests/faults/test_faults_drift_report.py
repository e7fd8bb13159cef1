"""A damaged drift report is named, never taken for "no report", and the next report replaces it."""

from __future__ import annotations

from trainer.cli import main
from trainer.config import load_config
from trainer.contract.layout import ModelsLayout
from trainer.monitoring.report import current_report, read_report


def test_a_truncated_report_is_named_and_the_next_one_replaces_it(workdir, capsys):
    layout = ModelsLayout.of(load_config().models_dir)
    layout.ensure()
    layout.drift_report.write_text('{"schema_version": 1, "features": [{"feature": "sr', encoding="utf-8")
    damaged = read_report(layout)
    assert damaged["unreadable"] and str(layout.drift_report) in damaged["error"]
    assert "cla drift --refresh" in damaged["error"]
    report, computed = current_report(load_config())
    assert computed and "no champion" in report["error"]
    assert read_report(layout) == report
    assert main(["drift"]) == 1
    assert "no drift report: no champion" in capsys.readouterr().err
