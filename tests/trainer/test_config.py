"""The configuration: defaults, the TOML file, the environment, and clear errors."""

import dataclasses
from typing import Any

import pytest

from trainer.config import Config, ConfigError, SourceConfig, TrainingConfig, load_config
from trainer.monitoring.settings import DriftConfig
from trainer.options import allowed_values, coerce


def test_defaults_live_in_the_working_directory(workdir):
    config = load_config()
    assert config.layout.root == workdir / "models"
    assert config.source_path == workdir / "data" / "feedback.db"
    assert config.dashboard.address == "127.0.0.1" and config.dashboard.port == 8503


def test_file_then_env_then_argument(workdir, monkeypatch):
    (workdir / "c.toml").write_text('models_dir = "from-file"\n[training]\nobjective = "f1"\n')
    assert load_config("c.toml").models_dir == "from-file"
    monkeypatch.setenv("CLA_CONFIG", "c.toml")
    assert load_config().training.objective == "f1"
    monkeypatch.setenv("CLA_MODELS_DIR", "from-env")
    assert load_config().models_dir == "from-env"
    assert load_config(models_dir="from-arg").models_dir == "from-arg"


@pytest.mark.parametrize("toml, key", [
    ('[training]\nholdout_fraction = 0.9\n', "training.holdout_fraction"),
    ('[training]\nobjective = "accuracy"\n', "training.objective"),
    ('[service]\nmin_new_rows = "many"\n', "service.min_new_rows"),
    ('[trainng]\nobjective = "f1"\n', "trainng"),
    ('[training]\ntarget = nan\n', "training.target"),  # TOML's nan: every range check passes it
    ('[drift]\npsi_major = inf\n', "drift.psi_major"),
])
def test_bad_value_names_its_key(workdir, toml, key):
    (workdir / "bad.toml").write_text(toml)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config("bad.toml")


def test_missing_and_invalid_files_are_named(workdir):
    with pytest.raises(ConfigError, match="nope.toml does not exist"):
        load_config("nope.toml")
    (workdir / "broken.toml").write_text("[training\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config("broken.toml")


@pytest.mark.parametrize("toml, expected", [
    ('positive_value = "tp"', "tp"),            # the CSV example in docs/CONFIG.md
    ('positive_value = "malicious"', "malicious"),
    ("positive_value = 1", 1),
    ("positive_value = true", True),
])
def test_positive_value_accepts_the_value_the_label_column_holds(workdir, toml, expected):
    (workdir / "c.toml").write_text(f"[schema]\n{toml}\n")
    assert load_config("c.toml").schema.positive_value == expected


def test_positive_value_that_is_not_a_single_value_names_its_key(workdir):
    (workdir / "bad.toml").write_text("[schema]\npositive_value = [1]\n")
    with pytest.raises(ConfigError, match=r"schema\.positive_value"):
        load_config("bad.toml")


@pytest.mark.parametrize("build, key", [
    (lambda: TrainingConfig(target=7), "training.target"),
    (lambda: TrainingConfig(objective="accuracy"), "training.objective"),
    (lambda: SourceConfig(kind="oracle"), "source.kind"),
    (lambda: DriftConfig(bins=1), "drift.bins"),
    (lambda: Config(models_dir=3), "models_dir"),
])
def test_a_config_built_in_code_is_checked_on_construction(build, key):
    with pytest.raises(ConfigError, match=rf"^{key}: "):
        build()


def test_a_config_built_in_code_takes_values_as_a_file_would():
    training = TrainingConfig(target=1, objective="f1", calibration="isotonic", holdout_positives=50)
    assert training.target == 1.0 and isinstance(training.target, float)
    assert (training.objective, training.calibration, training.holdout_positives) == ("f1", "isotonic", 50)


def test_every_default_is_an_allowed_value():
    """Defaults are not re-checked on construction (so the owners of choice lists load only when needed): check them here."""
    def walk(group, prefix):
        for f in dataclasses.fields(group):
            value = getattr(group, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            elif "help" in f.metadata and f.type not in ("Any", Any):
                assert coerce(f"{prefix}{f.name}", value, value, dict(f.metadata)) == value

    walk(Config(), "")


def test_choice_lists_come_from_the_modules_that_own_them():
    from trainer.feedback.sources import KINDS
    from trainer.learning.calibration import METHODS
    from trainer.learning.thresholds import OBJECTIVES

    choices = {f.name: allowed_values(f.metadata) for f in dataclasses.fields(TrainingConfig)}
    assert choices["objective"] == OBJECTIVES
    assert choices["calibration"] == ("none", *METHODS)
    assert allowed_values({f.name: f for f in dataclasses.fields(SourceConfig)}["kind"].metadata) == tuple(KINDS)
