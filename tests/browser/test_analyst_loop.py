"""The analyst's loop with the trainer service off, in Debian's Chromium against the real server.

Retrain now with the service stopped runs one training in its own process:
its result is the one the Overview shows once it ended (not an older one),
the "runs in its own process" notice goes away with it, and a model the
trainer did not promote is said so in the same line, with the reason, in a
box that is not green, and the link under it opens its Model detail in the same tab.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def result_box(page: Page):
    return page.locator("[data-testid='stAlert']").filter(has_text="Last training")


def retrain(page: Page) -> None:
    button = page.get_by_role("button", name="Retrain now")
    expect(button).to_be_enabled(timeout=30_000)
    button.click()


def test_retrain_with_the_service_off_shows_its_own_result_and_why_it_was_not_promoted(dashboard_server,
                                                                                       browser_page):
    page = browser_page
    page.goto(dashboard_server.url)
    expect(page.get_by_text("LEARNING MODE: NO MODEL YET")).to_be_visible(timeout=30_000)

    retrain(page)
    notice = page.get_by_text("one training runs in its own process")
    expect(notice).to_be_visible(timeout=10_000)
    first = result_box(page).filter(has_text="first champion")
    expect(first).to_be_visible(timeout=120_000)
    expect(first.locator("[data-testid='stAlertContentSuccess']")).to_have_count(1)
    expect(notice).to_have_count(0, timeout=10_000)  # the training it announced has ended

    # the next model must beat the champion by 0.5 of PR-AUC: the trainer keeps it out, and says why
    with open(dashboard_server.config_file, "a", encoding="utf-8") as fh:
        fh.write("\n[promotion]\nmin_absolute_change = 0.5\n")
    first_text = first.inner_text()
    retrain(page)
    rejected = result_box(page).filter(has_text="not promoted: PR-AUC")
    expect(rejected).to_be_visible(timeout=120_000)
    assert rejected.inner_text() != first_text
    expect(rejected).to_contain_text(re.compile(r"vs champion \d\.\d+ on the same test slice"))
    expect(rejected.locator("[data-testid='stAlertContentWarning']")).to_have_count(1)
    expect(page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Last training")).to_have_count(0)

    model_id = re.search(r"model (\d{8}_\d{6}(?:_\d+)?)", rejected.inner_text()).group(1)
    # the link under the result box opens the model in this tab
    page.get_by_role("link", name=f"Open model {model_id} in Model detail").click()
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Model detail")).to_be_visible(timeout=20_000)
    expect(main.get_by_text(model_id).first).to_be_visible(timeout=20_000)
    expect(page).to_have_url(re.compile(rf"model=({model_id})"))
