"""The pages' registry snapshot: re-read after a models change, not after a status heartbeat."""

from __future__ import annotations

import time

import pytest
from pagetext import run_until

from trainer.registry import Registry


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_registry_is_reread_only_when_models_change(scenario, build, monkeypatch):
    listings = []
    original = Registry.list_models
    monkeypatch.setattr(Registry, "list_models", lambda self: listings.append(1) or original(self))
    app = build.run_app("views/trends.py")
    before = len(listings)
    build.write_status(scenario.models_dir, message="heartbeat")
    time.sleep(0.5)
    app.run()
    app.run()
    assert len(listings) == before
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(5)))
    assert run_until(app, "5 of 5 models")
    assert len(listings) > before
