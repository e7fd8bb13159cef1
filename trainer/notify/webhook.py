"""One webhook delivery: the payload, its signature, and one HTTP POST with the standard library.

:func:`payload` builds the body for a :class:`Notice` in the configured format
(CLA's JSON, or Slack's incoming-webhook ``{"text": ...}``); :func:`sign`
computes ``sha256=<hex HMAC-SHA256 of the body>`` with ``notify.secret``, sent
in ``X-CLA-Signature-256`` the way GitHub signs its webhooks, so a receiver
recomputes it over the raw body and compares in constant time;
:func:`post` sends once and returns a :class:`Reply` or raises
:class:`DeliveryError` with a sentence that names the receiver and the cause.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from trainer.addresses import redact_url
from trainer.config import Config
from trainer.contract.notifications import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER
from trainer.timestamps import now_iso
from trainer.errors import CLAError

#: at most this much of a receiver's answer is kept (printed by ``cla notify test``, logged on failure)
ANSWER_LIMIT = 2000


class DeliveryError(CLAError):
    """A delivery attempt failed; the message says to whom and why."""


@dataclass(frozen=True)
class Notice:
    """What happened: a notification name, the model concerned (or the champion), one sentence of reason."""

    event: str
    reason: str
    model_id: str | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """The receiver's answer to one POST."""

    status: int
    body: str


def dashboard_link(config: Config, page: str = "") -> str:
    """The dashboard URL a payload links to: ``notify.dashboard_url``, else the address and port it is served on."""
    base = config.notify.dashboard_url.strip()
    if not base:
        host = config.dashboard.address or "127.0.0.1"
        if host in ("0.0.0.0", "::"):
            host = socket.getfqdn()  # every interface: this machine's name reaches it, 0.0.0.0 does not
        base = f"http://{f'[{host}]' if ':' in host else host}:{config.dashboard.port}"
    return base.rstrip("/") + (f"/{page}" if page else "/")


#: the dashboard page each notification links to (its url_path in dashboard/app.py)
PAGES = {"training_failed": "activity", "trainer_crashed": "activity", "learning_degraded": "models",
         "champion_untrusted": "models"}


def document(config: Config, notice: Notice) -> dict:
    """The JSON payload: event, time, models folder, model, reason, dashboard link and any details."""
    doc = {"event": notice.event, "time": now_iso(), "models_folder": str(config.layout.root),
           "model_id": notice.model_id, "reason": notice.reason,
           "dashboard": dashboard_link(config, PAGES.get(notice.event, ""))}
    if notice.details:
        doc["details"] = notice.details
    return doc


def payload(config: Config, notice: Notice) -> bytes:
    """The body to POST, in ``notify.format``."""
    doc = document(config, notice)
    if config.notify.format == "slack":
        model = f" (model {doc['model_id']})" if doc["model_id"] else ""
        text = (f"*CLA {doc['event'].replace('_', ' ')}*{model}: {doc['reason']}\n"
                f"Models folder `{doc['models_folder']}` · <{doc['dashboard']}|open the dashboard>")
        doc = {"text": text}
    return json.dumps(doc, default=str).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, *, event: str, secret: str, timeout: float) -> Reply:
    """POST ``body`` to ``url`` once; a 2xx answer is a :class:`Reply`, anything else a :class:`DeliveryError`."""
    headers = {"Content-Type": "application/json", "User-Agent": "cla-notify", EVENT_HEADER: event,
               DELIVERY_HEADER: uuid.uuid4().hex}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    where = redact_url(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, _text(response.read(ANSWER_LIMIT)))
    except urllib.error.HTTPError as exc:
        answer = _text(exc.read(ANSWER_LIMIT)) if exc.fp else ""
        raise DeliveryError(f"{where} answered HTTP {exc.code} {exc.reason}"
                            + (f": {answer}" if answer else "")) from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"{where} cannot be reached: {_reason(exc.reason)}") from None
    except (TimeoutError, socket.timeout):
        raise DeliveryError(f"{where} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise DeliveryError(f"{where} cannot be reached: {_reason(exc)}") from None


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    return str(reason) or type(reason).__name__


def _text(data: bytes) -> str:
    return " ".join(data.decode("utf-8", errors="replace").split())
