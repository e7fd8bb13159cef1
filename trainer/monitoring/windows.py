"""The two samples a drift report compares: the champion's training window and the alerts since.

:func:`split_windows` reads the configured feedback source once and cuts it
by the time column at the bounds the champion's metrics file records
(``data_window``): the *training window* is the labelled rows from its start
to ``train_end`` (what the champion was fitted on), the *test slice* the
labelled rows from ``test_start`` to ``end``, and the *recent* alerts every row
fired after ``end``, labelled or not. A champion trained without a time split
(``data_window.split`` is not ``time``) has no window to compare with:
:class:`WindowError` says so, as it does for a source that cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from trainer.config import Config
from trainer.feedback.quality import map_labels, parse_times
from trainer.errors import CLAError

LABEL = "_label"
TIME = "_time"


class WindowError(CLAError, RuntimeError):
    """The samples cannot be formed; the message says why and what to do."""


@dataclass
class Windows:
    """Training window, test slice and recent alerts, each with ``_label`` (1/0/NaN) and ``_time`` columns."""

    reference: pd.DataFrame
    test: pd.DataFrame
    recent: pd.DataFrame
    recent_after: pd.Timestamp
    source: str
    fingerprint: str | None
    negative_sample_rate: float = 1.0
    future_rows: int = 0
    """Rows dated later than the read plus ``schema.max_future_minutes``: training quarantines them, so they
    are not recent alerts either."""

    @cached_property
    def labelled(self) -> np.ndarray:
        """Positions (``iloc``) of the recent alerts that carry a verdict."""
        return np.flatnonzero(self.recent[LABEL].notna().to_numpy())


def _bound(window: dict[str, Any], key: str) -> pd.Timestamp:
    value = window.get(key)
    try:
        moment = pd.Timestamp(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or pd.isna(moment):
        raise WindowError(f"the champion's metrics file has no usable data_window.{key} ({value!r}); retrain "
                          "with this CLA to record its training window")
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def split_windows(config: Config, champion: dict[str, Any], columns: list[str], *, source=None,
                  now: datetime | None = None) -> Windows:
    """Read the source and cut it into the three samples (see the module docstring); raises :class:`WindowError`.

    Only ``columns`` (the champion's input columns) are kept beside the label
    and time, so the copies stay small. ``source`` replaces the configured
    one (a backtest's rows known at one moment).
    """
    from trainer.feedback.sources import SourceError, open_source

    window = champion.get("data_window") or {}
    if window.get("split") != "time":
        raise WindowError("the champion was not trained on a time-ordered split (data_window.split is "
                          f"{window.get('split')!r}): there is no training window to compare new alerts with; "
                          "set schema.time_column and retrain")
    start, train_end = _bound(window, "start"), _bound(window, "train_end")
    test_start, end = _bound(window, "test_start"), _bound(window, "end")
    schema = config.schema
    try:
        source = source if source is not None else open_source(config)
        wanted = [*columns, schema.label, schema.id_column, schema.time_column]
        # every row of the window, not the training read's sample: the statistics are not re-weighted
        loaded = source.load(columns=[c for c in wanted if c], sample=False)
        frame = loaded.frame
        fingerprint = str(source.latest_change())
        description = source.describe()
    except SourceError as exc:
        raise WindowError(str(exc)) from exc
    time_column = window.get("time_column") or schema.time_column
    if time_column not in frame.columns:
        raise WindowError(f"the time column {time_column!r} is not in {loaded.description}; "
                          "set schema.time_column")
    keep = np.ones(len(frame), dtype=bool)
    if schema.id_column and schema.id_column in frame.columns:
        # a re-triaged alert counts once, with its latest verdict (as training sees it)
        keep = ~frame[schema.id_column].duplicated(keep="last").to_numpy()
    times = parse_times(frame[time_column])
    labels = map_labels(frame[schema.label], schema.positive_value)[0] if schema.label in frame.columns \
        else pd.Series(float("nan"), index=frame.index)
    # the frame holds only the columns asked for (pushed down to the source): label and time join it in place
    frame[LABEL] = labels
    frame[TIME] = times
    labelled = keep & frame[LABEL].notna().to_numpy()
    reference = frame[labelled & ((times >= start) & (times <= train_end)).to_numpy()]
    test = frame[labelled & ((times >= test_start) & (times <= end)).to_numpy()]
    # what `trainer.feedback.quality` quarantines as dated in the future is not a recent alert either
    moment = pd.Timestamp(now if now is not None else datetime.now(timezone.utc))
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    limit = moment + pd.Timedelta(minutes=schema.max_future_minutes)
    future = (times > limit).to_numpy()
    recent = frame[keep & (times > end).to_numpy() & ~future]
    return Windows(reference, test, recent, end, description, fingerprint, loaded.negative_sample_rate,
                   int((keep & future).sum()))
