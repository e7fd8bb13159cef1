"""A broken ``cla.toml`` does not stop the commands that need only the models folder.

``cla trainer stop`` and ``cla trainer status`` run as real processes on a
real service; they warn about the config and do their job.
"""

from __future__ import annotations

import subprocess
import sys

import psutil

from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds
from helpers.waiting import wait_until

CLA = [sys.executable, "-m", "trainer"]


def holder_pid(layout: ModelsLayout) -> int | None:
    holder = who_holds(layout.service_lock)
    return holder.pid if holder else None


def test_status_and_stop_work_and_warn_on_a_config_that_is_not_toml(workdir):
    models = workdir / "elsewhere"
    layout = ModelsLayout.of(models)
    (workdir / "cla.toml").write_text(f'models_dir = "{models}"\n[service]\nheartbeat_seconds = 0.3\n')
    service = subprocess.Popen([*CLA, "trainer", "run"], cwd=workdir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_until(lambda: holder_pid(layout) == service.pid, 30)
        (workdir / "cla.toml").write_text(f'models_dir = "{models}"\n[training\npreset = "legacy"\n')

        status = subprocess.run([*CLA, "trainer", "status"], cwd=workdir, capture_output=True, text=True,
                                timeout=60)
        assert status.returncode == 0, status.stderr
        assert f"(pid {service.pid})" in status.stdout
        assert "cla: warning: configuration error: config file cla.toml is not valid TOML" in status.stderr

        stop = subprocess.run([*CLA, "trainer", "stop"], cwd=workdir, capture_output=True, text=True, timeout=60)
        assert stop.returncode == 0, stop.stderr
        assert f"trainer stopped (pid {service.pid})" in stop.stdout
        assert "configuration error" in stop.stderr
        assert service.wait(timeout=30) == 0
    finally:
        if service.poll() is None:
            psutil.Process(service.pid).kill()
            service.wait()


def test_a_bad_value_keeps_the_folder_the_file_names_and_other_commands_still_refuse(workdir):
    models = workdir / "named-in-the-file"
    (workdir / "cla.toml").write_text(f'models_dir = "{models}"\n[training]\nobjective = "speed"\n')

    status = subprocess.run([*CLA, "trainer", "status"], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert f"models folder: {models}" in status.stdout
    assert "training.objective: 'speed' is not allowed" in status.stderr

    train = subprocess.run([*CLA, "train"], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert train.returncode == 2
    assert "cla: configuration error: training.objective: 'speed' is not allowed" in train.stderr
