"""Issue 25: a fact that appears in several places reads the same in each (AppTest pages and the CLI).

The browser walk over whole scenario folders is tests/browser/test_truth_across_pages.py;
these are the per-item checks that fail on the old behaviour.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.pagetext import page_text, table_with
from trainer.cli import main

IMBALANCE = {"code": "severe_imbalance", "severity": "warning",
             "message": "only 4.0% of the training window are true positives (300 of 7,500), below 5%"}


@pytest.fixture
def useful_imbalanced(dash_env, build):
    """A useful champion whose stored warning is a severe imbalance, stored with the trainer's severity 'warning'."""
    model_id = build.stamp(0)
    assert main(["--config", str(dash_env.config_file), "demo", "seed", "--rows", "400", "--days", "5"]) == 0
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, warnings=[IMBALANCE]))
    build.write_champion(dash_env.models_dir, model_id)
    return model_id


def test_one_imbalance_warning_reads_with_one_severity_everywhere(useful_imbalanced, dash_env, build, capsys):
    model_id = useful_imbalanced
    overview = build.run_app()
    [panel] = [e for e in overview.expander if e.label.startswith("Warnings")]
    # information on a useful model: listed, but it neither opens the panel nor counts as a warning
    assert panel.label == "Warnings (0) · 1 note"
    assert f"**info** · champion {model_id}: only 4.0%" in page_text(overview)

    balance = build.run_app("views/balance.py")
    assert any(e.label.startswith(f"Warnings of {model_id}: severe imbalance (info)") for e in balance.expander)

    models = build.run_app("views/models.py")
    assert table_with(models, "warnings")["warnings"].tolist() == ["severe imbalance (info)"]

    assert main(["--models-dir", str(dash_env.models_dir), "models", "show", model_id]) == 0
    shown = [line.strip() for line in capsys.readouterr().out.splitlines() if "severe imbalance" in line]
    assert shown == [f"info     severe imbalance: {IMBALANCE['message']}"]


def test_the_same_warning_on_a_model_that_is_not_useful_stays_a_warning(dash_env, build):
    model_id = build.stamp(0)
    build.write_pair(dash_env.models_dir, build.degenerate_metrics(model_id))
    models = build.run_app("views/models.py")
    cell = table_with(models, "warnings")["warnings"].iloc[0]
    assert cell.startswith("predicts one class (blocking), majority accuracy (blocking)")
    assert "severe imbalance" in cell and "severe imbalance (info)" not in cell


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def captions(app) -> str:
    return "\n".join(c.value for c in app.caption)


def test_new_rows_on_the_tile_are_the_trainers_own_count_from_the_same_moment(dash_env, build):
    """Item 5: the tile counted from the newest model's stamp while the trainer counts from when the last training
    read its data, so the two disagreed by whatever arrived while it trained."""
    from trainer.config import load_config
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history
    from trainer.service.triggers import gather
    from trainer.timestamps import now_utc

    db = dash_env.root / "data" / "feedback.db"
    store.insert_frame(db, generate_history(rows=300, days=5, seed=3))
    # a training that read its data now, and 40 verdicts after it
    build.write_pair(dash_env.models_dir, build.healthy_metrics(build.stamp(0)))
    build.add_event(dash_env.models_dir, "training_finished", actor="service", trigger="new_data",
                    model_id=build.stamp(0), duration_s=0.0)
    store.insert_frame(db, generate_history(rows=40, days=1, seed=4))
    config = load_config(dash_env.config_file)
    trainer_count = gather(config, config.layout, now=now_utc()).new_rows
    app = build.run_app()
    assert f"· {trainer_count:,} new since the last training read its data (" in captions(app)
    assert 0 < trainer_count <= 40


