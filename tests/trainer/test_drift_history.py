"""trainer.monitoring.history: a line per drift report written, bounded, never blocking on a hostile file."""

from __future__ import annotations

import os

import pytest

from trainer.contract.drift_report import DriftReport
from trainer.monitoring import history
from trainer.reading import UnsafeFile


def report(at: str, psi: float, *, enough: bool = True) -> DriftReport:
    return DriftReport.from_json({"computed_at": at, "champion_id": "20261201_000000", "enough_data": enough,
            "window": {"recent_rows": 500 if enough else 12}, "thresholds": {"min_rows": 300},
            "features": [{"feature": "src_reputation", "psi": psi, "level": "major" if psi >= 0.25 else "none"}],
            "score": {"psi": 0.01, "level": "none"}, "signals": {"drift": {"message": "x"} if psi >= 0.25 else None}})


def test_each_report_adds_a_line_read_back_oldest_first(layout):
    history.append(layout, report("2026-12-01T10:00:00+00:00", 0.05))
    history.append(layout, report("2026-12-01T11:00:00+00:00", 3.88))
    history.append(layout, DriftReport.from_json({"error": "no champion", "computed_at": "2026-12-01T12:00:00+00:00"}))
    entries = history.read(layout)
    assert [e.features["src_reputation"] for e in entries] == [(0.05, "none"), (3.88, "major")]
    assert entries[1].drift_signal is True and entries[0].min_rows == 300
    assert entries[0].recent_rows == 500 and entries[0].score == (0.01, "none")


def test_the_file_stays_bounded_and_keeps_the_newest(layout, monkeypatch):
    monkeypatch.setattr(history, "HISTORY_MAX_BYTES", 2000)
    for i in range(60):
        history.append(layout, report(f"2026-12-01T{i // 60:02d}:{i % 60:02d}:00+00:00", i / 100))
    assert os.path.getsize(layout.drift_history) <= 2000
    entries = history.read(layout)
    assert entries[-1].features["src_reputation"][0] == 0.59
    assert [e.computed_at for e in entries] == sorted(e.computed_at for e in entries)


def test_a_fifo_in_its_place_is_refused_not_waited_on(layout):
    os.mkfifo(layout.drift_history)
    with pytest.raises(UnsafeFile, match="is a FIFO"):
        history.append(layout, report("2026-12-01T10:00:00+00:00", 0.05))
    assert history.read(layout) == []
