"""kill -9 between writing a pair and moving the champion: the records say what really happened.

Real processes throughout: the service (or a `cla train`) runs with
``CLA_TEST_HALT_AT=pair_written``, the one test hook (`trainer.service.cycle`), which
makes the cycle stop for good right after the pair is committed and before
``champion.json`` moves. The test waits for that positive signal (the metrics
file and the log line), SIGKILLs the process, and checks what every reader
shows: status, event log, `cla models list`/`show`, the champion pointer.
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys

import psutil
import pytest

from trainer.service import control
from trainer.service.cycle import HALT_ENV
from trainer.folder.events import read_events
from trainer.contract.layout import ModelsLayout
from trainer.folder.registry import Registry
from helpers.servicefolder import lay_out
from helpers.waiting import wait_until

CLA = [sys.executable, "-m", "trainer"]


@pytest.fixture
def cfg(workdir, seeded_store):
    config = lay_out(workdir, seeded_store)
    yield config
    layout = config.layout
    for proc in psutil.process_iter(["cmdline"]):            # never leave a trainer behind
        cmdline = proc.info["cmdline"] or []
        if "trainer" in cmdline and ("run" in cmdline or "train" in cmdline) and str(layout.root) in " ".join(cmdline):
            proc.kill()


def kinds(layout: ModelsLayout, kind: str) -> list[dict]:
    return [e for e in read_events(layout.events)[0] if e["event"] == kind]


def halted(layout: ModelsLayout) -> bool:
    """The cycle stopped at its halt point: a pair is committed and the log says so."""
    try:
        text = layout.log.read_text(errors="replace")
    except FileNotFoundError:
        return False
    return f"halted at pair_written because {HALT_ENV} is set" in text and any(layout.root.glob("model_metrics_*.json"))


def cla(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CLA, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_service_killed_after_writing_a_first_champion_leaves_it_marked_interrupted(cfg, workdir, monkeypatch):
    layout = ModelsLayout.of(cfg.models_dir)
    monkeypatch.setenv(HALT_ENV, "pair_written")
    pid = control.start(cfg, "ann").pid
    control.retrain(cfg, "dave")
    assert wait_until(lambda: halted(layout), 120), layout.log.read_text(errors="replace")
    assert control.status(cfg).stage == "writing"
    (model_id,) = [p.name[len("model_metrics_"):-5] for p in layout.root.glob("model_metrics_*.json")]
    assert Registry(layout.root).get(model_id)["promotion"]["decision"] == "first_champion"   # the false record
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not psutil.pid_exists(pid), 10)

    crashed = control.status(cfg)
    assert crashed.state == "crashed"
    assert crashed.last_result.outcome == "abandoned"
    assert "during the stage 'writing'" in crashed.last_result.message

    monkeypatch.delenv(HALT_ENV)
    control.start(cfg, "ann")                                # the restart reconciles

    (abandoned,) = kinds(layout, "training_abandoned")
    assert abandoned["actor"] == "dave" and abandoned["model_id"] == model_id
    assert f"(pid {pid}) was killed" in abandoned["message"]
    assert "during the stage 'writing'" in abandoned["message"]
    assert "promotion interrupted" in abandoned["message"]
    (interrupted,) = kinds(layout, "promotion_interrupted")
    assert interrupted["model_id"] == model_id and "it is not the champion" in interrupted["message"]
    assert Registry(layout.root).champion() is None
    assert kinds(layout, "promoted") == []

    listing = cla("models", "list", cwd=workdir)
    (row,) = [line for line in listing.stdout.splitlines() if line.startswith(model_id)]
    assert "interrupted" in row and "first_champion" not in row and "champion" not in row.split()
    shown = cla("models", "show", model_id, cwd=workdir)
    assert "promotion: interrupted" in shown.stdout
    assert "never became champion" in shown.stdout

    status = cla("trainer", "status", cwd=workdir)
    assert "last result: abandoned" in status.stdout, status.stdout

    control.stop(cfg, "ann")
    control.start(cfg, "ann")                                # a second restart records nothing twice
    assert len(kinds(layout, "training_abandoned")) == 1 and len(kinds(layout, "promotion_interrupted")) == 1

    result = control.retrain(cfg, "dave", wait=True, timeout=120)
    assert result.outcome.outcome == "finished"
    assert control.status(cfg).last_result.outcome == "finished"      # abandoned until a new one finishes
    registry = Registry(layout.root)
    assert registry.champion().model_id == result.outcome.model_id
    assert registry.summary(model_id).promotion == "interrupted"
    control.stop(cfg, "ann")


def test_a_cla_train_killed_after_writing_a_promoted_pair_is_reconciled_by_the_next_one(cfg, workdir):
    layout = ModelsLayout.of(cfg.models_dir)
    first = cla("train", cwd=workdir)
    assert first.returncode == 0, first.stderr
    champion = Registry(layout.root).champion().model_id

    env = {**os.environ, HALT_ENV: "pair_written"}
    killed = subprocess.Popen([*CLA, "train"], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: len(list(layout.root.glob("model_metrics_*.json"))) == 2
                          and layout.log.read_text(errors="replace").count("halted at pair_written") == 1, 120)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    (model_id,) = {p.name[len("model_metrics_"):-5] for p in layout.root.glob("model_metrics_*.json")} - {champion}
    # The pointer never named it: listed "not applied" at once, not "promoted" until the next training
    assert Registry(layout.root).summary(model_id).promotion == "not applied"
    listed = cla("models", "list", cwd=workdir).stdout
    assert "not applied" in next(line for line in listed.splitlines() if line.startswith(model_id))

    status = cla("trainer", "status", cwd=workdir)
    assert "last result: abandoned" in status.stdout and f"(pid {killed.pid}) was killed" in status.stdout

    second = cla("train", cwd=workdir)
    assert second.returncode == 0, second.stderr
    (abandoned,) = kinds(layout, "training_abandoned")
    assert abandoned["model_id"] == model_id and f"(pid {killed.pid})" in abandoned["message"]
    (interrupted,) = kinds(layout, "promotion_interrupted")
    assert interrupted["model_id"] == model_id
    registry = Registry(layout.root)
    assert registry.summary(model_id).promotion == "interrupted"
    assert model_id not in [registry.champion().model_id, *registry.champion().previous]
    assert "abandoned" not in cla("trainer", "status", cwd=workdir).stdout          # a new training ended

    promoted = cla("models", "promote", model_id, cwd=workdir)                    # carried out by hand at last
    assert promoted.returncode == 0, promoted.stderr
    assert Registry(layout.root).summary(model_id).promotion == "promoted"


def test_a_new_service_is_starting_not_training_while_the_killed_ones_status_file_remains(layout):
    from trainer.atomic import write_json
    from trainer.service.status import read_status

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_json(layout.status, {"state": "training", "stage": "writing", "pid": dead.pid,
                               "current": {"started_at": "2026-11-29T00:00:00+00:00"}})
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom trainer.locking import FileLock\n"
                               "FileLock(sys.argv[1]).acquire()\nprint('held', flush=True)\ntime.sleep(60)",
                               str(layout.service_lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        status = read_status(layout)
        assert status.state == "starting" and status.pid == holder.pid     # `start` waits for its recovery
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_model_detail_page_open_across_the_reconcile_shows_the_promotion_interrupted(workdir, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from trainer.folder.pairs import write_pair
    from trainer.folder.registry import INTERRUPTED_REASON

    layout = ModelsLayout.of(workdir / "models")
    layout.ensure()
    promotion = {"decision": "first_champion", "reasons": ["no champion yet"], "champion_id": None, "metric": "pr_auc"}
    pair = write_pair(layout, {"stand-in": "model"}, {"precision": 0.5, "recall": 0.9, "pr_auc": 0.7,
                                                      "promotion": promotion})
    monkeypatch.setenv("CLA_MODELS_DIR", str(layout.root))
    st.cache_resource.clear()
    try:
        app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=30)
        app.run()
        app.switch_page("views/model_detail.py").run()
        assert any(m.value.startswith("**first champion**") for m in app.markdown)

        Registry(layout.root).mark_interrupted(pair.model_id, actor="trainer recovery", message="killed")
        assert wait_until(lambda: any(m.value.startswith("**interrupted**") for m in app.run().markdown), 5)
        assert any(f"- {INTERRUPTED_REASON}" in m.value.splitlines() for m in app.markdown)
    finally:
        st.cache_resource.clear()


def test_a_training_is_open_only_without_an_ending_from_its_own_process():
    from trainer.contract.events import Event
    from trainer.service.reconcile import open_trainings

    def event(kind, pid, ts, **details):
        return Event.from_json({"event": kind, "pid": pid, "ts": ts, **({"details": details} if details else {})})

    events = [
        event("training_started", 10, "t1"), event("training_finished", 10, "t1b"),
        event("training_started", 20, "t2"),                       # killed: never ends
        event("training_started", 20, "t3"), event("training_failed", 20, "t3b"),    # its pid, reused later
        event("training_started", 30, "t4"),
        event("training_abandoned", 99, "t5", training_pid=30, started_at="t4"),     # recorded by a later process
        event("training_started", 40, "t6"), event("rejected", 40, "t6b"),           # still running or killed
    ]
    assert [e.ts for e in open_trainings(events)] == ["t2", "t6"]
