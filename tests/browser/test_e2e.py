"""The flow an analyst clicks through, in Debian's Chromium against the real server and trainer.

Fresh store, no model: press Start, then Retrain now; the model count rises
and the banner turns ACTIVE without the page being reloaded; every page is
photographed into tests/artifacts/ (the README's pictures come from a `make run`
folder instead: docs/screenshots/take.py); Stop leaves the trainer stopped.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds

pytestmark = pytest.mark.browser

CHART, TABLE = ".js-plotly-plot", "[data-testid='stTable']"
#: (navigation label, url path, heading that proves the page rendered, what it draws on arrival, screenshot file)
PAGES = [
    ("Trends", "trends", "Trends", CHART, "trends.png"),
    ("Class balance", "balance", "Class balance", CHART, "balance.png"),
    ("Model detail", "model", "Model detail", TABLE, "model_detail.png"),  # the confusion matrix; curves in a tab
    ("Models", "models", "Models", None, "models.png"),
    ("Activity", "activity", "Trainer log", None, "activity.png"),
    ("Overview", "overview", "Overview", None, "overview.png"),
]


def tile_value(page: Page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).locator("[data-testid='stMetricValue']")


def banner(page: Page, state: str):
    return page.get_by_text(f"LEARNING MODE: {state}")


def test_start_retrain_until_active_then_stop(dashboard_server, browser_page, artifacts):
    page = browser_page
    page.goto(dashboard_server.url)
    expect(page.locator("[data-testid='stApp']")).to_be_visible(timeout=30_000)
    expect(banner(page, "NO MODEL YET")).to_be_visible(timeout=30_000)
    expect(tile_value(page, "Models trained")).to_have_text("0")
    page.evaluate("window.__claNotReloaded = true")

    page.get_by_role("button", name="Start").click()
    expect(tile_value(page, "Trainer")).to_have_text("idle", timeout=45_000)
    retrain = page.get_by_role("button", name="Retrain now")
    expect(retrain).to_be_enabled(timeout=10_000)
    retrain.click()
    expect(retrain).to_be_disabled(timeout=5_000)  # queued, then training: a second press cannot start another

    one_model = tile_value(page, "Models trained").filter(has_text=re.compile(r"^1$"))
    failed = page.get_by_text("Last training failed")
    expect(one_model.or_(failed)).to_be_visible(timeout=120_000)
    if failed.is_visible():
        pytest.fail(f"the training failed: {failed.inner_text()}")
    expect(banner(page, "ACTIVE")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Last training finished")).to_be_visible()
    assert page.evaluate("window.__claNotReloaded === true"), "the page was reloaded to show the new model"
    page.mouse.move(5, 990)  # no tooltip in the pictures
    page.screenshot(path=str(artifacts / "overview_active.png"), full_page=True)

    for label, url_path, heading, drawn, filename in PAGES:
        page.get_by_role("link", name=label).first.click()
        page.mouse.move(5, 990)
        path = "" if url_path == "overview" else url_path  # the default page lives at the root
        expect(page).to_have_url(re.compile(rf"^{re.escape(dashboard_server.url)}/{path}(\?.*)?$"), timeout=15_000)
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_role("heading", name=heading).first).to_be_visible(timeout=20_000)
        if drawn:
            expect(main.locator(drawn).first).to_be_visible(timeout=20_000)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        page.wait_for_timeout(800)  # let charts finish drawing before the picture
        page.screenshot(path=str(artifacts / filename), full_page=True)
        if url_path == "model":  # the curves draw once their tab is opened
            main.get_by_role("tab", name="Curves").click()
            expect(main.locator(CHART)).to_have_count(3, timeout=20_000)
            expect(page.locator("[data-testid='stException']")).to_have_count(0)

    page.get_by_role("button", name="Stop").click()
    expect(tile_value(page, "Trainer")).to_have_text("stopped", timeout=45_000)
    expect(banner(page, "STOPPED")).to_be_visible(timeout=10_000)
    assert who_holds(ModelsLayout.of(dashboard_server.models_dir).service_lock) is None
    events = (dashboard_server.models_dir / "events.jsonl").read_text()
    assert '"service_started"' in events and '"retrain_requested"' in events and '"service_stopped"' in events
