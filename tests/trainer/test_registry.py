"""trainer.folder.registry: listing a real-world folder, the index, and moving the champion pointer."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from trainer import atomic
from trainer.folder import listing as listing_module
from trainer.folder.listing import Listing
from trainer.folder.pairs import write_pair
from trainer.folder.registry import ModelNotFound, Registry, RegistryError

LEGACY = {"precision": 0.62, "recall": 0.71, "f1_score": 0.66, "accuracy": 0.95, "true_positives": 71,
          "false_positives": 43, "true_negatives": 1870, "false_negatives": 29, "training_samples": 8000,
          "test_samples": 2013}
#: what the old CLA wrote sixty-six times: it flagged nothing and looked perfect
LEGACY_ONE_CLASS = {"precision": 0.0, "recall": 0.0, "f1_score": 0.0, "accuracy": 1.0, "true_positives": 0,
                    "false_positives": 0, "true_negatives": 2013, "false_negatives": 0, "training_samples": 8000,
                    "test_samples": 2013, "timestamp": "2025-06-01T10:00:00"}


def metrics(pr_auc: float = 0.7, **extra) -> dict:
    return {"precision": 0.4, "recall": 0.95, "f1_score": 0.56, "accuracy": 0.9, "pr_auc": pr_auc, "roc_auc": 0.9,
            "threshold": 0.2, "useful": True, "warnings": [], "promotion": {"decision": "rejected"}, **extra}


def pair(layout, stamp: str, pr_auc: float = 0.7) -> str:
    return write_pair(layout, {"stamp": stamp}, metrics(pr_auc), stamp=stamp).model_id


def legacy_pair(layout, stamp: str, content: dict) -> None:
    layout.metrics_path(stamp).write_text(json.dumps(content))
    layout.model_path(stamp).write_bytes(b"old pickle")


@pytest.fixture
def mixed(layout):
    """A folder as found in the field: legacy pairs, a new pair, an orphan pickle, corrupt JSON, temporaries."""
    legacy_pair(layout, "20250601_100000", LEGACY)
    legacy_pair(layout, "20250601_100600", LEGACY_ONE_CLASS)
    pair(layout, "20261123_120000")
    layout.model_path("20261123_130000").write_bytes(b"half")
    layout.metrics_path("20261123_140000").write_text('{"precision": 0.5, "recall":')
    layout.model_path("20261123_140000").write_bytes(b"x")
    (layout.root / ".model_metrics_20261123_150000.json.abc.partial").write_text("{")
    (layout.root / ".reserved_20261123_150000").write_text("")
    return layout


def by_id(rows) -> dict:
    return {row.model_id: row for row in rows}


def test_a_mixed_folder_is_listed_with_each_file_for_what_it_is(mixed):
    rows = by_id(Registry(mixed.root).list_models())
    assert list(rows) == ["20261123_140000", "20261123_130000", "20261123_120000", "20250601_100600",
                          "20250601_100000"]
    assert {k: r.status for k, r in rows.items()} == {
        "20261123_140000": "unreadable", "20261123_130000": "incomplete", "20261123_120000": "ok",
        "20250601_100600": "ok", "20250601_100000": "ok"}
    legacy = rows["20250601_100000"]
    assert legacy.legacy and legacy.pr_auc is None and legacy.precision == 0.62
    assert legacy.created_at.startswith("2025-06-01T10:00:00") and legacy.warnings == ("legacy_metrics",)
    one_class = rows["20250601_100600"]
    assert one_class.useful is False and "predicts_one_class" in one_class.warnings
    assert rows["20261123_120000"].pr_auc == 0.7 and not rows["20261123_120000"].legacy
    assert "not valid JSON" in rows["20261123_140000"].error


def test_problems_name_the_corrupt_file_and_the_orphan_model(mixed):
    problems = Registry(mixed.root).problems()
    assert any("model_metrics_20261123_140000.json" in p and "not valid JSON" in p for p in problems)
    assert any("trained_model_20261123_130000.pkl" in p and "no metrics file" in p for p in problems)
    assert not any("partial" in p or "reserved" in p for p in problems)


def test_get_returns_the_whole_file_and_fills_in_what_legacy_files_lack(mixed):
    registry = Registry(mixed.root)
    assert registry.get("20261123_120000")["promotion"] == {"decision": "rejected"}
    legacy = registry.get("20250601_100600")
    assert legacy["legacy"] is True and legacy["useful"] is False
    assert legacy["created_at"] == "2025-06-01T10:00:00" and legacy["model_id"] == "20250601_100600"
    assert [w["code"] for w in legacy["warnings"]] == ["predicts_one_class", "legacy_metrics"]


@pytest.mark.parametrize("model_id, error", [("20300101_000000", ModelNotFound), ("../../etc/passwd", ModelNotFound),
                                             ("20261123_140000", RegistryError)])
def test_get_refuses_unknown_escaping_and_corrupt_ids(mixed, model_id, error):
    with pytest.raises(error):
        Registry(mixed.root).get(model_id)


def test_a_new_process_reads_the_index_instead_of_the_files(mixed, monkeypatch):
    first = Registry(mixed.root).list_models()
    assert mixed.index.is_file()
    parsed = []
    real = listing_module.read_fields
    monkeypatch.setattr(listing_module, "read_fields",
                        lambda path, stamp: parsed.append(os.path.basename(path)) or real(path, stamp))
    assert [r.to_dict() for r in Registry(mixed.root).list_models()] == [r.to_dict() for r in first]
    assert parsed == []
    pair(mixed, "20261124_000000")
    assert len(Registry(mixed.root).list_models()) == len(first) + 1
    assert parsed == ["model_metrics_20261124_000000.json"]


def test_a_corrupt_index_is_rebuilt(mixed):
    mixed.runtime.mkdir(exist_ok=True)
    mixed.index.write_text("{not json")
    assert len(Registry(mixed.root).list_models()) == 5
    assert json.loads(mixed.index.read_text())["version"] == listing_module.INDEX_VERSION


def test_a_folder_where_the_index_cannot_be_saved_still_lists(mixed, monkeypatch):
    def refuse(path, data):
        raise atomic.WriteError(13, f"cannot write {path}: permission denied")

    monkeypatch.setattr(atomic, "write_bytes", refuse)
    assert len(Registry(mixed.root).list_models()) == 5
    assert not mixed.index.exists()


def test_an_unchanged_folder_is_not_scanned_again_and_a_new_pair_is_seen(layout, monkeypatch):
    pair(layout, "20261123_120000")
    past = time.time() - 60
    os.utime(layout.root, (past, past))  # an old folder: its mtime cannot hide a change in the same tick
    registry = Registry(layout.root)
    assert len(registry.list_models()) == 1
    scans = []
    real_scan = Listing._scan
    monkeypatch.setattr(Listing, "_scan", lambda self: scans.append(1) or real_scan(self))
    registry.list_models()
    assert scans == []
    pair(layout, "20261123_120600")
    assert [r.model_id for r in registry.list_models()] == ["20261123_120600", "20261123_120000"]
    assert scans == [1]


def test_a_new_instance_trusts_an_index_that_saw_this_folder_state(mixed, monkeypatch):
    past = time.time() - 60
    os.utime(mixed.root, (past, past))
    first = [r.to_dict() for r in Registry(mixed.root).list_models()]
    monkeypatch.setattr(Listing, "_scan", lambda self: pytest.fail("scanned although the index saw this folder"))
    assert [r.to_dict() for r in Registry(mixed.root).list_models()] == first
    monkeypatch.undo()
    pair(mixed, "20261124_000000")
    assert Registry(mixed.root).list_models()[0].model_id == "20261124_000000"


def test_one_shared_instance_lists_safely_from_many_threads_while_pairs_arrive(layout):
    registry = Registry(layout.root)
    errors: list[BaseException] = []

    def reader():
        try:
            for _ in range(30):
                # a pair being written shows as incomplete until its metrics file lands, never as unreadable
                assert {row.status for row in registry.list_models()} <= {"ok", "incomplete"}
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for minute in range(10):
        pair(layout, f"20261123_12{minute:02d}00")
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry.list_models()) == 10


def test_promote_then_rollback_restores_the_previous_champion(layout):
    registry = Registry(layout.root)
    first, second = pair(layout, "20261123_120000"), pair(layout, "20261123_120600")
    assert registry.champion() is None
    registry.promote(first, actor="alice", reason="first")
    registry.promote(second, actor="bob", reason="better PR-AUC")
    assert registry.champion().model_id == second and registry.champion().previous == (first,)
    assert by_id(registry.list_models())[second].is_champion
    registry.rollback(actor="carol")
    pointer = registry.champion()
    assert pointer.model_id == first and pointer.previous == () and pointer.actor == "carol"
    assert by_id(registry.list_models())[first].is_champion
    assert not by_id(registry.list_models())[second].is_champion
    kinds = [(e["event"], e["model_id"], e["actor"]) for e in registry.events()]
    assert kinds == [("promoted", first, "alice"), ("promoted", second, "bob"), ("rolled_back", first, "carol")]
    assert json.loads(layout.champion.read_text())["model_id"] == first


def test_rollback_to_a_named_model(layout):
    registry = Registry(layout.root)
    ids = [pair(layout, f"20261123_12{m:02d}00") for m in range(3)]
    for model_id in ids:
        registry.promote(model_id, actor="t")
    registry.rollback(ids[0], actor="ops")
    assert registry.champion().model_id == ids[0]
    assert registry.champion().previous == (), "a rollback to a model of the history drops the newer ones"


def test_rollback_walks_back_through_the_history_and_never_forward(layout):
    registry = Registry(layout.root)
    ids = [pair(layout, f"20261123_12{m:02d}00") for m in range(4)]
    for model_id in ids:
        registry.promote(model_id, actor="t")
    walked = []
    for _ in range(3):
        walked.append(registry.rollback(actor="ops").model_id)
    assert walked == [ids[2], ids[1], ids[0]]
    with pytest.raises(RegistryError, match="no previous champion"):
        registry.rollback(actor="ops")


def test_a_model_made_champion_by_rollback_is_no_longer_shown_as_interrupted(layout):
    registry = Registry(layout.root)
    first, second = pair(layout, "20261123_120000"), pair(layout, "20261123_120600")
    registry.promote(first, actor="t")
    registry.mark_interrupted(second, actor="trainer service", message="killed before the pointer moved")
    assert by_id(registry.list_models())[second].promotion == "interrupted"
    registry.rollback(second, actor="ops")
    assert registry.champion().model_id == second and registry.interrupted() == []
    assert by_id(registry.list_models())[second].promotion != "interrupted"


def test_rollback_is_refused_without_a_previous_champion(layout):
    registry = Registry(layout.root)
    with pytest.raises(RegistryError, match="no previous champion"):
        registry.rollback(actor="ops")
    registry.promote(pair(layout, "20261123_120000"), actor="t")
    with pytest.raises(RegistryError, match="no previous champion"):
        registry.rollback(actor="ops")


@pytest.mark.parametrize("target, message", [("20261123_130000", "incomplete"), ("20300101_000000", "no model"),
                                             ("20250601_100000", "unsigned"), ("20261123_140000", "unreadable")])
def test_promote_and_rollback_refuse_models_that_cannot_serve(mixed, target, message):
    registry = Registry(mixed.root)
    with pytest.raises(RegistryError, match=message):
        registry.promote(target, actor="t")
    registry.promote("20261123_120000", actor="t")
    with pytest.raises(RegistryError, match=message):
        registry.rollback(target, actor="t")
    assert registry.champion().model_id == "20261123_120000"


def test_a_tampered_model_cannot_be_promoted(layout):
    model_id = pair(layout, "20261123_120000")
    with open(layout.model_path(model_id), "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(RegistryError, match="SHA-256"):
        Registry(layout.root).promote(model_id, actor="t")


def test_pin_and_unpin_are_recorded(layout):
    registry = Registry(layout.root)
    model_id = pair(layout, "20261123_120000")
    registry.pin(model_id, actor="alice")
    assert registry.pinned() == [model_id] and by_id(registry.list_models())[model_id].pinned
    with pytest.raises(RegistryError, match="already pinned"):
        registry.pin(model_id, actor="alice")
    registry.unpin(model_id, actor="bob")
    assert registry.pinned() == []
    with pytest.raises(RegistryError, match="not pinned"):
        registry.unpin(model_id, actor="bob")
    with pytest.raises(ModelNotFound):
        registry.pin("20300101_000000", actor="alice")
    assert [e["event"] for e in registry.events()] == ["pinned", "unpinned"]


def test_a_corrupt_champion_pointer_is_reported_not_fatal(layout):
    pair(layout, "20261123_120000")
    layout.champion.write_text("{oops")
    registry = Registry(layout.root)
    assert registry.champion() is None
    assert any("champion.json" in p for p in registry.problems())
    registry.promote("20261123_120000", actor="t")
    assert registry.champion().model_id == "20261123_120000"


def test_bad_event_lines_are_reported_and_limit_takes_the_newest(layout):
    registry = Registry(layout.root)
    ids = [pair(layout, f"20261123_12{m:02d}00") for m in range(3)]
    for model_id in ids:
        registry.promote(model_id, actor="t")
    with open(layout.events, "a") as fh:
        fh.write("{half a line\n")
    assert [e["model_id"] for e in registry.events(limit=2)] == ids[1:]
    assert any("line 4" in p for p in registry.problems())


def test_get_on_an_orphan_model_file_says_it_is_incomplete_not_missing(mixed):
    with pytest.raises(ModelNotFound, match="incomplete") as raised:
        Registry(mixed.root).get("20261123_130000")
    assert "trained_model_20261123_130000.pkl" in str(raised.value)
