"""Manual promotion, rollback and the class-balance warning as a user sees them, in Debian's Chromium.

Two models are trained with ``cla train``: the first becomes champion, the
second must beat it by 0.5 of PR-AUC and is rejected. On the Models page,
promoting the rejected model warns first with the trainer's reason, and its
row then reads "rejected → promoted by <user>"; rolling back returns to the
first model and then has nowhere further back to go. On Class balance, the
share the warning is about is one number for one named set, in the table and
in the sentence, the headline chart names that set, and no raw config key is
written as prose.
"""

from __future__ import annotations

import getpass
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def train(server) -> str:
    done = subprocess.run([sys.executable, "-m", "trainer", "train", "--config", str(server.config_file)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return re.search(r"model (\d{8}_\d{6}(?:_\d+)?)", done.stdout + done.stderr).group(1)


def cells(page: Page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stDataFrame'] [role=gridcell]")]
        .map(e => e.innerText.trim())""")


def test_promote_a_rejected_model_then_roll_back_through_the_history(dashboard_server, browser_page):
    first = train(dashboard_server)
    with open(dashboard_server.config_file, "a", encoding="utf-8") as fh:
        fh.write("\n[promotion]\nmin_absolute_change = 0.5\n")
    second = train(dashboard_server)
    page = browser_page
    page.goto(f"{dashboard_server.url}/models")
    main = page.locator("[data-testid='stMain']")
    warned = main.get_by_text(f"The trainer did not promote {second}: PR-AUC")
    expect(warned).to_be_visible(timeout=30_000)
    expect(warned).to_contain_text("on the same test slice")
    main.get_by_text(f"Yes, make {second} the champion").click()
    main.get_by_role("button", name="Promote").click()
    expect(main.get_by_text(f"promote {second}: done")).to_be_visible(timeout=20_000)
    history = f"rejected → promoted by {getpass.getuser()}"
    page.wait_for_function("(wanted) => [...document.querySelectorAll(\"[data-testid='stDataFrame'] [role=gridcell]\")]"
                           ".some(e => e.innerText.trim() === wanted)", arg=history, timeout=20_000)
    row = cells(page)
    at = row.index(second)
    assert "★ champion" in row[at - 1] and history in row[at:at + 10]

    expect(main.get_by_text(f"Rolling back makes {first}, the previous champion, the champion again; it is the "
                            "oldest champion on record.")).to_be_visible(timeout=10_000)
    main.get_by_text(f"Yes, roll back to {first}").click()
    main.get_by_role("button", name="Roll back").click()
    expect(main.get_by_text("There is no previous champion to roll back to.")).to_be_visible(timeout=20_000)


def test_the_imbalance_share_is_one_number_for_one_named_set(dashboard_server, browser_page):
    train(dashboard_server)
    page = browser_page
    page.goto(f"{dashboard_server.url}/balance")
    main = page.locator("[data-testid='stMain']")
    # the training window's row of the class-counts table: its share is the one the sentence gives
    row = main.locator("[data-testid='stTable'] tr").filter(has_text="training window")
    expect(row).to_be_visible(timeout=30_000)
    cells_in_row = [text.strip() for text in row.locator("th, td").all_inner_texts()]
    share = next(text for text in cells_in_row if re.fullmatch(r"\d+\.\d%", text))
    ratio = next(text for text in cells_in_row if text.startswith("1 : "))
    expect(main.get_by_text(re.compile(rf"is {re.escape(share)} of the training window \(imbalance ratio "
                                       rf"{re.escape(ratio)}\)"))).to_be_visible()
    expect(main.locator(".legendtext").filter(has_text="training window (the warning's set)")).to_be_visible()
    assert "training.severe_imbalance_share" not in main.inner_text()
    table = main.locator("[data-testid='stTable']").inner_text()
    assert "final fit" in table and "after resampling)" not in table, "the final fit is named by what happened to its rows"
