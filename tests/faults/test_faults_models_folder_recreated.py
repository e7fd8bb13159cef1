"""The models folder deleted and re-created under a running dashboard: every page follows within 3 s.

``rm -rf models; mkdir models; cp -a backup/. models/; cla train`` used to
leave the watcher on the deleted inode with its thread alive, so the pages
never re-read the folder. Here with a real watchdog observer, and with the
real dashboard server in Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from playwright.sync_api import expect

from browser.conftest import CLA, browser_page, dashboard_server  # noqa: F401 - fixtures, shared with tests/browser
from dashboard.watcher import ModelsWatcher
from trainer.atomic import write_json
from trainer.contract.layout import ModelsLayout
from helpers.waiting import wait_until


def test_the_watcher_is_lost_with_its_folder_and_watches_the_new_one_within_3_s(tmp_path):
    layout = ModelsLayout.of(tmp_path / "models")
    watcher = ModelsWatcher(layout.root)
    try:
        write_json(layout.metrics_path("20261123_120000"), {"precision": 0.5})
        assert wait_until(lambda: watcher.generation_of("pairs") >= 1, 1)

        shutil.rmtree(layout.root)
        assert wait_until(lambda: not watcher.check(), 3)              # pages poll while it is gone
        assert "is gone" in watcher.error and not layout.root.exists()  # and it does not re-create it

        layout.root.mkdir()
        before = watcher.generation_of("pairs")
        write_json(layout.metrics_path("20261123_130000"), {"precision": 0.6})
        assert wait_until(lambda: watcher.check() and watcher.generation_of("pairs") > before, 3)
        assert watcher.mode == "inotify" and watcher.error is None

        settled = watcher.generation_of("pairs")                        # the new watch itself sees changes
        write_json(layout.metrics_path("20261123_140000"), {"precision": 0.7})
        assert wait_until(lambda: watcher.generation_of("pairs") > settled, 1)
    finally:
        watcher.stop()


def train(server) -> str:
    """One real `cla train` on the server's folder; returns the new model id."""
    before = {p.name for p in server.models_dir.glob("model_metrics_*.json")}
    done = subprocess.run([*CLA, "train", "--config", str(server.config_file)], capture_output=True, text=True,
                          timeout=300, cwd=server.config_file.parent)
    assert done.returncode == 0, done.stderr
    (new,) = {p.name for p in server.models_dir.glob("model_metrics_*.json")} - before
    return new[len("model_metrics_"):-len(".json")]


@pytest.mark.browser
def test_every_page_shows_the_model_trained_after_the_folder_was_recreated(dashboard_server, browser_page):
    page, server = browser_page, dashboard_server
    first = train(server)
    page.goto(f"{server.url}/models")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("1 of 1 models match the filters")).to_be_visible(timeout=30_000)

    backup = server.models_dir.parent / "backup"
    shutil.copytree(server.models_dir, backup, symlinks=True)
    shutil.rmtree(server.models_dir)
    server.models_dir.mkdir()
    shutil.copytree(backup, server.models_dir, symlinks=True, dirs_exist_ok=True)   # cp -a backup/. models/
    second = train(server)
    trained = time.monotonic()

    expect(main.get_by_text("2 of 2 models match the filters")).to_be_visible(timeout=3_000)
    assert time.monotonic() - trained < 3.5

    page.goto(f"{server.url}/trends")
    expect(main.get_by_role("heading", name="Trends").first).to_be_visible(timeout=30_000)
    expect(main.get_by_text(f"Latest model {second}")).to_be_visible(timeout=10_000)

    page.goto(f"{server.url}/model?model={second}")
    expect(main.get_by_role("heading", name="Model detail").first).to_be_visible(timeout=30_000)
    expect(main.get_by_text(f"{second}:").first).to_be_visible(timeout=10_000)
    expect(main.get_by_text("is not in the models folder")).to_have_count(0)
    assert first != second
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
