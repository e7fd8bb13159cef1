"""Drift report: its cost at 10k, 100k and 1M recent alerts, how soon each demo shift is flagged, and false alarms.

Three parts, each report built by :func:`trainer.monitoring.report.build_report`
exactly as the trainer service builds it:

* ``cost``: a champion trained on 20,000 synthetic verdicts
  (:func:`trainer.feedback.demo.generate_history`), then N live alerts
  (:func:`trainer.feedback.demo.generate_live`) after it; one report per N, each
  in its own Python process so its peak RSS (``ru_maxrss``) is its own. The
  feedback is read from Parquet (``source.kind = "files"``) and, for 1M,
  also from the SQLite store, whose row-at-a-time read is the slow part. The
  training stack is imported first, as the service does when it starts.
* ``delay``: a champion trained on a *stationary* history (the live
  generator's end state, hour by hour over 30 days, so nothing drifts unless
  a shift is applied); for each shift of :mod:`trainer.feedback.shifts`, the
  fewest recent alerts at which the shifted feature (or, for ``attacks``, the
  true-positive share) is flagged, and at which it is ``major`` (the level the
  ``drift`` trigger needs), over three seeds.
* ``stable``: the same champion, 50 draws of unshifted recent alerts; a false
  alarm is a draw in which any feature, the score or the prevalence is flagged.

Run: ``python -m bench drift`` (``BENCH_DRIFT_SIZES=10000,100000`` for a quick
run, ``BENCH_DRIFT_PARTS=cost`` or ``detection`` for one part; results in
``bench/results/drift.json``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from bench import record
from pathlib import Path

SIZES = tuple(int(n) for n in os.environ.get("BENCH_DRIFT_SIZES", "10000,100000,1000000").split(","))
DELAY_STEPS = (100, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000)
DELAY_SEEDS = (1, 2, 3)
STABLE_DRAWS = int(os.environ.get("BENCH_DRIFT_DRAWS", "50"))
STABLE_ROWS = (300, 500, 5000)
PARTS = os.environ.get("BENCH_DRIFT_PARTS", "cost,detection").split(",")
SHIFTED_FEATURE = {"new-source": "source_product", "reputation": "src_reputation", "attacks": "prevalence"}
RESULTS = Path(__file__).parent / "results" / "drift.json"
REPO = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_config(folder: Path, source: str) -> Path:
    path = folder / f"cla-{source}.toml"
    kind = ('kind = "files"\npath = "' + str(folder / "data" / "*.parquet") + '"\nwindow_days = 0') if source == "files" \
        else ('kind = "sqlite"\npath = "' + str(folder / "feedback.db") + '"\nwindow_days = 0')
    path.write_text(f'models_dir = "{folder / "models"}"\nmodel_key_file = "{folder / "key" / "model.key"}"\n\n'
                    f'[source]\n{kind}\n\n[training]\ntime_budget_seconds = 2.0\npermutation_repeats = 2\n',
                    encoding="utf-8")
    return path


def train_champion(folder: Path, history) -> dict:
    from trainer.config import load_config
    from trainer.service.cycle import run_cycle

    (folder / "data").mkdir(parents=True, exist_ok=True)
    history.to_parquet(folder / "data" / "history.parquet")
    outcome = run_cycle(load_config(write_config(folder, "files")), trigger="manual", actor="bench")
    if outcome.outcome != "finished":
        raise SystemExit(f"bench drift: the champion could not be trained: {outcome.message}")
    return {"model_id": outcome.model_id, "family": outcome.metrics.get("model", {}).get("family"),
            "pr_auc": outcome.metrics.get("pr_auc")}


def stationary_history(days: int = 30, per_hour: int = 30, seed: int = 11):
    """The live generator's end state, ``per_hour`` alerts in every hour of ``days`` days ending 2 h ago."""
    import numpy as np
    import pandas as pd

    from trainer.feedback.demo import generate_live

    rng = np.random.default_rng(seed)
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    parts = [generate_live(per_hour, rng=rng, now=end - timedelta(hours=h), prefix=f"HIST{h}")
             for h in range(days * 24)]
    return pd.concat(parts, ignore_index=True).sort_values("timestamp", kind="stable").reset_index(drop=True)


