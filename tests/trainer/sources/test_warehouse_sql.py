"""The BigQuery source's own SQL, transpiled by sqlglot, executed on DuckDB and compared with the SQLite store and files.

One large generated table goes into three engines: DuckDB (the warehouse's
stand-in, with BigQuery's ``FARM_FINGERPRINT`` registered as a function with
the same contract), the embedded SQLite store and a Parquet file. The queries
are the ``build_*_sql`` text the BigQuery source sends, with the parameters it
binds. The default suite runs 1M rows; the 10M run is marked ``slow``
(``pytest -m slow tests/trainer/sources/test_warehouse_sql.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from trainer.config import SchemaConfig
from trainer.feedback import store
from trainer.feedback.sources import open_source
from trainer.feedback.sources import warehouse_sql
from trainer.feedback.sources.bigquery_sql import (QueryPlan, build_count_sql, build_find_sql, build_load_sql,
                                                   build_pending_sql, positive_values, scalar, string_array,
                                                   timestamp_text)

LABEL = "is_true_positive"
COLUMNS = ("alert_id", "timestamp", "severity", "src_reputation", LABEL, "triaged_at")
END = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
MAX_NEGATIVES = 50_000


def verdict_table(rows: int, seed: int = 5) -> pd.DataFrame:
    """``rows`` verdict rows over 30 days: 5% true positives, 1% awaiting a verdict, 2% re-triaged a day later
    with the other verdict. Alert times are distinct milliseconds, so every order is total."""
    rng = np.random.default_rng(seed)
    alerts = int(rows / 1.02)
    step = (30 * 86_400_000) // alerts
    fired = pd.Timestamp(END - timedelta(days=30)) + pd.to_timedelta(
        np.arange(alerts) * step + rng.integers(0, step, alerts), unit="ms")
    label = (rng.random(alerts) < 0.05).astype(float)
    label[rng.random(alerts) < 0.01] = np.nan
    triaged = fired + pd.to_timedelta(rng.integers(60_000, 86_400_000, alerts), unit="ms")
    triaged = triaged.where(~np.isnan(label))
    frame = pd.DataFrame({
        "alert_id": np.char.add("ALR-", np.char.zfill(np.arange(alerts).astype(str), 9)).astype(object),
        "timestamp": fired, "severity": rng.choice(["low", "medium", "high"], alerts),
        "src_reputation": rng.random(alerts).round(3), LABEL: label, "triaged_at": triaged})
    labelled = np.flatnonzero(~np.isnan(label) & (fired < pd.Timestamp(END - timedelta(days=2))))
    again = frame.iloc[rng.choice(labelled, size=min(rows - alerts, len(labelled)), replace=False)].copy()
    again[LABEL] = 1 - again[LABEL]
    again["triaged_at"] = again["triaged_at"] + pd.Timedelta(days=1)
    frame = pd.concat([frame, again], ignore_index=True)
    frame[LABEL] = frame[LABEL].astype("Int64")
    return frame


class Engines:
    """The same rows in DuckDB, the SQLite store and Parquet, and the sources that read them."""

    def __init__(self, folder, rows: int):
        frame = verdict_table(rows)
        self.rows = len(frame)
        self.duck = warehouse_sql.connect()
        self.duck.register("generated", frame)
        self.duck.execute(f"CREATE TABLE {warehouse_sql.TABLE} AS SELECT * FROM generated")
        self.duck.unregister("generated")
        self.db = folder / "feedback.db"
        store.insert_frame(self.db, frame)
        self.parquet = folder / "feedback.parquet"
        frame.to_parquet(self.parquet)
        del frame

    def config(self, base, kind: str):
        base.source.kind = kind
        base.source.path = str(self.db if kind == "sqlite" else self.parquet)
        base.source.window_days = 0
        base.source.max_negatives = MAX_NEGATIVES
        return base

    def bigquery_plan(self, windowed: bool = False) -> QueryPlan:
        return QueryPlan(f"`{warehouse_sql.TABLE}`", COLUMNS, LABEL, "alert_id", "timestamp", "triaged_at", windowed)


def params(*, labels: bool = True, **values) -> list[dict]:
    out = [string_array("positive_values", positive_values(SchemaConfig()))] if labels else []
    kinds = {"since": "TIMESTAMP", "negative_rate": "FLOAT64", "limit": "INT64"}
    for name, value in values.items():
        out.append(scalar(name, kinds[name], timestamp_text(value) if kinds[name] == "TIMESTAMP" else value))
    return out


def ids(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index("alert_id")[LABEL].astype(int).sort_index()


def compare_training_reads(engines: Engines, config, *, with_files: bool = True) -> None:
    sqlite_read = open_source(engines.config(config, "sqlite")).load()
    rate = sqlite_read.negative_sample_rate
    assert rate < 1.0, "the table is large enough to be sampled"
    negatives = warehouse_sql.run(engines.duck, build_count_sql(engines.bigquery_plan(), negatives_only=True),
                                  params())["n"].iloc[0]
    assert rate == pytest.approx(MAX_NEGATIVES / negatives), "the warehouse counts the negatives the store counts"
    duck = warehouse_sql.run(engines.duck, build_load_sql(engines.bigquery_plan()), params(negative_rate=repr(rate)))
    from_duck, from_sqlite = ids(duck), ids(sqlite_read.frame)
    assert from_duck.index.is_unique, "one row per alert: its latest verdict"
    assert from_duck.equals(from_sqlite), "same alerts, same latest verdicts, same sample"
    latest_positive = engines.duck.execute(
        f"SELECT COUNT(*) FROM (SELECT alert_id, arg_max({LABEL}, triaged_at) AS v FROM {warehouse_sql.TABLE} "
        f"WHERE {LABEL} IS NOT NULL GROUP BY alert_id) WHERE v = 1").fetchone()[0]
    assert int((from_duck == 1).sum()) == latest_positive, "every alert whose latest verdict is positive"
    if not with_files:
        return
    files_read = open_source(engines.config(config, "files")).load()
    assert files_read.negative_sample_rate == pytest.approx(rate)
    assert ids(files_read.frame).equals(from_sqlite)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    return Engines(tmp_path_factory.mktemp("warehouse"), 1_000_000)


def test_the_transpiled_training_query_matches_sqlite_and_files_on_1m_rows(engines, config):
    compare_training_reads(engines, config)


@pytest.mark.slow
def test_the_transpiled_training_query_matches_sqlite_and_files_on_10m_rows(tmp_path_factory, config):
    compare_training_reads(Engines(tmp_path_factory.mktemp("warehouse10m"), 10_000_000), config)


def test_the_drift_read_windows_and_keeps_the_latest_verdict(engines):
    since = END - timedelta(days=10)
    plan = engines.bigquery_plan(windowed=True)
    duck = warehouse_sql.run(engines.duck, build_load_sql(plan), params(since=since, negative_rate=1.0))
    rows = store.read(engines.db, time_since=since, columns=list(COLUMNS))
    rows = rows[rows[LABEL].notna()].sort_values(["triaged_at", "timestamp"]).drop_duplicates("alert_id", keep="last")
    assert ids(duck).equals(ids(rows))
    assert pd.to_datetime(duck["timestamp"], utc=True).min() >= pd.Timestamp(since)


def test_the_review_queue_query_matches_the_stores(engines, config):
    config = engines.config(config, "sqlite")
    plan = engines.bigquery_plan(windowed=True)
    since = END - timedelta(days=30)
    duck = warehouse_sql.run(engines.duck, build_pending_sql(plan), params(labels=False, since=since, limit=200))
    duck_ids = duck["alert_id"].tolist()
    assert len(duck_ids) == 200 and pd.to_datetime(duck["timestamp"]).is_monotonic_decreasing
    config.source.window_days = 30
    assert open_source(config).load_pending(200).frame["alert_id"].tolist() == duck_ids


def test_a_written_back_verdict_is_the_latest_in_the_warehouse_and_the_store(engines, config):
    source = open_source(engines.config(config, "sqlite"))
    pending = source.load_pending(3).frame
    now = datetime.now(timezone.utc).replace(microsecond=0)
    verdicts = pending[list(COLUMNS)].copy()
    verdicts[LABEL] = pd.array([1, 0, 1], dtype="Int64")
    verdicts["triaged_at"] = pd.Timestamp(now)
    verdicts["timestamp"] = pd.to_datetime(verdicts["timestamp"], utc=True)
    source.write_verdicts(verdicts)
    # the BigQuery source appends the same rows with a load job (pandas-gbq's to_gbq): an INSERT here
    engines.duck.register("verdicts", verdicts)
    engines.duck.execute(f"INSERT INTO {warehouse_sql.TABLE} BY NAME SELECT * FROM verdicts")
    engines.duck.unregister("verdicts")
    asked = verdicts["alert_id"].tolist()
    found = warehouse_sql.run(engines.duck, build_find_sql(engines.bigquery_plan()),
                              [string_array("alert_ids", asked)])
    assert ids(found).equals(ids(verdicts)), "the warehouse's newest row of each alert is the verdict just written"
    assert ids(source.find_alerts(asked)).equals(ids(verdicts))
    compare_training_reads(engines, config, with_files=False)   # the Parquet copy has not had them appended


def test_farm_fingerprint_twin_gives_bigquerys_values(engines):
    got = engines.duck.execute("SELECT FARM_FINGERPRINT('alphabet'), FARM_FINGERPRINT(NULL)").fetchone()
    assert got == (-2427165924636348523, None)
