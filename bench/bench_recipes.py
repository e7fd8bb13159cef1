"""Training recipes: the default trainer against the old CLA recipe, and what a cycle costs by size.

Part 1, ``compare``: on the demo history (66,000 verdicts, seed 7, cleaned by
``quality.prepare``) the default configuration (``preset=auto``, threshold
for recall 0.95 chosen on the validation slice) and ``preset=legacy`` (random
forest, 100 trees, depth 10, balanced weights, threshold 0.5) are each trained
by ``train_and_evaluate`` on the same newest-20% holdout, three times
(``random_state`` 0, 1, 2). Reported per preset, median of the repeats:
PR-AUC, recall and precision at the model's threshold, F1, workload saved
(share of test alerts below the threshold) and fit time.

Part 2, ``scale``: for 5k, 66k and 1M rows a SQLite store is seeded with the
demo generator, then a fresh process runs one real cycle
(``trainer.service.cycle.run_cycle``: read, clean, train, evaluate, write the pair,
promote) and reports the cycle's stage timings, its wall time, the process's
CPU time (user + system, including imports: on a busy machine it shows what
the cycle would cost on an idle one) and its peak resident memory
(``ru_maxrss``, which includes the interpreter and libraries). The machine's
load average is recorded beside the numbers: the box is shared.

Run: ``python -m bench recipes`` (all), or
``python -m bench.bench_recipes compare`` / ``scale [ROWS ...]``.
Results: stdout and ``bench/results/recipes.json`` + ``recipes.md``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
COMPARE_ROWS = 66_000
REPEATS = 3
SIZES = (5_000, 66_000, 1_000_000)
COMPARED = ("pr_auc", "recall", "precision", "f1_score", "workload_saved", "workload_at_target", "threshold", "fit_s")
TARGET_RECALL = 0.95


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def compare(rows: int = COMPARE_ROWS, repeats: int = REPEATS) -> dict:
    """Default vs legacy on one holdout; returns every run and the medians."""
    from trainer.config import Config
    from trainer.feedback.demo import generate_history
    from trainer.learning.evaluation import workload_saved_at_recall
    from trainer.learning.api import train_and_evaluate
    from trainer.feedback.quality import prepare

    frame = prepare(generate_history(rows=rows, seed=7), Config().schema, quarantine_dir=None, stamp="bench").frame
    runs = []
    for repeat in range(repeats):
        for preset in ("auto", "legacy"):
            config = Config()
            config.training.preset = preset
            config.training.random_state = repeat
            started = time.perf_counter()
            result = train_and_evaluate(frame, config)
            metrics = result.metrics
            test = result.test_frame
            # Both presets judged at the SOC's target recall on the same test slice: how much of the
            # queue an analyst could skip with each model's ranking.
            metrics["workload_at_target"] = workload_saved_at_recall(
                test[config.schema.label], result.model.predict_proba(test)[:, 1], TARGET_RECALL)
            run = {"preset": preset, "repeat": repeat, "total_s": round(time.perf_counter() - started, 2),
                   "fit_s": metrics["timings"]["fit_s"], "family": metrics["model"]["family"],
                   "imbalance": metrics["model"]["imbalance"], "test_start": metrics["data_window"].get("test_start"),
                   "test_rows": metrics["rows"]["test"], "test_positives": metrics["class_counts"]["test"]["1"]}
            run.update({k: metrics[k] for k in COMPARED if k in metrics})
            runs.append(run)
            print(json.dumps(run), flush=True)
    medians = {}
    for preset in ("auto", "legacy"):
        mine = [r for r in runs if r["preset"] == preset]
        medians[preset] = {k: round(statistics.median(r[k] for r in mine), 4) for k in COMPARED}
        medians[preset]["total_s"] = round(statistics.median(r["total_s"] for r in mine), 2)
    same_holdout = len({(r["test_start"], r["test_rows"]) for r in runs}) == 1
    return {"rows": rows, "repeats": repeats, "runs": runs, "median": medians, "same_holdout": same_holdout,
            "pr_auc_ratio": round(medians["auto"]["pr_auc"] / medians["legacy"]["pr_auc"], 3),
            "checks": {
                "pr_auc_at_least_1.10x_legacy": medians["auto"]["pr_auc"] >= 1.10 * medians["legacy"]["pr_auc"],
                "recall_at_least_target": medians["auto"]["recall"] >= TARGET_RECALL,
                "saves_more_workload_at_target": (medians["auto"]["workload_at_target"]
                                                  > medians["legacy"]["workload_at_target"])}}


def cycle_child(folder: str) -> None:
    """In a fresh process: one real cycle on the store in ``folder``; prints a JSON line."""
    from trainer.config import load_config
    from trainer.service.cycle import run_cycle

    config = load_config(Path(folder) / "cla.toml")
    started = time.perf_counter()
    outcome = run_cycle(config, trigger="bench", actor="bench")
    wall = time.perf_counter() - started
    metrics = outcome.metrics or {}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"outcome": outcome.outcome, "message": outcome.message, "wall_s": round(wall, 2),
                      "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                      "peak_rss_mb": round(usage.ru_maxrss / 1024),
                      "timings": metrics.get("timings", {}), "rows": metrics.get("rows", {}),
                      "family": (metrics.get("model") or {}).get("family"),
                      "fit_rows": (metrics.get("model") or {}).get("fit_rows"),
                      "pr_auc": metrics.get("pr_auc"), "recall": metrics.get("recall")}))


def scale(sizes=SIZES) -> list[dict]:
    """One measured cycle per size, each in its own process."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    out = []
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="cla-bench-") as folder:
            path = Path(folder)
            t0 = time.perf_counter()
            store.insert_frame(path / "feedback.db", generate_history(rows=rows, seed=7))
            seed_s = time.perf_counter() - t0
            (path / "cla.toml").write_text(f'models_dir = "{path / "models"}"\n'
                                           f'[source]\npath = "{path / "feedback.db"}"\n')
            load_before = os.getloadavg()[0]
            child = subprocess.run([sys.executable, "-m", "bench.bench_recipes", "cycle-child", folder],
                                   capture_output=True, text=True, cwd=Path(__file__).parent.parent)
            if child.returncode != 0:
                raise RuntimeError(f"cycle at {rows} rows failed: {child.stderr[-2000:]}")
            result = json.loads(child.stdout.strip().splitlines()[-1])
            result.update({"store_rows": rows, "seed_s": round(seed_s, 1), "load_average_1m": round(load_before, 2)})
            print(json.dumps(result), flush=True)
            out.append(result)
    return out


