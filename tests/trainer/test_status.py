"""The status file: what the service writes, and what readers are told when the service is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from trainer.atomic import write_json
from trainer.locking import FileLock
from trainer.service.status import StatusWriter, read_status, write_stopped
from trainer.timestamps import parse_iso
from helpers.waiting import wait_until

SERVE = """
import sys, time
from trainer.contract.layout import ModelsLayout
from trainer.locking import FileLock
from trainer.contract.status import CurrentTraining
from trainer.service.status import StatusWriter
layout = ModelsLayout.of(sys.argv[1])
FileLock(layout.service_lock).acquire()
writer = StatusWriter(layout)
writer.update(state="training", stage="training", current=CurrentTraining.of(trigger="force", actor="ann", started_at="t"))
print("up", flush=True)
time.sleep(60)
"""


def test_a_missing_file_reads_as_never_started(layout):
    status = read_status(layout)
    assert status.state == "stopped" and not status.running
    assert "not been started" in status.message


def test_the_writer_replaces_the_file_with_each_stage(layout):
    writer = StatusWriter(layout)
    with FileLock(layout.service_lock):
        for stage in ("loading data", "training", "writing"):
            writer.update(state="training", stage=stage)
            status = read_status(layout)
            assert (status.state, status.stage) == ("training", stage)
            assert status.running and status.service_pid == os.getpid()
    assert not list(layout.runtime.glob(".*partial"))


def test_a_killed_service_reads_as_crashed_with_its_pid(layout):
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(layout.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "up"
        assert read_status(layout).state == "training"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
        proc.stdout.close()
    status = read_status(layout)
    assert status.state == "crashed" and not status.running
    assert f"the trainer process {proc.pid} is gone" in status.message
    assert "abandoned" in status.message
    assert status.file_state == "training"


def test_a_held_lock_with_a_stopped_file_reads_as_starting(layout):
    write_stopped(layout, "stopped by ann")
    with FileLock(layout.service_lock):
        assert read_status(layout).state == "starting"
    assert read_status(layout).state == "stopped"


def test_a_live_service_with_an_old_heartbeat_is_flagged_stale(layout):
    old = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    write_json(layout.status, {"state": "idle", "stage": "idle", "pid": os.getpid(), "heartbeat": old})
    with FileLock(layout.service_lock):
        status = read_status(layout, heartbeat_seconds=2)
    assert status.stale and status.state == "idle"
    assert "may be stuck" in status.message


def test_the_heartbeat_thread_keeps_the_file_fresh(layout):
    writer = StatusWriter(layout)
    writer.update(state="idle")
    first = parse_iso(json.loads(layout.status.read_text())["heartbeat"])
    writer.start_heartbeat(0.2)
    try:
        assert wait_until(lambda: parse_iso(json.loads(layout.status.read_text())["heartbeat"]) > first, timeout=5)
    finally:
        writer.stop_heartbeat()
