"""``cla trainer run | start | stop | status | retrain``: the trainer service from the command line.

``run`` is the service itself in the foreground (:mod:`trainer.service.runner`);
the others call :mod:`trainer.service.control`, the same API the dashboard uses,
with the OS user as the actor. Exit codes
(:mod:`trainer.contract.exit_codes`): ``OK``, ``ERROR``, ``SKIPPED`` a
waited-for training was skipped (``retrain --wait``), ``ABANDONED`` a training
was abandoned at stop (``run``), ``BUSY`` the service already runs (``run``).
"""

from __future__ import annotations

import argparse
import json
import sys

from trainer.cli import CLIError
from trainer.contract import exit_codes, states
from trainer.contract.status import CurrentTraining
from trainer.folder.events import local_user

def register(sub, common) -> None:
    group = sub.add_parser("trainer", parents=[common], help="start, stop, inspect or poke the trainer service",
                           description="The trainer service: one background process per models folder.")
    group.set_defaults(handler=lambda args, config: _usage(group))
    commands = group.add_subparsers(dest="trainer_command", metavar="ACTION")

    p = commands.add_parser("run", parents=[common], help="run the service in the foreground (what start launches)")
    p.add_argument("--actor", default=None, help="who started it, for the event log (default: the OS user)")
    # `start` passes a pipe here: a failure is also written to it, since the log may not be writable
    p.add_argument("--report-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=handle_run)

    p = commands.add_parser("start", parents=[common], help="start the service in the background (idempotent)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds to wait until it runs")
    p.set_defaults(handler=handle_start)

    p = commands.add_parser("stop", parents=[common], help="stop the service: SIGTERM, then SIGKILL")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds before SIGKILL (default: service.stop_timeout_seconds + 5)")
    p.set_defaults(handler=handle_stop, folder_only=True)

    p = commands.add_parser("status", parents=[common], help="state, stage, heartbeat, last result and error")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(handler=handle_status, folder_only=True)

    p = commands.add_parser("retrain", parents=[common], help="train now (through the service, or in a process)")
    p.add_argument("--wait", action="store_true", help="wait for the training to end and print its result")
    p.add_argument("--timeout", type=float, default=900.0, metavar="S", help="longest wait with --wait")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=handle_retrain)


def _usage(parser) -> int:
    parser.print_help()
    return exit_codes.USAGE


def handle_run(args, config) -> int:
    from trainer.atomic import WriteError, describe_os_error
    from trainer.locking import LockBusy
    from trainer.service.metrics import MetricsUnavailable
    from trainer.service.runner import run_service

    layout = config.layout
    try:
        return run_service(config, actor=args.actor or local_user())
    except LockBusy as exc:
        raise CLIError(f"a trainer already runs for {layout.root} (pid {exc.pid}); "
                       "stop it with `cla trainer stop`", exit_codes.BUSY) from None
    except MetricsUnavailable as exc:
        raise CLIError(f"the trainer did not start: {exc.strerror or exc}") from None
    except OSError as exc:
        cause = str(exc) if isinstance(exc, WriteError) else f"{exc.filename or layout.root}: {describe_os_error(exc)}"
        raise CLIError(f"the trainer cannot use {layout.root}: {cause}") from None


def _control(action, *args, **kwargs):
    from trainer.service.control import ControlError

    try:
        return action(*args, **kwargs)
    except ControlError as exc:
        raise CLIError(str(exc)) from None


def handle_start(args, config) -> int:
    from trainer.service import control

    result = _control(control.start, config, local_user(), timeout=args.timeout)
    print(result.message)
    return exit_codes.OK


def handle_stop(args, config) -> int:
    from trainer.service import control

    result = _control(control.stop, config, local_user(), timeout=args.timeout)
    print(result.message)
    return exit_codes.OK


def handle_status(args, config) -> int:
    from trainer.service import control

    data = control.status(config)
    if args.json:
        print(json.dumps(data.to_json(), indent=2, default=str))
        return exit_codes.OK
    pid = data.service_pid or data.pid
    print(f"trainer: {data.state}" + (f" (pid {pid})" if data.running else ""))
    if data.state == states.TRAINING:
        current = data.current or CurrentTraining()
        print(f"  stage: {data.stage}  ({current.trigger}, asked by {current.actor}, since {current.started_at})")
    print(f"  {data.message}")
    if data.running:
        print(f"  heartbeat: {data.heartbeat} ({data.heartbeat_age_s} s ago)   next check: {data.next_check or '-'}")
    if data.queued_requests:
        print(f"  queued retrain requests: {data.queued_requests}")
    if data.training_pid and data.state != states.TRAINING:
        print(f"  a stand-alone training is running (pid {data.training_pid})")
    last = data.last_result
    if last is not None:
        at = f" at {last.finished_at}" if last.finished_at else ""
        print(f"  last result: {last.outcome}{at}: {last.message}")
    error = data.last_error
    if error is not None:
        print(f"  last error: {error.at}: {error.message}")
    print(f"  models folder: {data.models_dir}   log: {data.log_file}")
    return exit_codes.OK


def handle_retrain(args, config) -> int:
    from trainer.service import control

    result = _control(control.retrain, config, local_user(), wait=args.wait, timeout=args.timeout)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(result.message)
        if result.outcome is not None:
            stream = sys.stderr if result.outcome.outcome == "failed" else sys.stdout
            print(f"{result.outcome.outcome}: {result.outcome.message}", file=stream)
    outcome = result.outcome.outcome if result.outcome is not None else None
    if outcome == "failed":
        return exit_codes.ERROR
    return exit_codes.SKIPPED if outcome == "skipped" else exit_codes.OK
