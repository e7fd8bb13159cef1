"""A real dashboard server on a fresh, small store, and Debian's Chromium driven by Playwright.

``dashboard_server`` seeds a temp feedback store (``cla demo seed --rows
4000``), writes a config whose trainer only trains when asked (no automatic
trigger, a 1 s model-selection budget), starts ``cla dashboard --port <free>``
in its own process group with its output in a file, and waits for
``/_stcore/health``. Teardown stops any trainer the test started and kills the
server's process group. ``browser_page`` launches ``/usr/bin/chromium``; a
missing Chromium fails the test, it is never skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from helpers.serving import free_port, serve

from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CLA = [sys.executable, "-m", "trainer"]


@dataclass
class Server:
    url: str
    models_dir: Path
    config_file: Path
    log_file: Path


def stop_trainers(models_dir: Path, config_file: Path) -> None:
    """Stop the service (cleanly, then by process group) and any stand-alone training of ``models_dir``."""
    subprocess.run([*CLA, "trainer", "stop", "--config", str(config_file), "--timeout", "20"],
                   capture_output=True, timeout=60, check=False)
    layout = ModelsLayout.of(models_dir)
    for lock in (layout.service_lock, layout.training_lock):
        holder = who_holds(lock)
        if holder is not None and holder.pid:
            try:
                os.killpg(holder.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(holder.pid, signal.SIGKILL)


@pytest.fixture
def dashboard_server(tmp_path, model_key) -> Iterator[Server]:
    models_dir = tmp_path / "models"
    config_file = tmp_path / "cla.toml"
    config_file.write_text(
        f'models_dir = "{models_dir}"\nmodel_key_file = "{model_key}"\n\n'
        f'[source]\npath = "{tmp_path / "data" / "feedback.db"}"\n\n'
        # one cheap candidate (an option the product offers): these tests drive the pages, the search is the trainer's
        '[training]\npreset = "custom"\nmodel = "logistic_regression"\nimbalance = "class_weight"\n'
        'time_budget_seconds = 1.0\npermutation_repeats = 1\n\n'
        '[service]\nmin_new_rows = 100000000\nmax_age_hours = 0.0\ncheck_interval_seconds = 2.0\n'
        'heartbeat_seconds = 1.0\nstop_timeout_seconds = 20.0\n\n'
        '[dashboard]\nrefresh_seconds = 1.0\n', encoding="utf-8")
    seeded = subprocess.run([*CLA, "demo", "seed", "--rows", "4000", "--config", str(config_file)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log_file = tmp_path / "dashboard.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    server = Server(f"http://127.0.0.1:{port}", models_dir, config_file, log_file)
    try:
        with serve([*CLA, "dashboard", "--port", str(port), "--config", str(config_file)], server.url,
                   cwd=tmp_path, env=env, log_file=log_file):
            yield server
    finally:
        stop_trainers(models_dir, config_file)
    assert who_holds(ModelsLayout.of(models_dir).service_lock) is None, "a trainer service was left running"


@pytest.fixture
def browser_page():
    """A Chromium page (1400x1000) from Debian's Chromium; fails when /usr/bin/chromium is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make browser`); the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
