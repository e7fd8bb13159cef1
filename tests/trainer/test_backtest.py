"""The backtest: its clock, its honesty (no label before its step), its report and ``cla backtest``."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from helpers.frames import REPLAY_START, cheap_training, replay_history
from trainer.backtest import (BacktestError, BacktestOptions, History, known_at, parse_every, plan_steps,
                              run_backtest)
from trainer.cli import main

DAY = pd.Timedelta(days=1)
START = REPLAY_START
history_frame = replay_history


@pytest.fixture
def cheap(config):
    """The default configuration with a cheap model and no importance, so a replay takes seconds."""
    return cheap_training(config)


def test_step_lengths_parse_and_bad_ones_say_what_is_allowed():
    assert parse_every("1d") == timedelta(days=1)
    assert parse_every("12h") == timedelta(hours=12)
    assert parse_every("1y") == timedelta(days=365)
    assert parse_every("0", allow_zero=True) == timedelta(0)
    with pytest.raises(ValueError, match="30m, 12h, 1d"):
        parse_every("daily")
    with pytest.raises(ValueError):
        parse_every("0d")


def test_steps_start_after_a_quarter_of_the_alerts_and_skip_quiet_ones():
    times = pd.Series(list(START + pd.to_timedelta(np.arange(40) * 3, unit="h")) +
                      [START + 12 * DAY + pd.Timedelta(hours=1)])
    steps = plan_steps(times, timedelta(days=1))
    # 41 alerts over 5 days, then a gap of a week: a quarter have fired by the end of day 2
    assert steps[0].start == START + 2 * DAY
    assert [s.start for s in steps] == [START + 2 * DAY, START + 3 * DAY, START + 4 * DAY, START + 12 * DAY]
    with pytest.raises(ValueError, match="after the last alert"):
        plan_steps(times, timedelta(days=1), START + 30 * DAY)


def test_a_verdict_is_known_only_once_its_delay_has_passed():
    times = pd.Series([START, START + pd.Timedelta(hours=20), START + DAY])
    assert known_at(times, START + DAY).tolist() == [True, True, False]
    assert known_at(times, START + DAY, timedelta(hours=6)).tolist() == [True, False, False]


def test_history_names_a_missing_column(cheap):
    with pytest.raises(BacktestError, match="schema.time_column = 'timestamp'"):
        History.of(history_frame().drop(columns=["timestamp"]), cheap, "alerts.csv")


#: what differs between two replays of the same data: the pairs' wall-clock stamps (also named in the messages) and timings
RUN_FIELDS = ("seconds", "champion", "model_id", "message", "decision")


def _decisions(block: dict) -> dict:
    return {k: v for k, v in block.items() if k not in RUN_FIELDS}


def _replay(frame: pd.DataFrame, config, folder: str, **options) -> dict:
    config.models_dir = folder
    options.setdefault("contenders", ("cla", "static"))
    return run_backtest(History.of(frame, config, "test history"), config,
                        BacktestOptions(every=timedelta(days=1), **options))


def test_no_label_is_used_before_its_step(cheap):
    frame = history_frame()
    honest = _replay(frame, cheap, "honest")
    # The same history whose verdicts from day 4 on are all reversed: whatever the replay did up to the
    # start of day 4 must be the same, since it may not have seen any of those verdicts yet.
    reversed_ = frame.copy()
    later = reversed_["timestamp"] >= START + 4 * DAY
    reversed_.loc[later, "is_true_positive"] = ~reversed_.loc[later, "is_true_positive"]
    other = _replay(reversed_, cheap, "reversed")
    by_start = {s["start"]: s for s in honest["per_step"]}
    for step in other["per_step"]:
        mine = by_start[step["start"]]
        if pd.Timestamp(step["start"]) < START + 4 * DAY:
            assert _decisions(step["cla"]) == _decisions(mine["cla"])
            assert step["static"] == {**mine["static"], "seconds": step["static"]["seconds"]}
        elif pd.Timestamp(step["start"]) == START + 4 * DAY:
            # scored by a model that learned nothing of the reversed verdicts: the same training, threshold
            # and promotion; only the numbers measured on the step's own (reversed) verdicts differ
            for key in ("trained", "trigger", "promotion", "threshold", "known_labelled"):
                assert step["cla"][key] == mine["cla"][key], key
            assert step["cla"]["known_labelled"] == mine["cla"]["known_labelled"]
            assert step["cla"]["recall"] != mine["cla"]["recall"]  # its own verdicts are what changed


def test_verdicts_that_arrive_late_are_not_known_at_the_step(cheap):
    frame = history_frame(days=5)
    late = _replay(frame, cheap, "late", verdict_delay=timedelta(hours=12))
    prompt = _replay(frame, cheap, "prompt")
    first_late, first_prompt = late["per_step"][0]["cla"], prompt["per_step"][0]["cla"]
    assert first_late["known_labelled"] < first_prompt["known_labelled"]
    known = History.of(frame, cheap, "h").known(pd.Timestamp(late["per_step"][0]["start"]), timedelta(hours=12))
    labelled_times = known.loc[known["is_true_positive"].notna(), "timestamp"]
    assert labelled_times.max() <= pd.Timestamp(late["per_step"][0]["start"]) - pd.Timedelta(hours=12)


def test_the_report_is_stable_and_the_folder_is_one_the_dashboard_reads(cheap):
    frame = history_frame()
    report = _replay(frame, cheap, "stable", contenders=("cla", "static", "old_recipe", "online"))
    assert set(report) >= {"steps", "contenders", "per_step"}
    assert report["steps"] == len(report["per_step"]) > 0
    for name in ("cla", "static", "old_recipe", "online"):
        assert {"pr_auc", "recall", "skipped", "skippable_at_target", "missed", "seconds"} <= set(report["contenders"][name])
    cla = report["contenders"]["cla"]
    assert cla["trainings"] >= 1 and cla["promotions"] >= 1
    # every step's alerts are counted, and CLA's first training was forced (no champion yet)
    assert sum(s["alerts"] for s in report["per_step"]) == int((frame["timestamp"] >= report["per_step"][0]["start"]).sum())
    assert report["per_step"][0]["cla"]["trigger"] == "force"
    # a models folder like the service's: pairs, a champion, events with the replay's triggers, the report
    root = cheap.layout.root
    assert list(root.glob("model_metrics_*.json")) and (root / "champion.json").exists()
    events = [json.loads(line) for line in (root / "events.jsonl").read_text().splitlines()]
    assert [e for e in events if e["event"] == "trigger" and e["details"]["replay_time"] == report["per_step"][0]["start"]]
    assert json.loads((root / "backtest.json").read_text())["contenders"] == report["contenders"]
    # the page reads it typed (issue 27), and the typed report writes back the very file
    from trainer.atomic import write_json
    from trainer.backtest import read_report

    typed = read_report(root / "backtest.json")
    assert typed.cla.trainings == cla["trainings"] and typed.per_step[0].cla.policy.trigger == "force"
    assert typed.per_step[0].contenders["online"].seconds is not None
    write_json(root / "again.json", typed.to_json())
    assert (root / "again.json").read_text() == (root / "backtest.json").read_text()
    # the detector signal is learned: CLA ranks far above the positive rate
    assert report["contenders"]["cla"]["pr_auc"] > 0.6


def test_the_same_replay_twice_gives_the_same_numbers(cheap):
    frame = history_frame(days=4)
    first, second = _replay(frame, cheap, "one"), _replay(frame, cheap, "two")
    assert [_decisions(s["cla"]) for s in first["per_step"]] == [_decisions(s["cla"]) for s in second["per_step"]]


def test_cla_backtest_writes_the_folder_and_prints_json(workdir, capsys):
    history_frame(days=5).to_csv(workdir / "alerts.csv", index=False)
    code = main(["backtest", "alerts.csv", "--every", "1d", "--out", "bt", "--contenders", "cla,static", "--json",
                 "--set", "training.permutation_repeats=0", "--set", "training.preset=custom",
                 "--set", "training.model=hist_gradient_boosting"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["contenders"]) == ["cla", "static"]
    assert (workdir / "bt" / "backtest.json").exists()
    # a second replay into the same folder is refused: it would mix two replays
    assert main(["backtest", "alerts.csv", "--out", "bt"]) == 2
    assert "already holds models or a backtest" in capsys.readouterr().err
    # the served models folder is never a replay's target
    assert main(["backtest", "alerts.csv", "--out", "models"]) == 2
    assert main(["backtest", "alerts.csv", "--out", "other", "--every", "daily"]) == 2
    assert "30m, 12h, 1d" in capsys.readouterr().err
