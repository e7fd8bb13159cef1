"""Times as CLA writes and reads them: aware UTC datetimes and ISO 8601 text.

The status file and the event log hold ISO text (:func:`iso`, seconds;
:func:`now_iso`, milliseconds for events); :func:`parse_iso` reads either
back, and anything else as None, so a damaged field is "unknown", never an error.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["now_utc", "iso", "now_iso", "parse_iso"]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime | None) -> str | None:
    """``when`` as ISO text to the second in UTC, None for None."""
    return None if when is None else when.astimezone(timezone.utc).isoformat(timespec="seconds")


def now_iso() -> str:
    """Now as ISO text to the millisecond in UTC (the event log's ``ts``)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def parse_iso(text: Any) -> datetime | None:
    """A timezone-aware datetime from an ISO string, or None when absent or malformed."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
