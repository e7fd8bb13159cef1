"""How much feedback there is, as the trainer counts it: one answer for the Overview and `cla feedback stats`.

:func:`count_feedback` asks the configured source (any kind) for the labelled
rows in the window the trainer reads, those that arrived since a moment (the
trainer's ``last_training_time``, so the number is the one its new-data trigger
weighs) and since the start of the UTC day, and the positives when the source
can count them cheaply. A source with nothing to read yet gives ``missing``
(a sentence), not zeros; a failure is raised as
:class:`trainer.feedback.sources.SourceError` for the caller to show.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from trainer.config import Config

__all__ = ["count_feedback", "start_of_day"]


def start_of_day(now: datetime | None = None) -> datetime:
    """00:00 UTC of ``now``'s day: where "today" starts for every count that says today."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(hour=0, minute=0, second=0,
                                                                                  microsecond=0)


def count_feedback(config: Config, *, since: datetime | None, today: datetime | None = None) -> dict[str, Any]:
    """``{"labelled", "new", "today", "positives", "positives_note", "source", "window_days"}`` or ``{"missing"}``.

    ``new`` counts labelled rows that arrived since ``since`` (all of them when
    ``since`` is None: no training has read any); ``today`` since ``today``
    (default: :func:`start_of_day`). ``positives`` is None when the source has
    no cheap count, and ``positives_note`` says which.
    """
    from trainer.feedback.sources import open_source

    source = open_source(config)
    missing = source.unavailable()
    if missing:
        return {"missing": missing, "source": source.describe()}
    labelled = source.count_labelled()
    positives = source.count_positives()
    return {
        "labelled": labelled,
        "new": source.count_labelled(since) if since else labelled,
        "since": since.isoformat() if since else None,
        "today": source.count_labelled(today or start_of_day()),
        "positives": positives,
        "positives_note": ("true positives in the whole store" if positives is not None
                           else f"the {source.kind} source has no cheap count of positives"),
        "source": source.describe(),
        "window_days": config.source.window_days,
    }
