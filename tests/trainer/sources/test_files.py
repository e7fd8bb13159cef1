"""CSV and Parquet exports as a source: globs, only a label column, clear errors for bad files."""

import os

import pandas as pd
import pytest

from trainer.feedback import demo
from trainer.feedback.quality import prepare
from trainer.feedback.sources import SourceError, open_source


@pytest.fixture
def history():
    return demo.generate_history(rows=600, days=20, seed=4)


def files_config(config, path, **schema):
    config.source.kind = "files"
    config.source.path = str(path)
    for key, value in schema.items():
        setattr(config.schema, key, value)
    return config


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_glob_of_exports_loads_stacked_and_prepares(config, workdir, history, suffix):
    (workdir / "exports").mkdir()
    halves = [history.iloc[:300], history.iloc[300:]]
    for i, part in enumerate(halves):
        path = workdir / "exports" / f"part{i}.{suffix}"
        part.to_csv(path, index=False) if suffix == "csv" else part.to_parquet(path)
    source = open_source(files_config(config, f"exports/*.{suffix}"))
    loaded = source.load()
    assert len(loaded.frame) == len(history)
    assert source.count_labelled() == history["is_true_positive"].notna().sum()
    result = prepare(loaded.frame, config.schema, quarantine_dir=None, stamp="s")
    assert result.report["quarantined"] == 0
    assert result.report["rows_used"] == history["is_true_positive"].notna().sum() - history["alert_id"].duplicated().sum()


def test_only_a_label_column_is_needed(config, workdir):
    pd.DataFrame({"verdict": ["tp", "fp", "fp", "tp"], "score": [0.9, 0.1, 0.2, 0.8],
                  "team": ["a", "b", "b", "a"]}).to_csv(workdir / "x.csv", index=False)
    files_config(config, "x.csv", label="verdict")
    source = open_source(config)
    frame = source.load().frame
    result = prepare(frame, config.schema, quarantine_dir=None, stamp="s")
    assert result.frame["verdict"].tolist() == [1, 0, 0, 1]
    assert "timestamp" not in result.frame.columns and "alert_id" not in result.frame.columns
    assert source.count_labelled() == 4


def test_window_counts_back_from_the_newest_alert_in_the_files(config, workdir):
    frame = pd.DataFrame({"is_true_positive": [1, 0, 0],
                          "timestamp": ["2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z", "2024-05-20T00:00:00Z"]})
    frame.to_csv(workdir / "old.csv", index=False)
    config.source.window_days = 30
    loaded = open_source(files_config(config, "old.csv")).load()
    assert loaded.frame["timestamp"].tolist() == ["2024-05-01T00:00:00Z", "2024-05-20T00:00:00Z"]


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, r"missing.csv does not exist"),
    ("nothing-*.csv", None, r"no file matches source.path 'nothing-\*.csv'"),
    ("notes.txt", b"hello", r"source.path: .*notes.txt is neither CSV nor Parquet"),
    ("broken.parquet", b"PAR1 this is not parquet", r"broken.parquet \(source.path\) cannot be read as PARQUET"),
    ("bad.csv", b"\xff\xfe\x00garbage\x00\n\xff", r"bad.csv \(source.path\) cannot be read as CSV"),
])
def test_unreadable_files_name_the_file(config, workdir, name, content, message):
    if content is not None:
        (workdir / name).write_bytes(content)
    with pytest.raises(SourceError, match=message):
        open_source(files_config(config, name)).load()


def test_fingerprint_changes_when_a_file_changes(config, workdir):
    path = workdir / "x.csv"
    path.write_text("is_true_positive\n1\n")
    source = open_source(files_config(config, "x.csv"))
    before = source.latest_change()
    path.write_text("is_true_positive\n1\n0\n")
    os.utime(path, ns=(1, 1))
    assert source.latest_change() != before


def test_verdicts_written_at_once_by_two_analysts_are_all_kept(config, workdir):
    from concurrent.futures import ThreadPoolExecutor

    pd.DataFrame({"alert_id": ["x"], "is_true_positive": [None]}).to_csv(workdir / "alerts.csv", index=False)
    source = open_source(files_config(config, "alerts.csv"))

    def give(analyst):
        for i in range(15):
            source.write_verdicts(pd.DataFrame({"alert_id": [f"{analyst}-{i}"], "is_true_positive": [1],
                                                "analyst": [analyst]}))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(give, ["ana", "ben"]))
    written = pd.read_csv(workdir / "verdicts.csv")
    assert sorted(written["alert_id"]) == sorted(f"{a}-{i}" for a in ("ana", "ben") for i in range(15))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_named_columns_are_the_only_ones_read_and_the_window_still_applies(config, workdir, history, suffix):
    path = workdir / f"export.{suffix}"
    history.to_csv(path, index=False) if suffix == "csv" else history.to_parquet(path)
    config.source.window_days = 5
    frame = open_source(files_config(config, path)).load(columns=["src_reputation", "is_true_positive", "nope"]).frame
    assert set(frame.columns) == {"timestamp", "src_reputation", "is_true_positive"}
    times = pd.to_datetime(frame["timestamp"], utc=True)
    assert len(frame) < len(history) and times.min() >= times.max() - pd.Timedelta(days=5)
