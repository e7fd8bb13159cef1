"""``cla models list | show | promote | rollback | pin | unpin | prune``: the registry from the command line.

Each action calls :class:`trainer.folder.registry.Registry` or
:mod:`trainer.folder.retention`, with the OS user as the actor, so the event log
says who did what. ``list`` checks the champion's signature and ``show`` the
shown model's (`trainer.folder.signing`, nothing is unpickled): a model that fails
reads ``tampered`` (or ``unsigned``, ``unverifiable``) with the reason. A refused action (unknown id, no previous champion, a
pair that fails its signature check) is a one-line ``cla:`` message and exit code 1.
"""

from __future__ import annotations

import functools
import json
import sys

from trainer.cli import CLIError
from trainer.contract.metrics import DETAIL_KEYS
from trainer.folder.events import local_user
from trainer.folder.registry import RegistryError
from trainer.learning import diagnostics
from trainer.contract import exit_codes

LIST_COLUMNS = (("model", 15), ("status", 10), ("PR-AUC", 6), ("recall", 6), ("prec.", 6), ("thresh", 6),
                ("train", 7), ("test", 6), ("useful", 6), ("promotion", 14))


def register(sub, common) -> None:
    group = sub.add_parser("models", parents=[common], help="list, inspect, promote, roll back, pin and prune models",
                           description="The models folder: pairs, the champion pointer and retention.")
    group.set_defaults(handler=lambda args, config: _usage(group))
    commands = group.add_subparsers(dest="models_command", metavar="ACTION")

    p = commands.add_parser("list", parents=[common], help="every pair, newest first (incomplete and unreadable too)")
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the newest N")
    p.set_defaults(handler=handle_list)

    p = commands.add_parser("show", parents=[common], help="one model's metrics file and whether its signature holds")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="print the whole metrics file as JSON")
    p.set_defaults(handler=handle_show)

    p = commands.add_parser("promote", parents=[common], help="make a model the champion")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--reason", default="promoted by hand", help="why (recorded in the champion pointer and the event log)")
    p.set_defaults(handler=handle_promote)

    p = commands.add_parser("rollback", parents=[common], help="make the previous champion (or --to ID) champion again")
    p.add_argument("--to", default=None, metavar="ID", help="the model to restore (default: the previous champion)")
    p.add_argument("--reason", default="", help="why (recorded in the event log)")
    p.set_defaults(handler=handle_rollback)

    for name, text in (("pin", "exempt a model from retention"), ("unpin", "let retention delete a model again")):
        p = commands.add_parser(name, parents=[common], help=text)
        p.add_argument("model_id", metavar="ID")
        p.set_defaults(handler=handle_pin, pin=name == "pin")

    p = commands.add_parser("prune", parents=[common], help="delete pairs retention no longer keeps")
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=handle_prune)


def refusal_as_cli_error(handler):
    """Turn the registry's refusal (:class:`RegistryError`) into a one-line ``cla:`` message, exit code 1."""
    @functools.wraps(handler)
    def wrapped(args, config) -> int:
        try:
            return handler(args, config)
        except RegistryError as exc:
            raise CLIError(str(exc)) from None
    return wrapped


def _usage(parser) -> int:
    parser.print_help()
    return exit_codes.USAGE


def _registry(config):
    from trainer.folder.registry import Registry

    return Registry(config.models_dir, key_file=config.model_key_path)


def _cell(value, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.3f}"
    else:
        text = str(value)
    return text[:width].ljust(width)


def handle_list(args, config) -> int:
    rows = _registry(config).list_models()
    if args.limit is not None:
        rows = rows[:max(0, args.limit)]
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2))
        return exit_codes.OK
    if not rows:
        print(f"no models in {config.layout.root}")
        return exit_codes.OK
    print(" ".join(title.ljust(width) for title, width in LIST_COLUMNS) + "  marks / warnings")
    for row in rows:
        untrusted = row.status == "ok" and row.integrity_reason
        values = (row.model_id, row.integrity if untrusted else row.status, row.pr_auc, row.recall, row.precision, row.threshold,
                  row.training_samples, row.test_samples, row.useful, row.promotion)
        marks = (["champion"] if row.is_champion else []) + (["pinned"] if row.pinned else [])
        notes = marks + list(row.warnings) + [text for text in (row.error, row.integrity_reason) if text]
        print(" ".join(_cell(v, w) for v, (_, w) in zip(values, LIST_COLUMNS)) + "  " + ", ".join(notes))
    return exit_codes.OK


