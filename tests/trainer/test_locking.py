"""OS locks: one owner at a time, who holds them, and nothing stale after a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from trainer.locking import FileLock, LockBusy, service_lock, training_lock, who_holds

HOLD = """
import sys, time
from trainer.locking import FileLock
FileLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """A separate process holding the lock at tmp_path/x.lock; killed with SIGKILL by the test or at the end."""
    path = tmp_path / "runtime" / "x.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield path, proc
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_a_lock_held_elsewhere_is_busy_and_names_its_owner(holder):
    path, proc = holder
    with pytest.raises(LockBusy) as caught:
        FileLock(path).acquire()
    assert caught.value.pid == proc.pid
    assert f"pid {proc.pid}" in str(caught.value)
    assert who_holds(path).pid == proc.pid


def test_sigkill_frees_the_lock_and_the_stale_file_is_reused(holder):
    path, proc = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert path.exists()                       # the stale file stays ...
    assert who_holds(path) is None             # ... but nobody holds the lock
    with FileLock(path) as lock:
        assert lock.held
        assert who_holds(path).pid == os.getpid()


def test_blocking_acquire_gives_up_after_its_timeout(holder):
    path, proc = holder
    with pytest.raises(LockBusy):
        FileLock(path).acquire(blocking=True, timeout=0.2)


def test_a_second_lock_object_in_the_same_process_is_refused(tmp_path):
    path = tmp_path / "a.lock"
    with FileLock(path):
        with pytest.raises(LockBusy):
            FileLock(path).acquire()
    assert who_holds(path) is None


@pytest.mark.parametrize("lock_of, path_of", [
    (service_lock, lambda layout: layout.service_lock),
    (training_lock, lambda layout: layout.training_lock),
])
def test_layout_locks_hold_for_the_with_block_only(layout, lock_of, path_of):
    with lock_of(layout):
        assert who_holds(path_of(layout)).pid == os.getpid()
        with pytest.raises(LockBusy):
            with lock_of(layout):
                pass
    assert who_holds(path_of(layout)) is None


def test_who_holds_a_missing_file_is_nobody(tmp_path):
    assert who_holds(tmp_path / "missing.lock") is None
