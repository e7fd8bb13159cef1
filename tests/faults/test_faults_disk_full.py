"""A full disk, for real: the models folder on a 2 MB tmpfs filled to its last byte.

Every message names the file that could not be written and says what to do;
a trainer start whose log cannot be written still reports why on stderr; the
model that was already there stays listed and champion.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys

import pytest

from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds
from trainer.folder.registry import Registry

CLA = [sys.executable, "-m", "trainer"]
CONFIG = '[training]\npreset = "legacy"\npermutation_repeats = 0\n'


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory):
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    path = tmp_path_factory.mktemp("store") / "feedback.db"
    store.insert_frame(path, generate_history(rows=2000, seed=7))
    return path


def fill(folder) -> None:
    """Write a filler file until the file system refuses the next byte."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc


def lay_out(folder, seeded_store) -> None:
    (folder / "data").mkdir()
    shutil.copy(seeded_store, folder / "data" / "feedback.db")
    (folder / "cla.toml").write_text(CONFIG)


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory, seeded_store):
    """A models folder that `cla train` wrote one pair (the champion) into, once for this module; read only."""
    folder = tmp_path_factory.mktemp("trained")
    lay_out(folder, seeded_store)
    trained = cla("train", "--models-dir", str(folder / "models"), cwd=folder)
    assert trained.returncode == 0, trained.stderr
    # Its log lines (the session's first training creates the model key and says so) would stand in the way of
    # the tests that read what a full disk kept out of the log.
    ModelsLayout.of(folder / "models").log.unlink(missing_ok=True)
    return folder / "models"


@pytest.fixture
def full_models(workdir, seeded_store, trained_models):
    """That trained folder copied onto a tmpfs, then the tmpfs filled to 0 bytes free; returns its layout."""
    if os.geteuid() != 0:
        pytest.fail("a real full disk needs root to mount a tmpfs (see docs/RELIABILITY.md)")
    lay_out(workdir, seeded_store)
    disk = workdir / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        layout = ModelsLayout.of(disk / "models")
        shutil.copytree(trained_models, layout.root)
        fill(disk)
        assert shutil.disk_usage(disk).free == 0
        yield layout
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def cla(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CLA, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cla_train_on_a_full_disk_names_the_file_and_the_cause_and_keeps_the_model(full_models, workdir):
    layout = full_models
    (model,) = Registry(layout.root).list_models()
    failed = cla("train", "--models-dir", str(layout.root), cwd=workdir)
    assert failed.returncode == 1
    assert f"cla: cannot write the lock file {layout.training_lock}: disk full: free space or prune old models" \
        in failed.stderr
    assert "[Errno" not in failed.stderr
    registry = Registry(layout.root)
    assert [row.model_id for row in registry.list_models()] == [model.model_id]
    assert registry.champion().model_id == model.model_id


def test_cla_trainer_start_on_a_full_disk_says_why_on_stderr(full_models, workdir):
    layout = full_models
    failed = cla("trainer", "start", "--models-dir", str(layout.root), cwd=workdir)
    assert failed.returncode == 1
    assert "cla: the trainer exited at start (code 1): the trainer cannot use" in failed.stderr
    assert f"cannot write the lock file {layout.service_lock}: disk full: free space" in failed.stderr
    assert "(the trainer log is empty)" in failed.stderr        # the log could not hold it; stderr does
    assert who_holds(layout.service_lock) is None


def test_cla_trainer_retrain_wait_on_a_full_disk_says_why_on_stderr(full_models, workdir):
    layout = full_models
    failed = cla("trainer", "retrain", "--wait", "--models-dir", str(layout.root), cwd=workdir)
    assert failed.returncode == 1
    assert "failed: the training process exited with code 1 without recording a result: cannot write the lock " \
           f"file {layout.training_lock}: disk full: free space" in failed.stderr
