"""Activity page (AppTest): the event log newest first and filterable, the trainer log's tail, in every state."""

from __future__ import annotations

import pytest

ACTIVITY = "views/activity.py"


def events_table(app):
    return app.dataframe[0].value


@pytest.mark.parametrize("scenario, rows", [
    ("empty", 0), ("legacy", 0), ("degenerate", 10), ("healthy", 8), ("crashed", 9), ("unreadable", 8),
], indirect=["scenario"])
def test_activity_lists_every_event_in_every_state(scenario, build, rows):
    app = build.run_app(ACTIVITY)
    assert not app.exception
    assert app.subheader[0].value == f"Events ({rows} of {rows})"
    if rows:
        assert len(events_table(app)) == rows
    else:
        assert any("No event recorded yet" in box.value for box in app.info)


@pytest.mark.parametrize("scenario", ["unreadable"], indirect=True)
def test_unreadable_file_is_reported_not_fatal(scenario, build):
    app = build.run_app(ACTIVITY)
    assert any("is not valid JSON" in box.value for box in app.warning)
    assert len(events_table(app)) == 8


@pytest.mark.parametrize("scenario", ["crashed"], indirect=True)
def test_newest_event_first(scenario, build):
    table = events_table(build.run_app(ACTIVITY))
    assert table["event"].iloc[0] == "training_failed"
    assert table["time (UTC)"].is_monotonic_decreasing


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
@pytest.mark.parametrize("kinds, actor, text, expected", [
    (["promoted"], "", "", 4),
    ([], "ALI", "", 8),
    ([], "bob", "", 0),
    ([], "", "20261120_090000", 2),
    (["training_finished"], "alice", "20261120_090000", 1),
])
def test_filters_by_kind_actor_and_text(scenario, build, kinds, actor, text, expected):
    app = build.run_app(ACTIVITY)
    app.multiselect(key="activity_kinds").set_value(kinds)
    app.text_input(key="activity_actor").input(actor)
    app.text_input(key="activity_text").input(text)
    app.run()
    assert app.subheader[0].value == f"Events ({expected} of 8)"
    if expected:
        assert len(events_table(app)) == expected


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_trainer_log_tail_shows_the_newest_lines(scenario, build):
    log = scenario.layout.log
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"2026-11-23 12:00:00 INFO line {n}\n" for n in range(1, 3001)), encoding="utf-8")
    app = build.run_app(ACTIVITY)
    app.select_slider(key="activity_lines").set_value(20).run()
    tail = app.code[0].value.splitlines()
    assert len(tail) == 20
    assert tail[-1].endswith("line 3000") and tail[0].endswith("line 2981")
