"""Issue 25: a fact that appears in several places reads the same in each (AppTest pages and the CLI).

The browser walk over whole scenario folders is tests/browser/test_truth_across_pages.py;
these are the per-item checks that fail on the old behaviour.
"""

from __future__ import annotations

import pytest

from tests.helpers.pagetext import page_text, table_with
from trainer.cli import main

IMBALANCE = {"code": "severe_imbalance", "severity": "warning",
             "message": "only 4.0% of the training window are true positives (300 of 7,500), below 5%"}


@pytest.fixture
def useful_imbalanced(dash_env, build):
    """A useful champion whose stored warning is a severe imbalance, stored with the trainer's severity 'warning'."""
    model_id = build.stamp(0)
    assert main(["--config", str(dash_env.config_file), "demo", "seed", "--rows", "400", "--days", "5"]) == 0
    build.write_pair(dash_env.models_dir, build.healthy_metrics(model_id, warnings=[IMBALANCE]))
    build.write_champion(dash_env.models_dir, model_id)
    return model_id


def test_one_imbalance_warning_reads_with_one_severity_everywhere(useful_imbalanced, dash_env, build, capsys):
    model_id = useful_imbalanced
    overview = build.run_app()
    [panel] = [e for e in overview.expander if e.label.startswith("Warnings")]
    # information on a useful model: listed, but it neither opens the panel nor counts as a warning
    assert panel.label == "Warnings (0) · 1 note"
    assert f"**info** · champion {model_id}: only 4.0%" in page_text(overview)

    balance = build.run_app("views/balance.py")
    assert any(e.label.startswith(f"Warnings of {model_id}: severe imbalance (info)") for e in balance.expander)

    models = build.run_app("views/models.py")
    assert table_with(models, "warnings")["warnings"].tolist() == ["severe imbalance (info)"]

    assert main(["--models-dir", str(dash_env.models_dir), "models", "show", model_id]) == 0
    shown = [line.strip() for line in capsys.readouterr().out.splitlines() if "severe imbalance" in line]
    assert shown == [f"info     severe imbalance: {IMBALANCE['message']}"]


def test_the_same_warning_on_a_model_that_is_not_useful_stays_a_warning(dash_env, build):
    model_id = build.stamp(0)
    build.write_pair(dash_env.models_dir, build.degenerate_metrics(model_id))
    models = build.run_app("views/models.py")
    cell = table_with(models, "warnings")["warnings"].iloc[0]
    assert cell.startswith("predicts one class (blocking), majority accuracy (blocking)")
    assert "severe imbalance" in cell and "severe imbalance (info)" not in cell
