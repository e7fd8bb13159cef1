"""`cla train` end to end on real files: a pair on good data, a named error on bad data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from trainer.cli import main
from trainer.contract.layout import ModelsLayout
from trainer.folder.registry import Registry


def alerts(rows: int = 1200, seed: int = 3) -> pd.DataFrame:
    """A small alert table whose label depends on rule and reputation, with a comment that leaks it."""
    rng = np.random.default_rng(seed)
    rule = rng.choice(["brute_force", "malware_hash", "port_scan", "phishing_url", "dns_tunnel"], rows)
    reputation = rng.integers(0, 100, rows)
    risk = np.where(rule == "malware_hash", 2.0, 0.0) + np.where(rule == "dns_tunnel", 1.5, 0.0) + (reputation < 15) * 1.5
    label = rng.random(rows) < 1 / (1 + np.exp(-(risk - 3.2)))
    return pd.DataFrame({
        "alert_id": [f"a{i}" for i in range(rows)],
        "timestamp": pd.date_range("2026-09-01", periods=rows, freq="37min", tz="UTC").astype(str),
        "rule_name": rule,
        "src_reputation": reputation,
        "related_events": rng.poisson(3, rows),
        "is_true_positive": label,
        "analyst_comments": np.where(label, "confirmed malicious, escalated to IR", "benign"),
    })


def use_file(workdir, frame: pd.DataFrame, name: str = "feedback.csv") -> list[str]:
    frame.to_csv(workdir / name, index=False)
    (workdir / "cla.toml").write_text(
        f'[source]\nkind = "files"\npath = "{name}"\n[training]\ntime_budget_seconds = 5\n'
        # one cheap candidate: these tests check the command, the files and the messages, not which model wins
        'preset = "custom"\nmodel = "logistic_regression"\nimbalance = "class_weight"\n'
        "min_test_positives = 1\n")
    return []


def test_train_writes_a_pair_and_prints_a_summary(workdir, capsys):
    use_file(workdir, alerts())
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("finished: model ")
    pairs = list((workdir / "models").glob("model_metrics_*.json"))
    assert len(pairs) == 1
    metrics = json.loads(pairs[0].read_text())
    assert ModelsLayout.of(workdir / "models").model_path(metrics["model_id"]).is_file()
    assert metrics["schema_version"] == 2 and metrics["pr_auc"] is not None
    assert "analyst_comments" in metrics["features"]["excluded_post_triage"]


def test_json_output_is_machine_readable(workdir, capsys):
    use_file(workdir, alerts())
    assert main(["train", "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["outcome"] == "finished" and outcome["model_id"]


@pytest.mark.parametrize("frame, expected", [
    (alerts().iloc[0:0], "no rows"),
    (alerts().drop(columns=["is_true_positive"]), "is_true_positive"),
])
def test_unusable_feedback_fails_with_a_named_reason(workdir, capsys, frame, expected):
    use_file(workdir, frame)
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert not list((workdir / "models").glob("model_metrics_*.json"))


def test_one_class_is_a_skipped_run_with_no_model(workdir, capsys):
    frame = alerts()
    frame["is_true_positive"] = False
    use_file(workdir, frame)
    assert main(["train"]) == 3
    assert "no positive labels" in capsys.readouterr().out
    events = [json.loads(line) for line in (workdir / "models" / "events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "training_skipped"
    assert not list((workdir / "models").glob("trained_model_*"))


@pytest.mark.parametrize("column, bad_value, reason", [
    ("src_reputation", "very high", "src_reputation"),
    ("timestamp", "yesterday-ish", "timestamp"),
])
def test_bad_values_are_quarantined_and_named_not_dropped(workdir, capsys, column, bad_value, reason):
    frame = alerts()
    frame[column] = frame[column].astype(str)
    frame.loc[[5, 17], column] = bad_value
    use_file(workdir, frame)
    assert main(["train", "--json"]) == 0
    model_id = json.loads(capsys.readouterr().out)["model_id"]
    metrics = Registry(workdir / "models").get(model_id)
    quality = metrics["data_quality"]
    assert quality["quarantined"] == 2
    quarantine = pd.read_csv(workdir / "models" / quality["quarantine_file"])
    assert sorted(quarantine["alert_id"]) == ["a17", "a5"]
    assert quarantine["_reason"].str.contains(reason).all()


def test_unwritable_models_folder_fails_and_names_the_path(workdir, capsys, readonly_dir):
    use_file(workdir, alerts())
    assert main(["train", "--models-dir", str(readonly_dir)]) != 0
    err = capsys.readouterr().err
    assert str(readonly_dir) in err
    assert not list(readonly_dir.glob("*.pkl"))


def test_unwritable_models_folder_says_what_to_do(workdir, capsys, readonly_dir):
    use_file(workdir, alerts())
    assert main(["train", "--models-dir", str(readonly_dir)]) == 1
    err = capsys.readouterr().err
    assert "permission denied" in err and "--models-dir" in err


def test_the_summary_says_rows_were_quarantined_and_where(workdir, capsys):
    frame = alerts()
    frame["src_reputation"] = frame["src_reputation"].astype(str)
    frame.loc[[5, 17], "src_reputation"] = "very high"
    use_file(workdir, frame)
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "2 row(s) quarantined" in out
    assert str(workdir / "models" / "quarantine") in out


def test_a_failed_auto_prune_does_not_turn_a_written_pair_into_a_failed_run(workdir, capsys, monkeypatch):
    from trainer.folder import retention

    def cannot_delete(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(workdir / "models" / "model_metrics_old.json"))

    monkeypatch.setattr(retention, "prune", cannot_delete)
    use_file(workdir, alerts())
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("finished: model ") and "pruning old models failed" in out
    events = [json.loads(line) for line in (workdir / "models" / "events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "training_finished"
    assert [row.status for row in Registry(workdir / "models").list_models()] == ["ok"]
