"""A folder `cla backtest` wrote, served by `cla dashboard`: the Backtest page shows every contender's curves."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers.frames import replay_history
from helpers.serving import free_port, serve
from playwright.sync_api import expect

from dashboard.backtest_charts import label_of

pytestmark = pytest.mark.browser

CONTENDERS = ("cla", "static", "old_recipe", "online")


def test_the_backtest_page_shows_every_contenders_curves(tmp_path, model_key, browser_page):
    replay_history(days=5).to_csv(tmp_path / "alerts.csv", index=False)
    config_file = tmp_path / "cla.toml"
    config_file.write_text(f'models_dir = "{tmp_path / "models"}"\nmodel_key_file = "{model_key}"\n\n'
                           '[training]\npreset = "custom"\nmodel = "hist_gradient_boosting"\npermutation_repeats = 0\n',
                           encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    replayed = subprocess.run([sys.executable, "-m", "trainer", "backtest", "alerts.csv", "--every", "1d",
                               "--out", "replay", "--config", str(config_file), "--json"],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert replayed.returncode == 0, replayed.stderr
    report = json.loads(replayed.stdout)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve([sys.executable, "-m", "trainer", "dashboard", "--port", str(port), "--config", str(config_file),
                "--models-dir", str(tmp_path / "replay")], url, cwd=tmp_path, env=env,
               log_file=tmp_path / "dashboard.log"):
        page = browser_page
        page.goto(url)
        sidebar = page.locator("[data-testid='stSidebar']")
        # listed in the navigation because this folder holds a backtest
        expect(sidebar.get_by_role("link", name="Backtest", exact=True)).to_be_visible(timeout=30_000)
        sidebar.get_by_role("link", name="Backtest", exact=True).click()
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_role("heading", name="Backtest").first).to_be_visible(timeout=30_000)
        charts = main.locator("[data-testid='stPlotlyChart']")
        expect(charts).to_have_count(3, timeout=30_000)
        for i in range(3):
            legend = charts.nth(i).locator(".legendtext")
            for name in CONTENDERS:
                expect(legend.filter(has_text=label_of(name))).to_have_count(1, timeout=15_000)
        # the PR-AUC chart marks CLA's trainings as their own trace
        expect(charts.nth(2).locator(".legendtext").filter(has_text="CLA training")).to_have_count(1)
        missed = report["contenders"]["cla"]["missed"]
        expect(main.get_by_text(f"{label_of('cla')}: missed {missed} true positives")).to_be_visible()
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
