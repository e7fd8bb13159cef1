"""Numbers and times as the dashboard writes them: one wording for every page.

:func:`number` reads a value from a file as a float (NaN when missing),
:func:`fmt` and :func:`percent` write it ("unknown" when the file does not
hold it); :func:`model_time` / :func:`model_times` say when a model was
trained, :func:`parse_iso` reads a time the trainer wrote (``trainer.timestamps``'s
reader, re-exported so pages need no trainer module), :func:`ago` and
:func:`absolute` word a time. No Streamlit here.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from trainer.contract.layout import STAMP_RE, stamp_time
from trainer.review import digits_apart  # the CLI prints score and threshold with the same digits
from trainer.timestamps import parse_iso

__all__ = ["UNKNOWN", "absolute", "ago", "digits_apart", "fmt", "model_time", "model_times", "number", "parse_iso",
           "percent"]

UNKNOWN = "unknown"


def number(value: Any) -> float:
    """``value`` as a float, NaN when it is missing or not a finite number (booleans count as missing)."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def fmt(value: Any, digits: int = 3) -> str:
    """A number for display, or "unknown" when the file does not hold it."""
    out = number(value)
    if math.isnan(out):
        return UNKNOWN
    if float(out).is_integer() and digits == 0:
        return f"{int(out):,}"
    return f"{out:.{digits}f}"


def percent(value: Any) -> str:
    """A share as "74.5%", or "unknown"."""
    out = number(value)
    return UNKNOWN if math.isnan(out) else f"{out:.1%}"


def model_time(record: dict) -> pd.Timestamp:
    """When a model was trained: ``created_at``, else the UTC stamp its id names; NaT when neither parses."""
    created = record.get("created_at") or record.get("timestamp")
    if created:
        stamp = pd.to_datetime(created, utc=True, errors="coerce")
        if not pd.isna(stamp):
            return stamp
    model_id = str(record.get("model_id") or "")
    if STAMP_RE.fullmatch(model_id):
        return pd.Timestamp(stamp_time(model_id))
    return pd.NaT


def model_times(records: list[dict]) -> pd.Series:
    """:func:`model_time` of every record at once (one vectorised parse: thousands of models stay fast)."""
    created = pd.Series([r.get("created_at") or r.get("timestamp") or None for r in records], dtype=object)
    parsed = pd.to_datetime(created, utc=True, errors="coerce", format="ISO8601")
    ids = pd.Series([str(r.get("model_id") or "") for r in records], dtype=object)
    from_stamp = pd.to_datetime(ids, utc=True, errors="coerce", format="%Y%m%d_%H%M%S")
    return parsed.fillna(from_stamp)


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``"3 min ago"`` / ``"in 40 s"`` / ``"unknown"``: a time relative to ``now`` (default: the clock)."""
    if when is None:
        return "unknown"
    seconds = ((now or datetime.now(timezone.utc)) - when).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds / size:.0f} {unit}"
            break
    else:
        text = f"{seconds:.0f} s"
    return f"in {text}" if future else f"{text} ago"


def absolute(when: datetime | None) -> str:
    """``"2026-11-23 12:00:00 UTC"`` or ``"unknown"``."""
    return "unknown" if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
