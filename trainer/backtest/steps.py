"""The replay's clock: step boundaries, and which rows and which labels are known at each.

A backtest cuts a labelled history into steps of equal length (:func:`parse_every`).
At the start of step ``k`` (its ``start``), the cycle knows only the alerts that
fired before it and whose verdicts had arrived by then: an alert fired at ``t``
is labelled from ``t + verdict_delay`` on (:func:`known_at`). The step's own
alerts (``start <= t < end``) are then scored before any of their labels is
seen. Everything here is pure and works on a sorted array of alert times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

__all__ = ["Step", "parse_every", "describe_length", "plan_steps", "known_at", "WARMUP_SHARE"]

WARMUP_SHARE = 0.25
"""Without ``--start``, scoring starts at the first step boundary by which a quarter of the alerts had fired."""

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EVERY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([mhdwy])\s*\Z")


def parse_every(text: str, *, allow_zero: bool = False) -> timedelta:
    """A length such as ``1d``, ``7d``, ``12h``, ``30m``, ``2w`` or ``1y`` (365 days); ``0`` too with ``allow_zero``
    (a verdict delay). Raises ``ValueError`` naming what is allowed."""
    if allow_zero and str(text).strip() == "0":
        return timedelta(0)
    match = _EVERY.fullmatch(str(text))
    if not match or (float(match.group(1)) <= 0 and not allow_zero):
        raise ValueError(f"length {text!r} is not understood; use a {'' if allow_zero else 'positive '}number and "
                         "a unit: 30m, 12h, 1d, 7d, 2w or 1y")
    amount, unit = float(match.group(1)), match.group(2)
    return timedelta(days=365 * amount) if unit == "y" else timedelta(**{_UNITS[unit]: amount})


def describe_length(length: timedelta) -> str:
    """A length as a person writes it: ``1 day``, ``7 days``, ``12 hours``, ``30 minutes``, ``none``."""
    seconds = int(length.total_seconds())
    if seconds <= 0:
        return "none"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class Step:
    """One scored step: alerts fired in ``[start, end)`` are scored by what was known at ``start``."""

    index: int
    start: pd.Timestamp
    end: pd.Timestamp


def plan_steps(times: pd.Series, every: timedelta, start: pd.Timestamp | None = None) -> list[Step]:
    """The scored steps over ``times`` (UTC, parsed), from ``start`` to the step holding the last alert.

    Boundaries fall every ``every`` from the first alert's day (UTC midnight)
    or from ``start``. The default ``start`` is the first boundary by which
    :data:`WARMUP_SHARE` of the alerts had fired. A step holding no alert is
    left out (there is nothing to score, and the service would see nothing
    new). Raises ``ValueError`` when no alert falls at or after ``start``.
    """
    present = times.dropna().sort_values()
    if present.empty:
        raise ValueError("the history has no alert with a time: nothing to replay")
    first, last = present.iloc[0], present.iloc[-1]
    origin = first.floor("D")
    if start is None:
        quarter = present.iloc[min(len(present) - 1, int(len(present) * WARMUP_SHARE))]
        start = origin + max(1, int(np.ceil((quarter - origin) / every))) * every
    start = pd.Timestamp(start)
    if start.tzinfo is None:
        start = start.tz_localize("UTC")
    if start > last:
        raise ValueError(f"the first scored step starts at {start.isoformat()}, after the last alert "
                         f"({last.isoformat()}): choose an earlier --start or a shorter --every")
    count = int(np.floor((last - start) / every)) + 1
    bounds = [start + k * every for k in range(count + 1)]
    held = np.searchsorted(present.to_numpy(dtype="datetime64[ns]"),
                           np.array([b.to_datetime64() for b in bounds], dtype="datetime64[ns]"), side="left")
    steps = []
    for k in range(count):
        if held[k + 1] > held[k]:
            steps.append(Step(len(steps), bounds[k], bounds[k + 1]))
    return steps


def known_at(times: pd.Series, moment: pd.Timestamp, verdict_delay: timedelta = timedelta(0)) -> np.ndarray:
    """Mask of the rows whose alert fired before ``moment`` and whose verdict had arrived by it."""
    fired = times.notna().to_numpy() & (times < moment).to_numpy()
    labelled = (times + verdict_delay <= moment).to_numpy() if verdict_delay > timedelta(0) else fired
    return fired & labelled
