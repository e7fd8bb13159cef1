"""The Review page under AppTest: the next alert with its score and reasons, verdicts, undo, and access."""

from __future__ import annotations

import json

import pytest
import streamlit as st
from helpers.pagetext import no_exception, page_text
from helpers.reviewfolder import review_folder

from dashboard.access import USER_KEY

REVIEW = "views/review.py"
OVERVIEW = "views/overview.py"


@pytest.fixture
def review_env(tmp_path, monkeypatch, review_template, build):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLA_MODELS_DIR", raising=False)
    config = review_folder(tmp_path, review_template)
    monkeypatch.setenv("CLA_CONFIG", str(tmp_path / "cla.toml"))
    st.cache_resource.clear()
    st.cache_data.clear()
    build.serve_on("127.0.0.1")
    yield config
    st.cache_resource.clear()
    st.cache_data.clear()


def ledger(config) -> list[dict]:
    path = config.layout.review_ledger
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_analyst_gives_a_verdict_and_overview_counts_it(review_env, build):
    app = build.run_app(REVIEW)
    no_exception(app)
    text = page_text(app)
    assert "Alerts the champion is least sure about" in text
    assert "Champion score:" in text and "Threshold:" in text
    assert "pushed the score" in text
    alert = next(s.value for s in app.subheader if s.value.startswith("Alert ")).removeprefix("Alert ").strip("`")
    app.text_input(key=f"comment_{alert}").input("looks like the scanner")
    app.button(key="verdict_fp").click().run()
    no_exception(app)
    assert any(f"False positive recorded for `{alert}` by `" in s.value for s in app.success)
    [entry] = ledger(review_env)
    assert entry["alert_id"] == alert and entry["label"] == "fp" and entry["comment"] == "looks like the scanner"
    assert entry["policy"] == "uncertain" and entry["written"] and entry["actor"]
    assert f"Alert `{alert}`" not in [s.value for s in app.subheader], "the next alert is shown"
    app.switch_page(OVERVIEW)
    app.run()
    assert "1 of them through the review queue · 1 in total through the review queue" in page_text(app)
    app.switch_page(REVIEW)
    app.run()
    app.button(key="verdict_undo").click().run()
    assert any(f"Verdict on `{alert}` (false positive) undone" in s.value for s in app.success)


def test_the_audit_queue_shows_only_alerts_the_champion_would_skip(review_env, build):
    app = build.run_app(REVIEW)
    app.segmented_control(key="review_policy").set_value("audit").run()
    no_exception(app)
    assert "uniform random sample of the alerts the champion scores below its threshold" in page_text(app)
    assert "Champion says: skip" in page_text(app)
    app.button(key="verdict_tp").click().run()
    assert ledger(review_env)[0]["policy"] == "audit"
    assert review_env.layout.review_population.exists()


def test_a_verdict_from_a_session_without_access_is_refused_and_recorded(review_env, build):
    build.serve_on("0.0.0.0")
    app = build.run_app(REVIEW)
    app.session_state[USER_KEY] = "alice"
    app.run()
    assert not app.button(key="verdict_tp").disabled
    del app.session_state[USER_KEY]  # alice logged out; her page still holds an enabled button
    app.button(key="verdict_tp").click().run()
    no_exception(app)
    assert any(e.value.startswith("True positive verdict refused: Read-only") for e in app.error)
    assert ledger(review_env) == [], "a refused verdict was recorded"
    events = [json.loads(line) for line in review_env.layout.events.read_text().splitlines()]
    refused = [e for e in events if e["event"] == "action_refused"]
    assert refused and refused[-1]["details"]["action"] == "review: true positive verdict" and refused[-1]["actor"] == "anonymous"


def test_an_alert_id_with_markdown_is_shown_as_typed(review_env, build):
    import sqlite3

    trap = "[Session expired, log in](https://example.org)"
    with sqlite3.connect(review_env.source_path) as conn:
        (first,) = conn.execute("SELECT alert_id FROM feedback WHERE is_true_positive IS NULL LIMIT 1").fetchone()
        conn.execute("DELETE FROM feedback WHERE is_true_positive IS NULL AND alert_id != ?", (first,))
        conn.execute("UPDATE feedback SET alert_id = ? WHERE alert_id = ?", (trap, first))
    app = build.run_app(REVIEW)
    no_exception(app)
    assert f"Alert `{trap}`" in [s.value for s in app.subheader]
    app.button(key="verdict_fp").click().run()
    assert any(f"recorded for `{trap}` by `" in s.value for s in app.success)


def test_the_notice_of_a_verdict_goes_when_another_queue_is_chosen(review_env, build):
    """Issue 25 item 7: "recorded" stayed on screen after switching queue, as if said of the new queue."""
    app = build.run_app(REVIEW)
    app.button(key="verdict_fp").click().run()
    assert any("recorded for" in s.value for s in app.success)
    app.segmented_control(key="review_policy").set_value("risk").run()
    no_exception(app)
    assert not any("recorded for" in s.value for s in app.success)


def test_score_and_threshold_print_with_the_digits_that_tell_them_apart():
    """Issue 25 item 7: 0.016 beside 0.016 while the verdict flipped between flag and skip."""
    from dashboard.formatting import digits_apart, fmt

    digits = digits_apart(0.01552, 0.01567)
    assert (fmt(0.01552, digits), fmt(0.01567, digits)) == ("0.0155", "0.0157")
    assert digits_apart(0.2, 0.7) == 3 and digits_apart(0.5, 0.5) == 3


def test_pushes_that_round_to_nothing_are_not_listed():
    """Issue 25 item 7: "pushed the score down by 0.000" lines."""
    from dashboard.review_panel import reasons_text
    from trainer.review import QueueItem

    item = QueueItem("A-1", 0.4, "uncertain", 0.3, "m", attributes={"a": 1, "b": "x", "c": 2},
                     reasons=[("a", 0.12), ("b", -0.0004), ("c", -0.002)])
    assert reasons_text(item, 3) == ["`a` = `1` pushed the score up by 0.120",
                                     "`c` = `2` pushed the score down by 0.002"]
