"""The embedded SQLite store: schema, round trip, counts, concurrent read while writing."""

import sqlite3
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from trainer.feedback import demo
from trainer.feedback import store

END = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def frame():
    return demo.generate_history(rows=1_000, days=20, seed=5, end=END)


@pytest.fixture
def db(workdir, frame):
    path = workdir / "data" / "feedback.db"
    store.insert_frame(path, frame)
    return path


def test_create_makes_folder_wal_table_and_time_index(workdir):
    path = workdir / "data" / "feedback.db"
    store.create(path)
    store.create(path)  # idempotent
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = [row[1] for row in conn.execute("PRAGMA index_list(feedback)")]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(feedback)")]
    assert "feedback_timestamp" in indexes
    for old in ("alert_id", "is_true_positive", "confidence", "analyst_comments", "timestamp", "processed"):
        assert old in columns


def test_round_trip_keeps_values_types_and_nulls(db, frame):
    back = store.read(db)
    assert list(back.columns) == list(frame.columns), "bookkeeping inserted_at is not returned"
    assert len(back) == len(frame)
    assert back["is_true_positive"].dtype == "Int64"
    assert back["is_true_positive"].isna().sum() == frame["is_true_positive"].isna().sum()
    assert back["src_is_internal"].dtype == "boolean"
    assert back["timestamp"].iloc[0].endswith("Z")
    parsed = pd.to_datetime(back["timestamp"], utc=True, format="ISO8601")
    assert parsed.tolist() == frame["timestamp"].tolist()
    assert back["alert_id"].tolist() == frame["alert_id"].tolist()


def test_counts_labelled_and_since(db, frame):
    assert store.count(db) == len(frame)
    assert store.count(db, labelled=True) == frame["is_true_positive"].notna().sum()
    cut = END - timedelta(days=5)
    assert store.count(db, time_since=cut) == (frame["timestamp"] >= pd.Timestamp(cut)).sum()
    assert len(store.read(db, time_since=cut)) == store.count(db, time_since=cut)
    future = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert store.count(db, inserted_since=future) == 0


def test_new_rows_change_the_fingerprint_and_count_as_new(db):
    before = store.latest_change(db)
    mark = datetime.now(timezone.utc) - timedelta(milliseconds=1)
    store.insert_frame(db, demo.generate_live(7, rng=np.random.default_rng(0)))
    assert store.latest_change(db) != before
    assert store.count(db, labelled=True, inserted_since=mark) == 7


def test_missing_store_counts_zero_but_reading_says_what_to_do(workdir):
    assert store.count(workdir / "none.db") == 0
    with pytest.raises(store.StoreError, match="cla demo seed"):
        store.read(workdir / "none.db")


def test_reader_is_not_blocked_by_an_open_write_transaction(db, frame):
    writer = sqlite3.connect(db)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO feedback (alert_id, inserted_at) VALUES ('x', 'now')")
        assert len(store.read(db)) == len(frame), "the reader sees the last committed state"
    finally:
        writer.rollback()
        writer.close()


def test_extra_columns_are_added_and_bad_names_refused(db):
    extra = pd.DataFrame({"alert_id": ["e1"], "is_true_positive": [1], "timestamp": ["2026-11-01T10:00:00Z"],
                          "geo_country": ["NL"]})
    store.insert_frame(db, extra)
    back = store.read(db)
    assert back.loc[back["alert_id"] == "e1", "geo_country"].item() == "NL"
    with pytest.raises(store.StoreError, match="valid table"):
        store.create(db, 'feedback"; DROP TABLE feedback; --')


def test_stats_summarise_the_store(db, frame):
    stats = store.stats(db)
    labelled = frame["is_true_positive"].notna()
    assert stats["rows"] == len(frame) and stats["labelled"] == labelled.sum()
    assert stats["positives"] == frame["is_true_positive"].sum()
    assert stats["newest"] == store.format_timestamps(frame["timestamp"]).max()


def test_a_large_insert_is_one_transaction(workdir, frame, monkeypatch):
    path = workdir / "big.db"
    monkeypatch.setattr(store, "INSERT_CHUNK", 300)
    real = store._to_sql_values
    calls = []

    def failing_third_slice(part, types):
        calls.append(len(part))
        if len(calls) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return real(part, types)

    monkeypatch.setattr(store, "_to_sql_values", failing_third_slice)
    with pytest.raises(store.StoreError, match="disk I/O error"):
        store.insert_frame(path, frame)
    assert store.count(path) == 0, "nothing from the first slices was committed"
    monkeypatch.setattr(store, "_to_sql_values", real)
    assert store.insert_frame(path, frame) == len(frame) == store.count(path)


def test_reading_in_slices_gives_the_same_frame(db, monkeypatch):
    whole = store.read(db)
    monkeypatch.setattr(store, "READ_CHUNK", 97)
    sliced = store.read(db)
    pd.testing.assert_frame_equal(sliced, whole)
    assert sliced["is_true_positive"].dtype == "Int64" and sliced["user_is_privileged"].dtype == "boolean"


def test_trainer_reads_while_the_feed_writes(db, frame):
    import threading

    errors = []

    def feeding():
        try:
            demo.feed(db, rate=2_000, count=400, seed=9, sleep=lambda s: None)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=feeding)
    writer.start()
    seen = []
    while writer.is_alive() or not seen:
        seen.append(len(store.read(db)))
    writer.join()
    assert not errors
    assert seen == sorted(seen), "a reader only ever sees committed, growing data"
    assert store.count(db) == len(frame) + 400