def child_cost(folder: Path, source: str) -> dict:
    from trainer.config import load_config
    from trainer.monitoring.report import build_report
    from trainer.service.startup import warm_imports

    warm_imports()  # as the service does at start: the report's time is the report, not the imports
    report = build_report(load_config(folder / f"cla-{source}.toml"))
    if report.get("error"):
        raise SystemExit(report["error"])
    return {"source": source, "recent_rows": report["window"]["recent_rows"], **report["timings"],
            "peak_mb": round(peak_mb(), 1), "top": report["features"][0]["feature"]}


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.bench_drift", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"bench drift child {args} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cost() -> list[dict]:
    import numpy as np

    from trainer.feedback import store
    from trainer.feedback.demo import generate_history, generate_live

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        folder = Path(tmp)
        end = datetime.now(timezone.utc) - timedelta(hours=2)
        history = generate_history(rows=20_000, days=90, seed=7, end=end)
        champion = train_champion(folder, history)
        for size in SIZES:
            recent = generate_live(size, rng=np.random.default_rng(size))
            recent.to_parquet(folder / "data" / "recent.parquet")
            rows.append({"size": size, "champion": champion, **run_child("cost", str(folder), "files")})
            print(json.dumps(rows[-1]), flush=True)
            if size == max(SIZES):
                write_config(folder, "sqlite")
                store.insert_frame(folder / "feedback.db", history)
                store.insert_frame(folder / "feedback.db", recent)
                rows.append({"size": size, "champion": champion, **run_child("cost", str(folder), "sqlite")})
                print(json.dumps(rows[-1]), flush=True)
            del recent
    return rows


def _flags(report: dict) -> dict:
    return {"features": {r["feature"]: r["level"] for r in report["features"] if r["level"] != "none"},
            "score": (report.get("score") or {}).get("level"),
            "prevalence": bool((report.get("prevalence") or {}).get("flagged"))}


def _draw_report(config, folder: Path, recent) -> dict:
    from trainer.monitoring.report import build_report

    recent.to_parquet(folder / "data" / "recent.parquet")
    report = build_report(config)
    if report.get("error"):
        raise SystemExit(report["error"])
    return report


def _level(report: dict, target: str) -> str:
    if target == "prevalence":
        return "major" if report["prevalence"]["flagged"] else "none"
    return next(r["level"] for r in report["features"] if r["feature"] == target)


def detection() -> tuple[list[dict], list[dict]]:
    import numpy as np

    from trainer.config import load_config
    from trainer.feedback.demo import generate_live
    from trainer.feedback.shifts import SHIFTS, apply_shift

    delays, stable = [], []
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        folder = Path(tmp)
        champion = train_champion(folder, stationary_history())
        config = load_config(folder / "cla-files.toml")
        for shift in SHIFTS:
            for seed in DELAY_SEEDS:
                found = {"shift": shift, "seed": seed, "feature": SHIFTED_FEATURE[shift], "flagged_at": None,
                         "major_at": None, "trigger_at": None}
                for n in DELAY_STEPS:
                    rng = np.random.default_rng(1000 * seed + n)
                    report = _draw_report(config, folder, apply_shift(generate_live(n, rng=rng), shift, rng))
                    level = _level(report, found["feature"])
                    if level != "none" and found["flagged_at"] is None:
                        found["flagged_at"] = n
                    if level == "major" and found["major_at"] is None:
                        found["major_at"] = n
                    if report["signals"]["drift"] and found["trigger_at"] is None:
                        found["trigger_at"] = n
                    if found["major_at"] and found["trigger_at"]:
                        break
                delays.append(found)
                print(json.dumps(found), flush=True)
        for rows in STABLE_ROWS:
            alarms, started, largest = [], time.perf_counter(), {"psi": 0.0, "feature": None}
            for draw in range(STABLE_DRAWS):
                report = _draw_report(config, folder, generate_live(rows, rng=np.random.default_rng(50_000 + draw)))
                flags = _flags(report)
                top = report["features"][0]
                if (top["psi"] or 0.0) > largest["psi"]:
                    largest = {"psi": round(top["psi"], 4), "feature": top["feature"], "p_value": top["p_value"]}
                if flags["features"] or flags["score"] not in (None, "none") or flags["prevalence"]:
                    alarms.append({"draw": draw, **flags})
            stable.append({"rows": rows, "draws": STABLE_DRAWS, "false_alarms": len(alarms), "alarms": alarms,
                           "largest_psi": largest,
                           "champion": champion, "seconds": round(time.perf_counter() - started, 1)})
            print(json.dumps(stable[-1]), flush=True)
    return delays, stable


def main() -> None:
    started = datetime.now(timezone.utc)
    results: dict = {"started": started.isoformat(timespec="seconds"), "load_average": os.getloadavg()}
    if "cost" in PARTS:
        results["cost"] = cost()
    if "detection" in PARTS:
        results["delay"], results["stable"] = detection()
    results["load_average_after"] = os.getloadavg()
    record(RESULTS, results)
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["cost"]:
        print(json.dumps(child_cost(Path(sys.argv[2]), sys.argv[3])))
    else:
        main()
