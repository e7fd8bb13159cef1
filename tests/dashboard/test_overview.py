"""Overview page (AppTest) in every folder state, its controls, and the control decisions behind them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dashboard.controls import button_states, notice, notice_current, progress_of, result_of
from trainer.contract.status import ServiceStatus
from trainer.folder.events import local_user
from trainer.passwords import hash_password

OVERVIEW = "views/overview.py"


def banner_text(app) -> str:
    boxes = [*app.success, *app.warning, *app.error, *app.info]
    found = [box.value for box in boxes if "LEARNING MODE:" in box.value]
    assert len(found) == 1, f"expected one banner, got {found}"
    return found[0]


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def captions(app) -> str:
    return "\n".join(c.value for c in app.caption)


def warnings_panel(app) -> str:
    return "\n".join(m.value for m in app.markdown)


@pytest.mark.parametrize("scenario, state, banner_says, models, champion, panel_says", [
    ("empty", "NO MODEL YET", "run `cla demo seed`", "0", "none", ""),
    ("legacy", "STOPPED", "Press Start", "3", "none", "old CLA metrics file, no PR-AUC recorded"),
    ("degenerate", "DEGRADED", "all 5 models predict one class", "5", "none",
     "accuracy 0.94 but F1 0.00: the model calls every alert benign"),
    ("healthy", "ACTIVE", "champion 20261120_110000, PR-AUC 0.790, F1 0.740, recall 0.950", "4", "PR-AUC 0.790", ""),
    ("crashed", "CRASHED", "Last error: MemoryError while fitting random_forest", "4", "PR-AUC 0.790", ""),
    ("unreadable", "ACTIVE", "champion 20261120_110000", "4", "PR-AUC 0.790", "is not valid JSON"),
], indirect=["scenario"])
def test_overview_tells_the_truth_in_every_state(scenario, build, state, banner_says, models, champion, panel_says):
    app = build.run_app(OVERVIEW)
    assert not app.exception
    banner = banner_text(app)
    assert banner.startswith(f"**LEARNING MODE: {state}**")
    assert banner_says in banner
    assert metric(app, "Models trained") == models
    assert metric(app, "Champion") == champion
    assert panel_says in warnings_panel(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_champion_tile_shows_f1_and_recall_at_threshold(scenario, build):
    app = build.run_app(OVERVIEW)
    assert "F1 0.740 · recall 0.950 at threshold 0.180 · 20261120_110000" in captions(app)
    assert metric(app, "Trainer") == "idle"
    assert metric(app, "Last training").endswith("ago")
    assert "2026-11-20 11:00:00 UTC" in captions(app)


@pytest.mark.parametrize("scenario", ["unreadable"], indirect=True)
def test_unreadable_file_is_counted_apart_and_listed_once(scenario, build):
    app = build.run_app(OVERVIEW)
    assert "1 file(s) unreadable or incomplete" in captions(app)
    assert warnings_panel(app).count("model_metrics_20261120_130000.json is not valid JSON") == 1


def test_feedback_tile_counts_labelled_positives_and_new_rows(dash_env, build):
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    store.insert_frame(dash_env.root / "data" / "feedback.db", generate_history(rows=300, days=5, seed=3))
    app = build.run_app(OVERVIEW)
    labelled = store.count(dash_env.root / "data" / "feedback.db", labelled=True)
    positives = store.stats(dash_env.root / "data" / "feedback.db")["positives"]
    assert metric(app, "Feedback available") == f"{labelled:,} labelled"
    assert f"{positives:,} true positives in the whole store · {labelled:,} new (no training has read any yet)" in captions(app)
    assert "in the last 90 days, the window the trainer reads · " in captions(app)
    assert "press Start, then Retrain now" in banner_text(app)


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_the_feedback_tile_says_when_the_folders_models_did_not_come_from_that_store(scenario, build):
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    store.insert_frame(scenario.root / "data" / "feedback.db", generate_history(rows=300, days=5, seed=3))
    app = build.run_app(OVERVIEW)
    assert "this folder's newest model does not record which feedback it was trained on" in captions(app)
    build.write_pair(scenario.models_dir, {**build.healthy_metrics(build.stamp(5)),
                                           "source": {"kind": "sqlite", "description": "the feedback store elsewhere.db"}})
    app = build.run_app(OVERVIEW)
    assert "this folder's newest model was trained on the feedback store elsewhere.db instead" in captions(app)


def test_a_missing_feedback_store_is_not_shown_as_zero_rows(dash_env, build):
    app = build.run_app(OVERVIEW)
    assert metric(app, "Feedback available") == "no store"
    missing = f"the feedback store {dash_env.root / 'data' / 'feedback.db'} does not exist"
    assert missing in captions(app)
    assert missing in warnings_panel(app)
    assert "run `cla demo seed`" in banner_text(app)
    assert metric(app, "Last training") == "never"


def test_unreadable_feedback_source_reads_unknown_with_the_reason(dash_env, build):
    database = dash_env.root / "data" / "feedback.db"
    database.parent.mkdir()
    database.write_bytes(b"this is not a database at all" * 100)
    app = build.run_app(OVERVIEW)
    assert metric(app, "Feedback available") == "unknown"
    assert "the feedback source cannot be read" in captions(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_retrain_pressed_in_two_tabs_queues_one_request_recorded_with_the_user(scenario, build):
    first, second = build.run_app(OVERVIEW), build.run_app(OVERVIEW)
    assert first.button(key="control_start").disabled
    first.button(key="control_retrain").click().run()
    assert not first.exception
    assert any("retrain requested" in box.value and box.value.endswith(f"; asked by `{local_user()}`")
               for box in first.info)
    assert first.button(key="control_retrain").disabled, "a queued retrain must disable the button"
    second.button(key="control_retrain").click().run()
    assert any("already queued" in box.value for box in second.info)
    assert len(list(scenario.layout.requests_dir.glob("*.json"))) == 1
    asked = [e for e in build.json_lines(scenario.layout.events) if e["event"] == "retrain_requested"]
    assert [e["actor"] for e in asked] == [local_user(), local_user()]


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
@pytest.mark.parametrize("stage, tile_value, stage_text", [
    ("evaluating", "training · evaluating", "Stage 4 of 6: evaluating"),
    ("training", "training", "Stage 3 of 6: training"),
])
def test_progress_follows_the_training_stage(scenario, build, stage, tile_value, stage_text):
    started = (datetime.now(timezone.utc) - timedelta(seconds=30)).isoformat()
    build.write_status(scenario.models_dir, state="training", stage=stage,
                       current={"trigger": "force", "actor": "alice", "started_at": started})
    app = build.run_app(OVERVIEW)
    assert metric(app, "Trainer") == tile_value
    bar = app.get("progress")[0]
    assert stage_text in bar.proto.text and "asked by `alice`" in bar.proto.text
    assert app.button(key="control_retrain").disabled


def test_read_only_when_served_beyond_localhost_without_a_login(dash_env, build):
    build.serve_on("0.0.0.0")
    app = build.run_app(OVERVIEW)
    assert all(app.button(key=f"control_{name}").disabled for name in ("start", "stop", "retrain"))
    assert "Read-only: the dashboard is served on 0.0.0.0" in captions(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_password_login_unlocks_controls_and_names_the_actor(scenario, build, login_clock):
    build.serve_on("0.0.0.0")
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(build.APP), default_timeout=30)
    app.secrets["auth"] = {"password_hash": hash_password("correct horse")}
    app.run()  # the Overview is the default page
    assert app.button(key="control_retrain").disabled
    app.text_input(key="login_name").input("alice")
    app.text_input(key="login_password").input("wrong")
    app.form_submit_button[0].click().run()
    assert any("Wrong password" in e.value for e in app.error)
    login_clock.advance(1)
    app.text_input(key="login_name").input("alice")
    app.text_input(key="login_password").input("correct horse")
    app.form_submit_button[0].click().run()
    assert not app.button(key="control_retrain").disabled
    app.button(key="control_retrain").click().run()
    asked = [e for e in build.json_lines(scenario.layout.events) if e["event"] == "retrain_requested"]
    assert [e["actor"] for e in asked] == ["alice (shared password)"]  # a typed name, marked as such


RUNNING = {"state": "idle", "running": True, "service_pid": 42}
STOPPED = {"state": "stopped", "running": False}


def status_of(data: dict) -> ServiceStatus:
    """A status as control.status gives it, from its JSON."""
    return ServiceStatus.from_json(data)


@pytest.mark.parametrize("status, enabled", [
    (STOPPED, {"start", "retrain"}),
    (RUNNING, {"stop", "retrain"}),
    ({**RUNNING, "state": "training"}, {"stop"}),
    ({**RUNNING, "queued_requests": 1}, {"stop"}),
    ({**STOPPED, "training_pid": 99}, {"start"}),
    ({**RUNNING, "state": "stopping"}, set()),
    ({"state": "crashed", "running": False}, {"start", "retrain"}),
])
def test_buttons_enabled_only_when_pressing_them_makes_sense(status, enabled):
    states = button_states(status_of(status), True, "")
    assert {name for name, state in states.items() if not state.disabled} == enabled


def test_every_button_is_disabled_with_the_access_reason():
    states = button_states(status_of(RUNNING), False, "Read-only: no login")
    assert all(state.disabled and state.help == "Read-only: no login" for state in states.values())


def test_progress_and_result_sentences():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert progress_of(status_of(STOPPED)) is None
    fraction, text = progress_of(status_of({"state": "training", "stage": "loading data",
                                            "current": {"started_at": "2026-11-23T11:58:00+00:00"}}), now)
    assert 0 < fraction < 1 / 6 and text == "Stage 1 of 6: loading data, started 2 min ago"
    assert result_of(status_of({"last_result": None})) is None
    failed = result_of(status_of({"last_result": {"outcome": "failed", "message": "disk full",
                                                  "finished_at": "2026-11-23T11:59:00+00:00"}}), now)
    assert failed == ("error", "Last training failed 1 min ago: disk full")
    level, text = result_of(status_of({"last_result": {"outcome": "finished", "model_id": "20261123_115900",
                                                       "message": "promoted", "duration_s": 14.2}}), now)
    assert level == "success" and "model 20261123_115900:" in text and "in 14 s" in text


def test_a_rejected_result_says_why_in_the_same_line_and_is_not_a_success():
    last = {"outcome": "finished", "model_id": "20261123_115900",
            "message": "model 20261123_115900: PR-AUC 0.560, recall 0.900 at threshold 0.020, precision 0.110; "
                       "not promoted: PR-AUC 0.560 vs champion 0.573 on the same test slice: change -0.013"}
    level, text = result_of(status_of({"last_result": last}), decision="rejected")
    assert level == "warning"
    assert "not promoted: PR-AUC 0.560 vs champion 0.573 on the same test slice" in text
    assert "model 20261123_115900" in text and "](" not in text
    # without the model's record (pruned), the trainer's words still keep it out of the green box
    assert result_of(status_of({"last_result": last}))[0] == "warning"
    assert result_of(status_of({"last_result": {**last, "message": "model 20261123_115900: first champion"}}),
                     decision="first_champion")[0] == "success"


def test_an_action_notice_goes_once_a_training_ended_after_it():
    pressed = notice("success", "the trainer service is off: one training runs in its own process (pid 7)")
    assert notice_current(pressed, status_of({"last_result": None}))
    before = status_of({"last_result": {"outcome": "finished", "finished_at": "2020-01-01T00:00:00+00:00"}})
    assert notice_current(pressed, before), "an older result does not answer the press"
    after = status_of({"last_result": {"outcome": "finished", "finished_at": datetime.now(timezone.utc).isoformat()}})
    assert not notice_current(pressed, after)
    assert not notice_current(pressed, status_of({"last_result": None}), now=pressed[2] + 61)


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_legacy_champion_is_flagged_as_having_no_pr_auc(scenario, build):
    build.write_champion(scenario.models_dir, build.stamp(2))
    with build.running_service(scenario.models_dir, last_result=build.succeeded(build.stamp(2))):
        app = build.run_app(OVERVIEW)
    assert metric(app, "Champion") == "PR-AUC unknown"
    assert "legacy file: no PR-AUC recorded" in captions(app)
    assert "old CLA metrics file, no PR-AUC recorded" in warnings_panel(app)
    assert not banner_text(app).startswith("**LEARNING MODE: ACTIVE**")


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_a_degenerate_legacy_model_is_named_in_the_banner_and_the_warnings(scenario, build):
    newest = build.stamp(3)
    build.write_pair(scenario.models_dir, {**build.legacy_metrics(newest, accuracy=1.0, f1_score=0.0),
                                           "precision": 0.0, "recall": 0.0, "true_positives": 0,
                                           "false_positives": 0, "true_negatives": 800, "false_negatives": 0},
                     model_id=newest)
    app = build.run_app(OVERVIEW)
    assert "the last model predicts one class" in banner_text(app)
    panel = warnings_panel(app)
    assert f"latest model {newest}: old CLA metrics file" in panel
    assert "flagged none of the 800 test alerts as a true positive" in panel
    assert f":material/block: **blocking** · latest model {newest}" in panel, "an icon every browser can draw"
    assert panel.index("**blocking**") < panel.index("**info**"), "the most severe warning comes first"


def test_a_models_folder_that_cannot_be_created_is_named_in_the_warnings(dash_env, build, readonly_dir, monkeypatch):
    monkeypatch.setenv("CLA_MODELS_DIR", str(readonly_dir / "models"))
    app = build.run_app(OVERVIEW)
    assert not app.exception
    assert f"models folder {readonly_dir / 'models'} cannot be created" in warnings_panel(app)
    assert metric(app, "Models trained") == "0"


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_imbalance_of_a_useful_model_is_information_not_an_alarm(scenario, build):
    rare = {"code": "severe_imbalance", "severity": "warning",
            "message": "only 4.0% of the training window (training set + validation slice) are true positives"}
    build.write_pair(scenario.models_dir, {**build.healthy_metrics(build.stamp(5), warnings=[rare], decision="rejected"),
                                           "useful": False})
    app = build.run_app(OVERVIEW)
    assert f"**warning** · latest model {build.stamp(5)}: only 4.0% of the training window" in warnings_panel(app)
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(6), warnings=[rare], decision="rejected"))
    app = build.run_app(OVERVIEW)
    assert f"**info** · latest model {build.stamp(6)}: only 4.0% of the training window" in warnings_panel(app)
