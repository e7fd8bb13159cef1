"""What a user reads on a page under AppTest (import as ``from pagetext import ...``).

Plotly charts come back as ``UnknownElement``; the pages' words and tables do
not, so the page tests assert on these.
"""

from __future__ import annotations

import time

TEXT_ELEMENTS = ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")


def page_text(app) -> str:
    """Every text element and metric of the page, one per line."""
    lines = [str(element.value) for kind in TEXT_ELEMENTS for element in getattr(app, kind)]
    lines += [f"{metric.label}: {metric.value}" for metric in app.metric]
    return "\n".join(lines)


def no_exception(app) -> None:
    """Fail with the page's own error message when the script raised."""
    assert not app.exception, [e.value for e in app.exception]


def table_with(app, column: str):
    """The data of the first ``st.dataframe`` or ``st.table`` on the page that has ``column`` (KeyError when none has).

    A static table's first column is its index (``st.table`` has no hidden index): it counts as a column.
    """
    for element in [*app.dataframe, *app.table]:
        frame = element.value
        if column in frame.columns or column == frame.index.name:
            return frame
    raise KeyError(f"no table on the page has a column {column!r}")


def run_until(app, phrase: str, seconds: float = 5.0) -> bool:
    """Rerun ``app`` until ``phrase`` shows (the watcher needs a moment to see a rename); False on time-out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.run()
        if phrase in page_text(app):
            return True
        time.sleep(0.1)
    return False
