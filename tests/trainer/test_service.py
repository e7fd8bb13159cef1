"""The service loop in-process with a stand-in training: coalescing, failures, back-off, stop, recovery.

The real training and real processes are exercised in test_control.py; here
the cycle is a plain function so each loop rule is shown in well under a second.
"""

from __future__ import annotations

import threading
import time

import pytest

from trainer.atomic import write_json
from trainer.config import load_config
from trainer.service.cycle import CycleOutcome
from trainer.folder.events import append_event, read_events
from trainer.contract.layout import ModelsLayout
from trainer.locking import LockBusy
from trainer.contract import exit_codes
from trainer.service.runner import TrainerService
from trainer.service.startup import recover, setup_logging
from trainer.contract.status import LastResult
from trainer.service.status import read_status
from helpers.waiting import wait_until



class StandInCycle:
    """Records its calls; each call blocks until released when ``gate`` is given, then does ``behaviour``."""

    def __init__(self, behaviour="finish", gate: threading.Event | None = None):
        self.behaviour = behaviour
        self.gate = gate
        self.calls: list[dict] = []
        self.running = threading.Event()

    def __call__(self, config, *, trigger, actor, status_cb=None):
        self.calls.append({"trigger": trigger, "actor": actor})
        self.running.set()
        for stage in ("loading data", "training"):
            status_cb(stage)
        if self.gate is not None:
            self.gate.wait(10)
        self.running.clear()
        events = config.layout.events
        if self.behaviour == "raise":
            raise RuntimeError("boom in the model code")
        if self.behaviour == "failed_recorded":
            append_event(events, "training_failed", actor=actor, trigger=trigger, message="cannot write pair")
            return CycleOutcome("failed", "cannot write pair")
        if self.behaviour == "failed_unrecorded":
            return CycleOutcome("failed", "models folder cannot be used")
        append_event(events, "training_finished", actor=actor, trigger=trigger, message="ok", model_id="m1")
        return CycleOutcome("finished", "ok", model_id="m1")


@pytest.fixture
def service_config(workdir):
    return load_config(overrides={"service.check_interval_seconds": 0.5, "service.heartbeat_seconds": 0.2,
                                  "service.stop_timeout_seconds": 1.0, "source.path": "missing.db"})


@pytest.fixture
def running(service_config):
    """Start a service in a thread with a given stand-in cycle; stop it and check it ended at teardown."""
    started = []

    def launch(cycle) -> TrainerService:
        service = TrainerService(service_config, actor="tester", cycle=cycle)
        result: dict = {}
        thread = threading.Thread(target=lambda: result.setdefault("code", service.run()), daemon=True)
        thread.start()
        started.append((service, thread, cycle))
        assert wait_until(lambda: read_status(service.layout).state == "idle")
        service.result = result
        return service

    yield launch
    for service, thread, cycle in started:
        if cycle.gate is not None:
            cycle.gate.set()
        service.request_stop()
        thread.join(10)
        assert not thread.is_alive()


def request(layout, name: str, actor: str = "ann") -> None:
    write_json(layout.requests_dir / f"{name}.json", {"id": name, "actor": actor})


def events_of(layout, kind: str) -> list[dict]:
    return [e for e in read_events(layout.events)[0] if e["event"] == kind]


def test_an_idle_service_says_why_it_does_not_train(running):
    service = running(StandInCycle())
    status = read_status(service.layout)
    assert status.state == "idle" and status.running
    assert status.message.startswith("no new data: no new labelled rows in total (no training yet), need 100")
    assert "next check" in status.message
    assert events_of(service.layout, "service_started")[0]["actor"] == "tester"


