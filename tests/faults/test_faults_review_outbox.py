"""A feedback source that refuses a verdict loses nothing: the verdict waits in the outbox and a retry writes it.

The embedded store as a read-only replica (a trigger that aborts every
insert, which holds even for root) and a files source whose verdicts file
lies on a read-only filesystem.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers.reviewfolder import review_folder

from trainer.cli import main
from trainer.feedback import store


@pytest.fixture
def config(workdir, review_template):
    return review_folder(workdir, review_template)


def next_json(capsys, policy, *extra):
    assert main(["review", "next", "--policy", policy, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_store_that_refuses_the_write_keeps_the_verdict_and_a_retry_writes_it(config, capsys):
    alert = next_json(capsys, "uncertain", "--limit", "1")[0]["alert_id"]
    labelled = store.count(config.source_path, labelled=True)
    with sqlite3.connect(config.source_path) as conn:  # a read-only replica: every insert is refused
        conn.execute("CREATE TRIGGER replica BEFORE INSERT ON feedback BEGIN "
                     "SELECT RAISE(ABORT, 'this replica is read-only'); END")
    assert main(["review", "verdict", alert, "fp", "--actor", "dana"]) == 1
    err = capsys.readouterr().err
    assert "this replica is read-only" in err and "outbox.jsonl" in err and "retried" in err
    assert store.count(config.source_path, labelled=True) == labelled
    assert alert not in [a["alert_id"] for a in next_json(capsys, "uncertain", "--limit", "500")]
    assert main(["review", "retry"]) == 1
    assert "1 still waiting" in capsys.readouterr().out
    with sqlite3.connect(config.source_path) as conn:
        conn.execute("DROP TRIGGER replica")
    assert main(["review", "retry"]) == 0
    with sqlite3.connect(config.source_path) as conn:
        (label, analyst), = conn.execute("SELECT is_true_positive, analyst FROM feedback WHERE alert_id = ? "
                                         "AND is_true_positive IS NOT NULL", (alert,)).fetchall()
    assert (label, analyst) == (0, "dana")


def test_files_source_that_cannot_be_written_keeps_the_verdict(config, workdir, capsys, readonly_dir):
    store.read(config.source_path).to_csv(workdir / "alerts.csv", index=False)
    (workdir / "cla.toml").write_text((workdir / "cla.toml").read_text()
                                      + f'\n[source]\nkind = "files"\npath = "alerts.csv"\n'
                                        f'verdicts_path = "{readonly_dir / "verdicts.csv"}"\n')
    alert = next_json(capsys, "risk", "--limit", "1")[0]["alert_id"]
    assert main(["review", "verdict", alert, "tp"]) == 1
    assert "cannot write the verdicts file" in capsys.readouterr().err
    outbox = (workdir / "models" / "review" / "outbox.jsonl").read_text()
    assert alert in outbox and '"label": "tp"' in outbox
