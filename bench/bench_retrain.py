"""Retrain latency: from a retrain request to the new metrics file being visible, beside the training's own time.

For each store size a real trainer service is started (``trainer.service.control.start``)
on a seeded SQLite store, with the default training options and the default
60 s check interval (so only the request watcher can explain a fast pickup).
Each repeat drops one request with ``control.retrain`` and polls the models
folder every 2 ms for the new ``model_metrics_*.json``. Reported per size
(median of the repeats):

* ``latency_s``: request to metrics file visible;
* ``training_s``: the cycle's own time up to writing the pair
  (``timings.until_write_s`` in the metrics file: load, clean, fit, evaluate,
  promotion decision);
* ``overhead_s`` = latency - training: request pickup, status writes, the pair
  write (joblib dump + fsync + renames) and the detection poll;
* ``pickup_s``: request to the ``training_started`` event.

The first request after ``start`` is reported apart (``service_first``): the
service imports the training stack in the background after it starts, and a
request that arrives before that finishes waits for the imports.

One extra run measures the service-off path (``retrain`` spawns ``cla
train``), whose overhead includes starting a Python interpreter.
Run: ``python -m bench retrain`` (results in ``bench/results/retrain.json``).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from trainer.service import control
from trainer.feedback import store
from trainer.config import load_config
from trainer.feedback.demo import generate_history
from bench import record
from trainer.folder.events import read_events

SIZES = (5_000, 66_000)
REPEATS = 3
RESULTS = Path(__file__).parent / "results" / "retrain.json"


def seeded_config(folder: Path, rows: int):
    store.insert_frame(folder / "feedback.db", generate_history(rows=rows, seed=7))
    (folder / "cla.toml").write_text(
        f'models_dir = "{folder / "models"}"\n[source]\npath = "{folder / "feedback.db"}"\n'
        "[service]\nmin_new_rows = 100000000\nmax_age_hours = 0\n")
    return load_config(folder / "cla.toml")


def metrics_files(models: Path) -> set[Path]:
    return set(models.glob("model_metrics_*.json"))


def one_request(config, *, service_running: bool) -> dict:
    models = config.layout.root
    before = metrics_files(models)
    asked_wall = time.time()
    asked = time.perf_counter()
    result = control.retrain(config, "bench")
    while not (new := metrics_files(models) - before):
        time.sleep(0.002)
    latency = time.perf_counter() - asked
    metrics = json.loads(next(iter(new)).read_text())
    if service_running:
        while (last := control.status(config).last_result) is None or last.requests != (result.request_id,):
            time.sleep(0.01)
    else:
        while control.status(config).training_pid is not None:
            time.sleep(0.01)
    events, _ = read_events(models / "events.jsonl")
    started = [e for e in events if e["event"] == "training_started"][-1]
    training = metrics["timings"]["until_write_s"]
    return {"latency_s": latency, "training_s": training, "overhead_s": latency - training,
            "pickup_s": datetime.fromisoformat(started["ts"]).timestamp() - asked_wall,
            "rows_used": metrics.get("rows", {}).get("used"), "family": metrics.get("model", {}).get("family")}


def median_of(runs: list[dict]) -> dict:
    keys = ("latency_s", "training_s", "overhead_s", "pickup_s")
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}


def main() -> None:
    report = {"measured_at": datetime.now().astimezone().isoformat(timespec="seconds"), "sizes": {}}
    print(f"{'rows':>7} {'path':>13} {'latency s':>10} {'training s':>11} {'overhead s':>11} {'pickup s':>9}")
    for rows in SIZES:
        with tempfile.TemporaryDirectory(prefix="cla-bench-") as tmp:
            config = seeded_config(Path(tmp), rows)
            control.start(config, "bench")
            try:
                cold = one_request(config, service_running=True)
                runs = [one_request(config, service_running=True) for _ in range(REPEATS)]
            finally:
                control.stop(config, "bench")
            entry = {"service_first": median_of([cold]), "service": median_of(runs), "runs": [cold, *runs]}
            if rows == SIZES[0]:
                entry["service_off"] = median_of([one_request(config, service_running=False)])
            report["sizes"][rows] = entry
            for path in ("service_first", "service", "service_off"):
                if path in entry:
                    m = entry[path]
                    print(f"{rows:>7} {path:>13} {m['latency_s']:>10.3f} {m['training_s']:>11.3f} "
                          f"{m['overhead_s']:>11.3f} {m['pickup_s']:>9.3f}", flush=True)
    record(RESULTS, report)
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
