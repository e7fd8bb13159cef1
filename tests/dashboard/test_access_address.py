"""A server whose address is unset binds every interface, so it needs a login like 0.0.0.0 does.

``streamlit run dashboard/app.py`` from a folder without ``.streamlit/config.toml``
leaves Streamlit's ``server.address`` unset and listens on every interface;
the dashboard used to read that as 127.0.0.1 (``dashboard.address``) and left the
controls open to the network.
"""

from __future__ import annotations

import pytest

from dashboard.access import decide

OVERVIEW = "views/overview.py"


@pytest.mark.parametrize("address", [None, ""])
def test_an_unset_server_address_makes_the_controls_read_only(dash_env, build, address):
    build.serve_on(address)
    app = build.run_app(OVERVIEW)
    assert all(app.button(key=f"control_{name}").disabled for name in ("start", "stop", "retrain"))
    reason = "\n".join(c.value for c in app.caption)
    assert "Read-only: the dashboard is served on every interface (Streamlit's server.address is unset)" in reason
    assert "read-only" in reason  # the sidebar's "Acting as ... · read-only"


def test_an_unset_address_needs_a_login_even_when_one_is_configured():
    allowed, reason = decide(address="", require_login=False, mode="password", user=None)
    assert not allowed and "every interface" in reason and "Log in on the Overview page" in reason
    assert decide(address="", require_login=False, mode="password", user="alice") == (True, "")
