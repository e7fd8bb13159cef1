"""The default source: the embedded store, its window, cheap counts, clear errors."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from trainer.feedback import demo
from trainer.feedback import store
from trainer.feedback.quality import DataError, prepare
from trainer.feedback.sources import FeedbackSource, SourceError, open_source


@pytest.fixture
def seeded(config):
    frame = demo.generate_history(rows=1_500, days=30, seed=2)
    store.insert_frame(config.source_path, frame)
    return frame


def test_default_source_is_the_embedded_store(config):
    source = open_source(config)
    assert isinstance(source, FeedbackSource)
    assert source.kind == "sqlite" and source.describe() == "the feedback store data/feedback.db:feedback"


def test_load_applies_the_window_and_counts_cheaply(config, seeded):
    config.source.window_days = 10
    source = open_source(config)
    loaded = source.load()
    assert loaded.negative_sample_rate == 1.0
    cutoff = datetime.now(timezone.utc) - timedelta(days=10)
    assert 0 < len(loaded.frame) < len(seeded)
    times = pd.to_datetime(loaded.frame["timestamp"], utc=True)
    assert times.min() >= pd.Timestamp(cutoff) - pd.Timedelta(seconds=1)
    assert source.count_labelled() == loaded.frame["is_true_positive"].notna().sum()


def test_new_verdicts_count_since_and_change_the_fingerprint(config, seeded):
    source = open_source(config)
    before = source.latest_change()
    mark = datetime.now(timezone.utc) - timedelta(milliseconds=5)
    assert source.count_labelled(since=datetime.now(timezone.utc) + timedelta(seconds=5)) == 0
    store.insert_frame(config.source_path, demo.generate_live(12, rng=np.random.default_rng(3)))
    assert source.count_labelled(since=mark) == 12
    assert len(source.load(since=mark).frame) == 12
    assert source.latest_change() != before


def test_missing_store_is_a_source_error_saying_what_to_do(config):
    with pytest.raises(SourceError, match=r"does not exist.*cla demo seed"):
        open_source(config).load()


def test_empty_store_fails_quality_naming_the_store(config, layout):
    store.create(config.source_path)
    loaded = open_source(config).load()
    with pytest.raises(DataError, match=r"feedback store data/feedback.db:feedback has no rows.*cla demo seed"):
        prepare(loaded.frame, config.schema, quarantine_dir=layout.quarantine_dir, stamp="s",
                source=loaded.description, empty_hint=loaded.empty_hint)


def test_rows_outside_the_window_say_so(config):
    old = demo.generate_history(rows=200, days=5, seed=1, end=datetime(2020, 1, 1, tzinfo=timezone.utc))
    store.insert_frame(config.source_path, old)
    loaded = open_source(config).load()
    with pytest.raises(DataError, match=r"older than source.window_days = 90"):
        prepare(loaded.frame, config.schema, quarantine_dir=None, stamp="s", source=loaded.description,
                empty_hint=loaded.empty_hint)


def test_seeded_store_prepares_for_training(config, seeded, layout):
    loaded = open_source(config).load()
    result = prepare(loaded.frame, config.schema, quarantine_dir=layout.quarantine_dir, stamp="s")
    assert result.report["quarantined"] == 0
    assert result.report["duplicates_removed"] == seeded["alert_id"].duplicated().sum()
    assert 0.02 < result.frame["is_true_positive"].mean() < 0.12


def test_processed_feedback_is_still_training_data(config, layout):
    frame = demo.generate_history(rows=800, days=20, seed=6)
    frame["processed"] = 1
    store.insert_frame(config.source_path, frame)
    loaded = open_source(config).load()
    result = prepare(loaded.frame, config.schema, quarantine_dir=layout.quarantine_dir, stamp="s")
    labelled = frame["is_true_positive"].notna().sum() - frame["alert_id"].duplicated().sum()
    assert result.report["rows_used"] == labelled, "the old CLA stopped training once every row was processed"


def test_named_columns_are_the_only_ones_selected(config, seeded):
    frame = open_source(config).load(columns=["timestamp", "rule_name", "is_true_positive", "nope"]).frame
    assert list(frame.columns) == ["timestamp", "rule_name", "is_true_positive"]
    assert len(frame) == len(open_source(config).load().frame)


def test_a_table_name_that_is_not_a_plain_name_is_refused_naming_source_table(config):
    config.source.table = "feedback; DROP TABLE feedback"
    with pytest.raises(SourceError, match=r"source\.table: 'feedback; DROP TABLE feedback' is not a valid table"):
        open_source(config)
