"""Webhook notifications: :mod:`~trainer.notify.webhook` builds, signs and posts one payload;
:mod:`~trainer.notify.sender` delivers them from a background thread with retries and records each
delivery in the event log. What is sent, and when, is decided by :mod:`trainer.service.ops_notices`.
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "Sender": "sender", "record": "sender",
    "Notice": "webhook", "DeliveryError": "webhook", "payload": "webhook", "post": "webhook",
    "dashboard_link": "webhook",
    "NotifyConfig": "settings",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES)