@pytest.mark.parametrize("feedback_added, cycles, answered_by_last", [
    (False, ["ann"], ["r1", "r2", "r3", "r4"]),        # pressing twice on the same data trains once
    (True, ["ann", "bob"], ["r2", "r3", "r4"]),        # new verdicts meanwhile: exactly one more cycle
])
def test_requests_made_during_a_cycle_coalesce(running, feedback_added, cycles, answered_by_last):
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    gate = threading.Event()
    cycle = StandInCycle(gate=gate)
    service = running(cycle)
    request(service.layout, "r1", "ann")
    assert wait_until(cycle.running.is_set)
    for name in ("r2", "r3", "r4"):
        request(service.layout, name, "bob")
    if feedback_added:
        store.insert_frame("missing.db", generate_history(rows=20, seed=1))
    gate.set()
    assert wait_until(lambda: len(cycle.calls) == len(cycles) and not cycle.running.is_set()
                      and not list(service.layout.requests_dir.glob("*.json"))
                      and read_status(service.layout).state == "idle")
    time.sleep(0.6)                                     # one more check interval: nothing else starts
    assert [c["actor"] for c in cycle.calls] == cycles
    assert all(c["trigger"] == "force" for c in cycle.calls)
    last = read_status(service.layout).last_result
    assert last.outcome == "finished" and list(last.requests) == answered_by_last


def test_an_exception_is_logged_recorded_once_and_the_service_keeps_running(running):
    cycle = StandInCycle(behaviour="raise")
    service = running(cycle)
    request(service.layout, "r1")
    assert wait_until(lambda: read_status(service.layout).last_error is not None)
    status = read_status(service.layout)
    assert status.running and status.state == "idle"
    assert status.last_error.message == "RuntimeError: boom in the model code"
    assert "backed off until" in status.message
    failed = events_of(service.layout, "training_failed")
    assert [e["message"] for e in failed] == ["RuntimeError: boom in the model code"]
    log = service.layout.log.read_text()
    assert "Traceback" in log and "boom in the model code" in log
    cycle.behaviour = "finish"                          # a request runs despite the back-off, and clears it
    request(service.layout, "r2")
    assert wait_until(lambda: (read_status(service.layout).last_result or LastResult()).outcome == "finished")
    assert wait_until(lambda: read_status(service.layout).message.startswith("no new data"))


@pytest.mark.parametrize("behaviour", ["failed_recorded", "failed_unrecorded"])
def test_a_failed_cycle_is_one_failed_event(running, behaviour):
    service = running(StandInCycle(behaviour=behaviour))
    request(service.layout, "r1")
    assert wait_until(lambda: read_status(service.layout).last_result is not None)
    assert len(events_of(service.layout, "training_failed")) == 1


def test_stop_during_a_training_that_finishes_in_time(running):
    gate = threading.Event()
    cycle = StandInCycle(gate=gate)
    service = running(cycle)
    request(service.layout, "r1")
    assert wait_until(cycle.running.is_set)
    service.request_stop()
    assert wait_until(lambda: read_status(service.layout).state == "stopping")
    gate.set()
    assert wait_until(lambda: read_status(service.layout).state == "stopped")
    assert service.result["code"] == 0
    assert events_of(service.layout, "training_finished") and events_of(service.layout, "service_stopped")


def test_stop_abandons_a_training_that_overruns_the_stop_timeout(running):
    gate = threading.Event()
    cycle = StandInCycle(gate=gate)
    service = running(cycle)
    request(service.layout, "r1", "ann")
    assert wait_until(cycle.running.is_set)
    service.request_stop()
    assert wait_until(lambda: read_status(service.layout).state == "stopped", timeout=5)
    assert service.result["code"] == exit_codes.ABANDONED
    assert "abandoned" in read_status(service.layout).message
    assert events_of(service.layout, "training_abandoned")[0]["actor"] == "ann"


def test_a_restarted_service_still_shows_the_last_result_and_error(service_config, running):
    layout = ModelsLayout.of(service_config.models_dir)
    layout.ensure()
    write_json(layout.status, {"state": "training", "pid": 1, "last_result": {"outcome": "failed", "message": "x"},
                               "last_error": {"message": "disk full", "at": "2026-11-23T10:00:00+00:00"}})
    service = running(StandInCycle())
    status = read_status(service.layout)
    assert status.state == "idle" and status.last_error.message == "disk full"
    assert status.last_result.outcome == "failed"


def test_a_second_service_for_the_same_folder_is_refused(running, service_config):
    running(StandInCycle())
    with pytest.raises(LockBusy):
        TrainerService(service_config, cycle=StandInCycle()).run()