def test_labelled_rows_and_rows_used_are_told_apart_from_the_metrics_file(dash_env, build, capsys):
    """Item 5: "65,452 labelled" beside 65,190 rows used, with no word on the difference."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    store.insert_frame(dash_env.root / "data" / "feedback.db", generate_history(rows=300, days=5, seed=3))
    model_id = build.stamp(0)
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id))
    assert main(["--models-dir", str(dash_env.models_dir), "models", "show", model_id, "--json"]) == 0
    quality = __import__("json").loads(capsys.readouterr().out)["data_quality"]
    labelled_read = quality["rows_read"] - quality["unlabelled"]
    app = build.run_app()
    assert (f"the newest model trained on {quality['rows_used']:,} of the {labelled_read:,} labelled rows it read "
            f"({quality['duplicates_removed']:,} older verdicts on a re-graded alert, "
            f"{quality['quarantined']:,} quarantined left out)") in captions(app)


def test_verdicts_today_counts_every_verdict_that_reached_the_source_today(dash_env, build):
    """Item 5: the tile counted review-queue verdicts only (14) while 1,100 verdicts arrived that day."""
    from datetime import datetime, timezone

    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    db = dash_env.root / "data" / "feedback.db"
    store.insert_frame(db, generate_history(rows=300, days=5, seed=3))
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    today = store.count(db, labelled=True, inserted_since=midnight)
    app = build.run_app()
    assert today > 0 and metric(app, "Verdicts today") == f"{today:,}"
    assert "0 of them through the review queue" in captions(app)


def test_a_champion_sliding_down_through_allowed_drops_is_a_warning(dash_env, build):
    """Item 8: over five promotions the champion's PR-AUC fell 0.557 -> 0.543, each step within the allowed
    -0.010, while the Overview stayed green with no note."""
    values = [0.557, 0.553, 0.550, 0.547, 0.545, 0.543]
    ids = [build.stamp(i) for i in range(len(values))]
    for model_id, value in zip(ids, values):
        build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, pr_auc=value))
    build.write_champion(dash_env.models_dir, ids[-1], previous=list(reversed(ids[:-1])))
    text = page_text(build.run_app())
    assert (f"the champion's PR-AUC fell from 0.557 ({ids[0]}) to 0.543 ({ids[-1]}) over 5 promotions in a row, "
            "each within the allowed drop of 0.010") in text


def test_a_champion_that_recovered_is_not_called_sliding(dash_env, build):
    values = [0.557, 0.553, 0.560, 0.555]
    ids = [build.stamp(i) for i in range(len(values))]
    for model_id, value in zip(ids, values):
        build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, pr_auc=value))
    build.write_champion(dash_env.models_dir, ids[-1], previous=list(reversed(ids[:-1])))
    assert "fell from" not in page_text(build.run_app())


@pytest.mark.parametrize("change, bound, words", [
    (-0.013, -0.01, "0.013 lower (outside the rule: a drop of up to 0.010 is allowed"),
    (0.0, -0.01, "the same (within the rule: a drop of up to 0.010 is allowed, so a model trained on newer data"),
    (-0.0102, -0.01, "0.01020 lower (outside the rule"),
    (-0.15, 0.0, "0.150 lower (outside the rule: no drop is allowed"),
])
def test_a_promotion_change_reads_as_words_against_its_rule(change, bound, words):
    """Item 8: "change -0.013 (at least -0.010 required)" and "change +0.000" were hard to read."""
    from trainer.folder.promotion_rules import change_words

    assert change_words(change, bound).startswith(words)


def test_model_detail_states_what_useful_means_and_how_much_a_useful_model_flags(dash_env, build):
    """Item 9: a model flagging 73.5% of benign alerts was called "useful" with no criterion."""
    model_id = build.stamp(0)
    counts = {"true_positives": 48, "false_negatives": 2, "false_positives": 735, "true_negatives": 265}
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, **counts))
    app = build.run_app("views/model_detail.py")
    text = page_text(app)
    assert "useful (no blocking warning)" in text
    assert "It flags 73.5% of the benign test alerts and 74.6% of all test alerts." in text


def test_a_first_champions_comparison_shows_its_own_scores_not_a_column_of_unknown(dash_env, build):
    """Item 9: a first champion's comparison table was six rows of "unknown" for the champion."""
    model_id = build.stamp(0)
    scores = {"pr_auc": 0.61, "roc_auc": 0.9, "recall": 0.95, "precision": 0.3, "f1_score": 0.46}
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, promotion={
        "decision": "first_champion", "reasons": ["no champion yet"], "metric": "pr_auc", "champion_id": None,
        "challenger": scores, "champion": None}))
    app = build.run_app("views/model_detail.py")
    table = table_with(app, "this model")
    assert "champion" not in table.columns and "unknown" not in table.to_string()
    assert "There was no champion to score on this test set: this model's own scores are shown alone." in \
        page_text(app)


