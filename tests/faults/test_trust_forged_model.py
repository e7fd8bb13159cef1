"""Item 1 of issue 10: whoever can write models/ must not get code run by `cla score`, the trainer or load_champion.

The forged pickle here runs ``os.system("touch <marker>")`` when unpickled,
and its metrics file is rewritten the way an attacker with write access to
the folder would: a fresh ``model_sha256``, and the signature left stale,
forged with a key of their own, or removed. The marker file is the proof:
it must never appear. Before signatures, each of these loaded the payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import shutil
import sqlite3

import pandas as pd
import pytest

from trainer import load_champion
from trainer.cli import main
from trainer.contract.layout import ModelsLayout
from trainer.folder.registry import Registry, RegistryError
from trainer.folder.scoring import ModelLoadError, champion_id, load_model

#: one fixed, fast recipe: the tests need a real champion, not the best one
# Objective F1: on 3,000 drifting demo rows a 95%-recall threshold flags nearly every alert, and such a
# model is (rightly) never champion; these tests need a champion, not a particular quality.
CONFIG = ('models_dir = "models"\n[training]\npreset = "custom"\nmodel = "logistic_regression"\n'
          'imbalance = "class_weight"\nobjective = "f1"\npermutation_repeats = 1\n[promotion]\nmin_test_positives = 1\n')
LEGACY_ID = "20250601_100000"


class Payload:
    """Unpickling this runs a shell command: what a forged model does."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder with a seeded store and one real training (a signed champion), copied into each test."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "cla.toml").write_text(CONFIG)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("CLA_CONFIG", raising=False)
        patch.delenv("CLA_MODELS_DIR", raising=False)
        assert main(["demo", "seed", "--rows", "3000"]) == 0
        assert main(["train"]) == 0
    return folder


@pytest.fixture
def folder(trained, workdir):
    shutil.copytree(trained, workdir, dirs_exist_ok=True)
    pd.DataFrame({"rule_name": ["port_scan"], "src_reputation": [40]}).to_csv(workdir / "alerts.csv", index=False)
    return workdir


def forge(folder, signature: str):
    """Swap the champion's pickle for a payload and rewrite its metrics file; returns the marker path."""
    layout = ModelsLayout.of(folder / "models")
    model_id = champion_id(layout.root)
    marker = folder / "payload-ran"
    payload = pickle.dumps(Payload(f"touch {marker}"))
    layout.model_path(model_id).write_bytes(payload)
    metrics = json.loads(layout.metrics_path(model_id).read_text())
    metrics["model_sha256"] = hashlib.sha256(payload).hexdigest()
    if signature == "removed":
        del metrics["model_hmac"], metrics["model_key_id"]
    elif signature == "attacker's key":
        metrics["model_hmac"] = hmac.new(b"a key the attacker made up, 32+ chars", payload, "sha256").hexdigest()
    layout.metrics_path(model_id).write_text(json.dumps(metrics))
    return marker


@pytest.mark.parametrize("signature", ["stale", "attacker's key", "removed"])
def test_a_forged_champion_is_never_unpickled_by_score_or_load_champion(folder, capsys, signature):
    marker = forge(folder, signature)
    assert main(["score", "alerts.csv", "-o", "scored.csv"]) == 1
    err = capsys.readouterr().err
    expected = "has no signature although" if signature == "removed" else "fails its signature check"
    assert expected in err and "trained_model_" in err
    assert not (folder / "scored.csv").exists()
    with pytest.raises(ModelLoadError, match=expected):
        load_champion("models")
    with pytest.raises(ModelLoadError, match=expected):
        load_champion()
    assert not marker.exists(), "the forged pickle ran its payload"


@pytest.mark.parametrize("signature", ["stale", "attacker's key", "removed"])
def test_allow_unsigned_never_loads_a_pair_whose_signature_fails(folder, capsys, signature):
    """Issue 26, item 3: a pair in the format CLA signs whose signature fields were removed is tampered, not
    "old unsigned": --allow-unsigned (meant for the old CLA's pairs) never runs it."""
    marker = forge(folder, signature)
    assert main(["score", "alerts.csv", "-o", "scored.csv", "--allow-unsigned"]) == 1
    err = capsys.readouterr().err
    assert ("has no signature although" if signature == "removed" else "fails its signature check") in err
    assert "never loaded" in err
    assert not marker.exists()


