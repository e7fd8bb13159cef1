"""A bookmarked page opened as the very first request of a fresh server gets the whole app.

Streamlit serves any script in a ``pages/`` folder beside the entry point as
a page of its own until ``st.navigation`` has run once; a deep link then
showed the bare page script (a sidebar of file names, no login, no models
folder). The page scripts live in ``dashboard/views/`` so that cannot happen.

Every page's name is a deep link, the Overview's too: Streamlit serves the
default page at ``/`` only, so ``/overview`` goes there instead of showing
"Page not found".
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_first_request_to_a_deep_link_renders_the_routed_app(dashboard_server, browser_page):
    page = browser_page
    page.goto(f"{dashboard_server.url}/trends")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Trends").first).to_be_visible(timeout=30_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    for label in ("Overview", "Trends", "Drift", "Class balance", "Model detail", "Models", "Activity"):
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="app", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("link", name="model detail", exact=True)).to_have_count(0)
    expect(sidebar.get_by_text("Models folder:")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


# (URL path, the heading the page shows, the path the browser ends on)
DEEP_LINKS = [
    ("overview", "Overview", ""),
    ("", "Overview", ""),
    ("trends", "Trends", "trends"),
    ("drift", "Drift", "drift"),
    ("balance", "Class balance", "balance"),
    ("model", "Model detail", "model"),
    ("models", "Models", "models"),
    ("activity", "Trainer log", "activity"),
]


def test_every_page_name_is_a_deep_link_the_overview_too(dashboard_server, browser_page):
    page = browser_page
    for path, heading, lands_on in DEEP_LINKS:
        page.goto(f"{dashboard_server.url}/{path}")
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_role("heading", name=heading).first).to_be_visible(timeout=30_000)
        expect(page).to_have_url(re.compile(rf"^{re.escape(dashboard_server.url)}/{lands_on}(\?.*)?$"))
        # Streamlit says "Page not found" before it runs the fallback page, so it would show by now.
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
