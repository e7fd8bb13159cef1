"""The real trainer service computes the drift report on its own, and a major drift starts a training recorded as such."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from trainer.config import load_config
from trainer.contract.layout import ModelsLayout
from trainer.feedback import demo
from trainer.folder.events import append_event, read_events
from trainer.monitoring.report import read_report
from trainer.service.cycle import run_cycle
from trainer.service.status import read_status
from trainer.timestamps import now_utc, parse_iso
from trainer.service.triggers import monitoring_signals
from helpers.servicefolder import lay_out
from helpers.waiting import wait_until

DRIFT = {"training.permutation_repeats": 1, "drift.interval_minutes": 0.5, "drift.min_rows": 300}


@pytest.fixture
def shifted(workdir, seeded_store):
    """A champion trained on the seeded store, then 1,000 new alerts whose src_reputation moved."""
    lay_out(workdir, seeded_store)
    config = load_config(overrides=DRIFT)
    outcome = run_cycle(config, trigger="manual", actor="tester")
    assert outcome.outcome == "finished", outcome.message
    demo.feed(config.source_path, rate=1e9, count=1000, seed=3, shift="reputation", sleep=lambda s: None)
    return config


def events_of(layout, kind: str) -> list[dict]:
    return [e for e in read_events(layout.events)[0] if e["event"] == kind]


def test_major_drift_trains_a_model_recorded_with_trigger_drift_and_its_evidence(shifted, service):
    layout = ModelsLayout.of(shifted.models_dir)
    first_champion = json.loads(layout.champion.read_text())["model_id"]
    service(shifted)
    assert wait_until(lambda: any(e.get("trigger") == "drift" for e in events_of(layout, "training_finished")),
                      timeout=90), read_status(layout)
    trigger = next(e for e in events_of(layout, "trigger") if e["trigger"] == "drift")
    evidence = trigger["details"]["evidence"]
    assert evidence["champion_id"] == first_champion
    assert evidence["features"][0]["feature"] == "src_reputation" and evidence["features"][0]["psi"] >= 0.25
    assert "major drift on src_reputation" in trigger["message"]
    finished = next(e for e in events_of(layout, "training_finished") if e["trigger"] == "drift")
    metrics = json.loads(layout.metrics_path(finished["model_id"]).read_text())
    assert metrics["trigger"] == "drift"


def test_with_the_drift_trigger_off_the_report_is_written_and_nothing_trains(workdir, seeded_store, service):
    lay_out(workdir, seeded_store)
    config = load_config(overrides={**DRIFT, "drift.drift_trigger": False, "drift.performance_trigger": False})
    assert run_cycle(config, trigger="manual", actor="tester").outcome == "finished"
    demo.feed(config.source_path, rate=1e9, count=1000, seed=3, shift="reputation", sleep=lambda s: None)
    layout = ModelsLayout.of(config.models_dir)
    service(config)
    assert wait_until(lambda: (read_report(layout) or {}).get("summary", {}).get("level") == "major", timeout=60)
    written = datetime.fromtimestamp(layout.drift_report.stat().st_mtime, timezone.utc)
    interval = timedelta(seconds=config.service.check_interval_seconds)

    def checked_after_the_report() -> bool:
        next_check = parse_iso(read_status(layout).next_check)
        return next_check is not None and next_check - interval > written

    assert wait_until(checked_after_the_report, timeout=30)
    assert "no new data" in read_status(layout).message
    assert events_of(layout, "trigger") == []


def test_no_second_drift_training_within_the_cooldown(shifted):
    """The report still shows the drift after a drift training was rejected: the cooldown holds it back."""
    from trainer.monitoring.report import refresh

    layout = ModelsLayout.of(shifted.models_dir)
    refresh(shifted)
    assert monitoring_signals(shifted, layout, now=now_utc(), last_training=None).drift is not None
    append_event(layout.events, "trigger", actor="tester", trigger="drift", message="earlier drift training")
    refresh(shifted)
    assert monitoring_signals(shifted, layout, now=now_utc(), last_training=None).drift is None
