"""Every dashboard page against the floor of its stack, with 10,000 pairs, in fresh Chromium profiles.

The floor is ``dashboard/floor.py``: a bare Streamlit page with one small
Plotly chart and one small dataframe, served by its own Streamlit server on
this machine in the same run. A page cannot load faster than that in a new
tab; the dashboard's target is at most :data:`TARGET_RATIO` times it.

Builds a models folder of :data:`PAIRS` synthetic pairs
(:func:`bench.bench_registry.build_folder`) with the newest as champion and an
event log, serves it with ``cla dashboard`` and the product's default
settings (never indexed: no ``runtime/index.json`` before the start, which
:mod:`dashboard.serve` begins to build as the server starts) and measures, for the floor and each page, the time
from the navigation in a new browser context (a fresh profile: nothing cached)
to every chart and table the page draws on arrival being visible
(:data:`DRAWN`), read from the page's own clock at the first animation frame
where they all are:

* ``first_s``: the first tab on each page, in page order, right after a
  server start on the folder with its index removed (the Overview comes
  first), the median over :data:`STARTS` starts of both servers;
* ``median_s``: the median of :data:`REPEATS` later tabs, pages interleaved
  round-robin with the floor so machine load hits all of them alike;
* ``ratio``: ``median_s`` over the floor's median.

Run: ``python -m bench floor`` (results in ``bench/results/floor.json``);
``CLA_BENCH_PAIRS``, ``CLA_BENCH_REPEATS`` and ``CLA_BENCH_STARTS`` shrink it while developing.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from bench import record
from bench.bench_dashboard import CHROMIUM_ARGS, VIEWPORT, free_port, serve, stop, wait_drawn, wait_healthy
from bench.bench_registry import build_folder, synthetic_metrics
from trainer.cli.dashboard import PACKAGE, streamlit_options
from trainer.contract.layout import metrics_stamp, stamp_of, stamp_time
from trainer.folder.events import append_event
from trainer.folder.pairs import write_pair

PAIRS = int(os.environ.get("CLA_BENCH_PAIRS", "10000"))
REPEATS = int(os.environ.get("CLA_BENCH_REPEATS", "9"))
#: server starts, each on the folder with its index removed: "first" is the median of their first tabs
STARTS = int(os.environ.get("CLA_BENCH_STARTS", "3"))
TARGET_RATIO = 1.1
TIMEOUT_MS = 90_000
RESULTS = Path(__file__).parent / "results" / "floor.json"
FLOOR = PACKAGE / "floor.py"
#: page -> (url path on its server, what "drawn" means there: every chart and table the page draws on arrival,
#: as (CSS selector, how many, texts one of which each must hold) for :func:`bench.bench_dashboard.wait_drawn`)
CHART, TABLE, STATIC_TABLE = ".js-plotly-plot", "[data-testid='stDataFrame']", "[data-testid='stTable']"
DRAWN = {
    "floor": ("", [(CHART, 1, None), (TABLE, 1, None)]),
    "overview": ("", [("[data-testid='stMetricValue']", 1, ["labelled", "no store"]),
                      ("[data-testid='stAlert']", 1, ["LEARNING MODE:"])]),
    "trends": ("trends", [(CHART, 1, None)]),
    "balance": ("balance", [(CHART, 1, None), (STATIC_TABLE, 1, None)]),
    "model": ("model", [(STATIC_TABLE, 2, None)]),  # the confusion matrix and the promotion decision
    "models": ("models", [(TABLE, 1, None)]),
    "activity": ("activity", [(TABLE, 1, None)]),
}


def serve_floor(workdir: Path) -> tuple[subprocess.Popen, str]:
    """The floor page on its own Streamlit server, with the dashboard's Streamlit options."""
    port = free_port()
    options = {**streamlit_options(), "server.port": str(port), "server.headless": "true"}
    argv = [sys.executable, "-m", "streamlit", "run", str(FLOOR)]
    for key, value in options.items():
        argv += [f"--{key}", value]
    with open(workdir / "floor.log", "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, workdir / "floor.log")
    return proc, url


def load(browser, url: str, page_name: str) -> float:
    """Seconds from the navigation to ``page_name`` in a fresh browser profile to its content being drawn.

    The page's own clock at the first animation frame where every element of
    :data:`DRAWN` is in view (:func:`bench.bench_dashboard.wait_drawn`).
    """
    path, wanted = DRAWN[page_name]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{url}/{path}")
        return wait_drawn(page, wanted, TIMEOUT_MS) / 1000
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="cla-bench-floor-"))
    servers: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        layout = build_folder(workdir / "models", PAIRS)
        key_file = workdir / "model.key"
        # the champion is a real signed pair (the synthetic ones are stubs that fail their check), so the pages
        # draw a healthy folder, not a tampered-champion warning the floor does not have
        synthetic = max(filter(None, (metrics_stamp(path.name) for path in layout.root.iterdir())))
        trained = stamp_time(synthetic) + timedelta(minutes=6)
        newest = write_pair(layout, {"bench": "a stand-in model"}, synthetic_metrics("", np.random.default_rng(7)),
                            stamp=stamp_of(trained), key_file=key_file, trained_at=trained).model_id
        layout.champion.write_text(json.dumps({"model_id": newest, "previous": [], "pinned": []}))
        for _ in range(200):
            append_event(layout.events, "training_finished", actor="bench", trigger="force", model_id=newest,
                         message=f"model {newest}: synthetic", duration_s=1.0)
        print(f"built {PAIRS} pairs in {time.perf_counter() - started:.1f} s", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            starts: dict[str, list[float]] = {name: [] for name in DRAWN}
            for _ in range(STARTS):
                # both servers started afresh, the folder never indexed: each page's first tab after a start
                for proc in servers:
                    stop(proc)
                servers.clear()
                layout.index.unlink(missing_ok=True)
                floor_proc, floor_url = serve_floor(workdir)
                servers.append(floor_proc)
                dash_proc, dash_url = serve(layout.root, workdir, refresh_seconds=None, key_file=key_file)
                servers.append(dash_proc)
                urls = {name: floor_url if name == "floor" else dash_url for name in DRAWN}
                for name in DRAWN:
                    starts[name].append(load(browser, urls[name], name))
            runs: dict[str, list[float]] = {name: [] for name in DRAWN}
            for _ in range(REPEATS):
                for name in DRAWN:
                    runs[name].append(load(browser, urls[name], name))
            browser.close()
    finally:
        for proc in servers:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    first = {name: round(statistics.median(values), 3) for name, values in starts.items()}
    medians = {name: round(statistics.median(values), 3) for name, values in runs.items()}
    floor = medians["floor"]
    result = {
        "pairs": PAIRS, "repeats": REPEATS, "first_s": first, "median_s": medians,
        "ratio": {name: round(value / floor, 2) for name, value in medians.items()},
        "first_ratio": {name: round(value / floor, 2) for name, value in first.items()},
        "runs_s": {name: [round(v, 3) for v in values] for name, values in runs.items()},
        "starts": STARTS, "first_runs_s": {name: [round(v, 3) for v in values] for name, values in starts.items()},
        "target_ratio": TARGET_RATIO, "load_average": [round(v, 2) for v in os.getloadavg()],
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    record(RESULTS, result)


if __name__ == "__main__":
    main()
