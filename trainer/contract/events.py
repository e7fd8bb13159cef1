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
"""

from __future__ import annotations

__all__ = ["KINDS", "TRAINING_OUTCOMES", "PROMOTION_DECISIONS", "NOTIFICATION_OUTCOMES", "REVIEW_ACTIONS"]

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
