"""The pages' registry snapshot: re-read after a models change, not after a status heartbeat, once for all sessions."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.pagetext import page_text, run_until
from helpers.waiting import wait_until

from dashboard import context, snapshot
from trainer.folder.registry import Registry


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_registry_is_reread_only_when_models_change(scenario, build, monkeypatch):
    listings = []
    original = Registry.list_models
    monkeypatch.setattr(Registry, "list_models", lambda self, **kw: listings.append(1) or original(self, **kw))
    app = build.run_app("views/trends.py")
    before = len(listings)
    watcher = context.get_watcher()
    beats = watcher.generation_of("status")
    build.write_status(scenario.models_dir, message="heartbeat")
    assert wait_until(lambda: watcher.generation_of("status") > beats)  # the dashboard saw the change
    app.run()
    app.run()
    assert len(listings) == before
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(5)))
    assert run_until(app, "5 of 5 models")
    assert len(listings) > before


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_second_browser_session_reuses_the_first_sessions_read(scenario, build, monkeypatch):
    listings = []  # snapshot reads only: the Overview, where run_app starts, lists the registry itself
    original = snapshot.records
    monkeypatch.setattr(snapshot, "records", lambda summaries: listings.append(1) or original(summaries))
    first = build.run_app("views/trends.py")
    after_first = len(listings)
    second = build.run_app("views/trends.py")
    assert after_first == 1 and len(listings) == 1
    assert "4 of 4 models" in page_text(second) and "4 of 4 models" in page_text(first)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_sessions_asking_at_once_read_the_registry_once(scenario, monkeypatch):
    listings = []
    original = Registry.list_models

    def slow_listing(self, **kw):
        listings.append(1)
        time.sleep(0.2)  # long enough that every thread asks while the first read is running
        return original(self, **kw)

    monkeypatch.setattr(Registry, "list_models", slow_listing)
    with ThreadPoolExecutor(max_workers=6) as pool:
        shots = list(pool.map(lambda _: snapshot.snapshot(), range(6)))
    assert len(listings) == 1
    assert all(shot is shots[0] for shot in shots) and len(shots[0].models) == 4
