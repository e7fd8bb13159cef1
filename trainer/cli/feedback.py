"""``cla feedback import FILE``, ``cla feedback stats`` and ``cla feedback cost``: verdicts into and facts about the
feedback source.

``import`` validates each row (:mod:`trainer.feedback.importing`), reports every
rejected row with its line number, skips rows whose alert id and verdict are
already stored (and says how many), commits the rest in one transaction and
exits 1 when anything was rejected. ``stats`` summarises the
store (:func:`trainer.feedback.store.stats`). Both need ``source.kind = "sqlite"``.
``cost`` asks BigQuery, with free dry runs, how many bytes one training read
scans (:meth:`BigQuerySource.dry_run`); it needs ``source.kind = "bigquery"``.
"""

from __future__ import annotations

import json
import sys

from trainer.cli import CLIError
from trainer.contract import exit_codes

SHOWN_REJECTIONS = 20


def register(sub, common) -> None:
    group = sub.add_parser("feedback", parents=[common], help="import verdicts, inspect the feedback store",
                           description="Work with the embedded feedback store.")
    commands = group.add_subparsers(dest="feedback_command", metavar="COMMAND", required=True)

    imp = commands.add_parser("import", parents=[common], help="append verdicts from a CSV or Parquet file",
                              description="Validate each row of FILE and append the valid ones to the embedded "
                                          "store in one transaction; a row whose alert id and verdict are already "
                                          "stored is skipped, so importing a file again is safe. Rejected rows are listed with their line "
                                          "numbers; the exit code is 1 when any row was rejected.")
    imp.add_argument("file", metavar="FILE", help="CSV or Parquet file with the store's column names "
                                                   "(alert_id, is_true_positive, timestamp required)")
    imp.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    imp.add_argument("--rejected-out", metavar="CSV", help="also write the rejected rows' line numbers and reasons here")
    imp.set_defaults(handler=handle_import)

    stats = commands.add_parser("stats", parents=[common], help="rows, labels and freshness of the store",
                                description="Summarise the embedded feedback store.")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=handle_stats)

    cost = commands.add_parser("cost", parents=[common], help="bytes one training read scans in BigQuery (dry run)",
                               description="Dry-run the training read's two BigQuery queries (the negatives count "
                                           "and the training query) and print the bytes each would scan and bill. "
                                           "Nothing is run for real. Needs source.kind = \"bigquery\".")
    cost.add_argument("--json", action="store_true", help="print JSON")
    cost.set_defaults(handler=handle_cost)


def _store(config):
    if config.source.kind != "sqlite":
        raise CLIError(f"this command works on the embedded SQLite store, but source.kind is "
                       f"{config.source.kind!r}; use a config with source.kind = \"sqlite\"", 2)
    return config.source_path, config.source.table


