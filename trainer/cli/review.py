"""``cla review next|verdict|undo|retry``: the review queue for scripted use.

``next`` lists the next pending alerts of a policy (uncertain, risk, audit;
:data:`~trainer.review.policies.DEFAULT_POLICY`, the Review page's, without
``--policy``) with the champion's score against its threshold, what the
champion says (flag or skip) and the alert's attributes, as text or
``--json`` objects carrying ``alert_id``, ``score``, ``threshold``,
``champion_says``, ``attributes`` and ``policy``. ``verdict ALERT_ID tp|fp`` writes a
verdict back to the feedback source with the actor and time; an unknown
alert or a bad label exits 2 and writes nothing, and a source that cannot
take the verdict keeps it in the outbox and exits 1 saying why. ``retry``
writes what the outbox holds. See :mod:`trainer.review`.
"""

from __future__ import annotations

import json
import sys

from trainer.cli import CLIError
from trainer.contract import exit_codes
from trainer.review.policies import DEFAULT_POLICY, POLICIES


def register(sub, common) -> None:
    group = sub.add_parser("review", parents=[common], help="the review queue: pending alerts and verdicts",
                           description="Put pending alerts in front of analysts and write their verdicts back to "
                                       "the feedback source.")
    commands = group.add_subparsers(dest="review_command", metavar="COMMAND", required=True)

    nxt = commands.add_parser("next", parents=[common], help="the next alerts of a queue",
                              description="List the next pending alerts of a queue, scored by the champion. "
                                          + " ".join(f"{name}: {text}" for name, text in POLICIES.items()))
    nxt.add_argument("--policy", default=DEFAULT_POLICY, choices=tuple(POLICIES),
                     help=f"which queue (default {DEFAULT_POLICY}, as on the Review page)")
    nxt.add_argument("--limit", type=int, default=10, help="how many alerts (default 10)")
    nxt.add_argument("--actor", default=None, help="the analyst: alerts they already saw are left out "
                                                   "(default: the OS user)")
    nxt.add_argument("--json", action="store_true",
                     help="print a JSON list of {alert_id, score, threshold, champion_says, attributes, policy, ...}")
    nxt.set_defaults(handler=handle_next)

    verdict = commands.add_parser("verdict", parents=[common], help="give a verdict on one alert",
                                  description="Write a verdict back to the feedback source, recording the analyst "
                                              "and the time. A verdict the source cannot take is kept in the "
                                              "outbox and retried.")
    verdict.add_argument("alert_id", metavar="ALERT_ID")
    verdict.add_argument("label", metavar="tp|fp", help="tp: true positive, fp: false positive")
    verdict.add_argument("--comment", default="", help="the analyst's comment")
    verdict.add_argument("--actor", default=None, help="who gives it (default: the OS user)")
    verdict.add_argument("--policy", default=None, choices=tuple(POLICIES),
                         help="the queue the alert came from (audit verdicts estimate production recall)")
    verdict.set_defaults(handler=handle_verdict)

    undo = commands.add_parser("undo", parents=[common], help="take back your last verdict",
                               description="Remove the actor's last verdict from the source (or the outbox).")
    undo.add_argument("--actor", default=None, help="whose verdict (default: the OS user)")
    undo.set_defaults(handler=handle_undo)

    retry = commands.add_parser("retry", parents=[common], help="write the verdicts waiting in the outbox",
                                description="Try again every verdict the source could not take; exit 1 while "
                                            "some still wait.")
    retry.set_defaults(handler=handle_retry)


def _actor(args) -> str:
    from trainer.folder.events import local_user

    return (args.actor or "").strip() or local_user()


def handle_next(args, config) -> int:
    from trainer import review

    if args.limit < 1:
        raise CLIError(f"--limit must be at least 1 (got {args.limit})", exit_codes.USAGE)
    review.retry(config)
    try:
        queue = review.next_alerts(config, args.policy, limit=args.limit, actor=_actor(args))
    except review.ReviewError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print(json.dumps([item.to_json() for item in queue.items], indent=2))
        return exit_codes.OK
    print(f"{args.policy}: {POLICIES[args.policy]}")
    print(f"champion {queue.model_id}, threshold {queue.threshold:.3f}; {queue.waiting} of {queue.pending} pending "
          "alerts not seen yet")
    for item in queue.items:
        print(alert_text(item))
    if not queue.items:
        print("nothing to review")
    if args.policy == "audit":
        print(_audit_line(review.recall_estimate(review.Ledger.of(config), config), config))
    return exit_codes.OK


#: how wide the attribute lines under each alert grow before the next one starts
ATTRIBUTES_WIDTH = 100


def alert_text(item) -> str:
    """One alert for a person: id, score against the threshold, what the champion says, then its attributes.

    Score and threshold get the decimals that tell them apart, by the rule the Review page uses
    (:func:`trainer.review.digits_apart`, which the Review page uses too).
    """
    from trainer.review import digits_apart

    digits = digits_apart(item.score, item.threshold)
    score, threshold = f"{item.score:.{digits}f}", f"{item.threshold:.{digits}f}"
    says = "flag" if item.flagged else "skip"
    head = f"{item.alert_id}\tscore {score} {'>=' if item.flagged else '<'} threshold {threshold}: the champion says {says}"
    lines: list[str] = []
    for pair in (f"{name}={value}" for name, value in item.attributes.items()):
        if lines and len(lines[-1]) + 2 + len(pair) <= ATTRIBUTES_WIDTH:
            lines[-1] += f"  {pair}"
        else:
            lines.append(f"    {pair}")     # an attribute is never split across lines
    return "\n".join([head, *lines])


def _audit_line(estimate, config) -> str:
    if estimate is None:
        return "audit: no audit sample drawn yet"
    if not estimate.enough or estimate.recall is None:
        return (f"audit: {estimate.audit_verdicts} of {config.review.min_audit_verdicts} audit verdicts needed "
                "before production recall is estimated")
    return (f"audit: estimated production recall {estimate.recall:.2f} ({estimate.level:.0%} interval "
            f"{estimate.low:.2f}-{estimate.high:.2f}) from {estimate.audit_verdicts} audit verdicts")


def handle_verdict(args, config) -> int:
    from trainer import review

    try:
        result = review.give(config, args.alert_id, args.label, actor=_actor(args), comment=args.comment,
                             policy=args.policy)
    except ValueError as exc:
        raise CLIError(f"{exc}; nothing was written", exit_codes.USAGE) from None
    except review.ReviewError as exc:
        raise CLIError(f"{exc}; nothing was written", exit_codes.USAGE) from None
    if result.retried:
        print(f"{result.retried} verdict(s) from the outbox written first")
    if not result.written:
        print(f"cla: {result.message}", file=sys.stderr)
        return exit_codes.ERROR
    print(result.message)
    return exit_codes.OK


def handle_undo(args, config) -> int:
    from trainer import review

    try:
        undone = review.undo_last(config, actor=_actor(args))
        print(f"verdict on {undone['alert_id']} ({review.LABELS[undone['label']]}) undone")
    except review.ReviewError as exc:
        raise CLIError(str(exc)) from None
    return exit_codes.OK


def handle_retry(args, config) -> int:
    from trainer import review

    written, waiting = review.retry(config)
    print(f"{written} verdict(s) written from the outbox; {len(waiting)} still waiting")
    for verdict in waiting:
        print(f"  {verdict['alert_id']} {verdict['label']} by {verdict['actor']}: {verdict.get('reason')}",
              file=sys.stderr)
    return exit_codes.ERROR if waiting else exit_codes.OK
