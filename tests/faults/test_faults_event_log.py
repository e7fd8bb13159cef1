"""The event log after a torn write: the next event starts on its own line and is kept."""

from __future__ import annotations

import json

from trainer.folder.events import append_event, read_events


def test_an_append_after_a_torn_last_line_starts_a_new_line(tmp_path):
    path = tmp_path / "events.jsonl"
    append_event(path, "service_started", actor="ann", message="first")
    whole = json.dumps({"ts": "2026-11-29T00:00:00+00:00", "event": "training_started", "message": "torn"})
    with open(path, "ab") as fh:                 # what a writer killed mid-line (or a full disk) leaves behind
        fh.write(whole[: len(whole) // 2].encode())

    append_event(path, "training_failed", actor="bob", message="after the tear")
    append_event(path, "service_stopped", actor="bob", message="last")

    events, problems = read_events(path)
    assert [e["message"] for e in events] == ["first", "after the tear", "last"]
    assert problems == [f"{path}: line 2 is not valid JSON and was skipped"]
    assert path.read_bytes().endswith(b"\n")
