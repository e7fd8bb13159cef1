"""The review queue: pending alerts in front of analysts, and their verdicts back to the source.

:mod:`.policies` orders the queue (uncertain, risk, audit), :mod:`.queue`
scores pending alerts with the champion, :mod:`.verdicts` writes verdicts
back (with an outbox for those the source cannot take yet), :mod:`.ledger`
keeps the records in the models folder, :mod:`.audit` estimates recall in
production from the audit queue and :mod:`.settings` declares the
``[review]`` options. ``cla review`` and the dashboard's Review page use this
face only. Its names load on first use, so ``trainer.config`` can import
:mod:`.settings` without the rest (which imports the configuration).
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "Ledger": "ledger", "read_summary": "ledger", "recall_estimate": "ledger", "refresh_summary": "ledger",
    "POLICIES": "policies", "DEFAULT_POLICY": "policies",
    "Queue": "queue", "QueueItem": "queue", "digits_apart": "queue", "ReviewError": "queue", "next_alerts": "queue",
    "LABELS": "verdicts", "VerdictResult": "verdicts", "give": "verdicts", "retry": "verdicts", "skip": "verdicts",
    "undo_last": "verdicts",
    "ReviewConfig": "settings",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES)
