"""Chart builders, table shaping and warning explanations, on plain metric dicts (no Streamlit)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from plotly.colors import sample_colorscale

from dashboard import balance_charts, charts, detail_charts, formatting, tables
from dashboard.explanations import findings


def healthy(stamp: str, **extra) -> dict:
    """A schema-2 metrics dict of a useful model trained at ``stamp``."""
    metrics = {
        "schema_version": 2, "model_id": stamp, "created_at": None, "status": "ok",
        "precision": 0.4, "recall": 0.95, "f1_score": 0.56, "accuracy": 0.93, "pr_auc": 0.7, "roc_auc": 0.97,
        "true_positives": 38, "false_positives": 57, "true_negatives": 903, "false_negatives": 2,
        "training_samples": 4000, "test_samples": 1000, "threshold": 0.12, "positive_rate": 0.04, "useful": True,
        "warnings": [], "promotion": {"decision": "rejected", "reasons": ["PR-AUC lower than the champion's"]},
        "class_counts": {"train": {"0": 3840, "1": 160}, "train_resampled": {"0": 3840, "1": 3840},
                         "test": {"0": 960, "1": 40}},
        "curves": {"pr": {"precision": [0.04, 0.4, 1.0], "recall": [1.0, 0.95, 0.1], "threshold": [0.0, 0.12, 0.9]},
                   "reliability": {"mean_predicted": [0.05, 0.5], "fraction_positive": [0.02, 0.6], "count": [900, 100]},
                   "threshold_tradeoff": {"threshold": [0.1, 0.5], "precision": [0.3, 0.7], "recall": [0.97, 0.5],
                                          "alerts_skipped": [0.8, 0.97]}},
        "feature_importance": [{"feature": "severity", "importance": 0.02, "std": 0.01},
                               {"feature": "rule_name", "importance": 0.12, "std": 0.02}],
    }
    metrics.update(extra)
    return metrics


def legacy(stamp: str, **extra) -> dict:
    """An old-CLA file: only the legacy keys. By default the degenerate kind (accuracy 1.0, F1 0.0)."""
    metrics = {"model_id": stamp, "precision": 0.0, "recall": 0.0, "f1_score": 0.0, "accuracy": 1.0,
               "true_positives": 0, "false_positives": 0, "true_negatives": 500, "false_negatives": 0,
               "training_samples": 2000, "test_samples": 500, "legacy": True}
    metrics.update(extra)
    return metrics


def test_trend_frame_orders_by_time_and_keeps_missing_values_missing():
    frame = charts.trend_frame([healthy("20261123_120000"), legacy("20261120_080000"),
                                {"model_id": "20261121_000000", "status": "unreadable"}])
    assert list(frame["model_id"]) == ["20261120_080000", "20261123_120000"]
    assert math.isnan(frame.loc[0, "pr_auc"]) and math.isnan(frame.loc[0, "roc_auc"])
    assert frame.loc[1, "pr_auc"] == 0.7
    assert frame.loc[0, "created_at"] == pd.Timestamp("2026-11-20 08:00:00", tz="UTC")
    assert frame.loc[0, "positive_rate"] == 0.0  # from the confusion counts: no positive in the test set
    assert frame.loc[1, "training_samples"] == 4000


def test_trend_frame_prefers_created_at_over_the_stamp():
    frame = charts.trend_frame([healthy("20261123_120000", created_at="2026-11-23T12:00:03.500+00:00")])
    assert frame.loc[0, "created_at"] == pd.Timestamp("2026-11-23 12:00:03.500", tz="UTC")


@pytest.mark.parametrize("kwargs, expected", [
    ({"last_n": 2}, ["20261122_000000", "20261123_000000"]),
    ({"start": date(2026, 11, 21), "end": date(2026, 11, 22)}, ["20261121_000000", "20261122_000000"]),
    ({"start": date(2026, 11, 21), "last_n": 1}, ["20261123_000000"]),
    ({}, ["20261120_000000", "20261121_000000", "20261122_000000", "20261123_000000"]),
])
def test_select_range(kwargs, expected):
    frame = charts.trend_frame([healthy(f"202611{d}_000000") for d in (20, 21, 22, 23)])
    assert list(charts.select_range(frame, **kwargs)["model_id"]) == expected


@pytest.mark.parametrize("how, expected", [("median", [0.1, 0.5, 0.2]), ("mean", [0.1, 0.5, 0.4])])
def test_smooth_rolls_over_models_and_never_fills_gaps(how, expected):
    values = [0.1, 0.9, 0.2, math.nan]
    frame = charts.trend_frame([healthy(f"202611{20 + i}_000000", f1_score=v) for i, v in enumerate(values)])
    smoothed = charts.smooth(frame, ["f1_score"], window=3, how=how)
    assert smoothed["f1_score"].tolist()[:3] == pytest.approx(expected)
    assert smoothed["f1_score"].isna().iloc[-1]
    assert frame["f1_score"].tolist()[:3] == values[:3]  # the original frame is untouched


def test_smooth_rejects_unknown_method():
    with pytest.raises(ValueError, match="median"):
        charts.smooth(charts.trend_frame([]), ["f1_score"], window=3, how="max")


def test_promotions_come_from_events_and_from_stored_decisions():
    rows = [healthy("20261120_000000", promotion={"decision": "first_champion"}),
            healthy("20261121_000000", promotion={"decision": "promoted"}),
            healthy("20261122_000000")]
    events = [{"ts": "2026-11-21T00:00:05+00:00", "event": "promoted", "model_id": "20261121_000000", "actor": "alice",
               "message": "manual"},
              {"ts": "2026-11-22T09:00:00+00:00", "event": "rolled_back", "model_id": "20261120_000000", "actor": "bob"},
              {"ts": "2026-11-22T09:00:00+00:00", "event": "training_finished", "model_id": "20261122_000000"}]
    frame = charts.promotion_frame(rows, events)
    assert list(frame["kind"]) == ["first_champion", "promoted", "rolled_back"]
    assert list(frame["actor"]) == ["trainer", "alice", "bob"]


def test_trends_figure_draws_baseline_only_with_pr_auc_and_marks_promotions():
    rows = [healthy("20261120_000000", promotion={"decision": "first_champion"}), healthy("20261121_000000")]
    frame = charts.trend_frame(rows)
    figure = charts.trends_figure(frame, ["f1_score", "pr_auc"], charts.promotion_frame(rows, []))
    names = [trace.name for trace in figure.data]
    assert "PR-AUC of a random ranker (positive rate)" in names
    assert "champion changes" in names and "training rows" in names and "legacy model (no PR-AUC)" not in names
    with_legacy = charts.trends_figure(charts.trend_frame([*rows, legacy("20261119_000000")]), ["f1_score"])
    tick = next(t for t in with_legacy.data if t.name == "legacy model (no PR-AUC)")
    assert list(tick.hovertext) == ["20261119_000000"]
    no_baseline = charts.trends_figure(frame, ["f1_score"])
    assert "PR-AUC of a random ranker (positive rate)" not in [t.name for t in no_baseline.data]
    legacy_only = charts.trends_figure(charts.trend_frame([legacy("20261119_000000"), legacy("20261120_000000")]),
                                       ["pr_auc"])
    assert "PR-AUC of a random ranker (positive rate)" not in [t.name for t in legacy_only.data]
    mixed = charts.trends_figure(charts.trend_frame([legacy("20261119_000000"), *rows]), ["pr_auc"])
    line = next(t for t in mixed.data if t.name == "PR-AUC of a random ranker (positive rate)")
    assert math.isnan(line.y[0]) and not math.isnan(line.y[-1])


def test_a_marker_per_model_while_few_models_are_in_view_lines_past_that():
    """A few models each get a marker; a hundred and more would overlap into a band, so they are lines."""
    def scores(count: int) -> str:
        rows = [healthy(f"202611{20 + i // 24:02d}_{i % 24:02d}0000") for i in range(count)]
        return charts.trends_figure(charts.trend_frame(rows), ["f1_score"]).data[0].mode

    assert scores(12) == "lines+markers"
    assert scores(charts.MAX_MARKED_POINTS) == "lines+markers"
    assert scores(charts.MAX_MARKED_POINTS + 1) == "lines"


def test_the_newest_model_promoted_just_after_it_was_written_gets_its_star():
    rows = [healthy("20261120_000000"), healthy("20261121_000000")]
    events = [{"ts": "2026-11-21T00:00:00.006+00:00", "event": "promoted", "model_id": "20261121_000000",
               "actor": "trainer"},
              {"ts": "2026-11-22T09:00:00+00:00", "event": "promoted", "model_id": "20261119_000000",
               "actor": "alice"}]
    figure = charts.trends_figure(charts.trend_frame(rows), ["pr_auc"], charts.promotion_frame(rows, events))
    stars = next(t for t in figure.data if t.name == "new champion")
    assert list(stars.hovertext) == ["promoted: 20261121_000000 by trainer"]


def test_precision_and_recall_lines_have_their_own_colours_on_every_chart():
    rows = [healthy("20261120_000000"), healthy("20261121_000000")]
    trends = charts.trends_figure(charts.trend_frame(rows), list(charts.METRIC_LABELS))
    colours = {t.name: t.line.color for t in trends.data if t.name in charts.METRIC_LABELS.values()}
    assert len(colours) == len(charts.METRIC_LABELS) and len(set(colours.values())) == len(colours)
    tradeoff = {t.name: t.line.color for t in detail_charts.tradeoff_figure(rows[0]).data}
    assert tradeoff["precision"] == colours["Precision"] and tradeoff["recall"] == colours["Recall"]
    assert len(set(tradeoff.values())) == 3


def test_class_counts_frame_lists_every_set_and_marks_unknown_ones():
    frame = balance_charts.class_counts_frame(healthy("20261120_000000"))
    counts = frame.set_index(["set", "class"])["count"]
    assert counts[("final fit", "true positive")] == 3840  # the file does not say how: no "after resampling"
    smote = balance_charts.class_counts_frame({**healthy("20261120_000000"), "model": {"imbalance": "smote"}})
    assert ("final fit (after SMOTE oversampling)", "true positive") in smote.set_index(["set", "class"])["count"]
    weighted = balance_charts.class_counts_frame({**healthy("20261120_000000"), "model": {"imbalance": "class_weight"}})
    assert "final fit (class weights, rows as they are)" in set(weighted["set"])
    assert counts[("test set", "true positive")] == 40
    legacy_frame = balance_charts.class_counts_frame(legacy("20261120_000000"))
    legacy_counts = legacy_frame.set_index(["set", "class"])["count"]
    assert math.isnan(legacy_counts[("training set", "true positive")])
    assert legacy_counts[("test set", "benign (false positive)")] == 500  # from the confusion counts


@pytest.mark.parametrize("model_block, says", [
    ({"fitted_on": "train+validation"}, "the training set plus the validation slice"),
    ({"fitted_on": "window"}, "every row of the training window"),
    ({"fitted_on": "all"}, "every labelled row, the test slice included"),
    ({"fitted_on": "train"}, "the rows the saved model was fitted on, the training set,"),
    (None, "rows this file does not name"),
])
def test_fit_caption_says_which_rows_the_final_fit_counts(model_block, says):
    assert says in balance_charts.fit_caption({"model": model_block} if model_block else {})


def test_imbalance_ratio():
    frame = balance_charts.class_counts_frame(healthy("20261120_000000"))
    train = balance_charts.imbalance(frame, "training set")
    assert train["share"] == pytest.approx(0.04) and train["ratio"] == pytest.approx(24.0)
    assert train["minority"] == "true positive"
    assert balance_charts.imbalance(balance_charts.class_counts_frame(legacy("20261120_000000")), "test set")["ratio"] == math.inf
    assert math.isnan(balance_charts.imbalance(balance_charts.class_counts_frame({}), "training set")["share"])


def test_model_detail_frames():
    metrics = healthy("20261120_000000")
    confusion = detail_charts.confusion_frame(metrics)
    assert confusion.loc["actual true positive", "predicted true positive"] == 38
    assert confusion.loc["actual benign", "predicted true positive"] == 57
    assert detail_charts.operating_point(metrics) == {"threshold": 0.12, "precision": 0.4, "recall": 0.95}
    assert list(detail_charts.importance_frame(metrics)["feature"]) == ["rule_name", "severity"]
    tradeoff = detail_charts.curve_frame(metrics, "threshold_tradeoff", ["threshold", "precision", "recall", "alerts_skipped"])
    assert tradeoff["alerts_skipped"].tolist() == [0.8, 0.97]
    pr = detail_charts.pr_figure(metrics)
    assert [t.name for t in pr.data] == ["PR curve", "operating point (threshold 0.120)"]


def test_model_detail_frames_of_a_legacy_file_are_empty_or_unknown():
    metrics = legacy("20261120_000000")
    assert detail_charts.curve_frame(metrics, "pr", ["precision", "recall", "threshold"]).empty
    assert detail_charts.importance_frame(metrics).empty
    assert set(detail_charts.data_quality_frame(metrics)["rows"]) == {"unknown"}
    assert detail_charts.promotion_comparison_frame(metrics).empty
    assert formatting.fmt(None) == "unknown" and formatting.fmt(0.0) == "0.000"
    assert formatting.percent(None) == "unknown" and formatting.percent(0.745) == "74.5%"


def test_curve_frame_rejects_ragged_curves():
    metrics = {"curves": {"pr": {"precision": [0.1, 0.2], "recall": [1.0], "threshold": [0.5, 0.6]}}}
    assert detail_charts.curve_frame(metrics, "pr", ["precision", "recall", "threshold"]).empty


def test_promotion_comparison_shows_both_scores():
    metrics = healthy("20261120_000000", promotion={
        "decision": "rejected", "challenger": {"pr_auc": 0.61, "recall": 0.9},
        "champion": {"pr_auc": 0.7, "recall": None}})
    frame = detail_charts.promotion_comparison_frame(metrics).set_index("metric")
    assert frame.loc["PR-AUC"].tolist() == ["0.610", "0.700"]
    assert frame.loc["Recall"].tolist() == ["0.900", "unknown"]


def test_findings_explain_a_degenerate_legacy_file():
    out = findings(legacy("20261120_000000", true_negatives=480, false_negatives=20),
                   severe_imbalance_share=0.05, min_test_positives=20)
    codes = [f["code"] for f in out]
    assert codes[:2] == ["predicts_one_class", "majority_accuracy"]
    assert "legacy_metrics" in codes and "severe_imbalance" in codes
    majority = next(f for f in out if f["code"] == "majority_accuracy")
    assert majority["message"].startswith("accuracy 1.00 but F1 0.00")
    assert "calls every one of the 500 test alerts benign" in next(
        f for f in out if f["code"] == "predicts_one_class")["message"]


def test_findings_keep_stored_messages():
    stored = [{"code": "severe_imbalance", "severity": "warning", "message": "only 4.0% are true positives"},
              {"code": "majority_accuracy", "severity": "blocking"}]
    out = findings(healthy("20261120_000000", warnings=stored), severe_imbalance_share=0.05, min_test_positives=20)
    assert [f["code"] for f in out] == ["majority_accuracy", "severe_imbalance"]
    assert out[1]["message"] == "only 4.0% are true positives" and out[1]["source"] == "stored"
    assert "majority class" in out[0]["message"]


def test_models_frame_marks_champion_pinned_and_legacy_and_skips_broken_files():
    rows = [healthy("20261121_000000", is_champion=True, pinned=True), legacy("20261120_000000"),
            {"model_id": "20261122_000000", "status": "incomplete", "error": "model file missing"}]
    frame = tables.models_frame(rows)
    assert list(frame["model"]) == ["20261121_000000", "20261120_000000"]
    assert frame.loc[0, "mark"] == "★ champion ⚑ pinned"
    assert frame.loc[1, "warnings"] == tables.LEGACY_FLAG
    blocked = tables.models_frame([healthy("20261121_000000", warnings=["severe_imbalance", "predicts_one_class"],
                                           useful=False)])
    assert blocked.loc[0, "warnings"] == "predicts one class (blocking), severe imbalance"
    assert math.isnan(frame.loc[1, "PR-AUC"]) and frame.loc[1, "useful"] == "unknown"
    problems = tables.problem_frame(rows, ["champion.json is not valid JSON"])
    assert problems["status"].tolist() == ["incomplete", "problem"]
    assert problems.loc[0, "problem"] == "model file missing"


def test_filter_sort_and_paginate_models():
    rows = [healthy(f"202611{20 + i}_000000", pr_auc=0.5 + i / 10, useful=i % 2 == 0) for i in range(5)]
    rows.append(legacy("20261119_000000"))
    frame = tables.models_frame(rows)
    assert len(tables.filter_models(frame, useful_only=True)) == 3
    assert list(tables.filter_models(frame, text="LEGACY")["model"]) == ["20261119_000000"]
    assert len(tables.filter_models(frame, start=date(2026, 11, 22), end=date(2026, 11, 23))) == 2
    by_pr_auc = tables.sort_models(frame, "PR-AUC", descending=False)
    assert by_pr_auc["model"].iloc[0] == "20261120_000000" and by_pr_auc["model"].iloc[-1] == "20261119_000000"
    assert tables.page_count(len(frame), 4) == 2 and tables.page_count(0, 4) == 1
    assert len(tables.page_of(frame, page=2, page_size=4)) == 2
    assert len(tables.page_of(frame, page=9, page_size=4)) == 2  # clamped to the last page
    with pytest.raises(KeyError, match="cannot sort"):
        tables.sort_models(frame, "nope")


@pytest.mark.parametrize("validation, says", [
    ({"path": "cross_validation", "folds": 5, "repeats": 2, "fold_kind": "stratified", "positives": 12, "rows": 300},
     "out-of-fold scores (5 stratified folds, repeated 2 times; 12 true positives among 300 rows)"),
    ({"path": "cross_validation", "folds": 5, "repeats": 1, "fold_kind": "time", "positives": 61, "rows": 1190},
     "out-of-fold scores (5 forward-in-time folds; 61 true positives among 1,190 rows)"),
    ({"path": "holdout", "positives": 458, "rows": 5244}, "newest 5,244 rows of the training window (458 true"),
    ({"path": "none"}, "fixed at 0.5"),
])
def test_model_detail_says_which_rows_chose_the_threshold(validation, says):
    from dashboard.explanations import threshold_origin

    assert says in threshold_origin({"model": {"validation": validation}})
    assert threshold_origin({"model": {}}) == "" and threshold_origin({}) == ""


def test_coinciding_scores_stay_visible_and_legacy_history_shows_accuracy():
    old = [{**legacy(f"20261120_0{i}0000"), "precision": 0.0, "recall": 0.0, "f1_score": 0.0, "accuracy": 1.0}
           for i in range(3)]
    assert "accuracy" in charts.default_trend_metrics(old)
    assert "accuracy" not in charts.default_trend_metrics([healthy("20261120_000000")])
    figure = charts.trends_figure(charts.trend_frame(old), ["precision", "recall", "f1_score", "accuracy"])
    lines = {trace.name: trace for trace in figure.data if trace.name in ("Precision", "Recall", "F1", "Accuracy")}
    assert len({(t.line.dash, t.marker.symbol) for t in lines.values()}) == 4, "each score drawn its own way"
    widths = [t.line.width for t in figure.data if t.name in ("Precision", "Recall", "F1")]
    assert widths == sorted(widths, reverse=True), "the widest line is drawn first, so the ones on top leave it visible"


def test_one_model_gets_a_day_wide_axis_its_baseline_and_the_star_on_its_point():
    only = healthy("20261120_120000")
    frame = charts.trend_frame([only])
    promotions = charts.promotion_frame([only], [{"event": "promoted", "model_id": "20261120_120000",
                                                  "ts": "2026-11-20T12:00:00.412+00:00", "actor": "trainer"}])
    figure = charts.trends_figure(frame, ["pr_auc", "f1_score"], promotions)
    start, end = (pd.Timestamp(v) for v in figure.layout.xaxis.range)
    assert end - start == pd.Timedelta(days=1)
    [baseline] = [t for t in figure.data if t.name and t.name.startswith("PR-AUC of a random ranker")]
    assert len(baseline.x) == 2 and baseline.y[0] == baseline.y[1] == pytest.approx(frame["positive_rate"].iloc[0])
    [star] = [t for t in figure.data if t.name == "new champion"]
    assert pd.Timestamp(star.x[0]) == frame["created_at"].iloc[0] and star.y[0] == pytest.approx(frame["pr_auc"].iloc[0])


def test_the_confusion_matrix_is_coloured_by_row_share_and_outlines_the_missed_attacks():
    frame = detail_charts.confusion_frame({"true_negatives": 900, "false_positives": 60, "false_negatives": 12,
                                           "true_positives": 28})
    styled = detail_charts.confusion_table(frame)
    text = styled.data
    assert text.loc["actual true positive", "predicted benign"] == "12 · 30.0% of the row (missed attacks)"
    assert text.loc["actual benign", "predicted benign"] == "900 · 93.8% of the row"
    styled._compute()
    css = {(r, c): dict(props) for (r, c), props in styled.ctx.items()}
    colour = {cell: props["background-color"] for cell, props in css.items()}
    # coloured by the row's share: the rare class's 70% hit cell is darker than the common class's 6% false alarms
    assert colour[(1, 1)] != colour[(0, 1)] and colour[(0, 0)] != colour[(0, 1)]
    assert colour[(1, 1)] == sample_colorscale("Blues", [0.7])[0]
    assert "3px solid" in css[(1, 0)]["border"] and "border" not in css[(1, 1)]
    unknown = detail_charts.confusion_table(detail_charts.confusion_frame({"true_negatives": 900}))
    assert unknown.data.loc["actual benign", "predicted benign"] == "900 · unknown share of the row"


def test_a_threshold_near_zero_gets_a_log_axis_and_one_in_the_middle_a_linear_one():
    curve = {"threshold": [0.001, 0.01, 0.1, 0.5, 0.9], "precision": [0.1, 0.2, 0.4, 0.7, 0.9],
             "recall": [1.0, 0.97, 0.8, 0.5, 0.1], "alerts_skipped": [0.0, 0.4, 0.8, 0.9, 0.99]}
    low = detail_charts.tradeoff_figure({"threshold": 0.017, "curves": {"threshold_tradeoff": curve}})
    assert low.layout.xaxis.type == "log" and low.layout.xaxis.range[0] <= -3
    middle = detail_charts.tradeoff_figure({"threshold": 0.4, "curves": {"threshold_tradeoff": curve}})
    assert middle.layout.xaxis.type != "log" and tuple(middle.layout.xaxis.range) == (0, 1)


def test_the_class_counts_table_gives_each_named_set_its_share_and_imbalance_ratio():
    frame = balance_charts.class_counts_frame(healthy("20261120_000000"))
    table = balance_charts.class_counts_table(frame)
    test = frame[frame["set"] == "test set"].set_index("class")["count"]
    assert table.loc["test set", "imbalance ratio"] == f"1 : {test.max() / test.min():,.1f}"
    assert table.loc["test set", "true-positive share"] == f"{test['true positive'] / test.sum():.1%}"
    old = balance_charts.class_counts_table(balance_charts.class_counts_frame(legacy("20261120_000000")))
    assert old.loc["training set", "imbalance ratio"] == "unknown"  # a legacy file has no training counts
    assert old.loc["test set", "imbalance ratio"] == "one class only"  # and its test set holds no true positive
