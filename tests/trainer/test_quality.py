"""Data quality: every row is trained on, counted as unlabelled, or quarantined with its reason."""

import pandas as pd
import pytest

from trainer.config import SchemaConfig
from trainer.columns import map_labels
from trainer.feedback.quality import DataError, prepare


def feedback(**columns):
    base = {
        "alert_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "timestamp": ["2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z", "2026-11-01T12:00:00Z",
                      "2026-11-01T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-01T15:00:00Z"],
        "dest_port": [443, 80, 22, 443, 53, 8080],
        "is_true_positive": [1, 0, 0, 1, 0, 0],
        "processed": [1, 1, 0, 0, 1, 1],
    }
    base.update(columns)
    return pd.DataFrame(base)


def run(frame, tmp_path, **schema):
    return prepare(frame, SchemaConfig(**schema), quarantine_dir=tmp_path / "quarantine", stamp="20261123_120000")


def test_clean_feedback_is_all_used_processed_or_not(tmp_path):
    result = run(feedback(), tmp_path)
    assert len(result.frame) == 6, "processed rows are training data too"
    assert result.frame["is_true_positive"].dtype == "int64"
    assert str(result.frame["timestamp"].dt.tz) == "UTC"
    assert result.report["rows_used"] == 6 and result.report["quarantined"] == 0
    assert result.report["quarantine_file"] is None
    assert not (tmp_path / "quarantine").exists()


@pytest.mark.parametrize("raw, positive, expected", [
    ([True, False], True, [1, 0]),
    (["true", "FALSE"], True, [1, 0]),
    (["TP", "fp"], True, [1, 0]),
    (["1", "0"], True, [1, 0]),
    ([1.0, 0.0], True, [1, 0]),
    (["malicious", "benign"], "malicious", [1, 0]),
])
def test_label_spellings_map_to_one_and_zero(raw, positive, expected):
    labels, unlabelled, invalid = map_labels(pd.Series(raw), positive)
    assert labels.tolist() == expected and not unlabelled.any() and not invalid.any()


def test_missing_labels_are_unlabelled_not_quarantined(tmp_path):
    frame = feedback(is_true_positive=[1, None, 0, "", 0, 1])
    result = run(frame, tmp_path)
    assert result.report["unlabelled"] == 2
    assert result.report["quarantined"] == 0 and result.report["rows_used"] == 4


def test_bad_rows_are_quarantined_with_reasons_in_a_file(tmp_path):
    bad = feedback(is_true_positive=[1, "maybe", 0, 1, 0, 0],
                   timestamp=["2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z", "xyz",
                              "2026-11-01T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-01T15:00:00Z"],
                   dest_port=[443, 80, 22, 443, "https", 53])
    clean = [feedback(alert_id=[f"c{copy}_{i}" for i in range(6)]) for copy in range(20)]
    result = run(pd.concat([bad, *clean], ignore_index=True), tmp_path)
    report = result.report
    assert report["quarantine_reasons"] == {"invalid label": 1, "unparseable timestamp": 1,
                                            "text in numeric column 'dest_port'": 1}
    assert report["quarantined"] == 3
    path = tmp_path / "quarantine" / "quarantine_20261123_120000.csv"
    assert report["quarantine_file"] == "quarantine/quarantine_20261123_120000.csv"
    written = pd.read_csv(path)
    assert written.columns[0] == "_reason"
    assert set(written["_reason"]) == {"timestamp 'xyz' does not parse (column 'timestamp')",
                                       "invalid label 'maybe' in column 'is_true_positive'",
                                       "text 'https' in numeric column 'dest_port'"}
    assert written["alert_id"].tolist() == ["a2", "a3", "a5"], "the user can find the rows"
    assert result.frame["dest_port"].dtype.kind in "if", "the numeric column is numeric again"
    assert report["rows_used"] + report["quarantined"] == report["rows_read"] == 126


def test_duplicates_keep_the_latest_verdict(tmp_path):
    frame = feedback(alert_id=["a1", "a1", "a3", "a3", "a5", "a6"],
                     triaged_at=["2026-11-02T10:00:00Z", "2026-11-01T11:00:00Z", "2026-11-01T12:00:00Z",
                                 "2026-11-03T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-01T15:00:00Z"])
    result = run(frame, tmp_path)
    assert result.report["duplicates_removed"] == 2
    kept = result.frame.set_index("alert_id")["is_true_positive"]
    assert kept["a1"] == 1, "the later triage (first row) wins over the earlier one"
    assert kept["a3"] == 1


def test_duplicates_without_triage_time_keep_the_latest_alert_time(tmp_path):
    frame = feedback(alert_id=["a1", "a1", "a3", "a4", "a5", "a6"])
    result = run(frame, tmp_path)
    assert result.frame.set_index("alert_id").loc["a1", "is_true_positive"] == 0


def test_min_confidence_filter_counts_what_it_drops(tmp_path):
    frame = feedback(confidence=[0.9, 0.2, 0.95, 0.4, None, 0.8])
    result = run(frame, tmp_path, min_confidence=0.5)
    assert result.report["below_min_confidence"] == 2
    assert result.report["rows_used"] == 4


def test_works_with_only_a_label_column(tmp_path):
    frame = pd.DataFrame({"verdict": ["tp", "fp", "fp"], "x": [1, 2, 3]})
    result = run(frame, tmp_path, label="verdict")
    assert result.frame["verdict"].tolist() == [1, 0, 0]
    assert result.report["duplicates_removed"] == 0


def test_one_class_is_not_a_quality_error(tmp_path):
    result = run(feedback(is_true_positive=[0] * 6), tmp_path)
    assert result.report["positives"] == 0 and result.report["rows_used"] == 6


def test_empty_store_names_the_store_and_what_to_do(tmp_path):
    frame = feedback().iloc[:0]
    with pytest.raises(DataError, match=r"data/feedback.db.*has no rows.*cla demo seed"):
        prepare(frame, SchemaConfig(), quarantine_dir=tmp_path, stamp="s",
                source="the feedback store data/feedback.db:feedback")


def test_missing_label_column_lists_the_columns(tmp_path):
    with pytest.raises(DataError, match=r"label column 'verdict' not found.*alert_id.*schema.label"):
        run(feedback(), tmp_path, label="verdict")


def test_no_labelled_rows_is_an_error_that_points_at_the_quarantine(tmp_path):
    frame = feedback(is_true_positive=[None, None, "junk", None, None, None])
    with pytest.raises(DataError, match=r"no labelled rows.*5 without a label.*1 quarantined.*quarantine_"):
        run(frame, tmp_path)
    assert (tmp_path / "quarantine" / "quarantine_20261123_120000.csv").is_file()


def test_no_rows_left_says_why_they_were_quarantined(tmp_path):
    frame = feedback(timestamp=["11/23/2026 garbage"] * 6)
    with pytest.raises(DataError, match=r"6 quarantined \(unparseable timestamp: 6\)"):
        run(frame, tmp_path)
