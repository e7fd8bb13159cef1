"""Two trainings at once: the one that loses the training lock names the pid of the one that holds it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from trainer.contract.layout import ModelsLayout
from trainer.locking import FileLock, LockBusy, who_holds
from helpers.waiting import wait_until

CLA = [sys.executable, "-m", "trainer"]

#: takes the lock, then (like any new owner) writes its pid a moment later; the pause widens that moment
SLOW_OWNER = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(0.3)
os.ftruncate(fd, 0)
os.pwrite(fd, (json.dumps({"pid": os.getpid(), "started_at": "now"}) + "\\n").encode(), 0)
print("written", flush=True)
time.sleep(60)
"""


@pytest.fixture
def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_lock_just_taken_names_its_new_owner_not_the_dead_previous_one(tmp_path, dead_pid):
    path = tmp_path / "training.lock"
    path.write_text(f'{{"pid": {dead_pid}, "started_at": "earlier"}}\n')   # left by a killed owner
    owner = subprocess.Popen([sys.executable, "-c", SLOW_OWNER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "locked"
        with pytest.raises(LockBusy) as caught:
            FileLock(path).acquire()
        assert caught.value.pid == owner.pid
        assert f"held by pid {owner.pid}" in str(caught.value)
        assert who_holds(path).pid == owner.pid
    finally:
        owner.kill()
        owner.wait()
        owner.stdout.close()


def test_a_released_lock_no_longer_names_its_last_owner(tmp_path):
    path = tmp_path / "training.lock"
    FileLock(path).acquire().release()
    with open(path) as fh:                                   # the service lives on after its training lock
        assert str(os.getpid()) not in fh.read()


def test_two_concurrent_cla_train_the_loser_names_the_winners_pid(workdir):
    from trainer.feedback import store
    from trainer.service.cycle import HALT_ENV
    from trainer.feedback.demo import generate_history

    (workdir / "data").mkdir()
    store.insert_frame(workdir / "data" / "feedback.db", generate_history(rows=1500, seed=5))
    (workdir / "cla.toml").write_text('[training]\npreset = "legacy"\npermutation_repeats = 0\n')
    layout = ModelsLayout.of(workdir / "models")
    # Both halt for good once their pair is written, holding the lock: whichever wins keeps it, deterministically.
    env = {**os.environ, HALT_ENV: "pair_written"}
    runs = [subprocess.Popen([*CLA, "train"], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    try:
        assert wait_until(lambda: any(run.poll() is not None for run in runs), 240)
        (loser,) = [run for run in runs if run.poll() is not None]
        (winner,) = [run for run in runs if run is not loser]
        _, err = loser.communicate(timeout=10)
        assert loser.returncode == 4, err
        assert f"another training is running for {layout.root}" in err
        assert f"held by pid {winner.pid}" in err
    finally:
        for run in runs:
            run.kill()
            run.communicate()
