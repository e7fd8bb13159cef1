"""The real trainer service, real trainings and a real webhook receiver: one signed notification per change of state.

The service runs in a thread on a seeded store (tests/helpers/servicefolder.py); a
training fails because the store file is not a database, a degraded model
comes from a store whose features carry no signal, and the champion is
tampered with by flipping a byte of its model file.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from trainer.atomic import write_json
from trainer.contract.layout import ModelsLayout
from trainer.folder.events import read_events
from trainer.service.status import read_status
from helpers.servicefolder import train
from helpers.waiting import wait_until
from helpers.webhooks import SECRET, Receiver, notify_folder
from helpers.tampering import flip_one_byte


@pytest.fixture(scope="module")
def useless_store(tmp_path_factory):
    """1,500 verdicts whose only features are constant: every model trained on it predicts one class."""
    from trainer.feedback import store

    rng = np.random.default_rng(5)
    rows = 1500
    frame = pd.DataFrame({"alert_id": [f"NOISE-{i:05d}" for i in range(rows)],
                          "timestamp": pd.Timestamp("2026-10-01", tz="UTC"),
                          "rule_name": pd.array(["noise"] * rows, dtype="str"), "dest_port": 443,
                          "is_true_positive": (rng.random(rows) < 0.1).astype(int)})
    path = tmp_path_factory.mktemp("useless") / "feedback.db"
    store.insert_frame(path, frame)
    return path



def test_one_signed_notification_per_change_of_state(workdir, seeded_store, useless_store, service):
    store = workdir / "data" / "feedback.db"
    with Receiver(secret=SECRET) as hook:
        config = notify_folder(workdir, seeded_store, hook.url)
        layout = ModelsLayout.of(config.models_dir)
        store.write_bytes(b"this is not an SQLite database")
        service(config)
        train(layout, "fail-1", "training_failed")
        train(layout, "fail-2", "training_failed")      # still failing: no second notification
        shutil.copy(seeded_store, store)
        train(layout, "good", "training_finished")      # a useful champion: failing is over
        shutil.copy(useless_store, store)
        train(layout, "useless-1", "training_finished")
        # the same data again: answered without training (nothing changed), and no second notification
        train(layout, "useless-2", "training_skipped")
        champion = json.loads(layout.champion.read_text())["model_id"]
        flip_one_byte(layout.model_path(champion))
        deliveries = hook.wait_for(3)
    assert [d["event"] for d in deliveries] == ["training_failed", "learning_degraded", "champion_untrusted"]
    assert all(d["signed"] for d in deliveries)
    failed, degraded, untrusted = (d["json"] for d in deliveries)
    assert "file is not a database" in failed["reason"]
    assert "is not useful" in degraded["reason"] and "predicts_one_class" in degraded["reason"]
    assert "fails its signature check" in untrusted["reason"]
    assert all(d["models_folder"] == str(layout.root) for d in (failed, degraded, untrusted))
    sent = [e for e in read_events(layout.events)[0] if e["event"] == "notification_sent"]
    assert [e["details"]["notification"] for e in sent] == ["training_failed", "learning_degraded",
                                                            "champion_untrusted"]


def test_a_service_that_died_is_announced_once_by_the_next_one(workdir, seeded_store, service):
    with Receiver(secret=SECRET) as hook:
        config = notify_folder(workdir, seeded_store, hook.url)
        layout = ModelsLayout.of(config.models_dir)
        layout.ensure()
        # What a service killed during a training leaves: a status file that still says training.
        write_json(layout.status, {"state": "training", "stage": "training", "pid": 999_999,
                                   "started_at": "2026-11-29T01:00:00.000+00:00",
                                   "heartbeat": "2026-11-29T01:10:00.000+00:00"})
        first = service(config)
        [crashed] = hook.wait_for(1)
        first.request_stop()
        assert wait_until(lambda: read_status(layout).state == "stopped", 20)
        service(config)                          # a clean stop before: nothing to announce
        (workdir / "data" / "feedback.db").write_bytes(b"not a database")
        train(layout, "fail", "training_failed")
        deliveries = hook.wait_for(2)
    assert [d["event"] for d in deliveries] == ["trainer_crashed", "training_failed"]
    assert crashed["signed"]
    assert "pid 999999" in crashed["json"]["reason"] and "ended without stopping while training" in crashed["json"]["reason"]
