"""Feedback sources at scale: 1M rows from SQLite and from Parquet, and the sampled BigQuery path on 10M rows.

Each measurement runs in its own Python process, so its peak RSS
(``ru_maxrss``) is its own and not the parent's. Reported per case:

* ``sqlite`` / ``parquet``: time and peak memory to load 1M synthetic
  verdicts through the source (:mod:`trainer.feedback.sources`), to clean them
  (:func:`trainer.feedback.quality.prepare`) and, with ``train=True``, to train and
  evaluate (:func:`trainer.learning.api.train_and_evaluate`, default config);
* ``bigquery_sampled``: a simulation of what the BigQuery source does on a
  10M-row table, with no network. The table is generated in chunks that are
  dropped after use, standing in for rows that stay in the warehouse. Pass 1
  counts labelled negatives (the COUNT query); pass 2 applies what the SQL
  applies (latest verdict per alert, labelled rows only, every positive, a
  hash sample of negatives at ``max_negatives / negatives``), and only the
  sample is kept, as only the query result reaches pandas. Peak memory must
  stay near one chunk plus the sample, not the table. Generation time is the
  warehouse's stand-in and is reported apart from the trainer's work. The
  sample is trained on as the cycle trains on a sampled source
  (``negative_sample_rate``), so its test metrics are re-weighted to estimate
  the whole table's.

Run: ``python -m bench sources`` (results in ``bench/results/sources.json``); the
BigQuery case alone: ``python -m bench.bench_sources bigquery 10000000 500000 200000 1``
(one JSON line on stdout).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from bench import record
from pathlib import Path

ROWS = 1_000_000
BQ_ROWS = 10_000_000
BQ_CHUNK = 500_000
MAX_NEGATIVES = 200_000
RESULTS = Path(__file__).parent / "results" / "sources.json"
REPO = Path(__file__).resolve().parent.parent
END = datetime(2026, 11, 23, tzinfo=timezone.utc)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _train_phase(frame, config, out: dict, negative_sample_rate: float = 1.0) -> None:
    """Train and evaluate with the default config, as the cycle does: a sampled frame's metrics re-weighted."""
    try:
        from trainer.learning.api import train_and_evaluate
    except ImportError as exc:
        out["train_skipped"] = f"trainer.learning.api not importable: {exc}"
        return
    t0 = time.perf_counter()
    result = train_and_evaluate(frame, config, negative_sample_rate=negative_sample_rate)
    out["train_evaluate_s"] = round(time.perf_counter() - t0, 2)
    out["peak_mb_after_train"] = round(peak_mb(), 1)
    out["pr_auc"] = result.metrics.get("pr_auc")


def child_seed(folder: Path, rows: int) -> dict:
    """Generate the history once and write it to SQLite and Parquet."""
    from trainer.feedback import demo
    from trainer.feedback import store

    t0 = time.perf_counter()
    frame = demo.generate_history(rows=rows, days=90, seed=7, end=END)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.insert_frame(folder / "feedback.db", frame)
    sqlite_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame.to_parquet(folder / "feedback.parquet")
    parquet_s = time.perf_counter() - t0
    return {"rows": rows, "generate_s": round(generated, 2), "write_sqlite_s": round(sqlite_s, 2),
            "write_parquet_s": round(parquet_s, 2), "peak_mb": round(peak_mb(), 1),
            "sqlite_mb": round((folder / "feedback.db").stat().st_size / 1e6, 1),
            "parquet_mb": round((folder / "feedback.parquet").stat().st_size / 1e6, 1)}


def child_load(folder: Path, kind: str, train: bool) -> dict:
    from trainer.config import load_config
    from trainer.feedback.quality import prepare
    from trainer.feedback.sources import open_source

    baseline = peak_mb()
    config = load_config(overrides={"source.kind": kind, "source.window_days": 0,
                                    "source.path": str(folder / ("feedback.db" if kind == "sqlite" else "feedback.parquet"))})
    t0 = time.perf_counter()
    loaded = open_source(config).load()
    out = {"case": kind, "rows_read": len(loaded.frame), "load_s": round(time.perf_counter() - t0, 2),
           "peak_mb_baseline": round(baseline, 1), "peak_mb_after_load": round(peak_mb(), 1)}
    t0 = time.perf_counter()
    prepared = prepare(loaded.frame, config.schema, quarantine_dir=None, stamp="bench")
    out.update({"prepare_s": round(time.perf_counter() - t0, 2), "rows_used": len(prepared.frame),
                "peak_mb_after_prepare": round(peak_mb(), 1)})
    del loaded
    if train:
        _train_phase(prepared.frame, config, out)
    return out


