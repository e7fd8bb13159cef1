"""Every AppTest run fails its test when the page raised: a bug in a view fails the suite.

A page catches what it expects (an unreadable file, a source that is down)
and words it; anything else reaches ``dashboard/app.py``'s last guard, which
shows it as an error with its traceback (an ``st.exception`` element). Under
AppTest that element is easy to miss: a test that reads only some words of the
page would pass on a page that also shows a traceback. So this plugin (loaded
through ``pytest_plugins``) wraps ``AppTest.run`` for every test and fails it
with the page's own error as soon as a run leaves an exception on the page.
A test that provokes a page error on purpose says so with
``@pytest.mark.page_error``.
"""

from __future__ import annotations

import pytest


class PageRaised(AssertionError):
    """A page run under AppTest showed an exception."""


@pytest.fixture(autouse=True)
def page_errors_fail(request, monkeypatch):
    if request.node.get_closest_marker("page_error"):
        return
    try:
        from streamlit.testing.v1.app_test import AppTest
    except ImportError:  # the trainer's tests run without the dashboard's extras too
        return
    plain_run = AppTest.run

    def run(self, *args, **kwargs):
        result = plain_run(self, *args, **kwargs)
        if self.exception:
            details = "\n\n".join(e.proto.message + "\n" + "\n".join(e.stack_trace) for e in self.exception)
            raise PageRaised(f"the page raised under AppTest:\n{details}")
        return result

    monkeypatch.setattr(AppTest, "run", run)
