"""The severe-imbalance warning: one share for the set it checks, what the trainer did, and what would help."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from helpers.pagetext import no_exception

from dashboard import balance_charts
from dashboard.imbalance import advice, fit_label, recipe_line, setting_help, window_share

PAGE = "views/balance.py"


def rare(model_id: str, build, **model) -> dict:
    """A healthy model whose training window holds 4.0% true positives (170 of 4,250)."""
    metrics = build.healthy_metrics(model_id)
    metrics["class_counts"] = {"train": {"0": 3680, "1": 120}, "train_resampled": {"0": 3680, "1": 120},
                               "validation": {"0": 400, "1": 50}, "test": {"0": 700, "1": 100}}
    metrics["positive_rate"] = 0.125
    metrics["training_samples"] = 4250
    metrics["model"] = {**metrics["model"], "imbalance": "class_weight", "family": "random_forest",
                        "selection": [{"family": "random_forest", "imbalance": "class_weight"},
                                      {"family": "logistic_regression", "imbalance": "smote"}], **model}
    metrics["warnings"] = [{"code": "severe_imbalance", "severity": "warning",
                            "message": "only 4.0% of the training window (training set + validation slice) are "
                                       "true positives (170 of 4,250), below 5%"}]
    return metrics


def test_the_window_share_is_the_training_set_plus_the_validation_slice(build):
    share = window_share(rare("20261120_000000", build))
    assert (share["positives"], share["rows"]) == (170, 4250) and share["share"] == pytest.approx(0.04)
    assert math.isnan(window_share({})["share"])
    cross_validated = {"training_samples": 1600, "class_counts": {"train": {"0": 1404, "1": 196},
                                                                  "validation": {"0": 704, "1": 96}}}
    assert window_share(cross_validated)["rows"] == 1600, "out-of-fold rows are part of the window, not added to it"


def test_advice_says_what_the_trainer_did_whether_the_model_is_useful_and_what_helps(build):
    said = advice(rare("20261120_000000", build), 0.05)
    assert said["did"].startswith("The trainer weighted the rare class up (class weights): nothing was resampled")
    assert "it also tried smote" in said["did"]
    assert said["useful_flag"] is True and "PR-AUC 0.810 against 0.125 for a random ranker" in said["useful"]
    assert "more true-positive verdicts" in said["helps"] and "170 the window holds" in said["helps"]
    blocked = advice({**rare("20261120_000000", build), "useful": False}, 0.05)
    assert blocked["useful_flag"] is False and "is not useful: it carries a blocking warning" in blocked["useful"]
    assert advice({}, 0.05)["useful_flag"] is None


def test_the_final_fit_is_labelled_by_what_happened_to_its_rows(build):
    assert fit_label(rare("20261120_000000", build)) == "final fit (class weights, rows as they are)"
    assert fit_label({"model": {"imbalance": "undersample"}}) == "final fit (after undersampling)"
    assert fit_label({}) == "final fit"


def test_a_setting_is_worded_from_its_declaration_not_shown_as_prose():
    text = setting_help("training.severe_imbalance_share")
    assert text.startswith("Setting `training.severe_imbalance_share` (default 0.05): Warn") and "docs/CONFIG.md" in text
    with pytest.raises(KeyError):
        setting_help("training.no_such_thing")


def test_the_headline_chart_draws_each_models_window_share_against_the_threshold():
    records = [{"model_id": "20261120_000000", "training_positive_rate": 0.04, "positive_rate": 0.12},
               {"model_id": "20261120_010000", "training_positive_rate": 0.07, "positive_rate": 0.09},
               {"model_id": "20261120_020000", "positive_rate": 0.08}]
    frame = balance_charts.balance_frame(records)
    assert frame["window_share"].tolist()[:2] == [0.04, 0.07] and math.isnan(frame["window_share"].iloc[2])
    figure = balance_charts.balance_figure(frame, 0.05)
    headline = figure.data[0]
    assert headline.name == "training window (the warning's set)" and list(headline.y[:2]) == [0.04, 0.07]
    assert headline.marker.color[0] != headline.marker.color[1], "a share below the threshold stands out"
    assert figure.layout.shapes[0].y0 == 0.05


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_page_warning_names_its_set_and_is_not_amber_for_a_useful_model(scenario, build):
    steady = rare(build.stamp(4), build)
    # the newest feedback as rare as the window: a shift between them would make the box amber (issue 25 item 11)
    steady["class_counts"]["test"] = {"0": 768, "1": 32}
    build.write_pair(scenario.models_dir, steady)
    build.write_champion(scenario.models_dir, build.stamp(4))
    app = build.run_app(PAGE)
    no_exception(app)
    [box] = [box.value for box in app.info if "Severe imbalance" in box.value]
    assert "is 4.0% of the training window (imbalance ratio 1 : 24.0), below the 5% threshold" in box
    assert "The trainer weighted the rare class up" in box and "What would help: more true-positive verdicts" in box
    assert not [w for w in app.warning if "Severe imbalance" in w.value]
    assert all("training.severe_imbalance_share" not in c.value for c in app.caption)


def test_one_model_on_the_balance_chart_gets_a_day_wide_axis():
    frame = balance_charts.balance_frame([{"model_id": "20261120_120000", "training_positive_rate": 0.04,
                                           "positive_rate": 0.09}])
    figure = balance_charts.balance_figure(frame, 0.05)
    start, end = (pd.Timestamp(v) for v in figure.layout.xaxis.range)
    assert end - start == pd.Timedelta(days=1)


def test_model_detail_says_how_the_model_was_trained_against_the_imbalance(build):
    line = recipe_line(rare("20261120_000000", build))
    assert line.startswith("Trained as random forest; against the class imbalance the trainer weighted the rare class up")
    assert "Candidates compared: random forest with class weight" in line and "logistic regression with smote" in line
    assert recipe_line({"model": {}}) == ""