def _sample_chunk(frame, rate: float, chunk: int):
    """What the BigQuery SQL keeps of one chunk: latest verdict per alert, labelled, positives + hashed negatives."""
    import pandas as pd

    latest = frame.sort_values("triaged_at", kind="stable", na_position="first") \
        .drop_duplicates("alert_id", keep="last")
    labelled = latest[latest["is_true_positive"].notna()]
    buckets = pd.util.hash_pandas_object(labelled["alert_id"], index=False).to_numpy() % 1_000_000
    keep = (labelled["is_true_positive"] == 1).to_numpy() | (buckets < rate * 1_000_000)
    sample = labelled[keep].copy()
    sample["alert_id"] = f"C{chunk:03d}-" + sample["alert_id"]
    return sample


def child_bigquery(total: int, chunk_rows: int, max_negatives: int, train: bool) -> dict:
    import pandas as pd

    from trainer.feedback import demo
    from trainer.config import load_config
    from trainer.feedback.quality import prepare

    chunks = range(max(1, total // chunk_rows))
    baseline = peak_mb()
    t0 = time.perf_counter()
    negatives = 0
    for i in chunks:  # pass 1: the COUNT query
        frame = demo.generate_history(rows=chunk_rows, days=90, seed=1_000 + i, end=END)
        negatives += int((frame["is_true_positive"] == 0).sum())
        del frame
    count_s = time.perf_counter() - t0
    peak_after_count = peak_mb()
    rate = 1.0 if negatives <= max_negatives else max_negatives / negatives
    t0 = time.perf_counter()
    sampling_s = 0.0
    parts = []
    for i in chunks:  # pass 2: the training query; only its result is kept
        frame = demo.generate_history(rows=chunk_rows, days=90, seed=1_000 + i, end=END)
        t1 = time.perf_counter()
        parts.append(_sample_chunk(frame, rate, i))
        sampling_s += time.perf_counter() - t1
        del frame
    result = pd.concat(parts, ignore_index=True)
    del parts
    query_s = time.perf_counter() - t0
    out = {"case": "bigquery_sampled", "table_rows": len(chunks) * chunk_rows, "chunk_rows": chunk_rows,
           "negatives_counted": negatives, "negative_rate": round(rate, 5), "rows_reaching_pandas": len(result),
           "positives": int((result["is_true_positive"] == 1).sum()),
           "warehouse_stand_in_s": round(count_s + query_s - sampling_s, 1), "sampling_s": round(sampling_s, 2),
           "sample_mb": round(result.memory_usage(deep=True).sum() / 1e6, 1),
           "peak_mb_baseline": round(baseline, 1), "peak_mb_after_count_pass": round(peak_after_count, 1),
           "peak_mb_after_load": round(peak_mb(), 1)}
    config = load_config()
    t0 = time.perf_counter()
    prepared = prepare(result, config.schema, quarantine_dir=None, stamp="bench")
    out.update({"prepare_s": round(time.perf_counter() - t0, 2), "rows_used": len(prepared.frame),
                "peak_mb_after_prepare": round(peak_mb(), 1)})
    if train:
        _train_phase(prepared.frame, config, out, negative_sample_rate=rate)
    return out


def run_child(*args: str) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.bench_sources", *args], cwd=REPO,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"case": args[0], "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(time.perf_counter() - started, 1)
    return out


def main(rows: int = ROWS, bq_rows: int = BQ_ROWS, train: bool = True) -> dict:
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
                     "started": datetime.now(timezone.utc).isoformat()}
    with tempfile.TemporaryDirectory(prefix="cla-bench-sources-") as tmp:
        results["seed"] = run_child("seed", tmp, str(rows))
        print("seed", results["seed"], flush=True)
        for kind in ("sqlite", "files"):
            results[kind] = run_child("load", tmp, kind, str(int(train)))
            print(kind, results[kind], flush=True)
    results["bigquery_sampled"] = run_child("bigquery", str(bq_rows), str(BQ_CHUNK), str(MAX_NEGATIVES), str(int(train)))
    print("bigquery_sampled", results["bigquery_sampled"], flush=True)
    record(RESULTS, results)
    print(f"written to {RESULTS}")
    return results


def _child(argv: list[str]) -> None:
    task = argv[0]
    if task == "seed":
        out = child_seed(Path(argv[1]), int(argv[2]))
    elif task == "load":
        out = child_load(Path(argv[1]), argv[2], bool(int(argv[3])))
    elif task == "bigquery":
        out = child_bigquery(int(argv[1]), int(argv[2]), int(argv[3]), bool(int(argv[4])))
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(out))


if __name__ == "__main__":
    _child(sys.argv[1:])
