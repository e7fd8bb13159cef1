"""`cla feedback import`: valid rows go in together, bad rows are named by line, unreadable files change nothing."""

import pandas as pd
import pytest

from trainer.feedback import store
from trainer.cli import main
from trainer.feedback.importing import import_file

HEADER = "alert_id,timestamp,rule_name,dest_port,src_is_internal,is_true_positive,confidence,analyst_comments\n"
GOOD = [
    "a1,2026-11-01T10:00:00Z,Port scan,443,true,1,0.9,confirmed\n",
    "a2,2026-11-01T11:00:00Z,Port scan,80,false,fp,0.8,benign\n",
]


def write(workdir, lines, name="v.csv"):
    path = workdir / name
    path.write_text(HEADER + "".join(lines))
    return path


def test_good_file_is_imported_with_store_types(config, workdir, capsys):
    path = write(workdir, GOOD)
    assert main(["feedback", "import", str(path)]) == 0
    assert "imported 2 of 2 rows" in capsys.readouterr().out
    back = store.read(config.source_path)
    assert back["is_true_positive"].tolist() == [1, 0]
    assert back["src_is_internal"].tolist() == [True, False]
    assert back["timestamp"].tolist() == ["2026-11-01T10:00:00.000Z", "2026-11-01T11:00:00.000Z"]
    assert back["processed"].tolist() == [0, 0], "imported verdicts are not processed yet"


def test_bad_rows_are_reported_by_line_and_the_rest_committed(config, workdir, capsys):
    lines = GOOD + [
        "a3,not-a-time,Port scan,22,true,1,0.9,x\n",        # line 4
        ',2026-11-01T12:00:00Z,Port scan,22,true,1,0.9,"multi\nline comment"\n',  # line 5 (spans 2)
        "a5,2026-11-01T13:00:00Z,Port scan,https,true,1,0.9,x\n",  # line 7
        "a6,2026-11-01T14:00:00Z,Port scan,22,true,maybe,0.9,x\n",  # line 8
        "a7,2026-11-01T15:00:00Z,Port scan,22,true,1,0.9,ok\n",    # line 9
    ]
    path = write(workdir, lines)
    assert main(["feedback", "import", str(path)]) == 1
    captured = capsys.readouterr()
    assert f"{path}:4: rejected (a3): timestamp 'not-a-time' does not parse" in captured.err
    assert f"{path}:5: rejected: missing alert_id" in captured.err
    assert f"{path}:7: rejected (a5): dest_port 'https' is not a number" in captured.err
    assert f"{path}:8: rejected (a6): invalid label 'maybe'" in captured.err
    assert "4 row(s) rejected" in captured.err
    assert "imported 3 of 7 rows" in captured.out
    assert store.read(config.source_path)["alert_id"].tolist() == ["a1", "a2", "a7"]


def test_dry_run_writes_nothing(config, workdir, capsys):
    assert main(["feedback", "import", str(write(workdir, GOOD)), "--dry-run"]) == 0
    assert "2 of 2 rows would be imported" in capsys.readouterr().out
    assert not config.source_path.exists()


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    (b"alert_id,timestamp\na1,2026-11-01\n", "no is_true_positive column"),
    (b"alert_id,timestamp,is_true_positive\na1,2026-11-01,1,extra,fields\n", "line 2 has more fields"),
    (b"\xff\xfe\x00\x00garbage", "cannot be read as CSV"),
])
def test_unreadable_file_commits_nothing(config, workdir, capsys, content, message):
    store.insert_frame(config.source_path, pd.DataFrame({"alert_id": ["keep"], "is_true_positive": [1],
                                                         "timestamp": ["2026-11-01T00:00:00Z"]}))
    path = workdir / "f.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["feedback", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "nothing was imported" in err
    assert store.count(config.source_path) == 1


def test_parquet_rows_are_numbered_and_extra_columns_kept(config, workdir):
    frame = pd.DataFrame({"alert_id": ["p1", "p2"], "timestamp": pd.to_datetime(["2026-11-01", "2026-11-02"], utc=True),
                          "is_true_positive": [True, False], "geo": ["NL", "DE"], "score": [1.5, 2.0]})
    frame.to_parquet(workdir / "v.parquet")
    result = import_file(workdir / "v.parquet", config.source_path)
    assert result.committed and not result.rejected and result.position == "row"
    back = store.read(config.source_path)
    assert back["geo"].tolist() == ["NL", "DE"] and back["score"].tolist() == [1.5, 2.0]