def handle_import(args, config) -> int:
    import pandas as pd

    from trainer.feedback import store
    from trainer.atomic import WriteError, write_with
    from trainer.feedback.importing import import_file
    from trainer.feedback.sources import SourceError

    path, table = _store(config)
    try:
        result = import_file(args.file, path, table, dry_run=args.dry_run)
    except SourceError as exc:
        raise CLIError(f"cannot import: {exc}; nothing was imported") from None
    except ValueError as exc:
        raise CLIError(f"cannot import {args.file}: {exc}; nothing was imported") from None
    except store.StoreError as exc:
        raise CLIError(f"cannot write to {path}: {exc}; nothing was imported") from None

    for item in result.rejected[:SHOWN_REJECTIONS]:
        print(f"{args.file}:{item.line}: rejected{f' ({item.alert_id})' if item.alert_id else ''}: {item.reason}",
              file=sys.stderr)
    if len(result.rejected) > SHOWN_REJECTIONS:
        print(f"... and {len(result.rejected) - SHOWN_REJECTIONS} more rejected rows"
              + ("" if args.rejected_out else " (use --rejected-out FILE to list them all)"), file=sys.stderr)
    if args.rejected_out and result.rejected:
        rows = pd.DataFrame([vars(r) for r in result.rejected])
        try:
            write_with(args.rejected_out, lambda tmp: rows.to_csv(tmp, index=False))
        except WriteError as exc:
            raise CLIError(str(exc)) from None

    accepted = len(result.accepted)
    already = f", {result.already_there} already there" if result.already_there else ""
    if args.dry_run:
        print(f"dry run: {accepted} of {result.rows} rows would be imported{already}, {len(result.rejected)} rejected; "
              "nothing written")
    elif result.rows == 0:
        print(f"{args.file} holds no rows; nothing imported")
    else:
        print(f"imported {accepted} of {result.rows} rows into {path} (table {table!r}){already}"
              + (f"; {len(result.rejected)} rejected" if result.rejected else ""))
    if result.rejected:
        what_to_do = ("fix them before importing" if args.dry_run
                      else "fix them and import the file again (rows already there are skipped)")
        print(f"cla: {len(result.rejected)} row(s) rejected; {what_to_do}", file=sys.stderr)
        return exit_codes.ERROR
    return exit_codes.OK


def handle_stats(args, config) -> int:
    from trainer.feedback import store

    path, table = _store(config)
    if not path.is_file():
        raise CLIError(f"the feedback store {path} does not exist: run `cla demo seed` or `cla feedback import FILE`")
    try:
        stats = store.stats(path, table)
    except store.StoreError as exc:
        raise CLIError(str(exc)) from None
    trainer_view = _trainer_counts(config)
    if args.json:
        print(json.dumps({**stats, "trainer": trainer_view}, indent=2))
        return exit_codes.OK
    rate = f"{stats['positive_rate']:.1%}" if stats["positive_rate"] is not None else "n/a"
    print(f"store:      {stats['path']} (table {stats['table']!r})")
    print(f"rows:       {stats['rows']}")
    print(f"labelled:   {stats['labelled']} ({stats['rows'] - stats['labelled']} awaiting a verdict)")
    print(f"positives:  {stats['positives']} ({rate} of labelled)")
    print(f"alerts:     {stats['oldest'] or '-'} .. {stats['newest'] or '-'}")
    print(f"last added: {stats['last_inserted_at'] or '-'}")
    if "labelled" in trainer_view:
        window = (f"in the last {trainer_view['window_days']:g} days" if trainer_view["window_days"]
                  else "with no time window")
        print(f"trainer:    {trainer_view['labelled']} labelled {window} (what it reads); {trainer_view['new']} new "
              f"since the last training read its data; {trainer_view['today']} added since 00:00 UTC")
    return exit_codes.OK


def _trainer_counts(config) -> dict:
    """The counts the trainer and the Overview use (`trainer.feedback.counts`), from the same moment they count."""
    from trainer.feedback.counts import count_feedback
    from trainer.service.triggers import last_training_time

    since = last_training_time(config.layout, key_file=config.model_key_path)
    return count_feedback(config, since=since)


def handle_cost(args, config) -> int:
    from trainer.feedback.sources import SourceError, open_source

    if config.source.kind != "bigquery":
        raise CLIError(f"`cla feedback cost` dry-runs BigQuery queries, but source.kind is {config.source.kind!r}; "
                       "use a config with source.kind = \"bigquery\"", 2)
    try:
        source = open_source(config)
        cost = source.dry_run()
    except SourceError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print(json.dumps(cost, indent=2))
        return exit_codes.OK
    print(f"source:         {source.describe()}")
    print(f"count query:    {cost['count_bytes']:,} bytes")
    print(f"training query: {cost['training_bytes']:,} bytes")
    print(f"per cycle:      {cost['total_bytes']:,} bytes ({cost['total_bytes'] / 2**30:.2f} GiB)")
    return exit_codes.OK
