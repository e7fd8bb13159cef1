"""Issue 26, item 4: markup that arrives with the data is shown as text in Chromium, never as a live element.

A feedback value (``rule_name``) and column names (a file source's headers reach
the feature-importance chart and the data-quality table) carrying ``<a href>``
and ``<img onerror>`` are put where a real store or file would put them; the Drift
page and Model detail then draw them. Plotly renders a small HTML subset in
labels and Streamlit's ``st.table`` renders Markdown, so both must get text.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from trainer.config import load_config
from trainer.feedback import store
from trainer.feedback.demo import generate_history
from trainer.folder.pairs import write_pair

pytestmark = pytest.mark.browser

CLA = [sys.executable, "-m", "trainer"]
LINK = '<a href="https://evil.example/cat">Session expired: re-login</a>'
IMAGE = "<img src=x onerror=\"document.title='pwned'\">"
MARKDOWN = "[Session expired: re-login](https://evil.example/md)"

#: links in the page, HTML or SVG (Plotly writes xlink:href), whose target is the attacker's
LIVE_LINKS = """() => [...document.querySelectorAll('a')].filter(
    a => [...a.attributes].some(attribute => attribute.value.includes('evil.example'))).length"""


def cla(server, *args: str) -> str:
    done = subprocess.run([*CLA, *args, "--config", str(server.config_file)], capture_output=True, text=True,
                          timeout=180, cwd=server.config_file.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def no_live_markup(page) -> None:
    assert page.evaluate(LIVE_LINKS) == 0
    expect(page.locator("img[onerror]")).to_have_count(0)
    assert page.title() != "pwned"
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_markup_in_feedback_values_and_column_names_is_never_live(dashboard_server, browser_page):
    cla(dashboard_server, "train")
    config = load_config(dashboard_server.config_file)
    alerts = generate_history(rows=600, seed=9, days=1)
    alerts["alert_id"] = "MARKUP-" + alerts["alert_id"].astype(str)
    alerts["rule_name"] = [(LINK, IMAGE, MARKDOWN)[i % 3] for i in range(len(alerts))]
    alerts["is_true_positive"] = None  # pending alerts: recent, not yet triaged
    store.insert_frame(config.source_path, alerts)
    cla(dashboard_server, "drift", "--refresh")

    page = browser_page
    page.goto(f"{dashboard_server.url}/drift")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Drift").first).to_be_visible(timeout=30_000)
    expect(main.get_by_role("combobox", name="Feature")).to_have_value("rule_name", timeout=30_000)
    chart = main.locator("[data-testid='stPlotlyChart']").filter(has_text="rule_name: training window")
    expect(chart).to_have_count(1, timeout=30_000)
    expect(chart.get_by_text("Session expired").first).to_be_attached()  # drawn, as text
    no_live_markup(page)

    metrics = {"pr_auc": 0.7, "recall": 0.95, "precision": 0.4, "useful": True, "warnings": [],
               "feature_importance": [{"feature": LINK, "importance": 0.2, "std": 0.01},
                                      {"feature": IMAGE, "importance": 0.1, "std": 0.01},
                                      {"feature": MARKDOWN, "importance": 0.05, "std": 0.01}],
               "data_quality": {"rows_read": 10, "rows_used": 8, "quarantined": 2,
                                "quarantine_reasons": {f"column {LINK} is not a number": 1,
                                                       f"column {IMAGE} is empty": 1,
                                                       f"column {MARKDOWN} is empty": 1}}}
    model_id = write_pair(config.layout, {"weights": [1]}, metrics, key_file=config.model_key_path).model_id
    page.goto(f"{dashboard_server.url}/model?model={model_id}")
    tab = main.get_by_role("tab", name="Features and data quality")
    expect(tab).to_be_visible(timeout=60_000)
    tab.click()
    expect(main.get_by_text("Data quality", exact=True).first).to_be_visible(timeout=30_000)
    expect(main.locator("[data-testid='stPlotlyChart']").first.get_by_text("Session expired").first).to_be_attached(
        timeout=30_000)
    no_live_markup(page)


PAGES = ("", "trends", "drift", "balance", "models", "activity", "review")


def test_no_page_turns_markup_from_the_data_into_a_live_element(dashboard_server, browser_page):
    """The same values pending review (the Review page shows their attributes) and in the event log (a failed
    login's typed name): every page is walked and none holds a live link to the attacker or an img onerror."""
    from dashboard.access import attempt_login
    from dashboard.throttle import LoginThrottle

    cla(dashboard_server, "train")
    config = load_config(dashboard_server.config_file)
    alerts = generate_history(rows=300, seed=10, days=1)
    alerts["alert_id"] = "MARKUP-" + alerts["alert_id"].astype(str)
    alerts["rule_name"] = [(LINK, IMAGE, MARKDOWN)[i % 3] for i in range(len(alerts))]
    alerts["is_true_positive"] = None
    store.insert_frame(config.source_path, alerts)
    cla(dashboard_server, "drift", "--refresh")
    attempt_login(LINK, "guess", {"auth": {"password_hash": "scrypt$2$1$1$AAAA$AAAA"}}, LoginThrottle(),
                  "tab", client="203.0.113.9", events=config.layout.events)
    page = browser_page
    main = page.locator("[data-testid='stMain']")
    for name in PAGES:
        page.goto(f"{dashboard_server.url}/{name}")
        expect(main.locator("h1").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)  # charts and tables drawn after the first paint
        no_live_markup(page)
