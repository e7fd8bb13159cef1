"""The review queue: pending alerts in front of analysts, and their verdicts back to the source.

:mod:`.policies` orders the queue (uncertain, risk, audit), :mod:`.queue`
scores pending alerts with the champion, :mod:`.verdicts` writes verdicts
back (with an outbox for those the source cannot take yet), :mod:`.ledger`
keeps the records in the models folder and :mod:`.audit` estimates recall in
production from the audit queue. ``cla review`` and the dashboard's Review
page use this face only.
"""

from trainer.review.ledger import Ledger, read_summary, recall_estimate, refresh_summary
from trainer.review.policies import POLICIES
from trainer.review.queue import Queue, QueueItem, ReviewError, next_alerts
from trainer.review.verdicts import LABELS, VerdictResult, give, retry, skip, undo_last

__all__ = ["LABELS", "Ledger", "POLICIES", "Queue", "QueueItem", "ReviewError", "VerdictResult", "give",
           "next_alerts", "read_summary", "recall_estimate", "refresh_summary", "retry", "skip", "undo_last"]
