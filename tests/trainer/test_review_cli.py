"""``cla review next`` and ``cla review verdict`` on the embedded store and on CSV/Parquet files.

The verdict lands in the source as a new row carrying the analyst and the
triage time, the alert leaves every queue, and the trigger counts it as new
feedback. An unknown alert or a bad label gets a clear error and writes
nothing (a source that refuses the write: tests/faults/test_faults_review_outbox.py).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from helpers.reviewfolder import review_folder

from trainer.cli import main
from trainer.feedback import store
from trainer.feedback.sources import open_source


def next_json(capsys, policy, *extra):
    assert main(["review", "next", "--policy", policy, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def config(workdir, review_template):
    return review_folder(workdir, review_template)


@pytest.mark.parametrize("policy", ["uncertain", "risk", "audit"])
def test_next_lists_alerts_as_objects_in_the_policy_order(config, capsys, policy):
    alerts = next_json(capsys, policy, "--limit", "5")
    assert 1 <= len(alerts) <= 5
    assert all({"alert_id", "score", "policy"} <= set(a) and a["policy"] == policy for a in alerts)
    scores = [a["score"] for a in alerts]
    threshold = alerts[0]["threshold"]
    if policy == "risk":
        assert scores == sorted(scores, reverse=True)
    if policy == "uncertain":
        distances = [abs(s - threshold) for s in scores]
        assert distances == sorted(distances)
    if policy == "audit":
        assert all(s < threshold for s in scores), "the audit queue samples only alerts below the threshold"


def test_a_verdict_is_a_new_row_with_analyst_and_time_and_leaves_every_queue(config, capsys):
    first = next_json(capsys, "risk", "--limit", "1")[0]
    before = store.count(config.source_path, labelled=True)
    now = datetime.now(timezone.utc)
    since = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the store keeps milliseconds
    assert main(["review", "verdict", first["alert_id"], "tp", "--comment", "C2 confirmed", "--actor", "carmen"]) == 0
    assert "true positive recorded" in capsys.readouterr().out
    with sqlite3.connect(config.source_path) as conn:
        rows = conn.execute("SELECT is_true_positive, analyst, triaged_at, analyst_comments FROM feedback "
                            "WHERE alert_id = ? ORDER BY rowid", (first["alert_id"],)).fetchall()
    assert rows[0][0] is None and rows[-1][:2] == (1, "carmen") and rows[-1][3] == "C2 confirmed"
    assert datetime.fromisoformat(rows[-1][2].replace("Z", "+00:00")) >= since
    assert store.count(config.source_path, labelled=True) == before + 1
    assert open_source(config).count_labelled(since=since) == 1, "the new-verdicts trigger counts it"
    for policy in ("risk", "uncertain", "audit"):
        shown = [a["alert_id"] for a in next_json(capsys, policy, "--limit", "200", "--actor", "someone-else")]
        assert first["alert_id"] not in shown


def test_an_unknown_alert_or_a_bad_label_writes_nothing(config, capsys):
    before = store.count(config.source_path)
    assert main(["review", "verdict", "ALR-NOT-THERE", "tp"]) == 2
    assert "'ALR-NOT-THERE' is not in the feedback store" in capsys.readouterr().err
    alert = next_json(capsys, "risk", "--limit", "1")[0]["alert_id"]
    assert main(["review", "verdict", alert, "maybe"]) == 2
    assert "'maybe' is not tp or fp" in capsys.readouterr().err
    assert store.count(config.source_path) == before


def test_undo_takes_the_last_verdict_back_out_of_the_store(config, capsys):
    alert = next_json(capsys, "risk", "--limit", "1")[0]["alert_id"]
    assert main(["review", "verdict", alert, "tp", "--actor", "eve"]) == 0
    assert main(["review", "undo", "--actor", "eve"]) == 0
    assert f"verdict on {alert} (true positive) undone" in capsys.readouterr().out
    with sqlite3.connect(config.source_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM feedback WHERE alert_id = ? AND is_true_positive IS NOT NULL",
                            (alert,)).fetchone() == (0,)
    assert alert in [a["alert_id"] for a in next_json(capsys, "risk", "--limit", "1", "--actor", "eve")]
    assert main(["review", "undo", "--actor", "eve"]) == 1


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_files_source_reads_pending_alerts_and_takes_verdicts(config, workdir, capsys, suffix):
    frame = store.read(config.source_path)
    (workdir / "exports").mkdir()
    path = workdir / "exports" / f"alerts.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    (workdir / "cla.toml").write_text((workdir / "cla.toml").read_text()
                                      + f'\n[source]\nkind = "files"\npath = "exports/*.{suffix}"\n')
    alerts = next_json(capsys, "risk", "--limit", "3")
    assert len(alerts) == 3
    assert main(["review", "verdict", alerts[0]["alert_id"], "fp", "--actor", "femi"]) == 0
    assert "false positive recorded" in capsys.readouterr().out
    verdicts = pd.read_csv(workdir / "exports" / "verdicts.csv")
    assert verdicts[["alert_id", "is_true_positive", "analyst"]].values.tolist() == [[alerts[0]["alert_id"], 0, "femi"]]
    assert alerts[0]["alert_id"] not in [a["alert_id"] for a in next_json(capsys, "risk", "--limit", "500",
                                                                          "--actor", "other")]


def test_the_audit_queue_says_how_far_the_estimate_is(config, capsys):
    assert main(["review", "next", "--policy", "audit", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "uniform random sample" in out and "audit: 0 of 30 audit verdicts needed" in out
    alert = next_json(capsys, "audit", "--limit", "1")[0]["alert_id"]
    assert main(["review", "verdict", alert, "fp", "--policy", "audit"]) == 0
    capsys.readouterr()
    assert main(["review", "next", "--policy", "audit", "--limit", "1"]) == 0
    assert "audit: 1 of 30 audit verdicts needed" in capsys.readouterr().out


def test_next_without_a_policy_lists_the_review_pages_default_queue(config, capsys):
    """Issue 25 item 14: `cla review next` failed without --policy while the page opens on uncertain."""
    from trainer.review import DEFAULT_POLICY

    assert main(["review", "next", "--limit", "3"]) == 0
    plain = capsys.readouterr().out
    assert main(["review", "next", "--policy", "uncertain", "--limit", "3"]) == 0
    assert plain == capsys.readouterr().out
    assert DEFAULT_POLICY == "uncertain" and plain.startswith("uncertain: ")
    page = (Path(__file__).resolve().parents[2] / "dashboard" / "views" / "review.py").read_text()
    assert "default=review.DEFAULT_POLICY" in page, "the Review page opens on the same constant"


def test_next_shows_each_alerts_attributes_score_threshold_and_what_the_champion_says(config, capsys):
    alerts = next_json(capsys, "risk", "--limit", "2")
    assert main(["review", "next", "--policy", "risk", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    for alert in alerts:
        says = "flag" if alert["score"] >= alert["threshold"] else "skip"
        assert alert["champion_says"] == says
        block = out.split(alert["alert_id"] + "\t", 1)[1].split("\nALR-", 1)[0]
        assert f": the champion says {says}" in block.splitlines()[0]
        assert "src_reputation" in alert["attributes"] and "user_is_privileged" in alert["attributes"]
        for name, value in alert["attributes"].items():
            shown = {True: "True", False: "False", None: "None"}.get(value, value) if isinstance(value, (bool, type(None))) else value
            assert f"{name}={shown}" in block, (name, block)


def test_score_and_threshold_get_the_decimals_the_review_page_gives_them():
    from dashboard.formatting import digits_apart
    from trainer.cli.review import alert_text
    from trainer.review import QueueItem

    item = QueueItem("ALR-1", 0.01552, "uncertain", 0.01567, "20261120_080000", {"severity": "low"})
    assert digits_apart(item.score, item.threshold) == 4
    assert alert_text(item).splitlines() == [
        "ALR-1\tscore 0.0155 < threshold 0.0157: the champion says skip", "    severity=low"]


def test_verdicts_undo_and_skip_are_events_with_their_actor(config, capsys):
    """Issue 25 item 12: review actions were missing from the event log the Activity page shows."""
    from trainer import review
    from trainer.folder.events import read_events

    first, second = (a["alert_id"] for a in next_json(capsys, "risk", "--limit", "2"))
    assert main(["review", "verdict", first, "tp", "--actor", "carmen", "--policy", "risk"]) == 0
    assert main(["review", "undo", "--actor", "carmen"]) == 0
    review.skip(config, second, actor="dmitri", policy="uncertain")
    events, problems = read_events(config.layout.events)
    assert problems == []
    mine = [(e["event"], e["actor"], e["details"]["alert_id"]) for e in events
            if e["event"] in ("verdict_given", "verdict_undone", "alert_skipped")]
    assert mine == [("verdict_given", "carmen", first), ("verdict_undone", "carmen", first),
                    ("alert_skipped", "dmitri", second)]
    given = next(e for e in events if e["event"] == "verdict_given")
    assert given["message"].startswith(f"true positive on alert {first} from the risk queue; champion score ")
    assert given["model_id"] and given["details"]["label"] == "tp"