def markdown(report: dict) -> str:
    lines = [f"Measured {report['machine']['date']} on {report['machine']['cpus']} cores "
             f"({report['machine']['platform']}), load average at start {report['machine']['load_average_1m']}.", ""]
    if "compare" in report:
        cmp_ = report["compare"]
        lines += [f"Default vs legacy on {cmp_['rows']} demo verdicts, same newest-20% holdout "
                  f"({'identical in every run' if cmp_['same_holdout'] else 'DIFFERED'}), median of {cmp_['repeats']}:",
                  "", "| preset | PR-AUC | recall | precision | F1 | workload saved | workload saved at recall 0.95 "
                  "| threshold | fit s |", "|---|---|---|---|---|---|---|---|---|"]
        for preset, m in cmp_["median"].items():
            lines.append(f"| {preset} | {m['pr_auc']:.3f} | {m['recall']:.3f} | {m['precision']:.3f} | "
                         f"{m['f1_score']:.3f} | {m['workload_saved']:.3f} | {m['workload_at_target']:.3f} | "
                         f"{m['threshold']:.3f} | {m['fit_s']:.1f} |")
        lines += ["", f"PR-AUC ratio default / legacy: {cmp_['pr_auc_ratio']}; checks: {cmp_['checks']}", ""]
    if "scale" in report:
        lines += ["| store rows | rows used | load s | quality s | train+evaluate s | cycle wall s | process CPU s "
                  "| peak RSS MB | load avg |", "|---|---|---|---|---|---|---|---|---|"]
        for r in report["scale"]:
            t = r["timings"]
            lines.append(f"| {r['store_rows']:,} | {r['rows'].get('used', '?'):,} | {t.get('load_s', 0):.1f} | "
                         f"{t.get('quality_s', 0):.1f} | {t.get('train_and_evaluate_s', 0):.1f} | {r['wall_s']:.1f} | "
                         f"{r['process_cpu_s']:.1f} | {r['peak_rss_mb']} | {r['load_average_1m']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = argv or []
    if argv[:1] == ["cycle-child"]:
        cycle_child(argv[1])
        return
    report: dict = {"machine": machine(), "command": "python -m bench.bench_recipes " + " ".join(argv)}
    if not argv or argv[0] == "compare":
        report["compare"] = compare()
    if not argv or argv[0] == "scale":
        report["scale"] = scale([int(n) for n in argv[1:]] or SIZES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recipes.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (RESULTS / "recipes.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
