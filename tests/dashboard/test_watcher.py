"""The models-folder watcher: counts what pages care about, ignores the noise, never needs Streamlit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dashboard.watcher import ModelsWatcher, classify
from trainer.atomic import write_json
from trainer.folder.events import append_event
from trainer.contract.layout import ModelsLayout
from helpers.waiting import wait_until

ROOT = Path("/models")


@pytest.mark.parametrize("path, kind", [
    ("/models/model_metrics_20261123_120000.json", "pairs"),
    ("/models/champion.json", "champion"),
    ("/models/events.jsonl", "events"),
    ("/models/runtime/status.json", "status"),
    ("/models/runtime/trainer.log", "log"),
    ("/models/runtime/trainer.log.1", "log"),
    ("/models/.model_metrics_20261123_120000.json.x1y2.partial", None),
    ("/models/.reserved_20261123_120000", None),
    ("/models/trained_model_20261123_120000.pkl", "pairs"),  # a champion changed in place must show as tampered
    ("/models/runtime/index.json", None),
    ("/models/runtime/requests/20261123_120000_ab12.json", None),
    ("/models/quarantine/quarantine_20261123_120000.csv", None),
    ("/models/model_metrics_latest.json", None),
])
def test_classify(path, kind):
    assert classify(path, ROOT) == kind



@pytest.fixture
def watched(tmp_path):
    layout = ModelsLayout.of(tmp_path / "models")
    watcher = ModelsWatcher(layout.root)
    yield layout, watcher
    watcher.stop()


def test_a_committed_pair_is_seen_within_a_second(watched):
    layout, watcher = watched
    assert watcher.mode == "inotify" and watcher.alive and watcher.last_change is None
    before = time.time()
    write_json(layout.metrics_path("20261123_120000"), {"precision": 0.5})
    assert wait_until(lambda: watcher.generation_of("pairs") >= 1, timeout=1.0)
    assert watcher.last_change >= before


def test_each_kind_is_counted_apart(watched):
    layout, watcher = watched
    write_json(layout.champion, {"model_id": "20261123_120000"})
    append_event(layout.events, "pinned", actor="t", model_id="20261123_120000")
    write_json(layout.status, {"state": "idle"})
    assert wait_until(lambda: all(watcher.generation_of(k) for k in ("champion", "events", "status")))
    assert watcher.generation_of("pairs") == 0
    assert watcher.generation == watcher.generation_of()


def test_noise_does_not_count(watched):
    layout, watcher = watched
    write_json(layout.index, {"models": {}})
    (layout.root / ".reserved_20261123_120000").touch()
    layout.requests_dir.mkdir(parents=True, exist_ok=True)
    write_json(layout.requests_dir / "r1.json", {"id": "r1"})
    layout.model_path("20261123_120000").write_bytes(b"model")
    write_json(layout.metrics_path("20261123_130000"), {"precision": 0.5})  # a real change, as a marker
    assert wait_until(lambda: watcher.generation_of("pairs") >= 1)
    append_event(layout.events, "pinned", actor="t", model_id="20261123_130000")  # the last change: events arrive in order
    assert wait_until(lambda: watcher.generation_of("events") >= 1)
    assert watcher.generation == watcher.generation_of("pairs") + watcher.generation_of("events")


def test_counters_are_safe_across_threads(watched):
    _, watcher = watched
    threads = [threading.Thread(target=lambda: [watcher.record("events") for _ in range(500)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert watcher.generation_of("events") == 2000


def test_an_unusable_folder_is_reported_not_fatal(readonly_dir):
    watcher = ModelsWatcher(readonly_dir / "models")
    assert watcher.mode == "off" and not watcher.alive
    assert "cannot be created" in watcher.error


def test_stop_ends_the_observer_thread(tmp_path):
    watcher = ModelsWatcher(tmp_path)
    assert watcher.alive
    watcher.stop()
    assert not watcher.alive


@pytest.mark.parametrize("watch, mode", [("inotify", "inotify"), ("poll", "polling"), ("auto", "inotify")])
def test_the_watcher_option_picks_the_observer_and_each_sees_a_new_champion(tmp_path, watch, mode):
    layout = ModelsLayout.of(tmp_path / "models")
    watcher = ModelsWatcher(layout.root, watch)
    try:
        assert watcher.mode == mode and watcher.alive and watcher.error is None
        before = watcher.generation_of("champion")
        write_json(layout.champion, {"champion": "20261123_120000", "history": []})
        assert wait_until(lambda: watcher.generation_of("champion") > before, timeout=5), watch
    finally:
        watcher.stop()


def test_the_dashboard_watches_as_its_configuration_says(dash_env):
    from dashboard import context

    dash_env.config_file.write_text('[dashboard]\nwatcher = "poll"\n', encoding="utf-8")
    watcher = context.get_watcher()
    assert watcher.mode == "polling" and watcher.root == dash_env.models_dir.resolve()


def test_an_unknown_watcher_choice_is_refused_with_the_choices(tmp_path):
    from trainer.config import ConfigError, load_config

    path = tmp_path / "cla.toml"
    path.write_text('[dashboard]\nwatcher = "nfs"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"dashboard\.watcher.*auto.*inotify.*poll"):
        load_config(path)
    with pytest.raises(ValueError, match="dashboard.watcher must be one of auto, inotify, poll"):
        ModelsWatcher(tmp_path / "models", "nfs")
