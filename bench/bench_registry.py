"""Registry listing speed with 10,000 pairs: cold, warm, after one new pair, and in a new process.

Builds a models folder of :data:`PAIRS` synthetic pairs: a small pickle and a
metrics file written by ``trainer.folder.pairs.metrics_text`` with realistic content
(every summary key, warnings, a promotion block, 200-point curves, a config
block; the mean size is reported as ``metrics_file_kb``). Then, each the median
of :data:`REPEATS` runs:

* ``cold_s``: ``Registry(...).list_models()`` with no index on disk and a new
  instance (every metrics file is read whole and CRC-checked; only its first
  line is parsed);
* ``index_s``: a new instance with ``runtime/index.json`` present, right
  after the folder changed (it scans and stats, but opens no file);
* ``index_settled_s``: a new instance when the folder has not changed for a
  few seconds (what a new ``cla models list`` process usually pays: it loads
  the index and does not scan);
* ``warm_s``: the same instance again when nothing changed (what the
  dashboard's shared instance pays on each refresh);
* ``one_new_s``: the same instance after one more pair was written;
* ``full_parse_s``: for comparison, ``json.loads`` of every metrics file, as a
  registry without an index would do.

Wall and CPU time are both reported: the machine is shared, and the CPU
time of this process is what the code costs when it has a core to itself.
Run: ``python -m bench registry`` (results in ``bench/results/registry.json``).
Targets: cold under 1 s, warm under 50 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from trainer.contract.layout import ModelsLayout, stamp_of
from trainer.folder.pairs import metrics_text
from bench import record
from trainer.folder.registry import Registry

PAIRS = 10_000
REPEATS = 5
#: longer than registry.RACY_NS: the folder has not changed for this long before the settled measurement
SETTLE_SECONDS = 2.2
RESULTS = Path(__file__).parent / "results" / "registry.json"


def synthetic_metrics(model_id: str, rng: np.random.Generator) -> dict:
    """A metrics dict shaped like a real schema-2 file (about 20 KB as JSON)."""
    def curve(points: int = 200) -> list[float]:
        return np.round(np.sort(rng.random(points)), 6).tolist()

    return {
        "schema_version": 2, "model_id": model_id, "model_file": f"trained_model_{model_id}.pkl",
        "model_sha256": "0" * 64, "created_at": f"{model_id[:4]}-{model_id[4:6]}-{model_id[6:8]}T00:00:00+00:00",
        "precision": float(rng.random()), "recall": float(rng.random()), "f1_score": float(rng.random()),
        "accuracy": float(rng.random()), "true_positives": 120, "false_positives": 300, "true_negatives": 12000,
        "false_negatives": 8, "training_samples": 42000, "test_samples": 13000, "balanced_accuracy": 0.9,
        "mcc": 0.5, "pr_auc": float(rng.random()), "roc_auc": float(rng.random()), "brier_score": 0.03,
        "threshold": 0.12, "workload_saved": 0.8, "positive_rate": 0.05, "useful": True,
        "warnings": [{"code": "severe_imbalance", "severity": "warning",
                      "message": "only 4.8% of the training rows are true positives, below 5%"}],
        "promotion": {"decision": "rejected", "reasons": ["PR-AUC 0.700 is 0.020 below the champion's 0.720"],
                      "champion_id": "20260101_000000", "metric": "pr_auc",
                      "challenger": {"pr_auc": 0.7, "recall": 0.95}, "champion": {"pr_auc": 0.72, "recall": 0.95}},
        "curves": {"pr": {"precision": curve(), "recall": curve(), "threshold": curve()},
                   "reliability": {"mean_predicted": curve(10), "fraction_positive": curve(10),
                                   "count": [100] * 10},
                   "threshold_tradeoff": {"threshold": curve(), "precision": curve(), "recall": curve(),
                                          "alerts_skipped": curve()}},
        "feature_importance": [{"feature": f"feature_{i}", "importance": 0.1, "std": 0.01} for i in range(15)],
        "config": {"training": {"preset": "auto", "objective": "recall", "target": 0.95}},
    }


def build_folder(root: Path, pairs: int = PAIRS) -> ModelsLayout:
    """``pairs`` synthetic pairs, one every six minutes."""
    layout = ModelsLayout.of(root)
    layout.ensure()
    rng = np.random.default_rng(0)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(pairs):
        model_id = stamp_of(start + timedelta(minutes=6 * i))
        layout.model_path(model_id).write_bytes(b"pickle" * 100)
        layout.metrics_path(model_id).write_text(metrics_text(synthetic_metrics(model_id, rng)))
    return layout


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call of ``fn``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def medians(runs: list[tuple[float, float]], digits: int = 4) -> tuple[float, float]:
    return round(statistics.median(r[0] for r in runs), digits), round(statistics.median(r[1] for r in runs), digits)


def measure(layout: ModelsLayout) -> dict:
    """Median wall and CPU seconds of each kind of listing (see the module docstring)."""
    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "index": [], "index_settled": [], "warm": [],
                                                  "one_new": []}
    rng = np.random.default_rng(1)
    extra = datetime(2027, 1, 1, tzinfo=timezone.utc)
    for repeat in range(REPEATS):
        layout.index.unlink(missing_ok=True)
        registry = Registry(layout.root)
        runs["cold"].append(timed(registry.list_models))
        runs["index"].append(timed(Registry(layout.root).list_models))
        time.sleep(SETTLE_SECONDS)
        Registry(layout.root).list_models()  # records the settled folder state in the index
        runs["index_settled"].append(timed(Registry(layout.root).list_models))
        runs["warm"] += [timed(registry.list_models) for _ in range(5)]
        model_id = stamp_of(extra + timedelta(minutes=repeat))
        layout.model_path(model_id).write_bytes(b"pickle")
        layout.metrics_path(model_id).write_text(metrics_text(synthetic_metrics(model_id, rng)))
        runs["one_new"].append(timed(registry.list_models))
    files = sorted(layout.root.glob("model_metrics_*.json"))
    result = {"pairs": len(files), "repeats": REPEATS,
              "metrics_file_kb": round(statistics.mean(p.stat().st_size for p in files[:100]) / 1024, 1)}
    for kind, measured in runs.items():
        result[f"{kind}_s"], result[f"{kind}_cpu_s"] = medians(measured, 5 if kind == "warm" else 4)
    result["full_parse_s"], result["full_parse_cpu_s"] = medians(
        [timed(lambda: [json.loads(p.read_bytes()) for p in files])], 3)
    result["models_listed"] = len(Registry(layout.root).list_models())
    return result


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="cla-bench-registry-"))
    try:
        started = time.perf_counter()
        layout = build_folder(folder / "models")
        print(f"built {PAIRS} pairs in {time.perf_counter() - started:.1f} s", flush=True)
        result = measure(layout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    record(RESULTS, result)
