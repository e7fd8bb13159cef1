"""A bare ``streamlit run dashboard/app.py`` from a folder without ``.streamlit/``, in Chromium.

Such a server listens on every interface. The dashboard used to take the unset
address for 127.0.0.1 and open its controls to the network without a login; and
a link put in the ``?model=`` address was rendered, live, inside its warning.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect
from helpers.serving import free_port, serve

pytestmark = pytest.mark.browser

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
LURE = "[Session expired, log in](https://example.org)"


@pytest.fixture
def bare_server(tmp_path) -> Iterator[str]:
    """``streamlit run`` with only a port (and headless), from an empty folder; one legacy model to show."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "trained_model_20261120_080000.pkl").write_bytes(b"stand-in")
    (models / "model_metrics_20261120_080000.json").write_text(json.dumps({
        "precision": 0.35, "recall": 0.5, "f1_score": 0.41, "accuracy": 0.93, "true_positives": 20,
        "false_positives": 37, "true_negatives": 723, "false_negatives": 20, "training_samples": 3200,
        "test_samples": 800}), encoding="utf-8")
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    env["CLA_MODELS_DIR"] = str(models)
    argv = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with serve(argv, f"http://127.0.0.1:{port}", cwd=folder, env=env, log_file=tmp_path / "streamlit.log"):
        yield f"http://127.0.0.1:{port}"


def test_a_server_on_every_interface_keeps_its_controls_locked(bare_server, browser_page):
    page = browser_page
    page.goto(bare_server)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Read-only: the dashboard is served on every interface")).to_be_visible(timeout=30_000)
    for label in ("▶ Start", "■ Stop", "↻ Retrain now"):
        expect(main.get_by_role("button", name=label)).to_be_disabled()


def test_a_link_in_the_address_is_shown_as_text_not_as_a_link(bare_server, browser_page):
    page = browser_page
    page.goto(f"{bare_server}/model?model={LURE}")
    warning = page.locator("[data-testid='stAlertContentWarning']").filter(has_text="(from the address)")
    expect(warning).to_be_visible(timeout=30_000)
    expect(warning).to_contain_text(LURE)
    expect(page.locator("a[href*='example.org']")).to_have_count(0)
