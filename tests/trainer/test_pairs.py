"""trainer.folder.pairs: a pair appears whole or not at all, and a failed write says where and why."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest

from trainer import atomic
from trainer.folder import pairs
from trainer.contract.layout import ModelsLayout
from trainer.folder.registry import Registry

METRICS = {"precision": 0.4, "recall": 0.95, "f1_score": 0.56, "accuracy": 0.93, "pr_auc": 0.7,
           "warnings": [{"code": "severe_imbalance", "severity": "warning", "message": "few positives"}],
           "promotion": {"decision": "rejected", "reasons": ["failed: PR-AUC 0.700 vs champion 0.720"]},
           "curves": {"pr": {"precision": [0.1, 0.5], "recall": [1.0, 0.5]}}, "config": {"training": {}}}


def leftovers(layout: ModelsLayout) -> list[str]:
    return sorted(p.name for p in layout.root.iterdir() if p.is_file())


def test_a_pair_is_a_loadable_model_and_a_metrics_file_recording_its_checksum(layout):
    info = pairs.write_pair(layout, {"weights": [1, 2, 3]}, METRICS, stamp="20261123_120000")
    assert info.model_id == "20261123_120000"
    assert info.model_path == layout.model_path(info.model_id)
    assert joblib.load(info.model_path) == {"weights": [1, 2, 3]}
    metrics = json.loads(info.metrics_path.read_text())
    assert metrics["schema_version"] == 2 and metrics["model_id"] == info.model_id
    assert metrics["model_file"] == info.model_path.name
    assert metrics["model_sha256"] == info.sha256 == atomic.sha256_file(info.model_path)
    assert metrics["created_at"].endswith("+00:00")
    assert metrics["curves"] == METRICS["curves"] and "model_id" not in METRICS
    assert leftovers(layout) == [info.metrics_path.name, info.model_path.name]


def test_the_first_line_holds_the_summary_and_the_whole_file_is_one_json_object(layout):
    info = pairs.write_pair(layout, {}, METRICS)
    assert info.metrics_path.read_text().splitlines()[0].endswith(",")
    head = pairs.read_summary(info.metrics_path)
    assert head["pr_auc"] == 0.7 and head["warnings"][0]["code"] == "severe_imbalance"
    assert head["promotion_decision"] == "rejected"
    assert "curves" not in head and "config" not in head and "promotion" not in head
    whole = json.loads(info.metrics_path.read_text())
    assert whole["config"] == {"training": {}} and whole["promotion"] == METRICS["promotion"]


def test_numpy_values_and_nan_are_written_as_strict_json(layout):
    metrics = {"pr_auc": np.float64("nan"), "true_positives": np.int64(3), "useful": np.bool_(True),
               "curves": {"pr": {"recall": np.array([1.0, 0.5])}}}
    info = pairs.write_pair(layout, {}, metrics)
    strict = json.loads(info.metrics_path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert strict["pr_auc"] is None and strict["true_positives"] == 3 and strict["useful"] is True
    assert strict["curves"]["pr"]["recall"] == [1.0, 0.5]


def test_two_pairs_wanting_the_same_second_get_distinct_ids(layout):
    first = pairs.write_pair(layout, {}, METRICS, stamp="20261123_120000")
    second = pairs.write_pair(layout, {}, METRICS, stamp="20261123_120000")
    assert (first.model_id, second.model_id) == ("20261123_120000", "20261123_120001")
    assert not list(layout.root.glob(".reserved_*"))


@pytest.mark.parametrize("error, cause", [(errno.EACCES, "permission denied"), (errno.ENOSPC, "disk full")])
def test_a_failed_metrics_write_removes_the_model_and_names_path_and_cause(layout, monkeypatch, error, cause):
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(error, os.strerror(error))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(atomic.WriteError) as raised:
        pairs.write_pair(layout, {"weights": [1]}, METRICS, stamp="20261123_120000")
    assert cause in str(raised.value) and "model_metrics_20261123_120000.json" in str(raised.value)
    assert leftovers(layout) == []


def test_a_failed_model_dump_names_the_model_file(layout, monkeypatch):
    def full_disk(obj, path, **options):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(joblib, "dump", full_disk)
    with pytest.raises(atomic.WriteError, match="trained_model_.*disk full"):
        pairs.write_pair(layout, {}, METRICS)
    assert leftovers(layout) == []


def test_a_read_only_models_folder_fails_with_the_path_and_permission_denied(readonly_dir):
    with pytest.raises(atomic.WriteError) as raised:
        pairs.write_pair(ModelsLayout.of(readonly_dir), {}, METRICS)
    assert str(readonly_dir) in str(raised.value) and "permission denied" in str(raised.value)


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import joblib
    from trainer.folder import pairs
    from trainer.contract.layout import ModelsLayout

    def dump_half(obj, path, **options):
        with open(path, "wb") as fh:
            fh.write(b"half of a pickle")
        print("in the middle", flush=True)
        time.sleep(60)

    def stall(path, data):
        print("in the middle", flush=True)
        time.sleep(60)

    if sys.argv[2] == "model":
        joblib.dump = dump_half
    else:
        pairs.atomic.write_bytes = stall
    pairs.write_pair(ModelsLayout.of(sys.argv[1]), {"weights": list(range(100))}, {"precision": 0.5})
""")


@pytest.mark.parametrize("killed_during, listed", [("model", []), ("metrics", ["incomplete"])])
def test_a_writer_killed_part_way_leaves_no_pair(layout, killed_during, listed):
    with subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(layout.root), killed_during],
                          stdout=subprocess.PIPE, text=True) as writer:
        try:
            assert writer.stdout.readline().strip() == "in the middle"
        finally:
            os.kill(writer.pid, signal.SIGKILL)
    assert not list(layout.root.glob("model_metrics_*"))
    registry = Registry(layout.root)
    assert [row.status for row in registry.list_models()] == listed
    assert not [row for row in registry.list_models() if row.status == "ok"]
    if killed_during == "model":
        assert [p.name for p in layout.root.glob("*.partial")] and not list(layout.root.glob("*.pkl"))
        atomic.remove_stale_temporaries(layout.root)
        assert not list(layout.root.glob("*.partial"))


def test_a_failed_write_reads_as_a_sentence_without_an_errno_prefix(readonly_dir):
    with pytest.raises(atomic.WriteError) as raised:
        pairs.write_pair(ModelsLayout.of(readonly_dir), {}, METRICS)
    assert str(raised.value).startswith("cannot write")
    assert raised.value.errno is not None
