"""``cla train``: one training cycle in the foreground.

Prints a short summary for a person (``--json`` for machines). Exit codes
(:mod:`trainer.contract.exit_codes`): ``OK`` a pair was written, ``ERROR`` the
cycle failed, ``SKIPPED`` nothing to learn from (e.g. no positive labels),
``BUSY`` another training holds the lock.
"""

from __future__ import annotations

import argparse
import json
import sys

from trainer.cli import CLIError
from trainer.config import set_option
from trainer.contract import exit_codes
from trainer.folder.events import local_user

def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="run one training cycle now",
                       description="Read feedback, train, evaluate on the newest feedback, write a model pair.")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--trigger", default="manual", help="why this training runs (recorded in the event log)")
    p.add_argument("--actor", default=None, help="who asked (default: the OS user)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one option, e.g. --set training.preset=legacy (repeatable)")
    # `cla trainer retrain` passes a pipe here: a failure is also written to it, since the log may not be writable
    p.add_argument("--report-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=handle)


def handle(args, config) -> int:
    from trainer.atomic import describe_os_error
    from trainer.service.cycle import run_cycle
    from trainer.locking import LockBusy, training_lock
    from trainer.service.startup import setup_logging

    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise CLIError(f"--set {item!r}: expected KEY=VALUE, e.g. training.objective=f1", 2)
        set_option(config, key.strip(), value.strip())
    layout = config.layout
    try:
        layout.ensure()
    except OSError as exc:
        raise CLIError(f"models folder {layout.root} cannot be used: {describe_os_error(exc)}") from None
    try:
        # Tracebacks go to the trainer log; the console gets the one-line outcome below.
        setup_logging(config, layout)
    except OSError as exc:
        print(f"cla: note: trainer log {layout.log} cannot be written ({exc.strerror or exc})", file=sys.stderr)
    try:
        with training_lock(layout):
            outcome = run_cycle(config, trigger=args.trigger, actor=args.actor or local_user())
    except LockBusy as exc:
        raise CLIError(f"another training is running for {layout.root}: {exc}", exit_codes.BUSY) from None
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2))
    else:
        stream = sys.stdout if outcome.ok else sys.stderr
        print(f"{outcome.outcome}: {outcome.message} ({outcome.duration_s:.1f} s)", file=stream)
        for warning in outcome.metrics.get("warnings", []):
            print(f"  warning [{warning.get('code')}]: {warning.get('message')}", file=stream)
    return {"finished": exit_codes.OK, "skipped": exit_codes.SKIPPED}.get(outcome.outcome, exit_codes.ERROR)
