"""The dashboard's entry point: page config, configuration check, login, navigation.

``cla dashboard`` runs this file with ``streamlit run``. It routes to one
script per page under ``dashboard/views/`` with a stable URL path (the
Overview is the default, served at ``/``; Streamlit serves a default page at
one path only, so a hidden page at ``/overview`` switches to it), shows in the sidebar which models folder is on
display and who is acting (the login itself sits on the Overview, beside the
buttons it unlocks: :func:`dashboard.access.login_panel`). A configuration that cannot be loaded stops here
with its message: no page runs on a half-read configuration. The folder is
not called ``pages/``: Streamlit would serve those scripts on their own to a
deep link that is the first request after a server start.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.errors import FragmentHandledException

from dashboard import context
from dashboard.markdown import literal
from trainer.config import ConfigError

st.set_page_config(page_title="CLA · alert triage learning", page_icon=":material/shield:", layout="wide")
# From 1024 px up every tile value and table column must fit: narrower page margins, and tile values that
# shrink with the window instead of being cut ("PR-AU…").
st.html("""<style>
[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; padding-top: 2.5rem; }
[data-testid="stMetricValue"] { font-size: clamp(1.25rem, 2.1vw, 2.25rem); }
</style>""")

try:
    config = context.get_config()
except ConfigError as exc:
    st.error(f"The configuration cannot be loaded: {exc}. Fix the file or pass another with "
             "`cla dashboard --config FILE`.")
    st.stop()

# Served at "/"; its own url_path only has to differ from the hidden "overview" page's.
OVERVIEW = st.Page("views/overview.py", title="Overview", icon=":material/home:", url_path="home", default=True)


def overview_by_name() -> None:
    """``/overview`` opens the Overview at ``/`` instead of "Page not found"."""
    st.switch_page(OVERVIEW)


PAGES = [
    OVERVIEW,
    st.Page("views/trends.py", title="Trends", icon=":material/show_chart:", url_path="trends"),
    st.Page("views/drift.py", title="Drift", icon=":material/ssid_chart:", url_path="drift"),
    st.Page("views/balance.py", title="Class balance", icon=":material/balance:", url_path="balance"),
    st.Page("views/model_detail.py", title="Model detail", icon=":material/search_insights:", url_path="model"),
    st.Page("views/models.py", title="Models", icon=":material/table_rows:", url_path="models"),
    st.Page("views/activity.py", title="Activity", icon=":material/history:", url_path="activity"),
    st.Page("views/review.py", title="Review", icon=":material/fact_check:", url_path="review"),
    # listed only for a folder `cla backtest` wrote; reachable by its address anywhere (it then says so)
    st.Page("views/backtest.py", title="Backtest", icon=":material/history_toggle_off:", url_path="backtest",
            visibility="visible" if config.layout.backtest_report.exists() else "hidden"),
    st.Page(overview_by_name, title="Overview", url_path="overview", visibility="hidden"),
]

navigation = st.navigation(PAGES)
with st.sidebar:
    allowed, reason = context.can_control()
    # one caption, two lines: every element costs each new tab a little of its load time
    st.caption(f"Models folder: `{config.layout.root}`  \nActing as {literal(context.current_user())}"
               + ("" if allowed else " · read-only"))


def report_bug(exc: BaseException) -> None:
    """Say a page failed on a bug, and log it with its traceback for the dashboard's log."""
    logging.getLogger("cla.dashboard").error("the %s page failed", navigation.title, exc_info=exc)
    st.error(f"**The {navigation.title} page hit an error CLA did not expect.** This is a bug in CLA, not a "
             "problem with your models or feedback: nothing was changed. The other pages still work; please "
             "report it with the details below and the dashboard's log.", icon=":material/bug_report:")


try:
    navigation.run()
except FragmentHandledException as handled:  # a live fragment's bug: Streamlit has drawn its traceback already
    report_bug(handled.args[0] if handled.args and isinstance(handled.args[0], BaseException) else handled)
except Exception as exc:  # noqa: BLE001 - the pages' last guard: what a page expects (an unreadable file, a
    # source that is down) it catches and words itself, narrowly; whatever reaches here is a bug in CLA, of any
    # class, and is shown as one, with its traceback, and logged, instead of leaving a blank page
    report_bug(exc)
    st.exception(exc)