def test_the_next_training_sets_a_forged_champion_aside_without_running_it(folder, capsys):
    forged_id = champion_id("models")
    marker = forge(folder, "stale")
    assert main(["train"]) == 0
    assert not marker.exists(), "re-scoring the champion ran the payload"
    new_id = champion_id("models")
    assert new_id != forged_id
    reasons = json.loads(ModelsLayout.of("models").metrics_path(new_id).read_text())["promotion"]["reasons"]
    assert f"the champion {forged_id} cannot be scored" in reasons[0] and "signature check" in reasons[0]


def test_forged_or_replayed_pairs_cannot_be_promoted_or_rolled_back_to(folder):
    layout = ModelsLayout.of("models")
    genuine = champion_id("models")
    replayed, forged = "20250101_000000", "20250102_000000"
    # A genuine signed pickle copied under another pair's name: the signature covers the model id too.
    shutil.copyfile(layout.model_path(genuine), layout.model_path(replayed))
    metrics = json.loads(layout.metrics_path(genuine).read_text())
    layout.metrics_path(replayed).write_text(json.dumps({**metrics, "model_id": replayed,
                                                         "model_file": layout.model_path(replayed).name}))
    marker = folder / "payload-ran"
    payload = pickle.dumps(Payload(f"touch {marker}"))
    layout.model_path(forged).write_bytes(payload)
    layout.metrics_path(forged).write_text(json.dumps({**metrics, "model_id": forged,
                                                       "model_file": layout.model_path(forged).name,
                                                       "model_sha256": hashlib.sha256(payload).hexdigest()}))
    registry = Registry("models")
    for model_id in (replayed, forged):
        with pytest.raises(RegistryError, match="cannot be champion.*fails its signature check"):
            registry.promote(model_id, actor="test")
        pointer = json.loads(layout.champion.read_text())
        layout.champion.write_text(json.dumps({**pointer, "previous": [model_id]}))  # what a folder writer can do
        with pytest.raises(RegistryError, match="fails its signature check"):
            registry.rollback(actor="test")
    assert champion_id("models") == genuine and not marker.exists()


def legacy_pair(folder) -> str:
    """The old CLA's pair: a real model's pickle and a metrics file with the old keys only (no signature)."""
    layout = ModelsLayout.of(folder / "models")
    shutil.copyfile(layout.model_path(champion_id(layout.root)), layout.model_path(LEGACY_ID))
    layout.metrics_path(LEGACY_ID).write_text(json.dumps({
        "precision": 0.41, "recall": 0.77, "f1_score": 0.53, "accuracy": 0.9, "true_positives": 77,
        "false_positives": 111, "true_negatives": 1800, "false_negatives": 23, "training_samples": 8000,
        "test_samples": 2011}))
    return LEGACY_ID


def test_a_legacy_pair_is_listed_and_shown_but_loaded_only_when_allowed(folder, capsys):
    model_id = legacy_pair(folder)
    assert main(["models", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(model_id))
    assert line.split()[1] == "ok" and "0.770" in line
    assert main(["models", "show", model_id]) == 0
    shown = capsys.readouterr().out
    assert "recall" in shown and "integrity         unsigned: " in shown and "written by the old CLA" in shown
    with pytest.raises(ModelLoadError, match="unsigned.*--allow-unsigned"):
        load_model("models", model_id)
    assert main(["score", "alerts.csv", "--model", model_id]) == 1
    assert "--allow-unsigned" in capsys.readouterr().err
    alerts = pd.read_sql("SELECT * FROM feedback LIMIT 40", sqlite3.connect("data/feedback.db"))
    alerts.to_csv("real-alerts.csv", index=False)
    assert main(["score", "real-alerts.csv", "--model", model_id, "--allow-unsigned", "-o", "scored.csv"]) == 0
    assert pd.read_csv("scored.csv")["model_id"].astype(str).eq(model_id).all()
    assert load_model("models", model_id, allow_unsigned=True).metadata["model_id"] == model_id
