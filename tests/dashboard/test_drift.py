"""The Drift page and the Overview's drift line under AppTest, from a real report file (or none, or a failed one)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import copy
import json
import shutil

import pytest
from helpers.pagetext import no_exception, page_text, table_with

from dashboard.drift_summary import summary
from trainer.config import load_config
from trainer.contract.drift_report import DriftReport
from trainer.contract.layout import ModelsLayout
from trainer.monitoring.report import build_report, write_report

#: the history ends an hour before the fed alerts fire (within the last 15 minutes), so all of them are
#: recent whatever the hour: the last minutes of a busy hour's history would otherwise overlap them
HISTORY_END = datetime.now(timezone.utc) - timedelta(hours=1)

PAGE = "views/drift.py"


@pytest.fixture(scope="module")
def shifted_report(tmp_path_factory) -> dict:
    """The report of a champion trained on 3,000 demo verdicts after 1,000 alerts whose src_reputation moved."""
    from trainer.feedback import demo, store
    from trainer.service.cycle import run_cycle

    folder = tmp_path_factory.mktemp("drift-page")
    (folder / "cla.toml").write_text(
        f'models_dir = "{folder / "models"}"\n[source]\npath = "{folder / "feedback.db"}"\n'
        '[training]\npreset = "legacy"\npermutation_repeats = 1\nmin_test_positives = 1\n', encoding="utf-8")
    store.insert_frame(folder / "feedback.db", demo.generate_history(rows=3000, seed=11, end=HISTORY_END))
    config = load_config(folder / "cla.toml")
    assert run_cycle(config, trigger="manual", actor="tester").outcome == "finished"
    demo.feed(folder / "feedback.db", rate=1e9, count=1000, seed=2, shift="reputation", sleep=lambda s: None)
    report = build_report(config)
    assert not report.get("error")
    shutil.rmtree(folder)
    return json.loads(json.dumps(report, default=str))


def test_without_a_report_the_page_and_overview_say_unknown(dash_env, build):
    app = build.run_app(PAGE)
    no_exception(app)
    assert "No drift report yet" in page_text(app)
    overview = build.run_app()
    assert "Drift and live performance: unknown — no drift report yet" in page_text(overview)


def test_a_report_that_could_not_be_computed_shows_its_reason(dash_env, build):
    write_report(ModelsLayout.of(dash_env.models_dir), build_report(load_config()))
    app = build.run_app(PAGE)
    no_exception(app)
    assert "Drift and live performance unknown: no champion in" in page_text(app)


def test_the_shifted_feature_leads_the_ranking_and_the_warnings(dash_env, build, shifted_report):
    write_report(ModelsLayout.of(dash_env.models_dir), shifted_report)
    app = build.run_app(PAGE)
    no_exception(app)
    ranking = table_with(app, "PSI")
    assert ranking.iloc[0]["feature"] == "src_reputation" and ranking.iloc[0]["level"] == "major"
    assert app.selectbox(key="drift_feature").value == "src_reputation"
    text = page_text(app)
    assert "Major drift on src_reputation" in text
    assert "See the Drift page" not in text, "the page does not send its reader to itself"
    assert f"Champion {shifted_report['champion_id']}" in text
    live = table_with(app, "recall 95%")
    assert list(live["over"]) == ["all new verdicts", "last 500", "test slice (at training)"]
    assert live.iloc[0]["verdicts"] == 1000
    app.selectbox(key="drift_feature").set_value("rule_name").run()
    no_exception(app)
    overview = build.run_app()
    assert "Drift: major on src_reputation (PSI" in page_text(overview)
    assert any("Major drift on src_reputation" in w.value for w in overview.warning)


def test_too_few_alerts_is_said_and_not_flagged(shifted_report):
    report = copy.deepcopy(shifted_report)
    report["enough_data"] = False
    report["signals"]["performance"] = None
    for row in report["features"]:
        row["level"] = "none"
    line, warning = summary(DriftReport.from_json(report))
    recent = report["window"]["recent_rows"]  # about 1,000: the fixture's alerts fed near now, give or take a minute
    assert 900 < recent < 1100
    assert f"too few recent alerts to judge ({recent}, need 300)" in line and warning is None


def test_live_recall_below_its_reference_is_a_warning(shifted_report):
    report = copy.deepcopy(shifted_report)
    for row in report["features"]:
        row["level"] = "none"
    report["signals"]["performance"] = {"message": "live recall 0.700 (95% interval up to 0.780) is below 0.950"}
    line, warning = summary(DriftReport.from_json(report))
    assert warning == "live recall 0.700 (95% interval up to 0.780) is below 0.950. See the Drift page."
    assert "Drift: none (largest PSI" in line


def test_below_the_floor_no_level_is_claimed_in_the_ranking(dash_env, build, shifted_report):
    """Issue 25, item 6: a PSI from 32 alerts was labelled "none" under a header saying what major is."""
    report = copy.deepcopy(shifted_report)
    report["enough_data"] = False
    report["window"]["recent_rows"] = 32
    write_report(ModelsLayout.of(dash_env.models_dir), report)
    app = build.run_app(PAGE)
    no_exception(app)
    ranking = table_with(app, "PSI")
    assert set(ranking["level"]) == {"unreliable: 32 of 300 recent alerts"}


def test_the_drift_that_retrained_the_model_stays_on_the_page_after_the_retrain(dash_env, build, shifted_report):
    """Issue 25, item 1: once the drift-triggered retrain promoted a new champion, the report is about that
    champion (too few recent alerts, no level); the page still shows the major drift over time and the retrain
    it caused, from the history and the event log."""
    from trainer.folder.events import append_event
    from trainer.monitoring import history

    layout = ModelsLayout.of(dash_env.models_dir)
    layout.root.mkdir(parents=True, exist_ok=True)
    before = copy.deepcopy(shifted_report)
    history.append(layout, DriftReport.from_json(before))
    evidence = {"champion_id": before["champion_id"], "features": [{"feature": "src_reputation", "psi": 3.88}],
                "message": "major drift on src_reputation (PSI 3.88)"}
    append_event(layout.events, "trigger", actor="trainer", trigger="drift",
                 message="major drift on src_reputation (PSI 3.88) since champion was trained", evidence=evidence)
    append_event(layout.events, "training_finished", actor="trainer", trigger="drift", message="model promoted",
                 model_id="20991231_000000")
    after = copy.deepcopy(shifted_report)
    after["computed_at"] = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    after["enough_data"] = False
    after["window"]["recent_rows"] = 1
    for row in after["features"]:
        row["level"] = "none"
    history.append(layout, DriftReport.from_json(after))
    write_report(layout, after)

    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    assert "Last retrain on drift" in text and "major drift on src_reputation (PSI 3.88)" in text
    assert "training finished, model `20991231_000000`" in text
    chart = next(c for c in app.get("plotly_chart") if "drift_history" in str(c.proto.id))
    figure = json.loads(chart.proto.spec)
    lines = {trace.get("name"): trace for trace in figure["data"]}
    assert lines["src_reputation"]["y"][0] >= 0.25 and "retrained on drift" in lines
    assert lines["src_reputation"]["marker"]["symbol"] == ["circle", "circle-open"]


def test_a_report_older_than_the_feedback_says_so_and_a_click_computes_a_fresh_one(dash_env, build):
    """Issue 25, item 2: with the trainer stopped, alerts fed after the report left the page at "Recent alerts 0"
    with no word that it was old."""
    from trainer.feedback import demo, store
    from trainer.service.cycle import run_cycle

    (dash_env.root / "data").mkdir()
    store.insert_frame(dash_env.root / "data" / "feedback.db",
                       demo.generate_history(rows=3000, seed=11, end=HISTORY_END))
    config = load_config()
    config.training.preset, config.training.permutation_repeats = "legacy", 1
    assert run_cycle(config, trigger="manual", actor="tester").outcome == "finished"
    from trainer.monitoring.report import refresh

    first = refresh(config)
    assert not first.get("error")
    app = build.run_app(PAGE)
    no_exception(app)
    assert not any("Stale" in w.value for w in app.warning)

    demo.feed(dash_env.root / "data" / "feedback.db", rate=1e9, count=450, seed=2, shift="new-source",
              sleep=lambda s: None)
    import streamlit as st

    st.cache_data.clear()  # the page asks the source for its fingerprint at most every 30 s
    app = build.run_app(PAGE)
    no_exception(app)
    assert any("Stale: feedback arrived since this report was computed" in w.value for w in app.warning)
    app.button(key="drift_refresh").click().run()
    no_exception(app)
    assert any("Fresh report computed" in s.value for s in app.success)
    assert not any("Stale" in w.value for w in app.warning)
    recent = next(m.value for m in app.metric if m.label == "Recent alerts")
    assert int(recent.replace(",", "")) >= 450


def test_the_overview_never_gives_another_champions_drift_as_this_ones(dash_env, build, shifted_report):
    """Issue 25, item 3: "no champion (champion.json does not exist)" beside a Champion tile naming one."""
    layout = ModelsLayout.of(dash_env.models_dir)
    write_report(layout, build_report(load_config()))  # computed before any champion: an error report
    champion = build.stamp(1)
    build.write_pair(dash_env.models_dir, build.healthy_metrics(champion), model_id=champion)
    from trainer.folder.registry import Registry

    Registry(dash_env.models_dir).promote(champion, actor="test")
    overview = build.run_app()
    no_exception(overview)
    text = page_text(overview)
    assert f"Drift and live performance of champion {champion}: not known yet" in text
    assert "is about no champion" in text and "champion.json does not exist" not in text


def test_the_score_chart_names_its_reference_the_test_slice_and_no_cell_reads_none(dash_env, build, shifted_report):
    """Issue 25, item 6: the score chart's caption said "test slice" while its legend said "training window"; a
    feature without a test showed the literal word None."""
    report = copy.deepcopy(shifted_report)
    report["features"][-1]["test"] = None
    write_report(ModelsLayout.of(dash_env.models_dir), report)
    app = build.run_app(PAGE)
    no_exception(app)
    chart = next(c for c in app.get("plotly_chart") if "drift_scores" in str(c.proto.id))
    names = [trace.get("name") for trace in json.loads(chart.proto.spec)["data"]]
    assert names[0] == "test slice (at training)" and names[1].startswith("recent alerts (")
    ranking = table_with(app, "PSI")
    assert ranking.iloc[-1]["test"] == "unknown" and "None" not in ranking.astype(str).to_numpy()
