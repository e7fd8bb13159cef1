"""``cla notify test``: send one test notification to every configured webhook and print each answer."""

from __future__ import annotations

from trainer.cli import CLIError
from trainer.contract import exit_codes
from trainer.addresses import check_webhook_url, redact_url
from trainer.contract.notifications import TEST_EVENT
from trainer.folder.events import local_user


def register(sub, common) -> None:
    p = sub.add_parser("notify", parents=[common], help="webhook notifications ([notify] in the config)")
    p.add_argument("what", choices=("test",), help="test: send a test notification to each notify.webhook_url")
    p.add_argument("--url", action="append", default=[], metavar="URL",
                   help="send to this URL instead of notify.webhook_url (repeatable)")
    p.set_defaults(handler=handle)


def handle(args, config) -> int:
    from trainer.notify.sender import record
    from trainer.notify.webhook import DeliveryError, Notice, payload, post

    urls = args.url or config.notify.webhook_url
    for url in args.url:
        check_webhook_url(url, "--url")
    if not urls:
        raise CLIError("no webhook to test: set notify.webhook_url in the config (one URL or a list), "
                       "or pass --url URL")
    actor = local_user()
    layout = config.layout
    notice = Notice(TEST_EVENT, f"a test notification sent by {actor} with `cla notify test`")
    body = payload(config, notice)
    failed = []
    for url in urls:
        where = redact_url(url)
        try:
            reply = post(url, body, event=TEST_EVENT, secret=config.notify.secret,
                         timeout=config.notify.timeout_seconds)
        except DeliveryError as exc:
            failed.append(str(exc))
            record(layout, "notification_failed", notice, f"test not delivered: {exc}", actor=actor,
                   receiver=where, attempts=1, errors=[str(exc)])
            continue
        print(f"{where}: HTTP {reply.status} {reply.body}".rstrip())
        record(layout, "notification_sent", notice, f"test sent to {where}: HTTP {reply.status}", actor=actor,
               receiver=where, status=reply.status, attempts=1)
    if failed:
        raise CLIError("test notification not delivered: " + "; ".join(failed)
                       + " (no retries for a test; the service retries notify.retries times)")
    return exit_codes.OK
