"""The review queue's summary (``models/review/summary.json``) and the recall estimate it carries, typed.

`trainer.review.ledger` rewrites the summary after every verdict, skip or undo
(:class:`ReviewSummary`: verdicts today and in total, those waiting in the
outbox, the estimate); the Overview's review tiles read it through
`trainer.review.read_summary` instead of computing it. :class:`RecallEstimate`
is `trainer.review.audit`'s estimate of the champion's recall in production.
``from_json`` takes every summary written so far (a missing count reads 0) and
``to_json`` gives back the object written today, key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainer.errors import CLAError

__all__ = ["ReviewSummaryError", "RecallEstimate", "ReviewSummary"]


class ReviewSummaryError(CLAError, ValueError):
    """The review summary is not a JSON object; the message names what was found."""


@dataclass(frozen=True)
class RecallEstimate:
    """The champion's recall in production, estimated from the audit queue (see `trainer.review.audit`)."""

    model_id: str
    recall: float | None  # None when a share cannot be estimated (no verdict, no positive)
    low: float | None
    high: float | None
    level: float
    audit_verdicts: int
    audit_positives: int
    flagged_verdicts: int
    flagged_positives: int
    n_above: int
    n_below: int
    enough: bool  # audit_verdicts reached review.min_audit_verdicts

    @classmethod
    def from_json(cls, obj: Any) -> RecallEstimate:
        if not isinstance(obj, Mapping):
            raise ReviewSummaryError(f"the recall estimate is not a JSON object (found {type(obj).__name__})")
        return cls(
            model_id=str(obj.get("model_id")),
            recall=obj.get("recall"),
            low=obj.get("low"),
            high=obj.get("high"),
            level=obj.get("level", 0.9),
            audit_verdicts=obj.get("audit_verdicts", 0),
            audit_positives=obj.get("audit_positives", 0),
            flagged_verdicts=obj.get("flagged_verdicts", 0),
            flagged_positives=obj.get("flagged_positives", 0),
            n_above=obj.get("n_above", 0),
            n_below=obj.get("n_below", 0),
            enough=bool(obj.get("enough")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "recall": self.recall,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "audit_verdicts": self.audit_verdicts,
            "audit_positives": self.audit_positives,
            "flagged_verdicts": self.flagged_verdicts,
            "flagged_positives": self.flagged_positives,
            "n_above": self.n_above,
            "n_below": self.n_below,
            "enough": self.enough,
        }


@dataclass(frozen=True)
class ReviewSummary:
    """``review/summary.json``: verdicts given on ``date`` (UTC) and in total, the outbox, the recall estimate."""

    date: str | None = None
    verdicts_today: int = 0
    verdicts_total: int = 0
    waiting_in_outbox: int = 0
    recall_estimate: RecallEstimate | None = None
    written_at: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> ReviewSummary:
        """The summary in ``obj``; raises :class:`ReviewSummaryError` for a non-object."""
        if not isinstance(obj, Mapping):
            raise ReviewSummaryError(f"the review summary is not a JSON object (found {type(obj).__name__})")
        estimate = obj.get("recall_estimate")
        return cls(
            date=obj.get("date"),
            verdicts_today=obj.get("verdicts_today") or 0,
            verdicts_total=obj.get("verdicts_total") or 0,
            waiting_in_outbox=int(obj.get("waiting_in_outbox") or 0),
            recall_estimate=RecallEstimate.from_json(estimate) if isinstance(estimate, Mapping) and estimate else None,
            written_at=obj.get("written_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "verdicts_today": self.verdicts_today,
            "verdicts_total": self.verdicts_total,
            "waiting_in_outbox": self.waiting_in_outbox,
            "recall_estimate": None if self.recall_estimate is None else self.recall_estimate.to_json(),
            "written_at": self.written_at,
        }
