"""A bookmarked page opened as the very first request of a fresh server gets the whole app.

Streamlit serves any script in a ``pages/`` folder beside the entry point as
a page of its own until ``st.navigation`` has run once; a deep link then
showed the bare page script (a sidebar of file names, no login, no models
folder). The page scripts live in ``dashboard/views/`` so that cannot happen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_first_request_to_a_deep_link_renders_the_routed_app(dashboard_server, browser_page):
    page = browser_page
    page.goto(f"{dashboard_server.url}/trends")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Trends").first).to_be_visible(timeout=30_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    for label in ("Overview", "Trends", "Class balance", "Model detail", "Models", "Activity"):
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="app", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("link", name="model detail", exact=True)).to_have_count(0)
    expect(sidebar.get_by_text("Models folder:")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
