"""Issue 10, items 2 and 3, on the pages: a tampered champion or an unreadable champion metrics file shows everywhere.

The Overview's banner turns DEGRADED and says to roll back or retrain, the
Champion tile names the verdict, the Models page marks the row, and Model
detail says why; a dashboard that is already open notices a file changed in
place (the watcher counts it). The dashboard never unpickles: it hashes.
"""

from __future__ import annotations

import json
import os

import joblib
import pytest
from helpers.pagetext import no_exception, page_text, run_until, table_with
from helpers.tampering import flip_one_byte

from trainer.folder.pairs import metrics_text

OVERVIEW, MODELS, DETAIL = "views/overview.py", "views/models.py", "views/model_detail.py"


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("the dashboard unpickled a model"))


def truncate_like_the_issue(layout, model_id: str) -> None:
    """Rewrite the pair's metrics file as the trainer writes it (summary first line), then cut it after that line."""
    path = layout.metrics_path(model_id)
    path.write_text(metrics_text(json.loads(path.read_text())))
    first_line = len(path.read_bytes().partition(b"\n")[0]) + 1
    os.truncate(path, max(first_line, min(3000, path.stat().st_size - 2)))


def banner(app) -> str:
    return next(box.value for box in [*app.success, *app.warning, *app.error, *app.info]
                if "LEARNING MODE:" in box.value)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_tampered_champion_is_degraded_on_the_overview_and_marked_on_every_page(scenario, build):
    champion = build.stamp(3)
    flip_one_byte(scenario.layout.model_path(champion))
    app = build.run_app(OVERVIEW)
    no_exception(app)
    said = banner(app)
    assert said.startswith("**LEARNING MODE: DEGRADED**") and f"the champion {champion} is tampered" in said
    assert "Roll back" in said and "retrain" in said
    assert next(m.value for m in app.metric if m.label == "Champion") == "tampered"
    app.switch_page(MODELS).run()
    no_exception(app)
    assert table_with(app, "PR-AUC").set_index("model").loc[champion, "mark"] == "★ champion ⚠ tampered"
    assert f"the champion {champion} is tampered" in "\n".join(table_with(app, "problem")["problem"])
    app.switch_page(DETAIL).run()
    no_exception(app)
    assert "Model file tampered: " in page_text(app) and "fails its signature check" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_an_open_overview_notices_the_champion_changed_in_place(scenario, build):
    app = build.run_app(OVERVIEW)
    assert banner(app).startswith("**LEARNING MODE: ACTIVE**")
    flip_one_byte(scenario.layout.model_path(build.stamp(3)))
    assert run_until(app, "LEARNING MODE: DEGRADED"), banner(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_verified_champion_says_so_on_model_detail(scenario, build):
    app = build.run_app(DETAIL)
    no_exception(app)
    assert "signature verified" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_truncated_champion_metrics_file_is_unreadable_on_every_page(scenario, build):
    champion = build.stamp(3)
    truncate_like_the_issue(scenario.layout, champion)
    scenario.layout.index.unlink(missing_ok=True)
    app = build.run_app(OVERVIEW)
    no_exception(app)
    said = banner(app)
    assert said.startswith("**LEARNING MODE: DEGRADED**") and f"the champion {champion} is unreadable" in said
    assert "not valid JSON as a whole" in said
    assert next(m.value for m in app.metric if m.label == "Champion") == "unreadable"
    assert next(m.value for m in app.metric if m.label == "Models trained") == "3"
    app.switch_page(MODELS).run()
    no_exception(app)
    assert champion not in table_with(app, "PR-AUC")["model"].tolist()
    problems = table_with(app, "problem")
    assert problems.set_index("file").loc[f"model_metrics_{champion}.json", "status"] == "unreadable"


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_an_open_overview_notices_a_metrics_file_truncated_in_place(scenario, build):
    champion = build.stamp(3)
    layout = scenario.layout
    layout.metrics_path(champion).write_text(metrics_text(json.loads(layout.metrics_path(champion).read_text())))
    app = build.run_app(OVERVIEW)
    assert banner(app).startswith("**LEARNING MODE: ACTIVE**")
    os.truncate(layout.metrics_path(champion), len(layout.metrics_path(champion).read_bytes().partition(b"\n")[0]) + 1)
    assert run_until(app, "LEARNING MODE: DEGRADED"), banner(app)
    assert f"the champion {champion} is unreadable" in banner(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_champion_in_the_old_clas_format_is_shown_with_its_numbers_but_not_as_healthy(scenario, build):
    champion = build.stamp(3)
    path = scenario.layout.metrics_path(champion)
    metrics = json.loads(path.read_text())
    for key in ("model_hmac", "model_key_id", "model_sha256", "schema_version"):  # what the old CLA wrote
        del metrics[key]
    path.write_text(json.dumps(metrics))
    app = build.run_app(OVERVIEW)
    no_exception(app)
    said = banner(app)
    assert said.startswith("**LEARNING MODE: DEGRADED**") and f"the champion {champion} is unsigned" in said
    assert next(m.value for m in app.metric if m.label == "Champion") == "PR-AUC 0.790"
    assert "unsigned: not loaded without --allow-unsigned" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_champion_whose_signature_was_removed_is_tampered_not_old(scenario, build):
    champion = build.stamp(3)
    path = scenario.layout.metrics_path(champion)
    metrics = json.loads(path.read_text())
    del metrics["model_hmac"], metrics["model_key_id"]
    path.write_text(json.dumps(metrics))
    app = build.run_app(OVERVIEW)
    no_exception(app)
    said = banner(app)
    assert said.startswith("**LEARNING MODE: DEGRADED**") and f"the champion {champion} is tampered" in said
    assert f"the champion {champion} is unsigned" not in said and "has no signature although" in said


def test_a_stopped_trainer_with_a_tampered_champion_is_degraded_and_says_both():
    from dashboard.banner import DEGRADED, derive_banner
    from trainer.contract.status import ServiceStatus

    champion = {"model_id": "20261120_110000", "useful": True, "integrity": "tampered"}
    said = derive_banner(ServiceStatus.from_json({"state": "stopped", "message": "stopped by alice"}), champion, [champion],
                         champion_problem="the champion 20261120_110000 is tampered: it fails its signature check")
    assert said.state == DEGRADED and said.level == "error"
    assert "Roll back" in said.reason and "Retrain now" in said.reason and "stopped by alice" in said.reason