@pytest.fixture
def three_trainings(dash_env, build):
    """Three models, each from a training whose event says why it ran; the second became champion."""
    ids = [build.stamp(i) for i in range(3)]
    for model_id, trigger in zip(ids, ["new_data", "drift", "force"]):
        build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, training_samples=53068))
        build.add_event(dash_env.models_dir, "training_finished", actor="service", trigger=trigger, model_id=model_id)
    build.add_event(dash_env.models_dir, "promoted", actor="alice", model_id=ids[1])
    build.write_champion(dash_env.models_dir, ids[1])
    return ids


def test_trends_champion_lines_look_unlike_any_score_and_sit_on_their_stars(three_trainings):
    """Item 10: recall and the champion-change lines were the same orange dash; stars at training time but
    lines at promotion time."""
    from dashboard import charts, snapshot

    figure = snapshot.trends_figure(snapshot.snapshot(), charts.DEFAULT_TREND_METRICS)
    by_name = {trace.name: trace for trace in figure.data}
    lines, stars = by_name["champion changes"], next(t for t in figure.data if t.name == "new champion")
    scores = [by_name[charts.METRIC_LABELS[m]] for m in charts.DEFAULT_TREND_METRICS]
    assert all((lines.line.color, lines.line.dash) != (s.line.color, s.line.dash) for s in scores)
    assert lines.line.color not in {s.line.color for s in scores}
    assert [x for x in lines.x if x is not None][::2] == list(stars.x)
    assert "ran for: drift" in by_name["PR-AUC"].hovertext[1]


def test_trends_says_why_each_training_ran_and_counts_rows_as_whole_numbers(three_trainings, build):
    """Item 10: nothing said why each training ran; the table showed row counts as 53068.000."""
    app = build.run_app("views/trends.py")
    assert "Why they ran (hover a point for each): " in page_text(app)
    assert all(f"1 {why}" in page_text(app) for why in ("new verdicts", "drift", "asked for (Retrain now / cla train)"))
    app.session_state["trends_table"] = True
    app.run()
    [table] = app.dataframe
    assert table.value["ran for"].tolist() == ["asked for (Retrain now / cla train)", "drift", "new verdicts"]
    config = json.loads(table.proto.columns)
    assert config["training_samples"]["type_config"]["format"] == "%d"
    assert "is_champion" not in table.value.columns and "legacy" not in table.value.columns


def test_class_balance_describes_the_champion_and_names_a_newer_latest_model(dash_env, build):
    """Item 11: the page described the latest model, not the champion in service."""
    champion, latest = build.stamp(0), build.stamp(1)
    build.write_pair(dash_env.models_dir, build.healthy_metrics(champion))
    build.write_pair(dash_env.models_dir, build.healthy_metrics(latest, decision="rejected"))
    build.write_champion(dash_env.models_dir, champion)
    app = build.run_app("views/balance.py")
    assert f"Class counts of the champion, {champion}" in [s.value for s in app.subheader]
    assert f"The latest model, {latest}, is not the champion" in page_text(app)


def test_a_model_rejected_for_low_recall_is_not_called_still_useful(dash_env, build):
    """Item 11: a model the gate rejected for recall read "still useful despite the imbalance"."""
    from dashboard.imbalance import advice

    model = build.healthy_metrics(build.stamp(0), promotion={
        "decision": "rejected", "reasons": ["passed: no blocking warning",
                                            "failed: recall 0.910 at threshold 0.200 (target 0.950)"]})
    said = advice(model, 0.05)["useful"]
    assert "still useful" not in said
    assert said.endswith("The trainer did not promote it: recall 0.910 at threshold 0.200 (target 0.950).")


