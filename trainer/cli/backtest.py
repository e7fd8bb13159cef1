"""``cla backtest [FILE]``: replay a labelled history through CLA's cycle and report what it would have done.

The history is FILE (CSV or Parquet, read as the files source reads feedback) or,
without one, the configured feedback source. The schema options (``--set schema.label=...``) say which columns are the
verdict and the time. The replay writes a models folder (``--out``, which must
not hold models yet) with the pairs, events and champion history it made, and
``backtest.json``; ``cla dashboard --models-dir OUT`` shows it. Exit codes:
``OK``, ``USAGE`` for a history or option that cannot be replayed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trainer.cli import CLIError
from trainer.config import set_option
from trainer.contract import exit_codes


def register(sub, common) -> None:
    p = sub.add_parser("backtest", parents=[common], help="replay a labelled history through CLA's cycle",
                       description="Replay a labelled, time-stamped history in steps: at each step CLA's own "
                                   "triggers, training, promotion gates and threshold run on what was known then, "
                                   "and every contender scores the step's alerts before their verdicts are seen.")
    p.add_argument("file", nargs="?", help="CSV or Parquet file (default: the configured feedback source)")
    p.add_argument("--every", default="1d", help="step length: 30m, 12h, 1d, 7d, 2w, 1y (default 1d)")
    p.add_argument("--start", default=None, help="first scored step, ISO time (default: after three steps)")
    p.add_argument("--verdict-delay", default="0", help="how long after an alert its verdict arrives (default 0)")
    p.add_argument("--out", default="backtest", help="models folder the replay writes (default ./backtest)")
    p.add_argument("--contenders", default="cla,static,old_recipe,online",
                   help="comma-separated: cla, static, old_recipe, online (default: all)")
    p.add_argument("--random-state", type=int, default=None, help="seed (default: training.random_state)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one option, e.g. --set schema.label=verdict (repeatable)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=handle)


def _read(path: str):
    """The history file, read as the files source reads feedback (`trainer.feedback.sources.files.read_table`)."""
    from trainer.feedback.sources import SourceError
    from trainer.feedback.sources.files import read_table

    try:
        return read_table(Path(path))
    except SourceError as exc:
        raise CLIError(f"{exc}; give a CSV or Parquet export of labelled alerts", exit_codes.USAGE) from None


def handle(args, config) -> int:
    import pandas as pd

    from trainer.backtest import BacktestError, BacktestOptions, History, parse_every, run_backtest
    from trainer.contract.layout import ModelsLayout

    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise CLIError(f"--set {item!r}: expected KEY=VALUE, e.g. schema.label=verdict", exit_codes.USAGE)
        set_option(config, key.strip(), value.strip())
    if args.random_state is not None:
        config.training.random_state = args.random_state
    out = ModelsLayout.of(args.out)
    if out.root.resolve() == config.layout.root.resolve():
        raise CLIError(f"--out {args.out} is the models folder CLA serves; a replay writes its own folder",
                       exit_codes.USAGE)
    if out.root.exists() and (any(out.root.glob("model_metrics_*.json")) or out.backtest_report.exists()):
        raise CLIError(f"--out {args.out} already holds models or a backtest; choose an empty folder",
                       exit_codes.USAGE)
    try:
        every, delay = parse_every(args.every), parse_every(args.verdict_delay, allow_zero=True)
        start = pd.Timestamp(args.start) if args.start else None
        options = BacktestOptions(every=every, start=start, verdict_delay=delay,
                                  contenders=tuple(c.strip() for c in args.contenders.split(",") if c.strip()))
    except ValueError as exc:
        raise CLIError(str(exc), exit_codes.USAGE) from None
    if args.file:
        frame, description = _read(args.file), args.file
    else:
        from trainer.feedback.sources import open_source

        source = open_source(config)
        frame, description = source.load(sample=False).frame, source.describe()
    key = config.model_key_path
    config.models_dir = str(out.root)
    config.model_key_file = str(key)
    try:
        history = History.of(frame, config, description)
        progress = None if args.json else _progress
        report = run_backtest(history, config, options, progress=progress)
    except BacktestError as exc:
        raise CLIError(str(exc), exit_codes.USAGE) from None
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_table(report))
        print(f"report: {out.backtest_report}; see it with `cla dashboard --models-dir {out.root}`")
    return exit_codes.OK


def _fmt(value, digits: int = 3) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}"


def _progress(row: dict) -> None:
    cla = row["cla"]
    trained = f"trained ({cla['trigger']}): {cla['promotion'] or cla['outcome']}" if cla["trained"] else "no training"
    print(f"step {row['step']} {row['start'][:16]}: {row['alerts']} alerts, {row['positives']} true positives; "
          f"CLA PR-AUC {_fmt(cla['pr_auc'])}, recall {_fmt(cla['recall'])}; {trained}", file=sys.stderr, flush=True)


def _table(report: dict) -> str:
    lines = [f"{report['steps']} steps of {report['every']} over {report['source']}; recall target "
             f"{report['recall_target']:.2f}",
             f"{'contender':<12} {'PR-AUC':>7} {'recall':>7} {'skipped':>8} {'skippable':>10} {'missed':>7} "
             f"{'seconds':>8}"]
    for name, block in report["contenders"].items():
        lines.append(f"{name:<12} {_fmt(block['pr_auc']):>7} {_fmt(block['recall']):>7} {_fmt(block['skipped']):>8} "
                     f"{_fmt(block['skippable_at_target']):>10} {block['missed']:>7} {block['seconds']:>8.1f}")
    cla = report["contenders"]["cla"]
    lines.append(f"CLA trained {cla['trainings']} times ({cla['failed_trainings']} failed), promoted "
                 f"{cla['promotions']} models")
    return "\n".join(lines)
