"""Item 3 of issue 10: a metrics file that does not parse as a whole is ``unreadable``, never a healthy model.

The registry used to parse only a metrics file's first line, so a file cut
after that line (``truncate -s 3000``) was listed ``ok`` with its numbers.
Now the first line records a CRC-32 of the rest: the listing still parses
one line when the rest matches, and parses the whole file when it does not.
The dashboard side is in tests/dashboard/test_trust_dashboard.py.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from trainer.cli import main
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry

#: a metrics dict shaped like a real one: summary keys on the first line, curves and config below
METRICS = {"pr_auc": 0.71, "recall": 0.95, "precision": 0.4, "useful": True, "warnings": [],
           "curves": {"pr": {"recall": np.linspace(1, 0, 200).round(4), "precision": np.linspace(0.1, 1, 200).round(4)}},
           "config": {"training": {"objective": "recall", "target": 0.95}}}


@pytest.fixture
def pair(layout) -> str:
    model_id = write_pair(layout, {"weights": [1, 2, 3]}, METRICS).model_id
    Registry(layout.root).promote(model_id, actor="test")
    return model_id


def first_line_length(path) -> int:
    return len(path.read_bytes().partition(b"\n")[0]) + 1


@pytest.mark.parametrize("cut", ["3000 bytes", "right after the first line", "two bytes short"])
def test_a_truncated_metrics_file_is_listed_unreadable_with_the_reason(layout, pair, workdir, capsys, cut):
    path = layout.metrics_path(pair)
    size = {"3000 bytes": 3000, "right after the first line": first_line_length(path),
            "two bytes short": path.stat().st_size - 2}[cut]
    assert first_line_length(path) <= size < path.stat().st_size
    os.truncate(path, size)
    layout.index.unlink()
    assert main(["models", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(pair))
    assert line.split()[1] == "unreadable" and "0.710" not in line
    assert f"{path.name} is not valid JSON as a whole" in line and "truncated or damaged" in line
    assert main(["models", "list", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["status"] == "unreadable" and row["pr_auc"] is None and row["recall"] is None
    assert any(path.name in problem for problem in Registry(layout.root).problems())


def test_damage_in_the_middle_of_the_file_is_caught_too(layout, pair, workdir, capsys):
    path = layout.metrics_path(pair)
    data = bytearray(path.read_bytes())
    data[len(data) // 2:len(data) // 2 + 8] = b"\x00" * 8  # same size, same first line
    path.write_bytes(bytes(data))
    assert Registry(layout.root).summary(pair).status == "unreadable"


def test_a_hand_edit_that_stays_valid_json_is_still_listed(layout, pair):
    path = layout.metrics_path(pair)
    metrics = json.loads(path.read_text())
    metrics["config"]["note"] = "edited by hand"
    head, _, _ = path.read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + json.dumps(metrics, indent=2).encode()[1:])  # the rest no longer matches its CRC
    row = Registry(layout.root).summary(pair)
    assert row.status == "ok" and row.pr_auc == 0.71


def test_a_long_lived_registry_sees_a_file_truncated_in_place_when_asked_to_rescan(layout, pair):
    registry = Registry(layout.root)
    assert registry.summary(pair).status == "ok"
    os.truncate(layout.metrics_path(pair), 3000)
    assert registry.list_models(rescan=True)[0].status == "unreadable"


def test_an_intact_file_is_listed_from_its_first_line_alone(layout, monkeypatch):
    model_id = write_pair(layout, {"weights": [1, 2, 3]}, METRICS).model_id  # not the champion: nothing verifies it
    parsed = []
    original = json.loads
    monkeypatch.setattr(json, "loads", lambda text, *a, **k: parsed.append(len(text)) or original(text, *a, **k))
    assert Registry(layout.root).summary(model_id).pr_auc == 0.71
    assert first_line_length(layout.metrics_path(model_id)) - 1 in parsed
    assert max(parsed) < layout.metrics_path(model_id).stat().st_size / 4, "the curves were parsed"