def test_rejected_out_lists_every_rejection(config, workdir):
    bad = [f"b{i},never,Port scan,22,true,1,0.9,x\n" for i in range(30)]
    assert main(["feedback", "import", str(write(workdir, bad)), "--rejected-out", "rej.csv"]) == 1
    rejected = pd.read_csv(workdir / "rej.csv")
    assert len(rejected) == 30 and rejected["line"].tolist() == list(range(2, 32))


def test_stats_summarise_the_store(config, workdir, capsys):
    assert main(["feedback", "stats"]) == 1
    assert "cla demo seed" in capsys.readouterr().err
    main(["feedback", "import", str(write(workdir, GOOD))])
    capsys.readouterr()
    assert main(["feedback", "stats"]) == 0
    out = capsys.readouterr().out
    assert "rows:       2" in out and "positives:  1 (50.0% of labelled)" in out
    assert "2026-11-01T11:00:00.000Z" in out


def test_a_fraction_in_a_whole_number_column_is_named_as_such(config, workdir, capsys):
    path = write(workdir, GOOD + ["a3,2026-11-01T12:00:00Z,Port scan,443.5,true,1,0.9,x\n"])
    assert main(["feedback", "import", str(path)]) == 1
    assert f"{path}:4: rejected (a3): dest_port '443.5' is not a whole number" in capsys.readouterr().err


def test_dry_run_with_bad_rows_does_not_say_they_must_be_imported_again(config, workdir, capsys):
    path = write(workdir, GOOD + ["a3,not-a-time,Port scan,22,true,1,0.9,x\n"])
    assert main(["feedback", "import", str(path), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "1 row(s) rejected; fix them before importing" in err and "again" not in err
    assert not config.source_path.exists()


def test_importing_the_same_file_twice_adds_nothing_and_says_so(config, workdir, capsys):
    path = write(workdir, GOOD)
    assert main(["feedback", "import", str(path)]) == 0
    capsys.readouterr()
    before = store.read(config.source_path)
    assert main(["feedback", "import", str(path)]) == 0
    assert "imported 0 of 2 rows" in (out := capsys.readouterr().out) and "2 already there" in out
    after = store.read(config.source_path)
    pd.testing.assert_frame_equal(after, before)
    assert store.count(config.source_path) == 2


def test_a_dry_run_counts_rows_already_there_and_a_repeat_within_the_file(config, workdir, capsys):
    main(["feedback", "import", str(write(workdir, GOOD))])
    capsys.readouterr()
    again = GOOD + ["a3,2026-11-01T12:00:00Z,Port scan,22,true,1,0.9,x\n"] * 2
    assert main(["feedback", "import", str(write(workdir, again, "again.csv")), "--dry-run"]) == 0
    assert "dry run: 1 of 4 rows would be imported, 3 already there" in capsys.readouterr().out


def test_a_changed_verdict_for_the_same_alert_is_added(config, workdir, capsys):
    main(["feedback", "import", str(write(workdir, GOOD))])
    capsys.readouterr()
    flipped = ["a1,2026-11-01T10:00:00Z,Port scan,443,true,0,0.7,benign after all\n", GOOD[1]]
    assert main(["feedback", "import", str(write(workdir, flipped, "flip.csv"))]) == 0
    out = capsys.readouterr().out
    assert "imported 1 of 2 rows" in out and "1 already there" in out
    back = store.read(config.source_path)
    assert list(zip(back["alert_id"], back["is_true_positive"])) == [("a1", 1), ("a2", 0), ("a1", 0)]


def test_fixing_rejected_rows_and_importing_again_adds_only_the_fixed_rows(config, workdir, capsys):
    path = write(workdir, GOOD + ["a3,not-a-time,Port scan,22,true,1,0.9,x\n"])
    assert main(["feedback", "import", str(path)]) == 1
    assert "fix them and import the file again" in capsys.readouterr().err
    path = write(workdir, GOOD + ["a3,2026-11-01T12:00:00Z,Port scan,22,true,1,0.9,x\n"])
    assert main(["feedback", "import", str(path)]) == 0
    assert "imported 1 of 3 rows" in (out := capsys.readouterr().out) and "2 already there" in out
    assert store.read(config.source_path)["alert_id"].tolist() == ["a1", "a2", "a3"]
