"""Text a user typed or put in the address is shown as typed, never rendered as Markdown.

``/model?model=[Session expired, log in](https://example.org)`` used to put a live
link inside the app's own warning, and a login name could do the same in the
sidebar. Such values now reach Markdown only inside a code span
(:func:`dashboard.markdown.literal`). The browser half of this check is
``tests/browser/test_access_bare_server.py``.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import USER_KEY
from dashboard.markdown import literal

LURE = "[Session expired, log in](https://example.org)"


def outside_code_spans(markdown: str) -> str:
    """``markdown`` with its code spans removed: the part Streamlit would interpret."""
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)


def renders_nothing_live(markdown: str) -> bool:
    rest = outside_code_spans(markdown)
    return not any(sign in rest for sign in ("](", "http", "www.", "**", "<"))


@pytest.mark.parametrize("value, expected", [
    ("alice", "`alice`"),
    (LURE, f"`{LURE}`"),
    ("a `tick` b", "``a `tick` b``"),
    ("`edge`", "`` `edge` ``"),
    ("two\nlines", "`two lines`"),
    ("", ""),
])
def test_literal_wraps_a_value_in_a_code_span(value, expected):
    assert literal(value) == expected
    assert renders_nothing_live(f"before {literal(value)} after")


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_link_in_the_model_address_is_shown_as_text(scenario, build):
    app = AppTest.from_file(str(build.APP), default_timeout=30)
    app.query_params["model"] = LURE
    app.run()
    app.switch_page("views/model_detail.py").run()
    [warning] = [w.value for w in app.warning if "(from the address)" in w.value]
    assert warning == f"Model `{LURE}` (from the address) is not in the models folder; showing another one."
    assert renders_nothing_live(warning)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_login_name_is_shown_as_typed_in_the_sidebar_and_the_notices(scenario, build):
    build.serve_on("0.0.0.0")
    app = AppTest.from_file(str(build.APP), default_timeout=30)
    app.secrets["auth"] = {"password_hash": "unused"}
    app.session_state[USER_KEY] = f"**boss** {LURE}"
    app.run()
    shown = [c.value for c in app.sidebar.caption if "Acting as" in c.value or "Logged in as" in c.value]
    assert len(shown) == 2 and all(renders_nothing_live(text) for text in shown), shown
    app.button(key="control_retrain").click().run()
    [notice] = [box.value for box in app.info if "retrain requested" in box.value]
    assert notice.endswith(f"; asked by `**boss** {LURE}`") and renders_nothing_live(notice)
