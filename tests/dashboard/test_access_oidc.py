"""Single sign-on through ``st.login`` (OIDC): the identity provider's user is the actor of every dashboard action.

No identity provider is reachable here, so the login itself is Streamlit's
business; these tests start where it ends: AppTest seeds ``st.user`` as a
logged-in OIDC user would have it, and ``.streamlit/secrets.toml``'s
``[auth]`` table as docs/DASHBOARD.md tells a team to write it.
"""

from __future__ import annotations

import importlib.util

import pytest
from helpers.pagetext import no_exception, page_text

from dashboard import access
from trainer.folder.registry import Registry

real = importlib.util.find_spec

MODELS = "views/models.py"
AUTH = {"redirect_uri": "http://localhost:8503/oauth2callback", "cookie_secret": "a-long-random-string",
        "client_id": "cla-dashboard", "client_secret": "from-the-idp",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


def run_as(build, user: dict, page: str | None = None):
    """The dashboard as a session whose OIDC login gave ``user``, served beyond localhost (a login is required)."""
    from streamlit.testing.v1 import AppTest

    build.serve_on("0.0.0.0")
    app = AppTest.from_file(str(build.APP), default_timeout=30)
    app.secrets["auth"] = dict(AUTH)
    app.user = user
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    no_exception(app)
    return app


def events(build, env, kind: str) -> list[dict]:
    return [e for e in build.json_lines(env.layout.events) if e["event"] == kind]


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_oidc_user_is_the_actor_of_a_retrain(scenario, build):
    app = run_as(build, {"is_logged_in": True, "email": "ann@soc.example", "name": "Ann", "sub": "0001"})
    assert "Acting as `ann@soc.example`" in page_text(app)
    assert not app.button(key="control_retrain").disabled
    app.button(key="control_retrain").click().run()
    no_exception(app)
    [asked] = events(build, scenario, "retrain_requested")
    assert asked["actor"] == "ann@soc.example"


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_oidc_user_is_the_actor_of_a_registry_action(scenario, build):
    app = run_as(build, {"is_logged_in": True, "name": "Bob Analyst", "sub": "0002"}, MODELS)  # no email claim
    target = app.selectbox(key="models_pin_target").value
    app.checkbox(key="models_pin_confirm").check().run()
    app.button(key="models_pin").click().run()
    no_exception(app)
    assert target in Registry(scenario.models_dir).pinned()
    [pinned] = events(build, scenario, "pinned")
    assert pinned["actor"] == "Bob Analyst"
    assert "recorded as `Bob Analyst`" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_before_the_oidc_login_the_controls_are_read_only_and_offer_the_login(scenario, build, monkeypatch):
    monkeypatch.setattr(access, "oidc_problem", lambda: "")   # as where `cla[sso]` is installed
    app = run_as(build, {"is_logged_in": False})
    assert app.button(key="login_oidc").label == "Log in to use the controls"
    assert app.button(key="control_retrain").disabled
    assert "Read-only until you log in" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_without_streamlits_auth_extra_the_page_says_what_to_install(scenario, build, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "authlib" else real(name, *a))
    app = run_as(build, {"is_logged_in": False})
    assert not [b for b in app.button if b.key == "login_oidc"]
    assert any("pip install 'cla[sso]'" in e.value for e in app.error)
