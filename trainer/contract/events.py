"""The event kinds of the models folder's event log.

``service_started``, ``service_stopped``, ``retrain_requested``, ``trigger``,
``training_started``, the four training outcomes (:data:`TRAINING_OUTCOMES`:
``training_finished``, ``training_skipped``, ``training_failed``,
``training_abandoned`` — the training's process died or was stopped before it
recorded an outcome), ``promoted``, ``rejected``, ``held`` (gates passed,
automatic promotion off), ``promotion_interrupted`` (a model passed the gate
but its training was killed before the champion pointer moved),
``rolled_back``, ``pinned``, ``unpinned``, ``pruned``, ``action_refused``
(a dashboard action its session may not take; the actor is who tried,
``anonymous`` when nobody is logged in), the review queue's actions
(:data:`REVIEW_ACTIONS`: ``verdict_given``, ``verdict_undone``,
``alert_skipped``; the actor is the analyst), and the two ends of a webhook
delivery (:data:`NOTIFICATION_OUTCOMES`: ``notification_sent``,
``notification_failed``; see `trainer.notify.sender`).
:func:`trainer.folder.events.append_event` refuses any other kind.

A line of the log is an :class:`Event`: when (``ts``), which kind
(``event``), who (``actor``), what triggered it, a sentence, how long it took,
the model it is about, the writing process (``pid``), and the kind's own
``details`` (:class:`EventDetails`: the fields readers use are typed, the rest
kept as written).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from trainer.contract.json_record import JsonRecord, Parser, integer, number, record_or_none, text, texts

__all__ = [
    "KINDS",
    "TRAINING_OUTCOMES",
    "PROMOTION_DECISIONS",
    "NOTIFICATION_OUTCOMES",
    "REVIEW_ACTIONS",
    "Event",
    "EventDetails",
]

#: how a training ended; exactly one of these closes every ``training_started``
TRAINING_OUTCOMES = ("training_finished", "training_skipped", "training_failed", "training_abandoned")
#: what the promotion step decided about a new model (each is also an event kind)
PROMOTION_DECISIONS = ("promoted", "rejected", "held")
#: how one webhook delivery ended (``details.notification`` names what was sent)
NOTIFICATION_OUTCOMES = ("notification_sent", "notification_failed")
#: what an analyst did in the review queue (the Review page or ``cla review``); ``details.alert_id`` names the alert
REVIEW_ACTIONS = ("verdict_given", "verdict_undone", "alert_skipped")

KINDS = frozenset(
    {
        "service_started",
        "service_stopped",
        "retrain_requested",
        "trigger",
        "training_started",
        *TRAINING_OUTCOMES,
        *PROMOTION_DECISIONS,
        "promotion_interrupted",
        "rolled_back",
        "pinned",
        "unpinned",
        "pruned",
        "action_refused",
        "login_failed",
        *NOTIFICATION_OUTCOMES,
        *REVIEW_ACTIONS,
    }
)


@dataclass(frozen=True)
class EventDetails(JsonRecord):
    """An event's ``details``: the kind's own fields (see the kinds above); those not named here stay in ``extra``.

    ``training_pid`` and ``started_at`` name the training an ending recorded by
    another process is about (``training_abandoned``, ``retrain_requested``);
    ``stage`` is where an abandoned training was; ``requests`` the retrain
    requests a ``trigger`` or ``training_skipped`` answered; ``previous`` the
    champion a ``promoted`` or ``rolled_back`` replaced.
    """

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "training_pid": integer,
        "started_at": text,
        "stage": text,
        "requests": texts,
        "previous": text,
    }
    WHAT: ClassVar[str] = "an event's details"

    training_pid: int | None = None
    started_at: str | None = None
    stage: str | None = None
    requests: tuple[str, ...] = ()
    previous: str | None = None


@dataclass(frozen=True)
class Event(JsonRecord):
    """One line of ``events.jsonl`` (see the module docstring); ``ts`` is ISO text as written."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "ts": text,
        "event": text,
        "actor": text,
        "trigger": text,
        "message": text,
        "duration_s": number,
        "model_id": text,
        "pid": integer,
        "details": record_or_none(EventDetails),
    }
    WHAT: ClassVar[str] = "an event"

    ts: str | None = None
    event: str | None = None
    actor: str | None = None
    trigger: str | None = None
    message: str | None = None
    duration_s: float | None = None
    model_id: str | None = None
    pid: int | None = None
    details: EventDetails | None = None
