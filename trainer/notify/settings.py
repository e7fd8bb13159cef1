"""The ``[notify]`` options: where notifications go, which, signed how, in what format.

Declared with `trainer.options.opt` like every other option; `trainer.config.Config`
holds them as ``notify``, and ``cla config options`` lists them with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.contract.notifications import DEFAULT_EVENTS, NAMES as NOTIFICATION_NAMES
from trainer.options import check_fields, opt


@dataclass
class NotifyConfig:
    """Webhook notifications the trainer service sends when something needs a person (docs/SERVICE.md)."""

    webhook_url: list = opt([], "One or more webhook URLs (http or https) that receive each notification. "
                            "Empty: no notifications.")
    events: list = opt(DEFAULT_EVENTS, "Which notifications to send.", choices=NOTIFICATION_NAMES)
    secret: str = opt("", "Shared secret that signs each payload (HMAC-SHA256, header X-CLA-Signature-256). "
                      "CLA_NOTIFY_SECRET overrides; prefer it to writing the secret in a shared file. "
                      "Empty: unsigned.")
    format: str = opt("json", "Payload format: CLA's JSON, or Slack's incoming-webhook message.",
                      choices=("json", "slack"))
    dashboard_url: str = opt("", "Dashboard link put in each payload. Empty: http://<dashboard.address>:<dashboard.port> "
                             "(this machine's name when the address is 0.0.0.0).")
    timeout_seconds: float = opt(5.0, "How long one delivery attempt waits for the receiver.", min=0.1)
    retries: int = opt(3, "Further attempts after a failed delivery.", min=0, max=20)
    backoff_seconds: float = opt(2.0, "Wait before the first retry; each further retry waits twice as long.", min=0.0)

    def __post_init__(self) -> None:
        check_fields(self, "notify.")
