"""trainer.folder.scoring and `cla score`: only a verified pickle from inside the models folder is ever loaded."""

from __future__ import annotations

import json
import os

import joblib
import numpy as np
import pandas as pd
import pytest
from helpers.frames import feedback_frame

from trainer import load_champion
from trainer.cli import main
from trainer.learning.api import fit
from trainer.folder.pairs import write_pair
from trainer.folder.registry import Registry
from trainer.folder.scoring import ModelLoadError, load_model, score_frame


@pytest.fixture(scope="module")
def model():
    return fit(feedback_frame(800, seed=2), preset="custom", model="logistic_regression", imbalance="class_weight")


@pytest.fixture
def alerts() -> pd.DataFrame:
    return feedback_frame(50, seed=9, post_triage=False).drop(columns=["is_true_positive"])


@pytest.fixture
def served(layout, model) -> str:
    model_id = write_pair(layout, model, {"pr_auc": 0.7}).model_id
    Registry(layout.root).promote(model_id, actor="test")
    return model_id


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail the test if anything reaches joblib.load."""
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("joblib.load was called on a refused file"))


def test_the_champion_loads_and_scores_alerts(layout, served, model, alerts):
    champion = load_champion(layout.root)
    scored = score_frame(champion, alerts)
    expected = model.predict_proba(alerts)[:, 1]
    assert np.allclose(scored["tp_probability"], expected)
    assert (scored["tp_decision"] == (expected >= model.threshold)).all()
    assert set(scored["model_id"]) == {served}
    assert list(scored.columns[:len(alerts.columns)]) == list(alerts.columns)


def test_load_champion_defaults_to_the_configured_models_folder(served, workdir):
    assert load_champion().metadata["model_id"] == served


@pytest.mark.parametrize("old_module", ["trainer.model", "trainer.learning.model"])
def test_a_champion_pickled_before_the_trainer_moved_into_subpackages_still_loads(layout, model, alerts,
                                                                                  monkeypatch, old_module):
    """A pickle names its classes by module path: one written by an older CLA says ``trainer.model``, one
    written before the learning layer was split says ``trainer.learning.model``."""
    import sys

    from trainer.learning import triage_model

    with monkeypatch.context() as old_layout:
        old_layout.setitem(sys.modules, old_module, triage_model)
        old_layout.setattr(type(model), "__module__", old_module)
        model_id = write_pair(layout, model, {"pr_auc": 0.7}).model_id
    monkeypatch.delitem(sys.modules, old_module, raising=False)
    with pytest.raises(ModuleNotFoundError, match=old_module):
        joblib.load(layout.model_path(model_id))  # the old path is really in the pickle
    Registry(layout.root).promote(model_id, actor="test")
    champion = load_champion(layout.root)
    assert type(champion).__name__ == "TriageModel"
    assert np.allclose(champion.predict_proba(alerts)[:, 1], model.predict_proba(alerts)[:, 1])


def test_a_tampered_pickle_is_refused_before_unpickling(layout, served, no_unpickling):
    with open(layout.model_path(served), "ab") as fh:
        fh.write(b"\x00")
    with pytest.raises(ModelLoadError) as raised:
        load_champion(layout.root)
    assert layout.model_path(served).name in str(raised.value) and "SHA-256" in str(raised.value)


def test_a_legacy_pair_without_a_signature_is_refused(layout, no_unpickling):
    layout.metrics_path("20250601_100000").write_text(json.dumps({"precision": 0.5, "recall": 0.5}))
    layout.model_path("20250601_100000").write_bytes(b"old pickle")
    with pytest.raises(ModelLoadError, match="unsigned.*old CLA.*--allow-unsigned"):
        load_model(layout.root, "20250601_100000")


def test_a_pickle_linked_from_outside_the_models_folder_is_refused(layout, served, tmp_path, no_unpickling):
    outside = tmp_path / "elsewhere.pkl"
    outside.write_bytes(layout.model_path(served).read_bytes())
    layout.model_path(served).unlink()
    os.symlink(outside, layout.model_path(served))
    with pytest.raises(ModelLoadError, match="outside the models folder"):
        load_model(layout.root, served)


def test_a_metrics_file_naming_another_model_file_is_refused(layout, served, no_unpickling):
    metrics = json.loads(layout.metrics_path(served).read_text())
    metrics["model_file"] = "../../tmp/evil.pkl"
    layout.metrics_path(served).write_text(json.dumps(metrics))
    with pytest.raises(ModelLoadError, match="refusing"):
        load_model(layout.root, served)


@pytest.mark.parametrize("model_id", ["../models/20261123_120000", "20261123_120000.pkl", ""])
def test_ids_that_are_not_stamps_are_refused(layout, model_id, no_unpickling):
    with pytest.raises(ModelLoadError, match="not a model id"):
        load_model(layout.root, model_id)


def test_no_champion_says_how_to_get_one(layout):
    with pytest.raises(ModelLoadError, match="no champion.*cla train"):
        load_champion(layout.root)


def test_cla_score_writes_the_scored_file(layout, served, alerts, workdir, capsys):
    alerts.to_csv(workdir / "alerts.csv", index=False)
    assert main(["score", "alerts.csv", "-o", "scored.csv"]) == 0
    scored = pd.read_csv(workdir / "scored.csv")
    assert len(scored) == len(alerts) and {"tp_probability", "tp_decision", "model_id"} <= set(scored.columns)
    assert scored["tp_probability"].between(0, 1).all()
    assert f"scored {len(alerts)} alert(s) with model {served}" in capsys.readouterr().err


def test_cla_score_with_a_named_model_and_parquet(layout, served, alerts, workdir):
    alerts.to_parquet(workdir / "alerts.parquet", index=False)
    assert main(["score", "alerts.parquet", "-o", "scored.parquet", "--model", served]) == 0
    assert pd.read_parquet(workdir / "scored.parquet")["model_id"].eq(served).all()


def drop_a_feature(frame, layout, served):
    return frame.drop(columns=["src_reputation"])


def tamper_with_the_model(frame, layout, served):
    layout.model_path(served).write_bytes(b"x")
    return frame


@pytest.mark.parametrize("change, message", [(drop_a_feature, "the alerts file is missing feature column(s) src_reputation"),
                                             (tamper_with_the_model, "SHA-256")])
def test_cla_score_fails_with_a_named_reason(layout, served, alerts, workdir, capsys, change, message):
    change(alerts, layout, served).to_csv(workdir / "alerts.csv", index=False)
    assert main(["score", "alerts.csv", "-o", "scored.csv"]) == 1
    assert message in capsys.readouterr().err
    assert not (workdir / "scored.csv").exists()


def test_cla_score_names_an_output_it_cannot_write_and_what_to_do(layout, served, alerts, workdir, capsys):
    alerts.to_csv(workdir / "alerts.csv", index=False)
    assert main(["score", "alerts.csv", "-o", "no-such-folder/scored.csv"]) == 1
    err = capsys.readouterr().err
    assert "cannot write no-such-folder/scored.csv" in err and "-o" in err
    assert "[Errno" not in err


def test_the_sample_alerts_file_in_the_docs_is_the_demo_generators_and_scores(layout, served, workdir, capsys):
    """Issue 25 item 14: the README had no file to try `cla score` on."""
    from pathlib import Path

    from trainer.feedback.demo import ALERT_COLUMNS, sample_alerts

    sample = Path(__file__).resolve().parents[2] / "docs" / "examples" / "alerts.csv"
    assert sample.read_text(encoding="utf-8") == sample_alerts().to_csv(index=False), \
        "regenerate it: sample_alerts().to_csv('docs/examples/alerts.csv', index=False)"
    frame = pd.read_csv(sample)
    assert list(frame.columns) == ALERT_COLUMNS and "is_true_positive" not in frame.columns
    assert main(["score", str(sample), "-o", "scored.csv"]) == 0
    scored = pd.read_csv(workdir / "scored.csv")
    assert len(scored) == len(frame) == 25 and scored["tp_probability"].between(0, 1).all()
    assert f"scored 25 alert(s) with model {served}" in capsys.readouterr().err
