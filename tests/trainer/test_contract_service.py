"""The service's typed contracts at the file edge: the status file, the champion pointer, an event row, a request.

Each reads a file the product writes and writes it back byte for byte, reads
an older file that lacks the newer keys, and refuses a value that is not an object.
"""

from __future__ import annotations

import json
import os

import pytest

from trainer.atomic import write_json
from trainer.contract.champion import ChampionRecord
from trainer.contract.events import Event
from trainer.contract.json_record import NotAnObject
from trainer.contract.requests import Request, read_request, write_request
from trainer.contract.status import LastResult, ResultMetrics, ServiceStatus, StatusFile
from trainer.folder.events import append_event, read_event_rows
from trainer.folder.registry import Registry
from trainer.locking import FileLock
from trainer.service.status import StatusWriter, read_status, write_stopped
from trainer.folder.pairs import write_pair


def pair(layout, stamp: str) -> str:
    """A signed pair a champion can be."""
    metrics = {"precision": 0.4, "recall": 0.95, "f1_score": 0.56, "accuracy": 0.9, "pr_auc": 0.7, "threshold": 0.2,
               "useful": True, "warnings": []}
    return write_pair(layout, {"stamp": stamp}, metrics, stamp=stamp).model_id


def as_written(obj) -> str:
    """The bytes ``trainer.atomic.write_json`` writes for ``obj``."""
    return json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n"


def test_the_status_file_the_service_writes_reads_back_byte_for_byte(layout):
    writer = StatusWriter(layout)
    writer.update(state="idle", last_result=LastResult.of(outcome="finished", model_id="20261123_120000",
                                                          message="model written", finished_at="2026-11-23T12:00:00",
                                                          trigger="force", actor="ann", duration_s=1.5,
                                                          requests=("r1",)))
    write_stopped(layout, "stopped by ann")
    text = layout.status.read_text()
    status = StatusFile.from_json(json.loads(text))
    assert (status.state, status.message, status.last_result.requests) == ("stopped", "stopped by ann", ("r1",))
    assert as_written(status.to_json()) == text


def test_an_old_status_file_without_the_newer_keys_reads_and_keeps_what_it_had(layout):
    old = {"state": "idle", "pid": 12, "heartbeat": "2026-01-01T00:00:00+00:00", "last_result": {"outcome": "failed"},
           "from_an_older_cla": [1, 2]}
    status = StatusFile.from_json(old)
    assert status.started_at is None and status.models_dir is None and status.current is None
    assert status.last_result.outcome == "failed" and status.last_result.requests == ()
    assert status.to_json() == old, "an unknown key is kept, in its place"


def test_what_cla_trainer_status_json_prints_round_trips(layout):
    write_json(layout.status, {"state": "training", "stage": "training", "pid": 999999, "current": {"actor": "ann"},
                               "message": "training (force, asked by ann)"})
    with FileLock(layout.service_lock):
        alive = read_status(layout)
    dead = read_status(layout)
    for status in (alive, dead):
        printed = json.loads(json.dumps(status.to_json()))
        assert ServiceStatus.from_json(printed).to_json() == printed
    assert dead.state == "crashed" and dead.file_state == "training"
    assert list(dead.to_json()) == ["state", "stage", "pid", "current", "message", "running", "service_pid",
                                    "heartbeat_age_s", "stale", "file_state"], "the file's keys, then the reader's"


def test_the_champion_pointer_the_registry_writes_reads_back_byte_for_byte(layout):
    registry = Registry(layout.root)
    first, second = pair(layout, "20261123_120000"), pair(layout, "20261123_120600")
    registry.promote(first, actor="ann")
    registry.pin(first, actor="ann")
    registry.promote(second, actor="bob")
    registry.mark_interrupted(first, actor="recovery", message="killed")
    text = layout.champion.read_text()
    pointer = ChampionRecord.from_json(json.loads(text))
    assert (pointer.model_id, pointer.previous, pointer.pinned, pointer.interrupted) == (second, (first,), (first,),
                                                                                          (first,))
    assert as_written(pointer.to_json()) == text


def test_an_old_pointer_without_interrupted_reads_and_a_change_adds_it_last(layout):
    first, second = pair(layout, "20261123_120000"), pair(layout, "20261123_120600")
    write_json(layout.champion, {"previous": [], "model_id": first, "actor": "old cla"})
    pointer = ChampionRecord.from_json(json.loads(layout.champion.read_text()))
    assert pointer.interrupted == () and pointer.pinned == () and pointer.reason is None
    Registry(layout.root).promote(second, actor="ann")
    written = json.loads(layout.champion.read_text())
    assert list(written) == ["model_id", "promoted_at", "reason", "actor", "previous", "pinned", "interrupted"]
    assert written["previous"] == [first]


def test_event_rows_read_back_as_they_were_appended(layout):
    append_event(layout.events, "training_abandoned", actor="recovery", message="killed", training_pid=41,
                 started_at="2026-11-23T12:00:00+00:00", stage="training", evidence={"psi": 0.3})
    append_event(layout.events, "service_started", actor="ann")
    lines = layout.events.read_text().splitlines()
    events, problems = read_event_rows(layout.events)
    assert problems == [] and [e.event for e in events] == ["training_abandoned", "service_started"]
    abandoned = events[0]
    assert (abandoned.details.training_pid, abandoned.details.stage, abandoned.pid) == (41, "training", os.getpid())
    assert abandoned.details.extra == {"evidence": {"psi": 0.3}}
    assert [json.dumps(e.to_json(), default=str) for e in events] == lines
    assert events[1].details is None


def test_requests_read_typed_and_an_unreadable_one_is_its_file_name(layout):
    layout.ensure()
    path = write_request(layout, "20261123_120000_abcd", "ann")
    assert read_request(path).actor == "ann" and read_request(path).id == "20261123_120000_abcd"
    broken = layout.request_path("20261123_120001_ffff")
    broken.write_text("[1, 2]")
    assert read_request(broken) == Request(id="20261123_120001_ffff")


def test_the_result_metrics_keep_only_the_result_keys_in_their_order():
    metrics = {"recall": 0.9, "precision": 0.5, "roc_auc": 0.8, "useful": True, "test_samples": 40}
    scores = ResultMetrics.of_metrics(metrics)
    assert list(scores.to_json()) == ["precision", "recall", "useful", "test_samples"]
    assert (scores.precision, scores.f1_score) == (0.5, None)


@pytest.mark.parametrize("kind", [StatusFile, ServiceStatus, LastResult, ChampionRecord, Event, Request])
@pytest.mark.parametrize("value", [[], "idle", 3, None])
def test_a_value_that_is_not_an_object_is_refused(kind, value):
    with pytest.raises(NotAnObject, match="must be a JSON object"):
        kind.from_json(value)
    assert issubclass(NotAnObject, ValueError), "readers that catch ValueError for bad JSON catch it too"
