"""The drift report on a real store and champion, and ``cla drift``: a demo shift is named, a missing champion is a reason."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import json
import shutil

import pytest

from trainer.cli import main
from trainer.config import load_config
from trainer.contract.layout import ModelsLayout
from trainer.feedback import demo
from trainer.monitoring.report import current_report, read_report
from trainer.service.cycle import run_cycle

#: the history ends an hour before the fed alerts fire (within the last 15 minutes), so all of them are
#: recent whatever the hour: the last minutes of a busy hour's history would otherwise overlap them
HISTORY_END = datetime.now(timezone.utc) - timedelta(hours=1)

CONFIG = """
[training]
preset = "legacy"
permutation_repeats = 1
min_test_positives = 1
[drift]
min_rows = 300
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 3,000-verdict demo store and a champion trained on it, built once; tests copy the folder."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    folder = tmp_path_factory.mktemp("drift")
    (folder / "data").mkdir()
    store.insert_frame(folder / "data" / "feedback.db", generate_history(rows=3000, seed=11, end=HISTORY_END))
    (folder / "cla.toml").write_text(f'models_dir = "{folder / "models"}"\n'
                                     f'[source]\npath = "{folder / "data" / "feedback.db"}"\n' + CONFIG)
    outcome = run_cycle(load_config(folder / "cla.toml"), trigger="manual", actor="tester")
    assert outcome.outcome == "finished", outcome.message
    return folder


@pytest.fixture
def folder(trained, workdir):
    """This test's copy of the trained folder, as the working directory (cla.toml, models/, data/)."""
    for name in ("data", "models"):
        shutil.copytree(trained / name, workdir / name)
    (workdir / "cla.toml").write_text(CONFIG)
    return workdir


def feed(shift: str | None, count: int = 1000, seed: int = 5) -> None:
    demo.feed("data/feedback.db", rate=1e9, count=count, seed=seed, shift=shift, sleep=lambda s: None)


@pytest.mark.parametrize("shift, feature", [("reputation", "src_reputation"), ("new-source", "source_product")])
def test_a_demo_shift_puts_its_feature_at_the_top_as_major_drift(folder, shift, feature):
    feed(shift)
    report, computed = current_report(load_config())
    assert computed and not report.get("error")
    top = report["features"][0]
    assert top["feature"] == feature and top["level"] == "major"
    assert report["summary"]["level"] == "major" and feature in report["summary"]["major"]
    assert read_report(ModelsLayout.of("models")) == json.loads(json.dumps(report, default=str))
    # every report written also leaves its line in the history the Drift page draws over time
    from trainer.monitoring import history

    (entry,) = history.read(ModelsLayout.of("models"))
    assert entry.computed_at == report["computed_at"] and entry.features[feature] == (top["psi"], "major")


def test_a_new_source_is_named_among_the_categories_never_seen(folder):
    feed("new-source")
    report, _ = current_report(load_config())
    rows = {r["feature"]: r for r in report["features"]}
    assert rows["source_product"]["unseen_categories"] == ["NDR"]
    assert "NDR: anomalous east-west volume" in rows["rule_name"]["unseen_categories"]


def test_a_rise_in_attacks_shows_as_prevalence_drift(folder):
    feed("attacks", count=1500)
    report, _ = current_report(load_config())
    prevalence = report["prevalence"]
    assert prevalence["flagged"]
    assert prevalence["recent"]["low"] > prevalence["training"]["share"] * 2


def test_live_performance_scores_every_new_verdict_against_the_test_slice(folder):
    feed(None, count=800)
    report, _ = current_report(load_config())
    live = report["live"]
    assert live["overall"]["verdicts"] == 800
    assert live["last_n"]["verdicts"] == 500
    low, high = live["overall"]["recall_interval"]
    assert low <= live["overall"]["recall"] <= high
    assert live["test_slice"]["recall"] is not None and live["daily"][-1]["verdicts"] > 0


def test_too_few_new_alerts_flag_nothing(folder):
    feed("reputation", count=100)
    report, _ = current_report(load_config())
    assert not report["enough_data"]
    assert all(r["level"] == "none" for r in report["features"])
    assert report["signals"] == {"drift": None, "performance": None}


def test_a_fresh_report_is_read_not_recomputed(folder):
    feed("reputation", count=400)
    first, computed = current_report(load_config())
    again, recomputed = current_report(load_config())
    assert computed and not recomputed and again["computed_at"] == first["computed_at"]