@refusal_as_cli_error
def handle_show(args, config) -> int:
    registry = _registry(config)
    metrics = registry.get(args.model_id)
    verdict = registry.verify(args.model_id)
    if args.json:
        print(json.dumps({**metrics, "integrity": verdict.state, "integrity_reason": verdict.reason}, indent=2))
        return exit_codes.OK
    champion = registry.champion()
    marks = (" (champion)" if champion is not None and champion.model_id == args.model_id else "") + \
        (" (pinned)" if args.model_id in registry.pinned() else "")
    print(f"model {args.model_id}{marks}, trained {metrics.get('created_at')}")
    print(f"  {'integrity':17} {verdict.state}" + ("" if verdict.trusted else f": {verdict.reason}"))
    for key in DETAIL_KEYS:
        if key in metrics:
            print(f"  {key:17} {_cell(metrics[key], 40).rstrip()}")
    for warning in metrics.get("warnings") or []:
        if isinstance(warning, (dict, str)):
            item = diagnostics.shown(warning, useful=metrics.get("useful"))
            print(f"  {item['severity']:8} {item['title']}: {item['message']}")
    promotion = metrics.get("promotion")
    if isinstance(promotion, dict):
        print(f"  promotion: {promotion.get('decision')} (against {promotion.get('champion_id') or 'no champion'})")
        for reason in promotion.get("reasons") or []:
            print(f"    - {reason}")
    return exit_codes.OK


@refusal_as_cli_error
def handle_promote(args, config) -> int:
    registry = _registry(config)
    pointer = registry.promote(args.model_id, actor=local_user(), reason=args.reason)
    previous = next(iter(pointer.previous), None)
    print(f"model {args.model_id} is now the champion" + (f" (previous: {previous})" if previous else ""))
    summary = registry.summary(args.model_id)
    if summary.useful is False:
        blocking = ", ".join(str(w) for w in summary.warnings or ()) or "see `cla models show`"
        print(f"cla: warning: model {args.model_id} is marked not useful ({blocking}): the dashboard will say "
              "DEGRADED; roll back with `cla models rollback` unless this is what you meant", file=sys.stderr)
    return exit_codes.OK


@refusal_as_cli_error
def handle_rollback(args, config) -> int:
    registry = _registry(config)
    champion = registry.champion()
    before = champion.model_id if champion is not None else None
    pointer = registry.rollback(args.to, actor=local_user(), reason=args.reason)
    after = next(iter(pointer.previous), None)
    print(f"rolled back from {before or 'no champion'}: model {pointer.model_id} is the champion; "
          + (f"the next rollback goes to {after}" if after else "there is no older champion to roll back to"))
    return exit_codes.OK


@refusal_as_cli_error
def handle_pin(args, config) -> int:
    registry = _registry(config)
    if args.pin:
        registry.pin(args.model_id, actor=local_user())
    else:
        registry.unpin(args.model_id, actor=local_user())
    print(f"model {args.model_id} " + ("pinned: retention keeps it" if args.pin else "unpinned"))
    return exit_codes.OK


def handle_prune(args, config) -> int:
    from trainer.folder import retention
    from trainer.atomic import describe_os_error

    try:
        result = retention.prune(_registry(config), config, actor=local_user(), dry_run=args.dry_run)
    except OSError as exc:
        raise CLIError(f"cannot delete {exc.filename or config.layout.root}: {describe_os_error(exc)}; "
                       "what was deleted before is in the event log") from None
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, **result.to_dict()}, indent=2))
        return exit_codes.OK
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(result.delete)} model pair(s), {len(result.stale)} leftover file(s); "
          f"kept {len(result.keep)} (keep_last={config.retention.keep_last}, keep_days={config.retention.keep_days})")
    for model_id in result.delete:
        print(f"  {verb}: {model_id}")
    for name in result.stale:
        print(f"  {verb} leftover: {name}")
    for line in result.skipped:
        print(f"  not touched (unreadable): {line}")
    return exit_codes.OK