def test_class_balance_says_when_the_newest_feedback_holds_far_more_true_positives(dash_env, build):
    """Item 11: the newest data held 8.8% true positives against 4% in the training window, unsaid."""
    model_id = build.stamp(0)
    counts = {"train": {"0": 2880, "1": 120}, "train_resampled": {"0": 2880, "1": 120},
              "validation": {"0": 720, "1": 30}, "test": {"0": 730, "1": 70}}
    from trainer.learning.diagnostics import label_warnings

    stored = label_warnings([1] * 4 + [0] * 96, severe_imbalance_share=0.05)  # the trainer's own sentence
    assert "Class balance page" in stored[0]["message"]
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, class_counts=counts, warnings=stored))
    build.write_champion(dash_env.models_dir, model_id)
    app = build.run_app("views/balance.py")
    [box] = [w.value for w in app.warning if "newest feedback" in w.value]
    assert ("The newest feedback (the test set) holds 8.8% true positives, 2.2 times the 4.0% of the training "
            "window") in box
    # and the stored warning's pointer to this very page is not repeated on it
    app.session_state["balance_findings_open"] = True
    app.run()
    assert "only 4.0% of the training window" in page_text(app) and "Class balance page" not in page_text(app)


def test_a_distribution_from_fewer_alerts_than_the_floor_is_drawn_as_outlines_and_says_so():
    """Item 6: charts drew 100% bars from one alert."""
    import pandas as pd

    from dashboard.drift_charts import distribution_figure

    frame = pd.DataFrame({"bin": ["a", "b"], "training": [0.7, 0.3], "recent": [1.0, 0.0]})
    thin = distribution_figure(frame, "x", recent_rows=1, floor=300).data[1]
    assert thin.name == "recent alerts (1, below the floor of 300: unreliable)"
    assert thin.marker.color == "rgba(0,0,0,0)"
    full = distribution_figure(frame, "x", recent_rows=450, floor=300).data[1]
    assert full.name == "recent alerts (450)" and full.marker.color != "rgba(0,0,0,0)"


def test_the_drift_ranking_says_unknown_where_a_report_holds_no_number():
    """Item 6: with no recent alert the ranking's PSI, statistic and p-value cells read "None"."""
    from dashboard.drift_charts import ranking_frame
    from trainer.contract.drift_report import DriftReport

    report = {"enough_data": False, "window": {"recent_rows": 0}, "thresholds": {"min_rows": 300},
              "features": [{"feature": "src_reputation", "level": "none", "psi": None, "test": "ks",
                            "statistic": None, "p_value": None, "importance_share": 0.4, "recent_rows": 0,
                            "reference_rows": 900}]}
    frame = ranking_frame(DriftReport.from_json(report))
    html = frame.style.format({"PSI": "{:.3f}", "statistic": "{:.3f}", "p-value": "{:.1e}",
                               "importance share": "{:.1%}"}, na_rep="unknown").to_html()
    assert "None" not in html and html.count("unknown") >= 3
    assert frame.loc[0, "level"] == "unreliable: 0 of 300 recent alerts"


def test_the_drift_history_names_its_level_lines_in_the_legend():
    """On the history's log axis Plotly drew the lines' own labels off their lines ("major" beside PSI 2)."""
    import pandas as pd

    from dashboard.drift_charts import history_figure

    frame = pd.DataFrame({"computed_at": pd.to_datetime(["2026-12-07T10:00Z", "2026-12-07T11:00Z"]),
                          "feature": ["a", "a"], "psi": [0.0, 8.0], "level": ["none", "major"],
                          "reliable": [True, True], "recent_rows": [400, 400], "min_rows": [300, 300],
                          "champion_id": ["m", "m"]})
    figure = history_figure(frame, [], moderate=0.1, major=0.25)
    names = [trace.name for trace in figure.data]
    assert "moderate from PSI 0.1" in names and "major from PSI 0.25" in names
    assert figure.layout.yaxis.type == "log" and min(figure.data[0].y) > 0
    assert not any(annotation.text in ("major", "moderate") for annotation in figure.layout.annotations)
