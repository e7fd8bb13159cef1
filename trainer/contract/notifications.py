"""The notifications a webhook receiver can get: each declared once, with what it means.

A notification is sent by the trainer service when a condition it watches
*starts* (once per state change, never once per check; see
:mod:`trainer.service.ops_notices`). The names are part of the contract with the
receiver: they appear as ``event`` in the payload and in the ``X-CLA-Event``
header. ``[notify] events`` chooses among them; :data:`DEFAULT_EVENTS` are on
when it is left unset.

To add one (for example drift or live recall), add a :class:`Notification`
to :data:`NOTIFICATIONS` and have the code that notices the condition report
it to :meth:`trainer.service.ops_notices.OpsNotices.observe` under that name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notification:
    """One notification: its name, what starts it, and whether it is on by default."""

    name: str
    when: str
    default: bool = True


NOTIFICATIONS: tuple[Notification, ...] = (
    Notification("training_failed", "a training failed after the last one succeeded (one per run of failures)"),
    Notification(
        "trainer_crashed",
        "the trainer service found, when it started, that the previous one died "
        "without stopping (killed, out of memory, host reboot)",
    ),
    Notification(
        "learning_degraded", "the newest model or the champion is not useful (the dashboard's banner says DEGRADED)"
    ),
    Notification(
        "champion_untrusted",
        "the champion fails its signature check, is unsigned, or its files cannot be read (tampered or unreadable)",
    ),
    Notification(
        "major_drift",
        "the drift report finds a major drift on a feature that matters to the champion "
        "(the evidence of the `drift` trigger; docs/DRIFT.md)",
    ),
    Notification(
        "live_recall_below_target",
        "the champion's recall on verdicts newer than it, interval and all, "
        "is below the recall it is held to (the `performance` trigger)",
    ),
)

#: sent only by ``cla notify test``; never chosen in ``[notify] events``
TEST_EVENT = "test"

BY_NAME = {n.name: n for n in NOTIFICATIONS}
NAMES = tuple(BY_NAME)
DEFAULT_EVENTS = [n.name for n in NOTIFICATIONS if n.default]

#: headers every delivery carries
EVENT_HEADER = "X-CLA-Event"
SIGNATURE_HEADER = "X-CLA-Signature-256"
DELIVERY_HEADER = "X-CLA-Delivery"