def test_feedback_that_arrived_since_makes_the_report_stale(folder):
    feed(None, count=400)
    first, _ = current_report(load_config())
    feed("reputation", count=600, seed=6)
    again, recomputed = current_report(load_config())
    assert recomputed and again["window"]["recent_rows"] == first["window"]["recent_rows"] + 600
    assert again["features"][0]["feature"] == "src_reputation"


def test_cli_drift_json_lists_features_most_drifted_first(folder, capsys):
    feed("reputation")
    assert main(["drift", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["feature"] == "src_reputation" and rows[0]["level"] == "major"
    for row in rows:
        assert {"feature", "psi", "statistic", "p_value", "level"} <= set(row)
        assert row["level"] in ("none", "moderate", "major")
    assert [r["psi"] for r in rows if r["level"] == "none"] == sorted(
        (r["psi"] for r in rows if r["level"] == "none"), reverse=True)
    assert ModelsLayout.of("models").drift_report.is_file()


def test_cli_drift_text_reads_the_fresh_report(folder, capsys):
    feed("reputation")
    assert main(["drift"]) == 0
    assert "(computed now)" in capsys.readouterr().out
    assert main(["drift"]) == 0
    out = capsys.readouterr().out
    assert "(read from drift_report.json)" in out and "src_reputation" in out and "major" in out


def test_without_a_champion_cla_drift_says_why_and_exits_1(workdir, capsys):
    assert main(["drift", "--json"]) == 1
    assert "no drift report: no champion" in capsys.readouterr().err


def test_an_unknown_shift_is_refused_with_the_choices(workdir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "feed", "--count", "5", "--shift", "volcano"])
    assert exit_info.value.code == 2
    assert "new-source" in capsys.readouterr().err


def test_the_service_recomputes_after_the_interval_only_when_feedback_arrived(folder):
    import threading
    from datetime import datetime, timedelta, timezone

    from trainer.monitoring.report import write_report
    from trainer.service.reporting import DriftReporter

    config = load_config()
    layout = ModelsLayout.of(config.models_dir)
    reporter = DriftReporter(config, threading.Event())
    assert reporter.due()                                   # no report yet
    report, _ = current_report(config)
    assert not reporter.due()                               # just computed
    old = (datetime.now(timezone.utc) - timedelta(minutes=config.drift.interval_minutes + 1)).isoformat()
    write_report(layout, {**report, "computed_at": old})
    assert not reporter.due()                               # old, but nothing arrived since
    feed(None, count=50)
    assert reporter.due()                                   # old, and feedback arrived
    write_report(layout, {**report, "champion_id": "20200101_000000"})
    assert reporter.due()                                   # about another champion


def test_alerts_dated_in_the_future_are_not_recent_alerts(folder):
    """Issue 26, item 8: training quarantines rows dated past the read plus schema.max_future_minutes; the drift
    report used to count them among its recent alerts. 400 such rows now leave the recent window as it was and
    are counted apart."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    future = generate_history(rows=400, days=5, seed=8, end=datetime.now(timezone.utc) + timedelta(days=30))
    future["alert_id"] = "FUTURE-" + future["alert_id"].astype(str)
    before, _ = current_report(load_config(), force=True)
    store.insert_frame("data/feedback.db", future)
    report, _ = current_report(load_config(), force=True)
    assert report["window"]["recent_rows"] == before["window"]["recent_rows"] < 300 and not report["enough_data"]
    assert report["window"]["future_rows"] == future["alert_id"].nunique() > 300  # a revision counts once


def test_the_typed_report_and_history_give_back_the_files_byte_for_byte(folder):
    """Issue 27: the dashboard and `cla drift` read the report through DriftReport; its to_json is what was written."""
    from trainer.atomic import write_json
    from trainer.contract.drift_report import DriftReport, HistoryEntry

    feed("reputation")
    current_report(load_config())
    layout = ModelsLayout.of("models")
    written = layout.drift_report.read_text(encoding="utf-8")
    typed = DriftReport.from_json(json.loads(written))
    assert typed.features[0].feature == "src_reputation" and typed.live is not None and typed.signals.drift
    write_json(layout.root / "again.json", typed.to_json())
    assert (layout.root / "again.json").read_text(encoding="utf-8") == written
    (line,) = layout.drift_history.read_text(encoding="utf-8").splitlines()
    assert json.dumps(HistoryEntry.from_json(json.loads(line)).to_json()) == line
