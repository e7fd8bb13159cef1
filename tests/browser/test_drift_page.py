"""The Drift page on a store whose src_reputation moved: the shifted feature is at the top, and Overview warns.

The champion is trained with ``cla train``, 1,000 alerts arrive with ``cla demo
feed --shift reputation`` and ``cla drift`` writes the report (the trainer
service is not running: the page only reads the file, it never computes).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CLA = [sys.executable, "-m", "trainer"]


def cla(server, *args: str) -> str:
    done = subprocess.run([*CLA, *args, "--config", str(server.config_file)], capture_output=True, text=True,
                          timeout=180, cwd=server.config_file.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_drift_page_puts_the_shifted_feature_at_the_top(dashboard_server, browser_page, artifacts):
    cla(dashboard_server, "train")
    cla(dashboard_server, "demo", "feed", "--rate", "100000", "--count", "1000", "--seed", "4", "--shift", "reputation")
    assert "src_reputation" in cla(dashboard_server, "drift")
    page = browser_page
    page.goto(f"{dashboard_server.url}/drift")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Drift").first).to_be_visible(timeout=30_000)
    # the feature picker opens on the most drifted feature, and its chart is drawn for it
    expect(main.get_by_role("combobox", name="Feature")).to_have_value("src_reputation", timeout=30_000)
    expect(main.get_by_text("src_reputation: training window vs recent alerts")).to_be_visible(timeout=30_000)
    expect(main.get_by_text("Major drift on src_reputation").first).to_be_visible()
    expect(main.get_by_text("Drift: major on src_reputation (PSI").first).to_be_visible()
    expect(main.get_by_role("heading", name="Live performance")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.screenshot(path=str(artifacts / "drift-page.png"), full_page=True)

    page.goto(dashboard_server.url)
    expect(page.get_by_text("Drift: major on src_reputation (PSI").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Major drift on src_reputation").first).to_be_visible()