def test_recovery_removes_what_a_killed_writer_left_and_keeps_committed_pairs(layout):
    layout.model_path("20261123_100000").write_bytes(b"model")
    layout.metrics_path("20261123_100000").write_text("{}")
    layout.model_path("20261123_110000").write_bytes(b"half")        # killed before its metrics file
    (layout.root / ".reserved_20261123_110000").touch()
    (layout.root / ".model_metrics_20261123_110000.json.abc.partial").write_text("{")
    (layout.runtime / ".status.json.x.partial").write_text("{")
    removed = recover(layout)
    assert len(removed) == 4
    assert sorted(p.name for p in layout.root.iterdir() if p.is_file()) == [
        "model_metrics_20261123_100000.json", "trained_model_20261123_100000.pkl"]
    assert not list(layout.runtime.glob("*.partial"))


def test_the_trainer_log_rotates(layout, workdir):
    import logging

    config = load_config(overrides={"service.log_max_bytes": 10_000, "service.log_backups": 2})
    handler = setup_logging(config, layout)
    try:
        for number in range(400):
            logging.getLogger("cla.service").info("line %d %s", number, "x" * 80)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logs = sorted(p.name for p in layout.runtime.glob("trainer.log*"))
    assert logs == ["trainer.log", "trainer.log.1", "trainer.log.2"]
    assert all(p.stat().st_size <= 10_000 for p in layout.runtime.glob("trainer.log*"))
    assert "line 399" in layout.log.read_text()


def test_every_line_of_the_trainer_log_carries_its_time(layout, workdir):
    """Issue 25 item 12: a traceback and what a detached process printed had no time in the log."""
    import logging
    import re
    import subprocess
    import sys

    layout.ensure()
    script = ("import logging, sys, warnings\n"
              "from trainer.config import load_config\n"
              "from trainer.contract.layout import ModelsLayout\n"
              "from trainer.service.startup import setup_logging\n"
              "layout = ModelsLayout.of(sys.argv[1])\n"
              "setup_logging(load_config(), layout)\n"
              "print('outcome line one')\n"
              "print('a line', end='')\n"
              "print(' finished later')\n"
              "warnings.warn('a library warning')\n"
              "try:\n    1 / 0\nexcept ZeroDivisionError:\n    logging.getLogger('cla.service').exception('it failed')\n"
              "sys.stderr.write('cla: the last words, no newline')\n")
    with open(layout.log, "ab") as log_file:
        subprocess.run([sys.executable, "-c", script, str(layout.root)], stdout=log_file, stderr=subprocess.STDOUT,
                       check=True, timeout=60)
    lines = layout.log.read_text().splitlines()
    stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ \[\d+\] ")
    assert all(stamped.match(line) for line in lines), lines
    text = "\n".join(lines)
    for said in ("INFO cla.stdout", "outcome line one", "a line finished later", "a library warning",
                 "ZeroDivisionError", "WARNING cla.stderr", "cla: the last words, no newline"):
        assert said in text
    assert sum("Traceback" in line for line in lines) == 1
    logging.captureWarnings(False)


@pytest.mark.parametrize("feedback_added, cycles", [(False, 1), (True, 2)])
def test_a_retrain_request_on_unchanged_feedback_is_answered_without_training(running, feedback_added, cycles):
    """Issue 26, item 9: requests spread over time (not during a cycle) each trained again on the same rows."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    store.insert_frame("missing.db", generate_history(rows=50, seed=2))
    cycle = StandInCycle()
    service = running(cycle)
    request(service.layout, "r1", "ann")
    assert wait_until(lambda: (read_status(service.layout).last_result or LastResult()).requests == ("r1",))
    if feedback_added:
        store.insert_frame("missing.db", generate_history(rows=20, seed=3))
    request(service.layout, "r2", "bob")
    assert wait_until(lambda: (read_status(service.layout).last_result or LastResult()).requests == ("r2",))
    assert len(cycle.calls) == cycles
    last = read_status(service.layout).last_result
    if feedback_added:
        assert last.outcome == "finished"
    else:
        assert last.outcome == "skipped" and last.message.startswith("nothing changed since the last training")
        assert events_of(service.layout, "training_skipped")[-1]["details"]["requests"] == ["r2"]
