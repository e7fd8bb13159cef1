"""The Trends page under AppTest, in every models-folder state."""

from __future__ import annotations

import json

import pytest
from helpers.pagetext import no_exception, page_text, run_until

PAGE = "views/trends.py"


@pytest.mark.parametrize("scenario, expected", [
    ("empty", ["No model yet: nothing to draw"]),
    ("legacy", ["3 of 3 models", "3 legacy model(s) (old CLA files, no PR-AUC)", "PR-AUC unknown", "ROC-AUC unknown"]),
    ("degenerate", ["5 of 5 models", "F1 0.000", "PR-AUC 0.070", "Accuracy 0.940"]),
    ("healthy", ["4 of 4 models", "Latest model 20261120_110000", "PR-AUC 0.790", "training rows 3,200"]),
    ("crashed", ["4 of 4 models", "PR-AUC 0.790"]),
    ("unreadable", ["4 of 4 models", "Problem in the models folder: model_metrics_20261120_130000.json"]),
], indirect=["scenario"])
def test_trends_in_every_state(scenario, expected, build):
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    for phrase in expected:
        assert phrase in text


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_range_and_smoothing_controls(scenario, build):
    app = build.run_app(PAGE)
    app.segmented_control(key="trends_range").set_value("Last N models").run()
    app.number_input(key="trends_last_n").set_value(2).run()
    assert "2 of 4 models, trained 2026-11-20 10:00 to 2026-11-20 11:00 UTC" in page_text(app)
    app.toggle(key="trends_smooth").set_value(True).run()
    app.slider(key="trends_window").set_value(3).run()
    no_exception(app)
    assert "smoothed: rolling median over 3 models" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_no_score_picked_says_so(scenario, build):
    app = build.run_app(PAGE)
    app.pills(key="trends_metrics").set_value([]).run()
    assert "Pick at least one score" in page_text(app)


@pytest.mark.parametrize("scenario", ["empty"], indirect=True)
def test_a_new_pair_shows_without_reloading(scenario, build):
    app = build.run_app(PAGE)
    assert "No model yet" in page_text(app)
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(0)))
    assert run_until(app, "1 of 1 models")


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_data_table_is_built_once_opened(scenario, build):
    app = build.run_app(PAGE)
    assert not app.dataframe, "a closed expander's table is not sent to a new tab"
    app.session_state["trends_table"] = True
    app.run()
    no_exception(app)
    table = app.dataframe[0].value
    assert list(table["model_id"])[:2] == ["20261120_110000", "20261120_100000"]  # newest first


def drawn_traces(app) -> dict[str, int]:
    """The chart as the browser receives it: each named trace and its number of points."""
    [chart] = app.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    return {trace.get("name"): len(trace.get("x") or []) for trace in spec["data"]}


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_chart_follows_every_control_though_figures_are_shared(scenario, build):
    """Figures are built once per snapshot and view for every session: a changed control must still redraw."""
    app = build.run_app(PAGE)
    assert drawn_traces(app)["Precision"] == 4
    app.pills(key="trends_metrics").set_value(["ROC-AUC"]).run()
    traces = drawn_traces(app)
    assert "ROC-AUC" in traces and "Precision" not in traces
    app.segmented_control(key="trends_range").set_value("Last N models").run()
    app.number_input(key="trends_last_n").set_value(2).run()
    assert drawn_traces(app)["ROC-AUC"] == 2
    other = build.run_app(PAGE)  # a second session with the defaults gets the default chart, not the first's view
    assert drawn_traces(other)["Precision"] == 4
