"""The Backtest page under AppTest: a folder without a backtest, a real replay's report, and a broken one."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.frames import cheap_training, replay_history
from helpers.pagetext import no_exception, page_text, table_with

from dashboard import backtest_charts
from trainer.backtest import BacktestOptions, BacktestReport, History, run_backtest
from trainer.config import load_config

PAGE = "views/backtest.py"


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> tuple[Path, dict]:
    """A real four-contender replay of a small history, run once for this module: (its folder, its report)."""
    folder = tmp_path_factory.mktemp("replay")
    (folder / "cla.toml").write_text("", encoding="utf-8")
    config = cheap_training(load_config(folder / "cla.toml", models_dir=folder / "models"))
    history = History.of(replay_history(days=5), config, "alerts.csv")
    return folder / "models", run_backtest(history, config, BacktestOptions(every=timedelta(days=1)))


@pytest.fixture
def replayed(dash_env, replay) -> dict:
    """The replay's folder copied into the dashboard's models folder; its report."""
    shutil.copytree(replay[0], dash_env.models_dir, dirs_exist_ok=True)
    return replay[1]


def test_a_folder_without_a_backtest_says_how_to_make_one(dash_env, build):
    app = build.run_app(PAGE)
    no_exception(app)
    assert "No backtest in" in page_text(app) and "cla backtest FILE --out DIR" in page_text(app)


def test_the_page_shows_every_contender_and_cla_trainings(replayed, build):
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    summary = table_with(app, "true positives missed").set_index("contender")
    for name in ("cla", "static", "old_recipe", "online"):
        label = backtest_charts.label_of(name)
        assert label in summary.index
        assert summary.loc[label, "true positives missed"] == str(replayed["contenders"][name]["missed"])
        assert f"{label}: missed {replayed['contenders'][name]['missed']} true positives" in text
    assert f"CLA trained {replayed['contenders']['cla']['trainings']} times" in text
    assert len(app.get("plotly_chart")) == 3


def test_the_step_frame_adds_up_what_each_contender_missed_and_skipped(replayed):
    report = BacktestReport.from_json(replayed)
    steps = backtest_charts.step_frame(report)
    for name, block in replayed["contenders"].items():
        rows = steps[steps["contender"] == name]
        assert rows["missed_total"].iloc[-1] == block["missed"]
        assert rows["skipped_share"].iloc[-1] == pytest.approx(block["skipped"], abs=1e-4)
    trainings = backtest_charts.training_frame(report)
    assert len(trainings) == replayed["contenders"]["cla"]["trainings"] and trainings["trigger"].iloc[0] == "force"


def test_a_broken_report_is_an_error_naming_the_file(dash_env, build):
    dash_env.layout.backtest_report.write_text('{"contenders": ', encoding="utf-8")
    app = build.run_app(PAGE)
    no_exception(app)
    assert len(app.error) == 1 and "backtest.json is not JSON" in app.error[0].value


def test_a_fifo_named_like_the_report_is_an_error_not_a_hung_page(dash_env, build):
    import os

    os.mkfifo(dash_env.layout.backtest_report)
    app = build.run_app(PAGE)
    no_exception(app)
    assert len(app.error) == 1 and "not a regular file" in app.error[0].value
