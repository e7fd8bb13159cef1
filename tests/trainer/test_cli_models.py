"""`cla models`: what ops type to see the models, change the champion and prune."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry


@pytest.fixture
def three(layout):
    """Three pairs; the middle one is champion, the oldest was champion before it."""
    ids = [write_pair(layout, {"n": n}, {"pr_auc": 0.5 + n / 10, "recall": 0.9, "useful": True,
                                         "warnings": [], "promotion": {"decision": "promoted"}},
                      stamp=f"20261123_12{n:02d}00").model_id for n in range(3)]
    registry = Registry(layout.root)
    registry.promote(ids[0], actor="t")
    registry.promote(ids[1], actor="t")
    return ids


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_newest_first_with_the_champion_marked(three, capsys):
    code, out, _ = run(capsys, "models", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("model")
    assert [line.split()[0] for line in lines[1:]] == three[::-1]
    assert "champion" in lines[2] and "0.600" in lines[2]


def test_list_json_and_limit(three, capsys):
    code, out, _ = run(capsys, "models", "list", "--json", "--limit", "2")
    rows = json.loads(out)
    assert code == 0 and [r["model_id"] for r in rows] == three[:0:-1]
    assert rows[1]["is_champion"] is True and rows[0]["status"] == "ok"


def test_list_says_when_the_folder_is_empty(layout, capsys):
    assert run(capsys, "models", "list")[1].startswith("no models in")


def test_list_shows_incomplete_and_unreadable_files_with_the_reason(three, capsys, layout):
    layout.model_path("20261123_130000").write_bytes(b"half")
    layout.metrics_path("20261123_140000").write_text("{oops")
    layout.model_path("20261123_140000").write_bytes(b"x")
    lines = run(capsys, "models", "list")[1].splitlines()
    assert lines[1].split()[:2] == ["20261123_140000", "unreadable"] and "not valid JSON" in lines[1]
    assert lines[2].split()[:2] == ["20261123_130000", "incomplete"] and "no metrics file" in lines[2]


def test_show_prints_the_numbers_and_json(three, capsys):
    code, out, _ = run(capsys, "models", "show", three[1])
    assert code == 0 and "(champion)" in out and "pr_auc" in out and "promotion: promoted" in out
    code, out, _ = run(capsys, "models", "show", three[1], "--json")
    assert json.loads(out)["model_sha256"]


def test_promote_and_rollback_move_the_champion_and_record_the_os_user(three, capsys, layout):
    code, out, _ = run(capsys, "models", "promote", three[2], "--reason", "better on last week")
    assert code == 0 and f"{three[2]} is now the champion (previous: {three[1]})" in out
    code, out, _ = run(capsys, "models", "rollback")
    assert code == 0 and f"rolled back from {three[2]}: model {three[1]} is the champion; the next rollback " \
        f"goes to {three[0]}" in out
    code, out, _ = run(capsys, "models", "rollback", "--to", three[0])
    assert code == 0 and Registry(layout.root).champion().model_id == three[0]
    events = Registry(layout.root).events()
    assert [e["event"] for e in events[-3:]] == ["promoted", "rolled_back", "rolled_back"]
    assert events[-3]["message"] == "better on last week" and events[-1]["actor"]


@pytest.mark.parametrize("argv, message", [
    (["models", "promote", "20300101_000000"], "no model 20300101_000000"),
    (["models", "show", "nonsense"], "not a model id"),
    (["models", "rollback", "--to", "20261123_120100"], "already the champion"),
    (["models", "unpin", "20261123_120000"], "not pinned"),
])
def test_refused_actions_exit_1_with_a_reason(three, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1 and message in err and err.startswith("cla: ")


def test_pin_protects_from_prune_and_dry_run_lists_without_deleting(three, capsys, layout, config):
    (layout.root.parent / "cla.toml").write_text("[retention]\nkeep_last = 1\nkeep_days = 0\n")
    Registry(layout.root).promote(three[2], actor="t")  # three[0] is now neither champion nor previous
    assert run(capsys, "models", "pin", three[0])[0] == 0
    code, out, _ = run(capsys, "models", "prune", "--dry-run")
    assert code == 0 and out.startswith("would delete 0 model pair(s)")
    assert run(capsys, "models", "unpin", three[0])[0] == 0
    code, out, _ = run(capsys, "models", "prune", "--dry-run", "--json")
    assert json.loads(out)["delete"] == [three[0]] and layout.metrics_path(three[0]).exists()
    code, out, _ = run(capsys, "models", "prune")
    assert code == 0 and f"deleted: {three[0]}" in out
    assert [r.model_id for r in Registry(layout.root).list_models()] == three[:0:-1]


def test_prune_that_cannot_delete_names_the_file_and_what_to_do(workdir, capsys, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    (workdir / "models").mkdir()
    stale = workdir / "models" / "trained_model_20200101_000000.pkl"
    stale.write_bytes(b"orphan")
    os.utime(stale, (0, 0))
    monkeypatch.setattr(Path, "unlink", refuse)
    assert main(["models", "prune"]) == 1
    err = capsys.readouterr().err
    assert f"cannot delete {stale}" in err and "permission denied" in err and "[Errno" not in err


def test_promoting_a_model_marked_not_useful_says_so(three, capsys, layout):
    """Issue 26, item 15: `cla models promote` accepted a model marked not useful without a word."""
    useless = write_pair(layout, {"n": 9}, {"pr_auc": 0.1, "recall": 0.0, "useful": False,
                                            "warnings": [{"code": "predicts_one_class", "severity": "blocking",
                                                          "message": "the model predicts one class"}]},
                         stamp="20261123_121000").model_id
    code, out, err = run(capsys, "models", "promote", useless)
    assert code == 0 and f"{useless} is now the champion" in out
    assert f"warning: model {useless} is marked not useful (predicts_one_class)" in err and "rollback" in err
    code, _, err = run(capsys, "models", "promote", three[2])
    assert code == 0 and "not useful" not in err
