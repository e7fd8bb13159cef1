"""Issue 26, items 1-2: special files named like pairs never hang or exhaust a reader, and never stand for a training.

Anyone who can write the models folder can leave a FIFO (``open`` blocks until a
writer comes), a symlink to ``/dev/zero`` (a read never ends) or a sparse file of
gigabytes where a metrics file, a model or the event log is expected. Every
reader opens through ``trainer.reading``: regular files only, without following
a link, without blocking, within a size cap; anything else is skipped and named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from trainer.contract.layout import stamp_of
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry
from trainer.reading import NotAnObject, UnsafeFile, json_object_or_none, read_json_object, read_regular
from trainer.service.triggers import last_training_time

SPARSE_BYTES = 2 << 30


@pytest.fixture
def hostile(layout):
    """A real champion pair, then a FIFO, a link to /dev/zero and a 2 GB sparse file, each named like a pair's
    metrics file, plus a FIFO named like a model file beside a real metrics file."""
    model_id = write_pair(layout, {"weights": [1, 2, 3]}, {"pr_auc": 0.71, "useful": True, "warnings": []}).model_id
    Registry(layout.root).promote(model_id, actor="test")
    os.mkfifo(layout.metrics_path("20261209_000000"))
    os.symlink("/dev/zero", layout.metrics_path("20261209_000001"))
    with open(layout.metrics_path("20261209_000002"), "wb") as handle:
        handle.truncate(SPARSE_BYTES)
    fifo_pair = write_pair(layout, {"weights": [4]}, {"pr_auc": 0.5, "useful": True, "warnings": []}).model_id
    layout.model_path(fifo_pair).unlink()
    os.mkfifo(layout.model_path(fifo_pair))
    return model_id, fifo_pair


def cla(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=20, env={k: v for k, v in os.environ.items() if not k.startswith("CLA_")})


def test_models_list_returns_and_names_each_special_file(layout, workdir, hostile):
    champion, fifo_pair = hostile
    done = cla("models", "list", cwd=workdir)  # a hang raises TimeoutExpired here
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert champion in out
    assert "model_metrics_20261209_000000.json is a FIFO, not a regular file" in out
    assert "model_metrics_20261209_000001.json is a symbolic link" in out
    assert "model_metrics_20261209_000002.json holds 2,147,483,648 bytes" in out
    listed = json.loads(cla("models", "list", "--json", cwd=workdir).stdout)
    rows = {row["model_id"]: row for row in listed}
    assert rows[champion]["status"] == "ok" and rows[champion]["pr_auc"] == pytest.approx(0.71)
    assert rows[fifo_pair]["status"] != "ok"


def test_the_champion_still_scores_and_shows_beside_the_special_files(layout, workdir, hostile):
    champion, _ = hostile
    done = cla("models", "show", champion, cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "0.71" in done.stdout


@pytest.mark.parametrize("make", ["fifo", "link to /dev/zero", "sparse 2 GB"])
def test_the_reader_refuses_each_kind_without_blocking(tmp_path, make):
    path = tmp_path / "model_metrics_20261209_000000.json"
    if make == "fifo":
        os.mkfifo(path)
    elif make == "link to /dev/zero":
        os.symlink("/dev/zero", path)
    else:
        with open(path, "wb") as handle:
            handle.truncate(SPARSE_BYTES)
    with pytest.raises(UnsafeFile, match=str(path)):
        read_regular(path, 64 << 20)


def test_an_empty_pair_stamped_in_the_future_is_not_a_training(layout, workdir):
    """An empty ``model_metrics_20991231_000000.json`` once made the service believe it trained in 2099 and stop
    counting new feedback: only a readable pair stamped no later than now stands for a training."""
    real = write_pair(layout, {"weights": [1]}, {"pr_auc": 0.6, "useful": True, "warnings": []}).model_id
    layout.metrics_path("20991231_000000").write_bytes(b"")
    layout.metrics_path("20990101_000000").write_text(json.dumps({"pr_auc": 0.9}))
    soon = stamp_of(datetime.now(timezone.utc) + timedelta(minutes=30))
    layout.metrics_path(soon).write_bytes(b"")
    last = last_training_time(layout)
    assert last is not None and last <= datetime.now(timezone.utc)
    assert stamp_of(last) == real


def test_cla_train_beside_the_special_files_trains_and_keeps_its_lock_free(layout, workdir, hostile):
    """The FIFO once hung `cla train` while it held the training lock."""
    seeded = subprocess.run([sys.executable, "-m", "trainer", "demo", "seed", "--rows", "2000"], cwd=workdir,
                            capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if not k.startswith("CLA_")})
    assert seeded.returncode == 0, seeded.stderr
    # one cheap candidate: the FIFO and the lock are the point, not which model wins
    (workdir / "cla.toml").write_text('[training]\npreset = "custom"\nmodel = "logistic_regression"\n'
                                      'imbalance = "class_weight"\npermutation_repeats = 0\n')
    done = subprocess.run([sys.executable, "-m", "trainer", "train"], cwd=workdir, capture_output=True, text=True,
                          timeout=180, env={k: v for k, v in os.environ.items() if not k.startswith("CLA_")})
    assert done.returncode == 0, done.stderr
    assert "model " in done.stdout
    from trainer.locking import who_holds

    assert who_holds(layout.training_lock) is None


@pytest.mark.parametrize("make", ["fifo", "link to /dev/null"])
def test_an_event_log_that_is_not_a_regular_file_is_refused_not_written_into(layout, make):
    """The writers share the readers' opening: an event appended to a FIFO or through a link fails, naming it,
    instead of filling a pipe or vanishing into a device."""
    from trainer.folder.events import append_event

    if make == "fifo":
        os.mkfifo(layout.events)
    else:
        os.symlink("/dev/null", layout.events)
    with pytest.raises(UnsafeFile, match="events.jsonl is a"):
        append_event(layout.events, "pruned", actor="test", message="x")


@pytest.mark.parametrize("content, error", [
    (b'{"champion": "20261120_080000"}', None),
    (b'["a list"]', NotAnObject),
    (b'{"cut": ', ValueError),
    (b"", ValueError),
])
def test_a_shared_json_file_is_an_object_or_a_named_error(tmp_path, content, error):
    path = tmp_path / "champion.json"
    path.write_bytes(content)
    if error is None:
        assert read_json_object(path) == {"champion": "20261120_080000"} == json_object_or_none(path)
        return
    with pytest.raises(error) as raised:
        read_json_object(path)
    assert error is not NotAnObject or (str(path) in str(raised.value) and "list, not an object" in str(raised.value))
    assert json_object_or_none(path) is None


@pytest.mark.parametrize("make", ["fifo", "missing"])
def test_a_json_object_read_never_blocks_on_a_fifo_or_fails_on_a_missing_file(tmp_path, make):
    path = tmp_path / "status.json"
    if make == "fifo":
        os.mkfifo(path)
    with pytest.raises(UnsafeFile if make == "fifo" else FileNotFoundError):
        read_json_object(path)
    assert json_object_or_none(path) is None
