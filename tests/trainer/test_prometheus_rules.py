"""The documented Prometheus config and alert rules, checked by Prometheus's own promtool (issue 26, items 10-15).

``docs/prometheus/`` holds the scrape config (with its ``rule_files``), the rules,
and their unit tests: every documented alert fires once, with its labels, in
the cases the issue names (one dead trainer of two, a stuck loop, a useless
champion after the trainer died, an untrusted champion, a hung training, the
first failure after a start). A live scrape of a real service must pass
``promtool check metrics``. promtool comes from Debian's ``prometheus`` package
(`make promtool`); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from trainer.config import load_config
from trainer.contract.layout import ModelsLayout
from helpers.servicefolder import lay_out, train

DOCS = Path(__file__).resolve().parents[2] / "docs" / "prometheus"


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (`make promtool`)")
    return subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=DOCS)


def test_the_documented_config_loads_its_rules():
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout and "6 rules found" in done.stdout


def test_every_documented_alert_fires_once_with_its_labels():
    done = promtool("test", "rules", "cla-rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = (DOCS / "cla-rules.yml").read_text()
    tests = (DOCS / "cla-rules.test.yml").read_text()
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if line.strip().startswith("- alert:")]
    assert alerts and all(f"alertname: {name}" in tests for name in alerts), "an alert without a unit test"


def test_a_live_scrape_passes_promtool_check_metrics(workdir, seeded_store, service):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    lay_out(workdir, seeded_store)
    address = f"127.0.0.1:{port}"
    config = load_config(overrides={"service.metrics_address": address})
    service(config)
    train(ModelsLayout.of(config.models_dir), "first", "training_finished")
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        text = response.read().decode()
    done = promtool("check", "metrics", stdin=text)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr
