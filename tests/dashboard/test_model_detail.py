"""The Model detail page under AppTest: every state, the picker, and the ?model= address."""

from __future__ import annotations

import time

import pytest
from helpers.pagetext import no_exception, page_text, table_with
from streamlit.testing.v1 import AppTest

PAGE = "views/model_detail.py"


@pytest.mark.parametrize("scenario, expected", [
    ("empty", ["No model yet: nothing to show"]),
    ("legacy", ["**20261120_100000**", "a legacy file from the old CLA: it records no PR-AUC", "PR-AUC: unknown",
                "ROC-AUC: unknown",
                "unknown: this metrics file records no promotion decision"]),
    ("degenerate", ["NOT useful", "predicts one class: the model predicts one class (benign) for every test alert",
                    "Recall: 0.000", "**rejected**", "blocking warnings: predicts_one_class"]),
    ("healthy", ["**20261120_110000**", "the current champion", "PR-AUC: 0.790", "**promoted**",
                 "Trained as random forest; against the class imbalance the trainer weighted the rare class up",
                 "(workload saved) 78.0%"]),
    ("crashed", ["the current champion", "PR-AUC: 0.790"]),
    ("unreadable", ["Problem in the models folder: model_metrics_20261120_130000.json", "the current champion"]),
], indirect=["scenario"])
def test_model_detail_in_every_state(scenario, expected, build):
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    assert text.count("legacy") <= 1, "a legacy file is said to be one once, not in every section"
    for phrase in expected:
        assert phrase in text


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_detail_tables_show_the_files_numbers(scenario, build):
    app = build.run_app(PAGE)
    confusion = table_with(app, "predicted true positive")
    assert confusion.loc["actual true positive", "predicted true positive"].startswith("46 · ")
    with pytest.raises(KeyError):
        table_with(app, "step")  # the data-quality section runs once its tab is opened
    app.session_state["detail_section"] = "Features and data quality"
    app.run()
    quality = table_with(app, "step").set_index("step")["rows"]
    assert quality["rows read"] == "4,100" and quality["quarantined: invalid label"] == "20"
    columns = table_with(app, "why").set_index("column")
    assert columns.loc["detector_id", "used"] == "yes"
    assert "target-encoded" in columns.loc["detector_id", "why"]
    assert columns.loc["incident_no", "used"] == "no" and columns.loc["incident_no", "why"].startswith("grows with time")
    assert columns.loc["analyst_comments", "why"] == "written after triage (schema.post_triage)"
    app.session_state["detail_section"] = "Curves"
    app.run()
    assert "Operating point: precision 0.610, recall 0.950 at threshold 0.180" in page_text(app)


def open_with_address(build, model_id: str) -> AppTest:
    app = AppTest.from_file(str(build.APP), default_timeout=30)
    app.query_params["model"] = model_id
    app.run()
    app.switch_page(PAGE).run()
    return app


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_address_picks_the_model_and_the_picker_writes_it_back(scenario, build):
    app = open_with_address(build, build.stamp(1))
    no_exception(app)
    assert f"**{build.stamp(1)}**: trained 2026-11-20 09:00:00 UTC; not the champion" in page_text(app)
    assert not app.selectbox, "the picker is run once its expander is opened"
    app.session_state["detail_picker"] = True
    app.run()
    assert app.selectbox(key="detail_model").value == build.stamp(1)
    app.selectbox(key="detail_model").set_value(build.stamp(2)).run()
    assert f"**{build.stamp(2)}**" in page_text(app)
    assert app.query_params["model"] == build.stamp(2)
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(6)))
    for _ in range(50):  # the watcher sees the new pair within a few hundred ms
        app.run()
        if build.stamp(6) in app.selectbox(key="detail_model").options:
            break
        time.sleep(0.1)
    assert build.stamp(6) in app.selectbox(key="detail_model").options
    assert f"**{build.stamp(2)}**" in page_text(app)  # a new model does not change the user's pick


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_unknown_model_in_the_address_falls_back_to_the_champion(scenario, build):
    app = open_with_address(build, "20990101_000000")
    text = page_text(app)
    assert "Model `20990101_000000` (from the address) is not in the models folder" in text
    assert f"**{build.stamp(3)}**" in text


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_each_section_runs_when_its_tab_is_opened(scenario, build):
    """A new tab draws the test-set section only; each other section appears once its tab is picked."""
    app = build.run_app(PAGE)
    sections = {"Test set": "Outlined: the attacks the model let through as benign",
                "Curves": "records no PR curve", "Features and data quality": "records no feature importance"}
    text = page_text(app)
    assert [phrase in text for phrase in sections.values()] == [True, False, False]
    for tab, phrase in sections.items():
        app.session_state["detail_section"] = tab
        app.run()
        no_exception(app)
        text = page_text(app)
        assert [p in text for p in sections.values()] == [p == phrase for p in sections.values()], tab
    assert "records no promotion decision" in text, "the promotion decision stays below every tab"
