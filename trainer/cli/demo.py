"""``cla demo seed`` and ``cla demo feed``: synthetic feedback in the embedded store.

``seed`` writes a deterministic history (:func:`trainer.feedback.demo.generate_history`)
into ``source.path``; ``feed`` trickles live verdicts (:func:`trainer.feedback.demo.feed`)
so the continuous loop can be watched, optionally with a ``--shift`` (:mod:`trainer.feedback.shifts`)
the Drift page then shows. Both need ``source.kind = "sqlite"``.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from trainer.cli import CLIError
from trainer.contract import exit_codes
from trainer.feedback.shifts import SHIFTS

#: without a terminal, ``cla demo feed`` prints its progress line at most this often
PROGRESS_SECONDS = 30.0


def register(sub, common) -> None:
    group = sub.add_parser("demo", parents=[common], help="synthetic SOC feedback for trying CLA",
                           description="Fill the embedded feedback store with synthetic verdicts.")
    commands = group.add_subparsers(dest="demo_command", metavar="COMMAND", required=True)

    seed = commands.add_parser("seed", parents=[common], help="write a synthetic 90-day triage history",
                               description="Write a deterministic synthetic SOC history into the embedded store "
                                           "(config source.path, default data/feedback.db).")
    seed.add_argument("--rows", type=int, default=66_000, help="verdicts to write (default 66000)")
    seed.add_argument("--days", type=int, default=90, help="days of history ending now (default 90)")
    seed.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    when = seed.add_mutually_exclusive_group()
    when.add_argument("--if-empty", action="store_true", help="do nothing when the store already has rows")
    when.add_argument("--force", action="store_true", help="delete the existing store first")
    seed.set_defaults(handler=handle_seed)

    feed = commands.add_parser("feed", parents=[common], help="trickle new verdicts into the store",
                               description="Insert freshly triaged synthetic verdicts at a steady rate until "
                                           "--duration or --count is reached (or Ctrl-C).")
    feed.add_argument("--rate", type=float, default=2.0, help="rows a second (default 2)")
    stop = feed.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=float, help="stop after this many seconds")
    stop.add_argument("--count", type=int, help="stop after this many rows")
    feed.add_argument("--seed", type=int, default=None, help="random seed (default: different every run)")
    feed.add_argument("--shift", choices=SHIFTS, default=None,
                      help="change the alerts so the Drift page has something to show: a new alert source "
                           "(new-source), a re-scaled src_reputation (reputation), a rise in attacks (attacks)")
    feed.add_argument("--pending-share", type=float, default=0.0, metavar="SHARE",
                      help="share of the alerts that arrive pending triage, without a verdict, for the review "
                           "queue (0 to 1, default 0); their truth is kept in the demo's own table")
    feed.set_defaults(handler=handle_feed)


def _store_path(config) -> Path:
    if config.source.kind != "sqlite":
        raise CLIError(f"cla demo writes to the embedded SQLite store, but source.kind is {config.source.kind!r}; "
                       "set source.kind = \"sqlite\" or pass a --config that uses it", 2)
    return config.source_path


def handle_seed(args, config) -> int:
    from trainer.feedback import demo, demo_analyst
    from trainer.feedback import store

    if args.rows < 1 or args.days < 1:
        raise CLIError(f"--rows and --days must be at least 1 (got {args.rows} and {args.days})", 2)
    path = _store_path(config)
    table = config.source.table
    try:
        existing = store.count(path, table)
        if existing and args.if_empty:
            print(f"{path} already holds {existing} rows in table {table!r}; nothing written (--if-empty)")
            return exit_codes.OK
        if existing and not args.force:
            raise CLIError(f"{path} already holds {existing} rows in table {table!r}: pass --force to replace "
                           "them, or --if-empty to keep them")
        if args.force:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        frame = demo.generate_history(rows=args.rows, days=args.days, seed=args.seed, keep_truth=True)
        written = demo_analyst.insert_with_truth(path, frame, table)
    except (store.StoreError, sqlite3.Error, OSError) as exc:
        raise CLIError(f"cannot seed {path}: {exc}") from None
    labelled = frame[store.LABEL_COLUMN].notna()
    rate = float(frame.loc[labelled, store.LABEL_COLUMN].mean())
    print(f"wrote {written} synthetic verdicts to {path} (table {table!r}): {int(labelled.sum())} labelled, "
          f"true-positive rate {rate:.1%}, {args.days} days ending now, seed {args.seed}")
    return exit_codes.OK


def handle_feed(args, config) -> int:
    from trainer.feedback import demo
    from trainer.feedback import store

    if args.rate <= 0:
        raise CLIError(f"--rate must be above 0 rows a second (got {args.rate})", 2)
    if not 0.0 <= args.pending_share <= 1.0:
        raise CLIError(f"--pending-share must be between 0 and 1 (got {args.pending_share})", 2)
    if args.count is not None and args.count < 1:
        raise CLIError(f"--count must be at least 1 (got {args.count})", 2)
    path = _store_path(config)

    live = sys.stdout.isatty()
    last = [float("-inf")]

    def report(batch: int, total: int) -> None:
        """One progress line: rewritten in place on a terminal, else a line every PROGRESS_SECONDS."""
        what = "alerts" if args.pending_share else "verdicts"
        line = f"{total:,} {what} written to {path} at {args.rate:g} a second"
        if live:
            print(f"\r{line} (Ctrl-C stops)", end="", flush=True)
        elif time.monotonic() - last[0] >= PROGRESS_SECONDS:
            last[0] = time.monotonic()
            print(line, flush=True)

    try:
        written = demo.feed(path, rate=args.rate, table=config.source.table, duration=args.duration,
                            count=args.count, seed=args.seed, shift=args.shift, pending_share=args.pending_share,
                            on_batch=report)
    except KeyboardInterrupt:
        print("\nstopped" if live else "stopped", flush=True)
        return exit_codes.OK
    except (store.StoreError, sqlite3.Error, OSError) as exc:
        raise CLIError(f"cannot feed {path}: {exc}") from None
    if live:
        print()
    what = "alerts" if args.pending_share else "verdicts"
    print(f"done: {written} {what} written to {path}"
          + (f", about {args.pending_share:.0%} of them pending triage" if args.pending_share else ""))
    return exit_codes.OK
