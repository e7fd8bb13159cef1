"""Clicks on the Models and Activity tables at 1024 px, in Debian's Chromium (issue 25 items 12 and 13).

One model is trained and one review verdict given (``cla review verdict``).
On Activity the verdict is listed with its analyst, and a click on its
message shows the whole event under the table. On Models a click on a model
id opens its Model detail in the same tab, with ``?model=`` in the address
(a ``LinkColumn`` would open a new tab).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
CLA = [sys.executable, "-m", "trainer"]
HEADER_PX = 35


def cla(server, *args: str) -> str:
    done = subprocess.run([*CLA, *args, "--config", str(server.config_file)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def click_cell(page: Page, column_left: float, row: int, row_px: float) -> None:
    """Click inside the first table: ``column_left`` px from its left edge, in row ``row`` (0 = first)."""
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(box["x"] + column_left, box["y"] + HEADER_PX + row_px * (row + 0.5))


def grid_cells(page: Page) -> list[str]:
    expect(page.locator("[data-testid='stDataFrame'] [role=gridcell]").first).to_be_attached(timeout=20_000)
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stDataFrame'] [role=gridcell]")]
        .map(e => e.innerText.trim())""")


def test_a_verdict_is_on_activity_and_a_model_id_opens_its_detail_in_this_tab(dashboard_server, browser_page):
    model_id = json.loads(cla(dashboard_server, "train", "--json"))["model_id"]
    alert = json.loads(cla(dashboard_server, "review", "next", "--json", "--limit", "1"))[0]["alert_id"]
    cla(dashboard_server, "review", "verdict", alert, "fp", "--actor", "carmen")
    page = browser_page
    page.set_viewport_size({"width": 1024, "height": 900})

    page.goto(f"{dashboard_server.url}/activity")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Events (")).to_be_visible(timeout=30_000)
    cells = grid_cells(page)
    assert cells[:3] == [cells[0], "verdict_given", "carmen"], cells[:8]
    row_px = page.locator("[data-testid='stDataFrame']").first.bounding_box()["height"]  # tall rows: the first
    row_px = (row_px - HEADER_PX) / max(1, min(10, len(cells) // 4))
    width = page.locator("[data-testid='stDataFrame']").first.bounding_box()["width"]
    click_cell(page, width - 60, 0, row_px)                                              # its message
    picked = main.locator(".st-key-activity_picked")
    expect(picked).to_contain_text(f"false positive on alert {alert}; champion score", timeout=20_000)
    expect(picked).to_contain_text("carmen")

    page.goto(f"{dashboard_server.url}/models")
    expect(main.get_by_text("1 of 1 models match")).to_be_visible(timeout=30_000)
    assert model_id in grid_cells(page)
    click_cell(page, 90 + 50, 0, 35)                                                     # the model column
    page.wait_for_url(f"**/model?model={model_id}", timeout=20_000)
    expect(main.get_by_text(f"{model_id}: trained")).to_be_visible(timeout=20_000)
    assert len(page.context.pages) == 1, "the model opened in another tab"
