"""The sampled training read: one plan, the same rows from the SQLite store, Parquet and CSV.

The expected rows are worked out here with plain pandas (sort, keep the last
verdict of each alert, every positive, negatives whose FarmHash bucket is under
the cut), independently of :func:`sampling.choose_rows` and of the store's SQL.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from helpers.frames import cheap_training

from trainer.feedback import arrow_read, demo, store
from trainer.feedback.sources import SourceError, open_source
from trainer.feedback.sources import sampling
from trainer.service.cycle import run_cycle

LABEL = "is_true_positive"
CAP = 400


def flipped_alerts(end: datetime, sampled: bool) -> pd.DataFrame:
    """Alerts whose verdict changed; ``sampled`` picks ids whose bucket falls in / out of a 5% sample."""
    ids = [f"FLIP-{i}" for i in range(2000)]
    chosen = [i for i in ids if (sampling.bucket_of(i) < 0.05 * sampling.SAMPLE_BUCKETS) == sampled][:2]
    first, later = end - timedelta(days=3), end - timedelta(days=2)
    rows = []
    for alert, (before, after) in zip(chosen, [(1, 0), (0, 1)]):
        rows.append({"alert_id": alert, "timestamp": first, LABEL: before, "triaged_at": first + timedelta(hours=1)})
        rows.append({"alert_id": alert, "timestamp": first, LABEL: after, "triaged_at": later})
    frame = pd.DataFrame(rows)
    frame[LABEL] = frame[LABEL].astype("Int64")
    return frame


@pytest.fixture
def history():
    end = datetime.now(timezone.utc) - timedelta(hours=1)
    frame = demo.generate_history(rows=6_000, days=20, seed=3, end=end)
    extra = pd.concat([flipped_alerts(end, sampled=False), flipped_alerts(end, sampled=True)], ignore_index=True)
    extra = extra.reindex(columns=frame.columns)
    for name in frame.columns:
        if name not in (LABEL, "alert_id", "timestamp", "triaged_at"):
            extra[name] = frame[name].iloc[0]
    return pd.concat([frame, extra], ignore_index=True)


def expected_rows(frame: pd.DataFrame, rate: float) -> pd.DataFrame:
    """The plan, by hand: latest verdict per alert, then every positive and the hashed negatives."""
    labelled = frame[frame[LABEL].notna()].copy()
    labelled["_pos"] = np.arange(len(labelled))
    labelled["_triaged"] = pd.to_datetime(labelled["triaged_at"], utc=True)
    labelled["_time"] = pd.to_datetime(labelled["timestamp"], utc=True)
    latest = labelled.sort_values(["_triaged", "_time", "_pos"], na_position="first") \
        .drop_duplicates("alert_id", keep="last")
    bucket = latest["alert_id"].map(sampling.bucket_of)
    return latest[(latest[LABEL] == 1) | (bucket < rate * sampling.SAMPLE_BUCKETS)]


def negatives_in(frame: pd.DataFrame) -> int:
    return int((frame[LABEL] == 0).sum())


@pytest.fixture
def sqlite_config(config, history):
    store.insert_frame(config.source_path, history)
    config.source.window_days = 0
    config.source.max_negatives = CAP
    return config


def files_config(config, history, workdir, suffix):
    path = workdir / f"exports/feedback{suffix}"
    path.parent.mkdir()
    history.to_parquet(path) if suffix == ".parquet" else history.to_csv(path, index=False)
    config.source.kind, config.source.path = "files", str(path)
    config.source.window_days, config.source.max_negatives = 0, CAP
    return config


# --- the hash contract -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    # BigQuery's documented FARM_FINGERPRINT examples (hash functions reference)
    ("1footrue", -1541654101129638711),
    ("2applefalse", 2794438866806483259),
    ("3true", -4880158226897771312),
    ("alphabet", -2427165924636348523),
])
def test_fingerprint_is_bigquerys_farm_fingerprint(text, value):
    assert sampling.fingerprint(text) == value


def test_bucket_is_abs_of_mod_and_the_vector_form_agrees():
    assert sampling.bucket_of("alphabet") == 348_523      # ABS(MOD(-2427165924636348523, 1000000))
    ids = pd.Series([f"ALR-{i:08d}" for i in range(3_000)] + [None, 17], dtype=object)
    vector = sampling.sample_bucket(ids)
    assert vector[:-2].tolist() == [sampling.bucket_of(i) for i in ids[:-2]]
    assert vector[-2] == sampling.SAMPLE_BUCKETS, "a missing id is never sampled"
    assert vector[-1] == sampling.bucket_of("17"), "a number is hashed as its text, as CAST(id AS STRING)"
    share = (vector[:-2] < 0.1 * sampling.SAMPLE_BUCKETS).mean()
    assert 0.08 < share < 0.12, "buckets spread evenly"


def test_rate_keeps_about_the_cap_and_refuses_nonsense():
    assert sampling.negative_rate(100, 200) == 1.0
    assert sampling.negative_rate(1_000, 0) == 1.0, "0 turns sampling off"
    assert sampling.negative_rate(1_000, 200) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="max_negatives"):
        sampling.negative_rate(1_000, -5)
    with pytest.raises(ValueError, match="rate"):
        sampling.cutoff(0.0)


# --- the SQLite store --------------------------------------------------------------------------------

def test_sqlite_read_keeps_every_positive_the_latest_verdict_and_a_hash_sample(sqlite_config, history):
    loaded = open_source(sqlite_config).load()
    labelled = history[history[LABEL].notna()]
    rate = CAP / negatives_in(labelled)
    assert loaded.negative_sample_rate == pytest.approx(rate)
    expected = expected_rows(history, rate)
    frame = loaded.frame
    assert not frame["alert_id"].duplicated().any(), "one row per alert"
    assert set(frame["alert_id"]) == set(expected["alert_id"])
    assert set(frame.loc[frame[LABEL] == 1, "alert_id"]) == set(expected.loc[expected[LABEL] == 1, "alert_id"])
    assert frame[LABEL].notna().all(), "unlabelled alerts do not reach training"
    assert 0.75 * CAP < negatives_in(frame) < 1.25 * CAP, "about max_negatives negatives arrive"


def test_the_latest_verdict_decides_whether_an_alert_is_a_positive(sqlite_config, history):
    frame = open_source(sqlite_config).load().frame.set_index("alert_id")
    end = datetime.now(timezone.utc) - timedelta(hours=1)
    unsampled = flipped_alerts(end, sampled=False)["alert_id"].unique()
    # FLIP #1 was a true positive, then called false: a negative outside the sample, so absent
    assert unsampled[0] not in frame.index
    # FLIP #2 was false, then a true positive: kept, as a positive, once
    assert frame.loc[unsampled[1], LABEL] == 1


def test_the_sample_is_the_same_on_every_read(sqlite_config):
    source = open_source(sqlite_config)
    first, second = source.load().frame, source.load().frame
    assert first["alert_id"].tolist() == second["alert_id"].tolist()


def test_below_the_cap_every_row_of_the_window_is_read(sqlite_config, history):
    sqlite_config.source.max_negatives = len(history)
    loaded = open_source(sqlite_config).load()
    assert loaded.negative_sample_rate == 1.0
    assert len(loaded.frame) == len(history), "unlabelled and re-triaged rows too: quality counts them"


def test_an_unsampled_read_ignores_the_cap(sqlite_config, history):
    loaded = open_source(sqlite_config).load(columns=["alert_id", LABEL], sample=False)
    assert loaded.negative_sample_rate == 1.0 and len(loaded.frame) == len(history)


def test_the_sampled_cycle_records_the_rate_and_reweights(sqlite_config, history):
    cheap_training(sqlite_config)
    outcome = run_cycle(sqlite_config, trigger="manual", actor="test")
    assert outcome.outcome == "finished", outcome.message
    rate = outcome.metrics["sampling"]["negative_rate"]
    assert rate == pytest.approx(CAP / negatives_in(history[history[LABEL].notna()]))
    assert "sampled_negatives" in [w["code"] for w in outcome.metrics["warnings"]]


def test_a_store_from_before_the_bucket_column_gives_the_same_sample(workdir, history):
    new, old = workdir / "new.db", workdir / "old.db"
    store.insert_frame(new, history)
    store.insert_frame(old, history)
    with sqlite3.connect(old) as conn:   # as an older CLA left it: no bucket column
        conn.execute("DROP INDEX feedback_unbucketed")
        conn.execute("ALTER TABLE feedback DROP COLUMN sample_bucket")
    values = ["1", "1.0", "tp", "true", "true positive", "true_positive", "yes"]
    read = [store.read_sampled(p, rate=0.1, positive_values=values)["alert_id"].tolist() for p in (new, old)]
    assert read[0] == read[1]
    store.insert_frame(old, history.head(0))   # the next write adds the column and fills it
    with sqlite3.connect(old) as conn:
        rows = conn.execute("SELECT alert_id, sample_bucket FROM feedback LIMIT 50").fetchall()
    assert all(bucket == sampling.bucket_of(alert) for alert, bucket in rows)


def test_a_row_written_without_its_bucket_is_hashed_on_read(workdir, history):
    path = workdir / "f.db"
    store.insert_frame(path, history)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE feedback SET sample_bucket = NULL WHERE rowid % 3 = 0")
    values = ["1"]
    got = store.read_sampled(path, rate=0.1, positive_values=values)
    assert set(got["alert_id"]) == set(expected_rows(history, 0.1)["alert_id"])


def test_a_store_without_the_id_column_names_it(workdir, history):
    path = workdir / "f.db"
    store.insert_frame(path, history)
    with pytest.raises(store.StoreError, match="schema.id_column"):
        store.read_sampled(path, rate=0.5, id_column="ticket", positive_values=["1"])


# --- the bulk read through Arrow --------------------------------------------------------------------

def test_the_arrow_read_returns_what_the_tuple_read_returns(workdir, history, monkeypatch):
    path = workdir / "f.db"
    store.insert_frame(path, history)
    by_tuples = store.read(path)
    used = []
    real = arrow_read.query
    monkeypatch.setattr(arrow_read, "query", lambda *a: used.append(1) or real(*a))
    monkeypatch.setattr(store, "BULK_ROWS", 1)
    by_arrow = store.read(path)
    assert used and arrow_read.available()
    pd.testing.assert_frame_equal(by_arrow, by_tuples)


def test_a_value_the_arrow_driver_cannot_type_falls_back_and_is_kept(workdir, history, monkeypatch):
    path = workdir / "f.db"
    store.insert_frame(path, history)
    with sqlite3.connect(path) as conn:   # SQLite lets a text verdict sit in the INTEGER label column
        conn.execute("UPDATE feedback SET is_true_positive = 'tp' WHERE rowid = 2")
    monkeypatch.setattr(store, "BULK_ROWS", 1)
    frame = store.read(path)
    assert len(frame) == len(history)
    assert frame[LABEL].iloc[1] == "tp", "the odd value reaches quality.prepare as stored"


# --- files: the same plan, streamed -----------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_files_give_the_same_sample_as_the_store(sqlite_config, history, workdir, suffix, monkeypatch):
    from trainer.feedback.sources import files

    from_store = open_source(sqlite_config).load()
    monkeypatch.setattr(files, "CHUNK_ROWS", 1_000)   # several chunks / batches per file
    loaded = open_source(files_config(sqlite_config, history, workdir, suffix)).load()
    assert loaded.negative_sample_rate == pytest.approx(from_store.negative_sample_rate)
    assert sorted(loaded.frame["alert_id"]) == sorted(from_store.frame["alert_id"])
    merged = loaded.frame.set_index("alert_id")[LABEL].astype(int).sort_index()
    assert merged.equals(from_store.frame.set_index("alert_id")[LABEL].astype(int).sort_index())


def test_files_below_the_cap_read_everything(config, history, workdir):
    config = files_config(config, history, workdir, ".parquet")
    config.source.max_negatives = 0
    loaded = open_source(config).load()
    assert loaded.negative_sample_rate == 1.0 and len(loaded.frame) == len(history)


def test_a_broken_file_in_the_sampled_read_names_the_file(config, history, workdir):
    config = files_config(config, history, workdir, ".csv")
    (workdir / "exports/feedback.csv").write_bytes(b"alert_id,is_true_positive\n\"a1,1\n")
    with pytest.raises(SourceError, match="feedback.csv"):
        open_source(config).load()


def test_ids_that_share_a_fingerprint_stay_separate_alerts():
    ids = pd.Series(["a", "b", "a", "c"])
    times = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"], utc=True))
    # every id given the same 64-bit fingerprint: only the exact text may merge rows
    clash = (np.full(4, 7, dtype=np.uint64), np.zeros(4, dtype=bool))
    assert sampling.latest_positions(ids, None, times, clash).tolist() == [1, 2, 3]
    assert sampling.latest_positions(ids, None, times).tolist() == [1, 2, 3]
