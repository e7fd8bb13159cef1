"""Every control action checks access where it runs, not only by disabling its button.

Streamlit drops a click on a button that was disabled when it was drawn, and
that was all that protected the actions. A button drawn while the session was
logged in still sends its click after the session has logged out; and an action
can be called without any button. Either way the action must be refused, shown
as an error, and recorded in the event log with who tried.
"""

from __future__ import annotations

import pytest
from helpers.pagetext import no_exception, page_text

from dashboard.access import USER_KEY
from trainer.service import control
from trainer.config import load_config
from trainer.locking import who_holds
from trainer.folder.registry import Registry

OVERVIEW = "views/overview.py"
MODELS = "views/models.py"


def refusals(build, env) -> list[dict]:
    return [e for e in build.json_lines(env.layout.events) if e["event"] == "action_refused"] \
        if env.layout.events.exists() else []


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_retrain_click_sent_after_logging_out_is_refused_and_recorded(scenario, build):
    build.serve_on("0.0.0.0")
    app = build.run_app()
    app.session_state[USER_KEY] = "alice"
    app.run()
    assert not app.button(key="control_retrain").disabled  # drawn for alice
    del app.session_state[USER_KEY]  # alice is gone; her page still holds an enabled button
    app.button(key="control_retrain").click().run()
    no_exception(app)
    asked = [e for e in build.json_lines(scenario.layout.events) if e["event"] == "retrain_requested"]
    assert asked == [], "a session that is not logged in queued a retrain"
    assert any(e.value.startswith("Retrain refused: Read-only") for e in app.error)
    [refused] = refusals(build, scenario)
    assert refused["actor"] == "anonymous" and refused["details"]["action"] == "retrain"
    assert "served on 0.0.0.0" in refused["message"]


def test_the_control_callback_called_without_a_button_is_refused_and_recorded(dash_env, build):
    from streamlit.testing.v1 import AppTest

    def press_start_without_the_button():
        import streamlit as st

        from dashboard import controls

        controls._act("start")
        st.error(st.session_state[controls.NOTICE_KEY][1])

    build.serve_on("0.0.0.0")
    app = AppTest.from_function(press_start_without_the_button, default_timeout=30)
    try:
        app.run()
        assert who_holds(dash_env.layout.service_lock) is None, "the trainer started"
    finally:
        if who_holds(dash_env.layout.service_lock):  # the fault: stop the trainer it started
            control.stop(load_config(dash_env.config_file), "tester", timeout=20)
    no_exception(app)
    assert app.error[0].value.startswith("Start refused: Read-only: the dashboard is served on 0.0.0.0")
    [refused] = refusals(build, dash_env)
    assert refused["actor"] == "anonymous" and refused["details"]["action"] == "start"


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_promote_click_sent_after_logging_out_is_refused_and_recorded(scenario, build):
    build.serve_on("0.0.0.0")
    app = build.run_app(MODELS)
    app.session_state[USER_KEY] = "alice"
    app.run()
    app.checkbox(key="models_promote_confirm").check().run()
    assert not app.button(key="models_promote").disabled  # drawn for alice
    target = app.selectbox(key="models_promote_target").value
    del app.session_state[USER_KEY]
    app.button(key="models_promote").click().run()
    no_exception(app)
    assert Registry(scenario.models_dir).champion().model_id == build.stamp(3), "the champion changed"
    assert f"Last action: promote {target} refused: Read-only" in page_text(app)
    [refused] = refusals(build, scenario)
    assert refused["actor"] == "anonymous" and refused["details"]["action"] == f"promote {target}"


def test_a_refusal_that_cannot_be_recorded_is_still_refused_and_says_so(dash_env, build):
    from streamlit.testing.v1 import AppTest

    def press_retrain_without_the_button():
        import streamlit as st

        from dashboard import controls

        controls._act("retrain")
        st.error(st.session_state[controls.NOTICE_KEY][1])

    build.serve_on("0.0.0.0")
    dash_env.layout.events.mkdir()  # a folder where the log file should be: appending fails
    app = AppTest.from_function(press_retrain_without_the_button, default_timeout=30)
    app.run()
    no_exception(app)
    assert app.error[0].value.startswith("Retrain refused: Read-only")
    assert "this refusal could not be recorded in" in app.error[0].value
    assert not dash_env.layout.runtime.exists() or not any(dash_env.layout.runtime.rglob("*.json")), \
        "a retrain was requested"
