"""A webhook receiver that is down or slow costs retries and event-log lines, never a training;
a trainer killed with SIGKILL is announced by the next one.

The real service trains for real; its notifications go to a closed port, or to
a receiver that holds every request until the test lets it answer.
"""

from __future__ import annotations

import shutil

from trainer.contract.layout import ModelsLayout
from trainer.folder.events import read_events
from trainer.service.status import read_status
from helpers.servicefolder import train
from helpers.waiting import wait_until
from helpers.webhooks import SECRET, Receiver, closed_port_url, notify_folder


def events_of(layout, kind: str) -> list[dict]:
    return [e for e in read_events(layout.events)[0] if e["event"] == kind]


def test_a_receiver_that_is_down_costs_retries_and_one_line(workdir, seeded_store, service):
    config = notify_folder(workdir, seeded_store, closed_port_url(), retries=2)
    layout = ModelsLayout.of(config.models_dir)
    store = workdir / "data" / "feedback.db"
    store.write_bytes(b"not a database")
    service(config)
    train(layout, "fail", "training_failed")
    shutil.copy(seeded_store, store)
    train(layout, "good", "training_finished")
    assert wait_until(lambda: events_of(layout, "notification_failed"), 10)
    [failed] = events_of(layout, "notification_failed")
    assert failed["details"]["notification"] == "training_failed" and failed["details"]["attempts"] == 3
    assert "Connection refused" in failed["message"]
    assert read_status(layout).last_result.outcome == "finished"


def test_a_slow_receiver_never_holds_up_a_training(workdir, seeded_store, service):
    with Receiver(delay=120) as hook:
        config = notify_folder(workdir, seeded_store, hook.url, timeout_seconds=60)
        layout = ModelsLayout.of(config.models_dir)
        store = workdir / "data" / "feedback.db"
        store.write_bytes(b"not a database")
        service(config)
        train(layout, "fail", "training_failed")
        assert wait_until(lambda: hook.requests == 1, 10)    # the receiver now holds the notification
        shutil.copy(seeded_store, store)
        train(layout, "good", "training_finished")          # trains while the delivery hangs
        assert not events_of(layout, "notification_sent")
        hook.release()
        assert wait_until(lambda: events_of(layout, "notification_sent"), 10)
    assert hook.events() == ["training_failed"]


def test_a_service_killed_with_sigkill_is_announced_by_the_next_start(workdir, seeded_store):
    import os
    import signal

    import psutil

    from trainer.service import control

    with Receiver(secret=SECRET) as hook:
        config = notify_folder(workdir, seeded_store, hook.url)
        pid = control.start(config, "ann").pid
        try:
            assert wait_until(lambda: control.status(config).state == "idle", 30)
            os.kill(pid, signal.SIGKILL)
            assert wait_until(lambda: not psutil.pid_exists(pid), 10)
            assert control.status(config).state == "crashed"
            control.start(config, "ann")
            [delivery] = hook.wait_for(1)
        finally:
            control.stop(config, "ann", timeout=20)
    assert delivery["event"] == "trainer_crashed" and delivery["signed"]
    assert f"the trainer service (pid {pid}," in delivery["json"]["reason"]
    assert "ended without stopping while idle" in delivery["json"]["reason"]
