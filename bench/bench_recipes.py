"""Training recipes: the default trainer against the old CLA recipe, and what a cycle costs by size.

Part 1, ``compare``: on the demo history (66,000 verdicts, seed 7, cleaned by
``quality.prepare``) the default configuration (``preset=auto``, threshold
for recall 0.95 chosen on the validation slice) and ``preset=legacy`` (random
forest, 100 trees, depth 10, balanced weights, threshold 0.5) are each trained
by ``train_and_evaluate`` on the same newest-20% holdout, three times
(``random_state`` 0, 1, 2). Reported per preset, median of the repeats:
PR-AUC, recall and precision at the model's threshold, F1, workload saved
(share of test alerts below the threshold) and fit time.

Beside it, ``ceiling``: the same holdout ranked by the demo generator's own
log-odds without their noise (a bound no model reaches: it knows the hidden
campaign and scanner flags).

Part 2, ``scale``: for 5k, 66k and 1M rows a SQLite store is seeded with the
demo generator, then a fresh process runs one real cycle
(``trainer.service.cycle.run_cycle``: read, clean, train, evaluate, write the pair,
promote) and reports the cycle's stage timings, its wall time, the process's
CPU time (user + system, including imports: on a busy machine it shows what
the cycle would cost on an idle one) and its peak resident memory
(``ru_maxrss``, which includes the interpreter and libraries). The machine's
load average is recorded beside the numbers: the box is shared.

Run: ``python -m bench recipes`` (all), or
``python -m bench.bench_recipes compare`` / ``scale [ROWS ...]`` / ``fit [ROWS]`` (``train_and_evaluate``
alone on a fixed frame, twice: to compare two checkouts of the code on the same data).
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


class _NoiseRecorder:
    """Wraps the demo generator's random generator and keeps its one normal draw: the log-odds noise
    that no attribute explains (``demo.UNOBSERVED_NOISE_SD``)."""

    def __init__(self, rng, seen: list):
        self._rng, self._seen = rng, seen

    def __getattr__(self, name):
        return getattr(self._rng, name)

    def normal(self, *args, **kwargs):
        draw = self._rng.normal(*args, **kwargs)
        self._seen.append(draw)
        return draw


def ceiling(rows: int = COMPARE_ROWS) -> dict:
    """What a perfect ranker could reach on the compare holdout: the demo's own log-odds, noise removed.

    The generator draws each alert's verdict from log-odds made of its
    attributes, two hidden flags (in the attack campaign, fired by a scanner)
    and noise no attribute explains. Ranking the test alerts by those log-odds
    minus the noise uses more than any model can see (the hidden flags), so
    its PR-AUC and workload saved at recall 0.95 bound what a model can reach
    on this slice from above (up to the luck of the sample).
    """
    from sklearn.metrics import average_precision_score

    from trainer.config import Config
    from trainer.feedback import demo
    from trainer.feedback.quality import prepare
    from trainer.learning.evaluation import workload_saved_at_recall
    from trainer.learning.splitting import split_newest

    seen: list = []
    simulate = demo._simulate
    signal: dict = {}

    def recording(rng, day_share, intercept, hour=None):
        columns, logit, used = simulate(_NoiseRecorder(rng, seen), day_share, intercept, hour)
        if len(seen) != 1 or len(seen[0]) != len(logit):
            raise RuntimeError("the demo generator no longer draws its noise once per alert; update bench ceiling")
        signal["log_odds"] = logit - seen.pop()
        return columns, logit, used

    demo._simulate = recording
    try:
        history = demo.generate_history(rows=rows, seed=7)
    finally:
        demo._simulate = simulate
    schema = Config().schema
    frame = prepare(history, schema, quarantine_dir=None, stamp="bench").frame
    source_row = frame["alert_id"].str.removeprefix("ALR-").astype(int).to_numpy() - 1
    frame = frame.assign(_log_odds=signal["log_odds"][source_row])
    frame = frame[frame[schema.label].notna()]  # as train_and_evaluate does before its holdout
    _, test, _ = split_newest(frame, schema.label, schema.time_column, Config().training.holdout_fraction, 0)
    y, score = test[schema.label].astype(int), test["_log_odds"].to_numpy()
    return {"rows": rows, "test_rows": len(test), "pr_auc": round(float(average_precision_score(y, score)), 4),
            "workload_at_target": round(float(workload_saved_at_recall(y, score, TARGET_RECALL)), 4)}


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
        if "ceiling" in cmp_:
            top = cmp_["ceiling"]
            lines += [f"Ceiling on the same holdout (the generator's log-odds without their noise, hidden flags "
                      f"included): PR-AUC {top['pr_auc']:.3f}, workload saved at recall 0.95 "
                      f"{top['workload_at_target']:.3f}", ""]
    if "scale" in report:
        lines += ["| store rows | rows used | load s | quality s | train+evaluate s | cycle wall s | process CPU s "
                  "| peak RSS MB | load avg |", "|---|---|---|---|---|---|---|---|---|"]
        for r in report["scale"]:
            t = r["timings"]
            lines.append(f"| {r['store_rows']:,} | {r['rows'].get('used', '?'):,} | {t.get('load_s', 0):.1f} | "
                         f"{t.get('quality_s', 0):.1f} | {t.get('train_and_evaluate_s', 0):.1f} | {r['wall_s']:.1f} | "
                         f"{r['process_cpu_s']:.1f} | {r['peak_rss_mb']} | {r['load_average_1m']} |")
    return "\n".join(lines) + "\n"


def fit_only(rows: int = COMPARE_ROWS, repeats: int = 2) -> list[float]:
    """Seconds of ``train_and_evaluate`` on one fixed demo frame (end 2026-11-30), ``repeats`` times in this
    process: the learning code's cost alone, for comparing two trees of the code on the same data."""
    from trainer.config import Config
    from trainer.feedback.demo import generate_history
    from trainer.feedback.quality import prepare
    from trainer.learning.api import train_and_evaluate

    config = Config()
    end = datetime(2026, 11, 30, tzinfo=timezone.utc)
    frame = prepare(generate_history(rows=rows, seed=7, end=end), config.schema, quarantine_dir=None,
                    stamp="bench").frame
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        train_and_evaluate(frame, config)
        seconds.append(round(time.perf_counter() - started, 2))
    print(json.dumps({"rows": rows, "train_and_evaluate_s": seconds}), flush=True)
    return seconds


def main(argv: list[str] | None = None) -> None:
    argv = argv or []
    if argv[:1] == ["cycle-child"]:
        cycle_child(argv[1])
        return
    if argv[:1] == ["fit"]:
        fit_only(int(argv[1]) if len(argv) > 1 else COMPARE_ROWS)
        return
    report: dict = {"machine": machine(), "command": "python -m bench.bench_recipes " + " ".join(argv)}
    if not argv or argv[0] == "compare":
        report["compare"] = compare()
        report["compare"]["ceiling"] = ceiling()
    if not argv or argv[0] == "scale":
        report["scale"] = scale([int(n) for n in argv[1:]] or SIZES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recipes.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (RESULTS / "recipes.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
