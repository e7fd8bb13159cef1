"""The configuration reference stays complete, and `cla` reports bad options by name."""

from pathlib import Path

from trainer.cli import main
from trainer.config import describe_options

DOCS = Path(__file__).resolve().parents[2] / "docs" / "CONFIG.md"


def test_every_option_is_documented():
    text = DOCS.read_text()
    missing = [key for key, _, _ in describe_options() if f"`{key}`" not in text]
    assert not missing, f"docs/CONFIG.md lacks {missing}; regenerate with `cla config options --markdown`"


def test_the_families_table_in_the_docs_is_the_one_the_declarations_give(capsys):
    assert main(["config", "families"]) == 0
    table = capsys.readouterr().out.strip()
    assert "| `balanced_random_forest` |" in table and "| `legacy` |" in table
    assert table in DOCS.read_text(), "docs/CONFIG.md's families table is stale; regenerate with `cla config families`"


def test_bad_config_value_exits_2_naming_the_key(workdir, capsys):
    (workdir / "cla.toml").write_text('[training]\nobjective = "accuracy"\n')
    assert main(["config", "show"]) == 2
    assert "training.objective" in capsys.readouterr().err


def test_models_dir_option_and_environment(workdir, capsys, monkeypatch):
    assert main(["config", "show", "--models-dir", "elsewhere"]) == 0
    assert '"models_dir": "elsewhere"' in capsys.readouterr().out
    monkeypatch.setenv("CLA_MODELS_DIR", "from-env")
    assert main(["config", "show"]) == 0
    assert '"models_dir": "from-env"' in capsys.readouterr().out
