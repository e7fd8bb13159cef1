"""trainer.folder.retention: what a prune deletes, what it never deletes, and how an interrupted prune looks."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from trainer.folder import retention
from trainer.contract.layout import stamp_of
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry

START = datetime(2026, 10, 1, tzinfo=timezone.utc)
NOW = START + timedelta(days=20)


@pytest.fixture
def history(layout):
    """Twenty pairs, one a day from START; the oldest is champion, the second oldest previous, the third pinned."""
    ids = [write_pair(layout, {"day": day}, {"pr_auc": 0.5}, stamp=stamp_of(START + timedelta(days=day))).model_id
           for day in range(20)]
    registry = Registry(layout.root)
    registry.promote(ids[1], actor="t")
    registry.promote(ids[0], actor="t")
    registry.pin(ids[2], actor="t")
    return ids


def remaining(layout) -> list[str]:
    return sorted(row.model_id for row in Registry(layout.root).list_models())


def test_keep_last_never_deletes_the_champion_previous_champion_or_pinned(layout, config, history):
    config.retention.keep_last, config.retention.keep_days = 5, 0
    done = retention.prune(Registry(layout.root), config, actor="ops", now=NOW)
    assert sorted(done.delete) == history[3:15]
    assert remaining(layout) == history[:3] + history[15:]
    assert done.keep[history[0]] == "champion" and done.keep[history[1]] == "previous champion"
    assert done.keep[history[2]] == "pinned"
    for model_id in history[3:15]:
        assert not layout.model_path(model_id).exists() and not layout.metrics_path(model_id).exists()
    event = Registry(layout.root).events()[-1]
    assert event["event"] == "pruned" and event["actor"] == "ops"
    assert sorted(event["details"]["deleted"]) == history[3:15]


def test_keep_days_keeps_every_younger_pair_and_both_rules_add_up(layout, config, history):
    config.retention.keep_last, config.retention.keep_days = 3, 7
    plan = retention.plan(Registry(layout.root), config, now=NOW)
    assert sorted(plan.delete) == history[3:13]
    assert plan.keep[history[13]] == "younger than 7 days" and plan.keep[history[19]] == "among the newest 3"


def test_dry_run_lists_and_deletes_nothing(layout, config, history):
    config.retention.keep_last, config.retention.keep_days = 1, 0
    plan = retention.prune(Registry(layout.root), config, actor="ops", dry_run=True, now=NOW)
    assert len(plan.delete) == 16
    assert remaining(layout) == history
    assert Registry(layout.root).events()[-1]["event"] == "pinned"


def test_with_both_rules_off_nothing_is_deleted(layout, config, history):
    config.retention.keep_last, config.retention.keep_days = 0, 0
    assert retention.plan(Registry(layout.root), config, now=NOW).delete == []


def test_unreadable_files_are_never_deleted(layout, config, history):
    layout.metrics_path(history[5]).write_text("{broken")
    config.retention.keep_last, config.retention.keep_days = 1, 0
    done = retention.prune(Registry(layout.root), config, actor="ops", now=NOW)
    assert history[5] not in done.delete and layout.metrics_path(history[5]).exists()
    assert any("not valid JSON" in line for line in done.skipped)


def age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_leftovers_of_interrupted_writes_go_once_they_are_an_hour_old(layout, config):
    old_orphan, young_orphan = layout.model_path("20261001_000000"), layout.model_path("20261002_000000")
    old_temp = layout.root / ".trained_model_20261003_000000.pkl.x1.partial"
    old_marker = layout.root / ".reserved_20261003_000000"
    for path in (old_orphan, young_orphan, old_temp, old_marker):
        path.write_bytes(b"x")
    for path in (old_orphan, old_temp, old_marker):
        age(path, 2 * retention.STALE_SECONDS)
    done = retention.prune(Registry(layout.root), config, actor="ops")
    assert done.stale == sorted([old_orphan.name, old_temp.name, old_marker.name])
    assert sorted(p.name for p in layout.root.iterdir() if p.is_file() and p.name != "events.jsonl") == \
        [young_orphan.name]


def test_an_interrupted_prune_leaves_an_incomplete_model_never_a_model_without_its_file(layout, config, history,
                                                                                         monkeypatch):
    config.retention.keep_last, config.retention.keep_days = 1, 0
    real_unlink = Path.unlink

    def crash_on_model_file(path, missing_ok=False):
        if path.name.startswith("trained_model_"):
            raise OSError("killed")
        return real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", crash_on_model_file)
    with pytest.raises(OSError):
        retention.prune(Registry(layout.root), config, actor="ops", now=NOW)
    monkeypatch.undo()
    rows = {row.model_id: row.status for row in Registry(layout.root).list_models()}
    first_deleted = history[3]
    assert rows[first_deleted] == "incomplete"
    assert list(rows.values()).count("incomplete") == 1 and "unreadable" not in rows.values()
