"""Item 2 of issue 10: a champion whose model file was altered shows as tampered everywhere, not only in scoring.

One byte of the champion's pickle is flipped in place (same size, same
inode, the folder's mtime unchanged), as a disk fault or a careless edit
would. `cla models list`, `cla models show`, the registry's problems and a
long-lived registry (the dashboard's) must all say ``tampered``; the check
hashes the file only when its size, mtime or ctime changed. The dashboard
side is in tests/dashboard/test_trust_dashboard.py.
"""

from __future__ import annotations

import json

import pytest

from trainer.folder import signing
from trainer.cli import main
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry
from helpers.tampering import flip_one_byte


@pytest.fixture
def champion(layout) -> str:
    older = write_pair(layout, {"weights": list(range(200))}, {"pr_auc": 0.6}, stamp="20261120_080000").model_id
    newer = write_pair(layout, {"weights": list(range(300))}, {"pr_auc": 0.7}, stamp="20261120_090000").model_id
    registry = Registry(layout.root)
    registry.promote(older, actor="test")
    registry.promote(newer, actor="test")
    return newer


def test_cla_models_list_and_show_say_tampered(layout, champion, workdir, capsys):
    flip_one_byte(layout.model_path(champion))
    assert main(["models", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(champion))
    assert line.split()[1] == "tampered" and "champion" in line and "fails its signature check" in line
    assert main(["models", "list", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["model_id"] == champion)
    assert row["integrity"] == "tampered" and "roll back" in row["integrity_reason"]
    assert main(["models", "show", champion]) == 0
    assert "integrity         tampered: " in capsys.readouterr().out
    assert main(["models", "show", champion, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["integrity"] == "tampered"


def test_a_long_lived_registry_notices_the_flip_and_names_it_in_its_problems(layout, champion):
    registry = Registry(layout.root)
    assert registry.list_models()[0].integrity == "verified" and not registry.problems()
    flip_one_byte(layout.model_path(champion))
    row = registry.list_models()[0]
    assert row.model_id == champion and row.integrity == "tampered"
    assert any(p.startswith(f"the champion {champion} is tampered") for p in registry.problems())


def test_the_check_hashes_only_after_the_file_changed(layout, champion, monkeypatch):
    hashed = []
    original = signing.ModelKey.sign_file
    monkeypatch.setattr(signing.ModelKey, "sign_file", lambda self, *a: hashed.append(a[0]) or original(self, *a))
    registry = Registry(layout.root)
    for _ in range(3):
        assert registry.list_models()[0].integrity == "verified"
    assert hashed == [champion]
    flip_one_byte(layout.model_path(champion))
    for _ in range(3):
        assert registry.list_models()[0].integrity == "tampered"
    assert hashed == [champion, champion]


def test_rolling_back_restores_a_verified_champion(layout, champion, workdir, capsys):
    flip_one_byte(layout.model_path(champion))
    assert main(["models", "rollback"]) == 0
    rows = Registry(layout.root).list_models()
    restored = next(row for row in rows if row.is_champion)
    assert restored.model_id != champion and restored.integrity == "verified"
    assert main(["models", "promote", champion]) == 1
    assert "fails its signature check" in capsys.readouterr().err


def test_a_key_replaced_at_its_old_size_with_its_old_mtime_is_noticed_by_a_long_lived_registry(layout, tmp_path,
                                                                                                  monkeypatch):
    """``Registry.verify`` caches by file stamps; the key's stamp holds its ctime, which nobody can set back."""
    import os
    import time

    key = tmp_path / "own-model.key"
    monkeypatch.setenv("CLA_MODEL_KEY", str(key))
    model_id = write_pair(layout, {"weights": [1, 2, 3]}, {"pr_auc": 0.6}, stamp="20261120_080000").model_id
    registry = Registry(layout.root)
    assert registry.verify(model_id).state == signing.VERIFIED
    before = key.stat()
    time.sleep(0.05)  # past the kernel's timestamp granularity, so the ctime moves
    secret = key.read_bytes()
    with open(key, "r+b") as fh:  # in place: same inode, same size, another key
        fh.write(bytes(ord("a") + (b - ord("a") + 1) % 26 if chr(b).islower() else b for b in secret))
    os.utime(key, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = key.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert key.read_bytes() != secret
    verdict = registry.verify(model_id)
    assert verdict.state == signing.TAMPERED, verdict
