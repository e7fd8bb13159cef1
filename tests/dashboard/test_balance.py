"""The Class balance page under AppTest, in every models-folder state."""

from __future__ import annotations

import pytest
from helpers.pagetext import no_exception, page_text, table_with

PAGE = "views/balance.py"


@pytest.mark.parametrize("scenario, expected", [
    ("empty", ["No model yet: class counts appear after the first training"]),
    ("legacy", ["Class counts of the latest model, 20261120_100000", "of the test set (imbalance ratio 1 : 19.0)"]),
    ("degenerate", ["accuracy 0.94 but F1 0.00: the model calls every alert benign",
                    "**predicts one class** (blocking)"]),
    ("healthy", ["is 9.4% of the training window (imbalance ratio 1 : 9.7)",
                 "at or above the 5% threshold", "Model 20261120_110000 carries no warning."]),
    ("crashed", ["(imbalance ratio 1 : 9.7)"]),
    ("unreadable", ["Problem in the models folder: model_metrics_20261120_130000.json",
                    "(imbalance ratio 1 : 9.7)"]),
], indirect=["scenario"])
def test_balance_in_every_state(scenario, expected, build):
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    for phrase in expected:
        assert phrase in text


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_the_latest_models_warnings_are_named_and_explained_once_opened(scenario, build):
    app = build.run_app(PAGE)
    [label] = [e.label for e in app.expander if e.label.startswith("Warnings of")]
    assert label == "Warnings of 20261120_100000: legacy metrics (info) (open for what each means)"
    assert "old CLA metrics file: no PR-AUC" not in page_text(app), "explained once the expander is opened"
    app.session_state["balance_findings_open"] = True
    app.run()
    no_exception(app)
    text = page_text(app)
    assert "old CLA metrics file: no PR-AUC" in text and "(computed from the confusion counts)" in text


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_an_old_degenerate_model_is_explained_from_its_confusion_counts(scenario, build):
    old = build.legacy_metrics(build.stamp(5), accuracy=1.0, f1_score=0.0)
    old.update({"precision": 0.0, "recall": 0.0, "true_positives": 0, "false_positives": 0, "false_negatives": 0,
                "true_negatives": 800})
    build.write_pair(scenario.models_dir, old, model_id=build.stamp(5))
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    assert "accuracy 1.00 but F1 0.00: the model calls every alert benign" in text
    assert "of the test set (one class only)" in text
    app.session_state["balance_tally_open"] = True  # the tally runs once its expander is opened
    app.run()
    tally = table_with(app, "what it means")["models"]
    assert tally["no PR-AUC (legacy)"] == 4 and tally["majority accuracy"] == 1


@pytest.mark.parametrize("scenario", ["degenerate"], indirect=True)
def test_class_counts_table_of_the_latest_training(scenario, build):
    app = build.run_app(PAGE)
    table = table_with(app, "true-positive share")
    assert table.loc["training set", "true positive"] == "300"
    assert table.loc["final fit (class weights, rows as they are)", "benign (false positive)"] == "2,900"
    assert table.loc["training window", "true positive"] == "300"  # the file's training_samples: no validation rows
    assert table.loc["test set", "true-positive share"] == "6.0%"
    app.session_state["balance_tally_open"] = True  # the tally runs once its expander is opened
    app.run()
    tally = table_with(app, "what it means")["models"]
    assert tally["predicts one class"] == 5


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_a_file_without_any_counts_says_unknown_instead_of_an_empty_chart(scenario, build):
    build.write_pair(scenario.models_dir, {"precision": "high", "recall": None, "f1_score": [1]},
                     model_id=build.stamp(5))
    app = build.run_app(PAGE)
    no_exception(app)
    assert f"Class counts unknown: the metrics file of {build.stamp(5)} records no class or confusion counts" \
        in page_text(app)
    assert len(app.get("plotly_chart")) == 1, "only the positive-rate chart, no empty class-count chart"
