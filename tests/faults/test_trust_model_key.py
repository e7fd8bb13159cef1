"""The model key (issue 10, item 1): created 0600 outside the models folder with zero setup, and refused when unsafe.

Every test points the key somewhere of its own (``CLA_MODEL_KEY``, the
config option, or ``XDG_CONFIG_HOME`` with ``HOME`` moved to a temporary
folder), so no test reads or writes the real home directory's key.
"""

from __future__ import annotations

import stat

import joblib
import pytest

from trainer.config import load_config
from trainer.contract.layout import ModelsLayout
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry
from trainer.folder.scoring import ModelLoadError, load_model
from trainer.folder.signing import KeyUnavailable


class Model:
    """Enough of a triage model for load_model's shape check."""

    threshold = 0.5
    metadata: dict = {}

    def predict_proba(self, frame):  # pragma: no cover - never scored here
        raise NotImplementedError


@pytest.fixture
def no_unpickling(monkeypatch):
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("joblib.load was called on a refused file"))


def test_the_first_write_creates_a_private_key_where_configured(layout, tmp_path, monkeypatch):
    key = tmp_path / "secrets" / "cla" / "model.key"
    monkeypatch.setenv("CLA_MODEL_KEY", str(key))
    info = write_pair(layout, Model(), {"pr_auc": 0.7})
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) == 64
    assert load_model(layout.root, info.model_id).threshold == 0.5
    before = key.read_bytes()
    write_pair(layout, Model(), {"pr_auc": 0.7})
    assert key.read_bytes() == before, "a second write must reuse the key, not replace it"


def test_with_zero_setup_the_key_lives_in_the_users_config_folder(workdir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.delenv("CLA_MODEL_KEY")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    assert load_config().model_key_path == home / ".config" / "cla" / "model.key"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    layout = ModelsLayout.of(load_config().models_dir)
    write_pair(layout, Model(), {"pr_auc": 0.7})
    assert (tmp_path / "xdg" / "cla" / "model.key").is_file() and not home.exists()


def test_the_config_option_names_the_key_and_the_environment_overrides_it(workdir, monkeypatch):
    (workdir / "cla.toml").write_text('model_key_file = "keys/from-config.key"\n')
    monkeypatch.delenv("CLA_MODEL_KEY")
    assert load_config().model_key_path == workdir / "keys" / "from-config.key"
    monkeypatch.setenv("CLA_MODEL_KEY", str(workdir / "from-env.key"))
    assert load_config().model_key_path == workdir / "from-env.key"


def test_a_key_inside_the_models_folder_is_refused_and_nothing_is_written(layout, monkeypatch):
    monkeypatch.setenv("CLA_MODEL_KEY", str(layout.root / "model.key"))
    with pytest.raises(KeyUnavailable, match="inside the models folder"):
        write_pair(layout, Model(), {"pr_auc": 0.7})
    assert not list(layout.root.glob("trained_model_*")) and not (layout.root / "model.key").exists()


@pytest.mark.parametrize("mode, message", [(0o644, "readable by every user"), (0o620, "writable by other users")])
def test_a_key_others_could_read_or_replace_is_refused(layout, model_key, no_unpickling, mode, message):
    info = write_pair(layout, Model(), {"pr_auc": 0.7})
    Registry(layout.root).promote(info.model_id, actor="test")
    model_key.chmod(mode)
    try:
        with pytest.raises(ModelLoadError, match=f"{message}.*chmod 600"):
            load_model(layout.root, info.model_id)
        row = Registry(layout.root).list_models()[0]
        assert row.is_champion and row.integrity == "unverifiable" and message in row.integrity_reason
    finally:
        model_key.chmod(0o600)


def test_a_host_without_the_key_shows_signed_models_as_unverifiable_and_never_loads_them(
        layout, tmp_path, monkeypatch, no_unpickling):
    info = write_pair(layout, Model(), {"pr_auc": 0.7})
    Registry(layout.root).promote(info.model_id, actor="test")
    monkeypatch.setenv("CLA_MODEL_KEY", str(tmp_path / "not-copied-here.key"))
    with pytest.raises(ModelLoadError, match="does not exist.*copy the key of the host that trained them"):
        load_model(layout.root, info.model_id, allow_unsigned=True)
    registry = Registry(layout.root)
    assert registry.list_models()[0].integrity == "unverifiable"
    assert any(f"the champion {info.model_id} is unverifiable" in p for p in registry.problems())
    assert not (tmp_path / "not-copied-here.key").exists(), "a reader must never create a key"


def test_a_key_that_cannot_be_created_fails_the_training_with_the_reason_and_writes_no_pair(
        workdir, readonly_dir, monkeypatch, capsys):
    from trainer.cli import main

    monkeypatch.setenv("CLA_MODEL_KEY", str(readonly_dir / "cla" / "model.key"))
    (workdir / "cla.toml").write_text('[training]\npreset = "custom"\nmodel = "logistic_regression"\n'
                                      'imbalance = "class_weight"\npermutation_repeats = 0\n')
    assert main(["demo", "seed", "--rows", "1500"]) == 0
    assert main(["train"]) != 0
    out = capsys.readouterr()
    said = out.out + out.err
    assert f"cannot create the model key {readonly_dir / 'cla' / 'model.key'}" in said
    assert "model_key_file" in said
    assert not list((workdir / "models").glob("trained_model_*")) and not list((workdir / "models").glob("model_metrics_*"))
