"""The synthetic SOC history and the live trickle: realistic, deterministic, learnable but not trivial."""

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from trainer.feedback import demo
from trainer.feedback import store
from trainer.cli import main

END = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def history():
    return demo.generate_history(rows=6_000, days=90, seed=3, end=END)


def test_same_seed_same_history_other_seed_differs(history):
    again = demo.generate_history(rows=6_000, days=90, seed=3, end=END)
    pd.testing.assert_frame_equal(history, again)
    other = demo.generate_history(rows=6_000, days=90, seed=4, end=END)
    assert not other["is_true_positive"].equals(history["is_true_positive"])


def test_default_size_positive_rate_near_five_percent():
    frame = demo.generate_history(seed=7, end=END)
    assert len(frame) == 66_000
    rate = frame["is_true_positive"].mean()
    assert 0.04 <= rate <= 0.07
    assert frame["processed"].mean() > 0.9, "most old verdicts are processed"


def test_history_covers_the_window_and_keeps_the_old_columns(history):
    assert list(history.columns) == demo.COLUMN_ORDER
    assert history["timestamp"].min() >= pd.Timestamp(END) - pd.Timedelta(days=90)
    assert history["timestamp"].max() < pd.Timestamp(END)
    assert history["timestamp"].is_monotonic_increasing
    assert set(history["severity"]) == {"low", "medium", "high", "critical"}
    assert history["rule_name"].nunique() >= 20
    assert history["asset_criticality"].between(1, 5).all()
    assert history["src_reputation"].between(0, 100).all()


def test_newest_alerts_may_be_unlabelled_and_duplicates_are_revisions(history):
    unlabelled = history[history["is_true_positive"].isna()]
    assert len(unlabelled) > 0
    assert (pd.Timestamp(END) - unlabelled["timestamp"]).max() < pd.Timedelta(hours=13)
    dups = history[history["alert_id"].duplicated(keep=False)]
    assert len(dups) > 0
    flips = dups.groupby("alert_id")["is_true_positive"].nunique()
    assert (flips == 2).all(), "a re-triaged alert changed its verdict"


def test_scanners_are_noise_and_the_campaign_raises_true_positives(history):
    labelled = history[history["is_true_positive"].notna()]
    scanner = labelled[labelled["rule_name"] == "Vulnerability scanner signature"]
    assert scanner["src_is_internal"].all() and scanner["is_true_positive"].mean() < 0.05
    late = labelled["timestamp"] >= pd.Timestamp(END) - pd.Timedelta(days=30)
    assert labelled.loc[late, "is_true_positive"].mean() > 1.5 * labelled.loc[~late, "is_true_positive"].mean()


def test_tuned_rule_drops_in_volume_after_half_way(history):
    half = pd.Timestamp(END) - pd.Timedelta(days=45)
    tuned = history["rule_name"] == "Outbound connection to newly registered domain"
    before = (tuned & (history["timestamp"] < half)).sum()
    after = (tuned & (history["timestamp"] >= half)).sum()
    assert after < 0.6 * before


def test_comments_leak_the_verdict_but_attributes_do_not_decide_it(history):
    labelled = history[history["is_true_positive"].notna()]
    y = labelled["is_true_positive"].astype(int)
    length = labelled["analyst_comments"].str.len()
    assert length[y == 1].mean() > 2 * length[y == 0].mean()
    # No single pre-triage attribute value separates the classes.
    for column in ("rule_name", "source_product", "severity"):
        assert labelled.groupby(column)["is_true_positive"].mean().max() < 0.8


def test_live_rows_are_fresh_labelled_and_unique():
    rng = np.random.default_rng(1)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    live = demo.generate_live(50, rng=rng, now=now)
    assert list(live.columns) == demo.COLUMN_ORDER
    assert live["alert_id"].is_unique and live["alert_id"].str.startswith("LIVE-").all()
    assert live["is_true_positive"].notna().all() and (live["processed"] == 0).all()
    assert (live["timestamp"] <= pd.Timestamp(now)).all()
    assert (pd.Timestamp(now) - live["timestamp"]).max() < pd.Timedelta(minutes=20)


def test_feed_writes_count_rows_at_the_rate(workdir):
    clock = iter(np.arange(0, 100, 0.5))
    batches = []
    written = demo.feed(workdir / "f.db", rate=4, count=10, seed=1, clock=lambda: next(clock),
                        sleep=lambda s: None, on_batch=lambda b, t: batches.append(b))
    assert written == 10 and sum(batches) == 10
    assert max(batches) <= 3, "rows arrive a few at a time, not all at once"
    assert store.count(workdir / "f.db", labelled=True) == 10


def test_feed_rejects_a_non_positive_rate(workdir):
    with pytest.raises(ValueError, match="rate"):
        demo.feed(workdir / "f.db", rate=0, count=1)


def test_cli_seed_then_if_empty_then_refuses_without_force(config, capsys):
    assert main(["demo", "seed", "--rows", "800", "--days", "10"]) == 0
    assert store.count(config.source_path) == 800
    assert main(["demo", "seed", "--rows", "500", "--if-empty"]) == 0
    assert store.count(config.source_path) == 800
    assert main(["demo", "seed", "--rows", "500"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["demo", "seed", "--rows", "500", "--force"]) == 0
    assert store.count(config.source_path) == 500


def test_cli_feed_by_count(config, capsys):
    assert main(["demo", "feed", "--rate", "1000", "--count", "5", "--seed", "2"]) == 0
    assert store.count(config.source_path, labelled=True) == 5
    assert "5 verdicts written" in capsys.readouterr().out


def test_cli_feed_prints_a_progress_line_not_a_line_per_batch(config, capsys):
    assert main(["demo", "feed", "--rate", "200", "--duration", "0.5", "--seed", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines  # one progress line (at most one per 30 s off a terminal), then the total
    assert " verdicts written to " in lines[0] and lines[1].startswith("done: ")


def test_cli_demo_refuses_a_non_sqlite_source(workdir, capsys):
    (workdir / "c.toml").write_text('[source]\nkind = "files"\npath = "x.csv"\n')
    assert main(["demo", "seed", "--config", "c.toml"]) == 2
    assert "source.kind" in capsys.readouterr().err


def test_cli_feed_by_duration_stops_on_time(config, capsys):
    assert main(["demo", "feed", "--rate", "40", "--duration", "0.3", "--seed", "5"]) == 0
    written = store.count(config.source_path)
    assert 1 <= written <= 12, "about rate x duration rows, never an unbounded burst"
    assert f"{written} verdicts written" in capsys.readouterr().out
