"""Ten million verdicts: the sampled training cycle from SQLite, Parquet and DuckDB (the warehouse's stand-in),
the drift report on 1M recent alerts, the 1M bulk read, and the quality of the sampled model.

Every measurement runs in its own Python process, so its peak RSS
(``ru_maxrss``) is its own. Parts:

* ``build``: 10M demo verdicts (:func:`trainer.feedback.demo.generate_history`,
  ten 1M chunks with their own seeds and alert-id prefixes, 90 days each) into
  a SQLite store (``store.insert_frame``), ten Parquet files and a DuckDB table;
  the first chunk also into a 1M store. Setup, not a target.
* ``cycle``: ``run_cycle`` on the 10M store and on the Parquet files (default
  config, ``source.max_negatives`` 200,000): wall time, peak memory, rows read,
  the sampling rate, PR-AUC. Target: at most 60 s within 2 GB each.
* ``warehouse``: the BigQuery source's count and training queries, transpiled by
  sqlglot, on DuckDB (:mod:`trainer.feedback.sources.warehouse_sql`), then the
  trainer's own steps on the result (``prepare``, ``train_and_evaluate``).
* ``read``: 1M rows of the store into the frame (``store.read``), median of 3,
  through Arrow (ADBC) and through ``sqlite3`` tuples (the old path), same run.
  Target: at most 2 s.
* ``full1m``: the old recipe, every row of the 1M store (``max_negatives = 0``):
  its cycle cost, and the quality baseline. Every cycle's model is also scored
  on one shared holdout (200,000 later-seeded demo verdicts, every row); the
  sampled 10M model's holdout PR-AUC must be within 0.01 of this one's.
* ``drift``: a champion trained on 20,000 demo verdicts, then 1M live alerts;
  ``build_report`` from Parquet and from the SQLite store. Target: at most 5 s.

Run: ``python -m bench scale`` (``BENCH_SCALE_ROWS=2000000 BENCH_SCALE_RECENT=100000`` for a smaller run;
results in ``bench/results/scale.json``).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import record

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", "10000000"))
CHUNK = 1_000_000
RECENT = int(os.environ.get("BENCH_SCALE_RECENT", "1000000"))
RESULTS = Path(__file__).parent / "results" / "scale.json"
REPO = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_config(folder: Path, name: str, source: str, models: str = "", **extra) -> Path:
    lines = [f'models_dir = "{folder / ("models-" + (models or name))}"', f'model_key_file = "{folder / "key" / "model.key"}"',
             "", "[source]", f'kind = "{"sqlite" if source.endswith(".db") else "files"}"', f'path = "{source}"',
             "window_days = 0"] + [f"{k} = {v}" for k, v in extra.items()]
    path = folder / f"cla-{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- children --------------------------------------------------------------------------------------

def child_build(folder: Path, rows: int) -> dict:
    from trainer.feedback import demo, store
    from trainer.feedback.sources import warehouse_sql

    end = datetime.now(timezone.utc) - timedelta(hours=3)
    (folder / "parquet").mkdir(exist_ok=True)
    duck = warehouse_sql.connect(str(folder / "warehouse.duckdb"))
    spent = {"generate_s": 0.0, "sqlite_s": 0.0, "parquet_s": 0.0, "duckdb_s": 0.0}
    for i in range(max(1, rows // CHUNK)):
        t0 = time.perf_counter()
        frame = demo.generate_history(rows=min(CHUNK, rows), days=90, seed=100 + i, end=end)
        frame["alert_id"] = f"C{i:02d}-" + frame["alert_id"]
        spent["generate_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        store.insert_frame(folder / "feedback.db", frame)
        if i == 0:
            store.insert_frame(folder / "feedback-1m.db", frame)
            # one holdout every model is scored on: later alerts, the same generator, every row
            demo.generate_history(rows=200_000, days=90, seed=999, end=end).to_parquet(folder / "holdout.parquet")
        spent["sqlite_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        frame.to_parquet(folder / "parquet" / f"part-{i:02d}.parquet")
        spent["parquet_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        duck.register("chunk", frame)
        duck.execute("CREATE TABLE feedback AS SELECT * FROM chunk" if i == 0 else
                     "INSERT INTO feedback SELECT * FROM chunk")
        duck.unregister("chunk")
        spent["duckdb_s"] += time.perf_counter() - t0
        del frame
    duck.close()
    return {"rows": rows, **{k: round(v, 1) for k, v in spent.items()}, "peak_mb": peak_mb(),
            "sqlite_mb": round((folder / "feedback.db").stat().st_size / 1e6),
            "parquet_mb": round(sum(p.stat().st_size for p in (folder / "parquet").iterdir()) / 1e6)}


def holdout_pr_auc(model, folder: Path, config) -> float:
    """PR-AUC of ``model`` on the shared holdout (latest verdict per alert, cleaned as training is)."""
    import pandas as pd
    from sklearn.metrics import average_precision_score

    from trainer.feedback.quality import prepare

    frame = prepare(pd.read_parquet(folder / "holdout.parquet"), config.schema, quarantine_dir=None,
                    stamp="bench").frame
    label = frame.pop(config.schema.label)
    return round(float(average_precision_score(label, model.predict_proba(frame)[:, 1])), 4)


def child_cycle(config_path: Path) -> dict:
    from trainer.config import load_config
    from trainer.folder.scoring import load_model
    from trainer.service.cycle import run_cycle
    from trainer.service.startup import warm_imports

    warm_imports()
    config = load_config(config_path)
    t0 = time.perf_counter()
    outcome = run_cycle(config, trigger="manual", actor="bench")
    wall = time.perf_counter() - t0
    if outcome.outcome != "finished":
        raise SystemExit(f"cycle did not finish: {outcome.message}")
    metrics = outcome.metrics
    out = {"cycle_s": round(wall, 1), "peak_mb": peak_mb(), "rows_read": metrics["rows"]["read"],
           "rows_used": metrics["rows"]["used"], "negative_rate": metrics["sampling"]["negative_rate"],
           "pr_auc": metrics.get("pr_auc"), "timings": {k: round(v, 2) for k, v in metrics["timings"].items()}}
    model = load_model(config.models_dir, outcome.model_id, key_file=config.model_key_path)
    out["holdout_pr_auc"] = holdout_pr_auc(model, config_path.parent, config)
    return out


def billed_bytes(duck, columns) -> int:
    """What BigQuery would scan reading ``columns`` of the whole table, by its data-size rules: STRING 2 bytes +
    its UTF-8 length, INT64, FLOAT64 and TIMESTAMP 8 bytes, BOOL 1 byte, NULL 0 (no partitioning)."""
    types = dict(duck.execute("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = 'feedback'").fetchall())
    parts = []
    for name in columns:
        kind = types[name].upper()
        if kind in ("VARCHAR", "TEXT"):
            parts.append(f'SUM(CASE WHEN "{name}" IS NULL THEN 0 ELSE 2 + strlen("{name}") END)')
        elif kind == "BOOLEAN":
            parts.append(f'COUNT("{name}")')
        else:
            parts.append(f'8 * COUNT("{name}")')
    return int(duck.execute(f"SELECT {' + '.join(parts)} FROM feedback").fetchone()[0])


def child_warehouse(folder: Path) -> dict:
    from trainer.config import load_config
    from trainer.feedback.quality import prepare
    from trainer.feedback.sources import warehouse_sql
    from trainer.feedback.sources.bigquery_sql import (QueryPlan, build_count_sql, build_load_sql,
                                                       positive_values, scalar, string_array)
    from trainer.feedback.sources.sampling import negative_rate
    from trainer.learning.api import train_and_evaluate
    from trainer.service.startup import warm_imports

    warm_imports()
    config = load_config()
    duck = warehouse_sql.connect(str(folder / "warehouse.duckdb"))
    columns = tuple(r[0] for r in duck.execute("DESCRIBE feedback").fetchall())
    plan = QueryPlan("`feedback`", columns, "is_true_positive", "alert_id", "timestamp", "triaged_at", False)
    labels = string_array("positive_values", positive_values(config.schema))
    scanned = billed_bytes(duck, columns), billed_bytes(duck, ("is_true_positive", "timestamp"))
    t0 = time.perf_counter()
    negatives = int(warehouse_sql.run(duck, build_count_sql(plan, negatives_only=True), [labels])["n"].iloc[0])
    rate = negative_rate(negatives, config.source.max_negatives)
    frame = warehouse_sql.run(duck, build_load_sql(plan), [labels, scalar("negative_rate", "FLOAT64", repr(rate))])
    query_s = time.perf_counter() - t0
    peak_after_query = peak_mb()
    t0 = time.perf_counter()
    prepared = prepare(frame, config.schema, quarantine_dir=None, stamp="bench")
    result = train_and_evaluate(prepared.frame, config, negative_sample_rate=rate)
    train_s = time.perf_counter() - t0
    return {"query_s": round(query_s, 1), "rows_to_pandas": len(frame), "negative_rate": round(rate, 5),
            "bigquery_bytes_training_query": scanned[0], "bigquery_bytes_count_query": scanned[1],
            "prepare_train_s": round(train_s, 1), "total_s": round(query_s + train_s, 1),
            "peak_mb_after_query": peak_after_query, "peak_mb": peak_mb(), "pr_auc": result.metrics.get("pr_auc")}


def child_read(path: Path) -> dict:
    from trainer.feedback import store

    def median_of_3() -> tuple[float, int]:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            rows = len(store.read(path))
            times.append(time.perf_counter() - t0)
        return round(statistics.median(times), 2), rows

    arrow_s, rows = median_of_3()
    store.BULK_ROWS = 10**12   # the old path: sqlite3 row tuples
    tuples_s, _ = median_of_3()
    return {"rows": rows, "arrow_s": arrow_s, "tuples_s": tuples_s, "ratio": round(tuples_s / arrow_s, 2),
            "peak_mb": peak_mb()}


def child_drift(config_path: Path) -> dict:
    from trainer.config import load_config
    from trainer.monitoring.report import build_report
    from trainer.service.startup import warm_imports

    warm_imports()
    t0 = time.perf_counter()
    report = build_report(load_config(config_path))
    wall = time.perf_counter() - t0
    if report.get("error"):
        raise SystemExit(report["error"])
    return {"report_s": round(wall, 2), "recent_rows": report["window"]["recent_rows"], "peak_mb": peak_mb(),
            "timings": {k: round(v, 2) for k, v in report["timings"].items()}}


CHILDREN = {"build": lambda a: child_build(Path(a[0]), int(a[1])), "cycle": lambda a: child_cycle(Path(a[0])),
            "warehouse": lambda a: child_warehouse(Path(a[0])), "read": lambda a: child_read(Path(a[0])),
            "drift": lambda a: child_drift(Path(a[0]))}


def run_child(*args: str) -> dict:
    load = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.bench_scale", *args], capture_output=True, text=True,
                          cwd=REPO)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1500:], "load_average_1m": load}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update({"wall_s": round(time.perf_counter() - t0, 1), "load_average_1m": load})
    print(args[0], Path(args[1]).name, json.dumps(out), flush=True)
    return out


def drift_part(folder: Path) -> dict:
    import numpy as np

    from trainer.config import load_config
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history, generate_live
    from trainer.service.cycle import run_cycle

    drift = folder / "drift"
    (drift / "parquet").mkdir(parents=True)
    history = generate_history(rows=20_000, days=90, seed=7, end=datetime.now(timezone.utc) - timedelta(hours=2))
    history.to_parquet(drift / "parquet" / "history.parquet")
    outcome = run_cycle(load_config(write_config(drift, "files", str(drift / "parquet" / "*.parquet"),
                                                 **{"max_negatives": 200000})), trigger="manual", actor="bench")
    if outcome.outcome != "finished":
        return {"error": outcome.message}
    recent = generate_live(RECENT, rng=np.random.default_rng(RECENT))
    recent.to_parquet(drift / "parquet" / "recent.parquet")
    store.insert_frame(drift / "feedback.db", history)
    store.insert_frame(drift / "feedback.db", recent)
    del recent, history
    out = {"files": run_child("drift", str(write_config(drift, "files", str(drift / "parquet" / "*.parquet"))))}
    # the same models folder: the champion trained above
    out["sqlite"] = run_child("drift", str(write_config(drift, "sqlite", str(drift / "feedback.db"), models="files")))
    return out


def main() -> dict:
    results: dict = {"command": "python -m bench scale", "rows": ROWS, "cpus": os.cpu_count(),
                     "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="cla-bench-scale-") as tmp:
        folder = Path(tmp)
        results["build"] = run_child("build", str(folder), str(ROWS))
        results["read_1m_sqlite"] = run_child("read", str(folder / "feedback-1m.db"))
        results["cycle_sqlite"] = run_child("cycle", str(write_config(folder, "sqlite", str(folder / "feedback.db"))))
        results["cycle_parquet"] = run_child("cycle", str(write_config(folder, "parquet",
                                                                      str(folder / "parquet" / "*.parquet"))))
        results["warehouse_duckdb"] = run_child("warehouse", str(folder))
        results["full_1m_sqlite"] = run_child("cycle", str(write_config(folder, "full1m",
                                                                       str(folder / "feedback-1m.db"),
                                                                       max_negatives=0)))
        results["drift_1m_recent"] = drift_part(folder)
    sampled = results["cycle_sqlite"].get("holdout_pr_auc")
    full = results["full_1m_sqlite"].get("holdout_pr_auc")
    if sampled is not None and full is not None:
        results["quality"] = {"holdout": "200,000 demo verdicts, seed 999, every row",
                              "sampled_10m_pr_auc": sampled, "full_1m_pr_auc": full,
                              "difference": round(sampled - full, 4), "within_0_01": abs(sampled - full) <= 0.01}
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    record(RESULTS, results)
    print(json.dumps(results.get("quality")), f"written to {RESULTS}", flush=True)
    return results


if __name__ == "__main__":
    print(json.dumps(CHILDREN[sys.argv[1]](sys.argv[2:])))
