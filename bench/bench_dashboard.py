"""Dashboard speed with 10,000 pairs, measured in Debian's Chromium against the real server.

Builds a models folder of :data:`PAIRS` synthetic pairs
(:func:`bench.bench_registry.build_folder`, whose metrics files the registry
benchmark measures as ``metrics_file_kb``) with
the newest as champion, serves it with ``cla dashboard`` and measures:

* ``first_load_s``: a fresh browser tab on each page until its content is
  drawn (Overview: the banner and the model count 10,000; Trends: the chart;
  Models: the table; Activity: the event table), on a server that has
  never read the folder (the registry builds its index in this load);
* ``load_s``: the same in new tabs once the server is warm (median of
  :data:`REPEATS`), each tab a fresh browser profile (nothing cached);
* ``load_same_browser_s``: the same in new tabs of one browser profile, as an
  analyst opens a second tab (the Streamlit and Plotly scripts are cached);
* ``pair_to_page_s``: with the Overview open, the time from a new pair's
  metrics file being renamed into place to the model count showing it
  (median and worst of :data:`REPEATS`).

Run: ``python -m bench dashboard`` (results in ``bench/results/dashboard.json``).
Targets: first full render under 2 s; a new pair on the page under 3 s.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import numpy as np

from bench import record
from bench.bench_registry import build_folder, synthetic_metrics
from trainer.atomic import write_bytes, write_with
from trainer.contract.layout import ModelsLayout, stamp_of
from trainer.folder.pairs import metrics_text

PAIRS = 10_000
REPEATS = 5
RESULTS = Path(__file__).parent / "results" / "dashboard.json"
VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: page url path -> what "drawn" means there: every (CSS selector, how many, texts one of which each must contain)
PAGES = {
    "": [("[data-testid='stMetricValue']", 1, ["10,000"]), ("[data-testid='stAlert']", 1, ["LEARNING MODE:"])],
    "trends": [(".js-plotly-plot", 1, None)],
    "models": [("[data-testid='stDataFrame']", 1, None)],
    "activity": [("[data-testid='stDataFrame'], [data-testid='stAlert']", 1, None)],
}
#: true once every wanted element is in view: at least ``count`` visible matches of ``selector`` (a box of
#: some size, not hidden), each holding one of ``texts`` when given (``innerText``: what is rendered)
DRAWN_CHECK = """(wanted) => wanted.every(([selector, count, texts]) =>
    [...document.querySelectorAll(selector)].filter((element) => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden"
            && (!texts || texts.some((text) => element.innerText.includes(text)));
    }).length >= count)"""


def wait_drawn(page, wanted: list, timeout_ms: float = 90_000) -> float:
    """Wait until ``wanted`` (see :data:`PAGES`) is drawn; the page's clock (ms since its navigation) at that frame.

    Checked on every animation frame, in the page. Playwright's ``wait_for``
    polls ever more slowly (every 500 ms after the first few tries), which
    put up to half a second of its own into a load time.
    """
    handle = page.wait_for_function(f"(wanted) => ({DRAWN_CHECK})(wanted) ? performance.now() : null",
                                    arg=wanted, polling="raf", timeout=timeout_ms)
    return float(handle.json_value())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(models_dir: Path, workdir: Path, refresh_seconds: float | None = 1.0,
          key_file: Path | None = None) -> tuple[subprocess.Popen, str]:
    """``cla dashboard`` on ``models_dir``, refreshing every ``refresh_seconds`` (None: the product's default).

    ``key_file`` is the model key the dashboard checks signatures with (None: the configured default).
    """
    port = free_port()
    config = workdir / "cla.toml"
    key = f'model_key_file = "{key_file}"\n' if key_file is not None else ""
    refresh = f"[dashboard]\nrefresh_seconds = {refresh_seconds}\n" if refresh_seconds is not None else ""
    config.write_text(f'models_dir = "{models_dir}"\n{key}[source]\npath = "{workdir / "feedback.db"}"\n' + refresh,
                      encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    with open(workdir / "dashboard.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "dashboard", "--port", str(port),
                                 "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=workdir, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, workdir / "dashboard.log")
    return proc, url


def wait_healthy(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    """Return once ``url`` answers its health check; kill the server and raise RuntimeError when it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"the server did not start; see {log}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`serve` (its whole process group) and wait for it."""
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def load_time(new_tab, url: str, path: str) -> float:
    """Seconds from the navigation to ``path`` in ``new_tab()`` to its content being drawn (:func:`wait_drawn`)."""
    page = new_tab()
    try:
        page.goto(f"{url}/{path}")
        return wait_drawn(page, PAGES[path]) / 1000
    finally:
        page.close()


def add_pair(layout: ModelsLayout, model_id: str, rng: np.random.Generator) -> None:
    """Write a pair as the trainer does: the model, then the metrics file renamed into place."""
    write_bytes(layout.model_path(model_id), b"pickle" * 100)
    text = metrics_text(synthetic_metrics(model_id, rng))
    write_with(layout.metrics_path(model_id), lambda tmp: tmp.write_text(text))


#: true once the Overview's "Models trained" tile shows the expected count
MODELS_TRAINED = """(expected) => [...document.querySelectorAll("[data-testid='stMetric']")].some((tile) =>
    tile.innerText.includes("Models trained")
    && (tile.querySelector("[data-testid='stMetricValue']")?.innerText || "").includes(expected))"""


def pair_to_page(browser, url: str, layout: ModelsLayout) -> list[float]:
    page = browser.new_page(viewport=VIEWPORT)
    rng = np.random.default_rng(2)
    first = datetime(2027, 1, 1, tzinfo=timezone.utc)
    latencies = []
    try:
        page.goto(url)
        # checked on every animation frame (Playwright's wait_for would poll every 500 ms by then)
        page.wait_for_function(MODELS_TRAINED, arg=f"{PAIRS:,}", polling="raf", timeout=60_000)
        for repeat in range(REPEATS):
            time.sleep(1.5)  # land at a random point of the refresh cycle
            started = time.perf_counter()
            add_pair(layout, stamp_of(first + timedelta(minutes=repeat)), rng)
            page.wait_for_function(MODELS_TRAINED, arg=f"{PAIRS + repeat + 1:,}", polling="raf", timeout=30_000)
            latencies.append(time.perf_counter() - started)
    finally:
        page.close()
    return latencies


def main() -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="cla-bench-dashboard-"))
    proc = None
    try:
        started = time.perf_counter()
        layout = build_folder(workdir / "models", PAIRS)
        newest = sorted(layout.root.glob("model_metrics_*.json"))[-1].stem.removeprefix("model_metrics_")
        (layout.champion).write_text(json.dumps({"model_id": newest, "previous": [], "pinned": []}))
        print(f"built {PAIRS} pairs in {time.perf_counter() - started:.1f} s", flush=True)
        proc, url = serve(layout.root, workdir)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            fresh_profile = partial(browser.new_page, viewport=VIEWPORT)
            first = {path or "overview": round(load_time(fresh_profile, url, path), 3) for path in PAGES}
            warm = {path or "overview": round(statistics.median(load_time(fresh_profile, url, path)
                                                                for _ in range(REPEATS)), 3) for path in PAGES}
            profile = browser.new_context(viewport=VIEWPORT)
            same_browser = {path or "overview": round(statistics.median(load_time(profile.new_page, url, path)
                                                                        for _ in range(REPEATS)), 3) for path in PAGES}
            profile.close()
            latencies = pair_to_page(browser, url, layout)
            browser.close()
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "pairs": PAIRS, "repeats": REPEATS, "first_load_s": first, "load_s": warm,
        "load_same_browser_s": same_browser,
        "pair_to_page_median_s": round(statistics.median(latencies), 3),
        "pair_to_page_max_s": round(max(latencies), 3), "pair_to_page_s": [round(x, 3) for x in latencies],
        "targets": {"load_s": 2.0, "pair_to_page_s": 3.0},
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    record(RESULTS, result)


if __name__ == "__main__":
    main()
