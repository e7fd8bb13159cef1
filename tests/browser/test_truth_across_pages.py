"""Issue 25: one truth on every page. Each state of one models folder, read in Chromium and through `cla ... --json`.

A real server and the real CLI on a seeded store walk the folder through the
states a user meets, in the order they meet them: empty; a one-off training
while the trainer is stopped (the first champion); verdicts on shifted alerts
and a drift report that finds the shift (drift just detected); the trainer
started, retraining on that drift (a champion just promoted, or a challenger
kept out); the trainer stopped; the trainer
killed with SIGKILL (crashed); and an old CLA pair dropped into the folder
(legacy). After each step :func:`assert_one_truth` asks the CLI for the facts
(`cla models list --json`, `cla trainer status --json`, `cla feedback stats
--json`, `cla drift --summary --json`, `cla models show --json`) and fails on
the first page that shows another value: the model count, the champion, the
trainer's state, the last result, the labelled and new rows, the drift level,
and the champion's imbalance severity. A page refreshes itself, so each
comparison waits up to 30 s for the page to catch up, never longer.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from playwright.sync_api import Page, expect

from trainer.learning.diagnostics import shown

pytestmark = pytest.mark.browser
CLA = [sys.executable, "-m", "trainer"]
WAIT = 30_000


def cla(server, *args: str, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLA, *args, "--config", str(server.config_file)], capture_output=True, text=True,
                          timeout=timeout, cwd=server.config_file.parent)
    if check:
        assert done.returncode == 0, f"cla {' '.join(args)} failed: {done.stderr}"
    return done


def cla_json(server, *args: str):
    return json.loads(cla(server, *args, "--json").stdout)


def main(page: Page):
    return page.locator("[data-testid='stMain']")


def tile(page: Page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).first


def tile_box(page: Page, label: str):
    """The bordered container of one Overview tile: its value and its caption."""
    return page.locator("[data-testid='stColumn']").filter(has=tile(page, label)).last


def open_page(page: Page, server, path: str, heading: str) -> None:
    page.goto(f"{server.url}/{path}")
    expect(page.locator("[data-testid='stMain'] h1").filter(has_text=heading)).to_be_visible(timeout=WAIT)


def cli_facts(server) -> dict:
    """Every fact the pages show, as the CLI says it."""
    models = [m for m in cla_json(server, "models", "list") if m.get("status", "ok") == "ok"]
    champion = next((m for m in models if m.get("is_champion")), None)
    status = cla_json(server, "trainer", "status")
    feedback = cla_json(server, "feedback", "stats")["trainer"]
    drift = cla_json(server, "drift", "--summary") if champion else None
    severities = []
    if champion:
        metrics = cla_json(server, "models", "show", champion["model_id"])
        severities = [shown(w, useful=metrics.get("useful")) for w in metrics.get("warnings") or []]
    return {"count": len(models), "champion": champion, "status": status, "feedback": feedback, "drift": drift,
            "warnings": severities}


def assert_one_truth(page: Page, server) -> dict:
    facts = cli_facts(server)
    champion = facts["champion"]

    open_page(page, server, "", "Overview")
    expect(tile(page, "Models trained").locator("[data-testid='stMetricValue']")).to_have_text(
        str(facts["count"]), timeout=WAIT)
    champion_tile = tile_box(page, "Champion")
    if champion:
        expect(champion_tile).to_contain_text(champion["model_id"], timeout=WAIT)
        expect(champion_tile).to_contain_text(f"PR-AUC {champion['pr_auc']:.3f}")
    else:
        expect(tile(page, "Champion").locator("[data-testid='stMetricValue']")).to_have_text("none", timeout=WAIT)
    expect(tile(page, "Trainer").locator("[data-testid='stMetricValue']")).to_contain_text(
        re.compile(rf"^{re.escape(facts['status']['state'])}"), timeout=WAIT)
    last = facts["status"].get("last_result") or {}
    if last.get("model_id"):
        expect(page.get_by_text(re.compile(r"^Last training finished"))).to_contain_text(last["model_id"], timeout=WAIT)
    feedback = facts["feedback"]
    expect(tile(page, "Feedback available").locator("[data-testid='stMetricValue']")).to_have_text(
        f"{feedback['labelled']:,} labelled", timeout=WAIT)
    expect(tile_box(page, "Feedback available")).to_contain_text(f"{feedback['new']:,} new", timeout=WAIT)
    if facts["drift"]:
        expect(main(page).get_by_text(re.compile(r"^Drift: ")).first).to_contain_text(
            f"Drift: {facts['drift']['level']}", timeout=WAIT)
    panel = page.locator("[data-testid='stExpander']").filter(has_text="Warnings").first
    panel.locator("summary").click()
    for warning in facts["warnings"]:
        expect(panel).to_contain_text(f"{warning['severity']} · champion {champion['model_id']}: "
                                      f"{warning['message'][:40]}", timeout=WAIT)

    open_page(page, server, "models", "Models")
    if facts["count"]:
        expect(page.get_by_text(re.compile(rf" of {facts['count']} models match"))).to_be_visible(timeout=WAIT)
    else:
        expect(page.get_by_text("No model yet").first).to_be_visible(timeout=WAIT)
    if champion:
        row = page.locator("[data-testid='stDataFrame']").first
        expect(row).to_contain_text(champion["model_id"], timeout=WAIT)

    if champion:
        open_page(page, server, "drift", "Drift")
        expect(main(page).get_by_text(re.compile(r"^Drift: ")).first).to_contain_text(
            f"Drift: {facts['drift']['level']}", timeout=WAIT)
        expect(page.get_by_text(f"Champion {facts['drift']['champion_id']} · report computed")).to_be_visible(
            timeout=WAIT)
        open_page(page, server, "balance", "Class balance")
        expect(page.get_by_text(f"Class counts of the champion, {champion['model_id']}")).to_be_visible(timeout=WAIT)
        for warning in facts["warnings"]:
            if warning["code"] == "severe_imbalance":
                expect(page.get_by_text(re.compile(rf"severe imbalance \({warning['severity']}\)"))).to_be_visible(
                    timeout=WAIT)
    return facts


def wait_for(predicate, timeout: float = 180.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def events(server) -> list[dict]:
    path = server.models_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


@pytest.mark.timeout(900)  # eight states, five pages each: 2 to 4 minutes on an idle machine, more on a loaded one
def test_every_page_agrees_with_the_cli_through_a_folders_life(dashboard_server, browser_page):
    server, page = dashboard_server, browser_page

    # empty: a seeded store and no model
    facts = assert_one_truth(page, server)
    assert facts["count"] == 0 and facts["feedback"]["labelled"] > 0

    # a retrain while the trainer is stopped: the first champion
    cla(server, "train")
    facts = assert_one_truth(page, server)
    assert facts["count"] == 1 and facts["champion"] is not None

    # new verdicts from shifted alerts, and a fresh drift report that finds the shift
    cla(server, "demo", "feed", "--count", "600", "--rate", "100000", "--seed", "6", "--shift", "reputation")
    cla(server, "drift", "--refresh", "--json")
    facts = assert_one_truth(page, server)
    assert facts["feedback"]["new"] >= 550
    assert facts["drift"]["level"] == "major" and "src_reputation" in facts["drift"]["flagged"], facts["drift"]

    # the trainer starts and retrains on that drift: a champion just promoted, or a challenger kept out
    cla(server, "trainer", "start")
    wait_for(lambda: any(e.get("event") == "training_finished" and e.get("trigger") == "drift" for e in events(server)),
             what="a training started by the drift trigger")
    facts = assert_one_truth(page, server)
    assert facts["status"]["running"] and facts["status"]["last_result"]["trigger"] == "drift"
    assert facts["count"] == 2 and facts["feedback"]["new"] == 0
    open_page(page, server, "drift", "Drift")
    expect(page.get_by_text("Last retrain on drift")).to_be_visible(timeout=WAIT)

    # stopped
    cla(server, "trainer", "stop", "--timeout", "30")
    facts = assert_one_truth(page, server)
    assert not facts["status"]["running"]

    # crashed: the service killed with SIGKILL
    cla(server, "trainer", "start")
    wait_for(lambda: cla_json(server, "trainer", "status").get("running"), 60, "the trainer to run")
    os.kill(int(cla_json(server, "trainer", "status")["service_pid"]), signal.SIGKILL)
    wait_for(lambda: not cla_json(server, "trainer", "status").get("running"), 60, "the trainer to be seen dead")
    assert_one_truth(page, server)

    # legacy: an old CLA pair dropped into the folder is a model, counted the same everywhere
    stamp = "20200101_000000"
    (server.models_dir / f"model_metrics_{stamp}.json").write_text(json.dumps(
        {"precision": 0.5, "recall": 0.6, "f1_score": 0.55, "accuracy": 0.9, "true_positives": 6,
         "false_positives": 6, "true_negatives": 84, "false_negatives": 4, "training_samples": 400,
         "test_samples": 100, "timestamp": "2020-01-01T00:00:00"}))
    (server.models_dir / f"trained_model_{stamp}.pkl").write_bytes(b"old model bytes")
    facts = assert_one_truth(page, server)
    assert facts["count"] >= 3 and any(m.get("legacy") for m in cla_json(server, "models", "list"))


def test_the_overview_opens_a_models_detail_in_the_same_tab(dashboard_server, browser_page):
    """Issue 25 item 9: the Overview's model link opened a new browser tab."""
    server, page = dashboard_server, browser_page
    cla(server, "train")
    model_id = cla_json(server, "trainer", "status")["last_result"]["model_id"]
    open_page(page, server, "", "Overview")
    page.get_by_role("link", name=f"Open model {model_id} in Model detail").click()
    expect(page.get_by_text(re.compile(rf"^{model_id}: trained"))).to_be_visible(timeout=WAIT)
    assert len(page.context.pages) == 1 and f"model={model_id}" in page.url
