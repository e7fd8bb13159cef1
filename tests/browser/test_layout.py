"""The layout from 1024 px up, in Debian's Chromium: values whole, the main button above the fold, columns in view.

One model is trained first (``cla train``), so every model tile holds a value. At
1024 px no tile value is cut with an ellipsis and Retrain now is whole; at
1280 x 800 Retrain now is above the fold; the Models table's default columns
(promotion last) and the Activity table's (message last) fit inside their
frames at 1024 px, with nothing to scroll sideways.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def cut_values(page: Page) -> list[str]:
    """Tile values whose text is wider than their box (drawn with an ellipsis)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
        .filter(e => { const t = e.querySelector('div') || e; return t.scrollWidth > t.clientWidth + 1; })
        .map(e => e.innerText)""")


def headers_in_view(page: Page) -> list[str]:
    """The column headers the table draws: its grid renders only the columns inside its frame."""
    expect(page.locator("[data-testid='stDataFrame'] [role=columnheader]").first).to_be_attached(timeout=20_000)
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stDataFrame'] [role=columnheader]")]
        .map(e => e.innerText.trim())""")


def scrolls_sideways(page: Page) -> bool:
    """Whether the first table is wider than its frame (its grid then scrolls, and columns sit off-screen)."""
    return page.evaluate("""() => { const s = document.querySelector("[data-testid='stDataFrame'] .dvn-scroller");
        return s.scrollWidth > s.clientWidth + 1; }""")


def test_values_and_buttons_fit_from_1024_px(dashboard_server, browser_page):
    trained = subprocess.run([sys.executable, "-m", "trainer", "train", "--config", str(dashboard_server.config_file)], capture_output=True,
                             text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    page = browser_page

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(dashboard_server.url)
    expect(page.get_by_text("Last training finished")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stMetricValue']")).to_have_count(8, timeout=20_000)  # six model and service tiles, two review tiles
    assert cut_values(page) == []
    retrain = page.get_by_role("button", name="Retrain now")
    assert retrain.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), "the Retrain now label is cut"

    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    expect(page.get_by_role("button", name="Retrain now")).to_be_in_viewport(ratio=1.0, timeout=30_000)
    assert cut_values(page) == []

    shown = ["mark", "model", "useful", "PR-AUC", "precision", "recall", "promotion"]
    for width in (1440, 1024):
        # issue 25 item 13: at 1024 px the promotion and warnings columns were off-screen
        page.set_viewport_size({"width": width, "height": 768})
        page.goto(f"{dashboard_server.url}/models")
        assert headers_in_view(page) == shown
        assert not scrolls_sideways(page), f"the Models table scrolls sideways at {width} px"

        page.goto(f"{dashboard_server.url}/activity")
        expect(page.get_by_role("heading", name="Trainer log")).to_be_visible(timeout=20_000)
        assert headers_in_view(page) == ["time (UTC)", "event", "actor", "message"]
        assert not scrolls_sideways(page), f"the Activity table scrolls sideways at {width} px"
