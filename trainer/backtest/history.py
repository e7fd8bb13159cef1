"""The labelled history a backtest replays, and the feedback source it shows the product at each step.

:class:`History` holds the whole table once, with its alert times parsed and its
labels read (``schema.label`` / ``schema.positive_value``, as the cycle reads
them). :meth:`History.known` cuts what was known at a moment:
:class:`ReplaySource` serves those rows to the product's own cycle
(`trainer.service.cycle.run_cycle`) and drift report
(`trainer.monitoring.report.build_report`) in place of the configured source:
alerts that fired before the moment, each with its verdict only if the verdict
had arrived by then (else the label is blank, as for an alert pending triage),
inside ``source.window_days`` of the moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from trainer.backtest.report import BacktestError
from trainer.backtest.steps import known_at
from trainer.config import Config
from trainer.columns import map_labels, parse_times
from trainer.feedback.sources import Capabilities, LoadedFeedback

__all__ = ["History", "ReplaySource"]


@dataclass
class History:
    """A labelled, time-stamped table, oldest first: the rows as given, their UTC times, their 0/1/NaN labels
    and the name of the label column."""

    frame: pd.DataFrame
    times: pd.Series
    labels: pd.Series
    label: str
    description: str

    @classmethod
    def of(cls, frame: pd.DataFrame, config: Config, description: str) -> "History":
        """Parse times and labels of ``frame`` per ``config.schema``; raises :class:`BacktestError`."""
        schema = config.schema
        for key, column in (("schema.label", schema.label), ("schema.time_column", schema.time_column)):
            if not column or column not in frame.columns:
                raise BacktestError(f"{key} = {column!r} is not a column of {description}; a backtest needs the "
                                    f"verdict and the alert time (columns: {', '.join(map(str, frame.columns))})")
        frame = frame.reset_index(drop=True)
        times = parse_times(frame[schema.time_column])
        if times.isna().all():
            raise BacktestError(f"schema.time_column {schema.time_column!r} of {description} holds no parsable "
                                f"time (e.g. {frame[schema.time_column].iloc[0]!r})")
        labels, _, invalid = map_labels(frame[schema.label], schema.positive_value)
        if invalid.any():
            examples = sorted(frame.loc[invalid, schema.label].astype(str).unique().tolist())[:5]
            raise BacktestError(f"schema.label {schema.label!r} of {description} holds values that are not a "
                                f"verdict: {examples}; set schema.positive_value")
        order = np.argsort(times.to_numpy(dtype="datetime64[ns]"), kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        return cls(frame, times.iloc[order].reset_index(drop=True), labels.iloc[order].reset_index(drop=True),
                   schema.label, description)

    def fired_before(self, moment: pd.Timestamp) -> np.ndarray:
        return self.times.notna().to_numpy() & (self.times < moment).to_numpy()

    def known(self, moment: pd.Timestamp, verdict_delay: timedelta, window_days: int = 0) -> pd.DataFrame:
        """The rows that fired before ``moment`` (within ``window_days`` of it when positive), with the label
        blanked on every row whose verdict had not arrived by ``moment``."""
        fired = self.fired_before(moment)
        if window_days > 0:
            fired &= (self.times >= moment - pd.Timedelta(days=window_days)).to_numpy()
        rows = self.frame[fired].copy()
        labelled = known_at(self.times, moment, verdict_delay)[fired]
        column = rows[self.label].astype(object)
        column[~labelled] = None
        rows.isetitem(rows.columns.get_loc(self.label), column)
        return rows


class ReplaySource:
    """A feedback source serving one moment's known rows (see the module docstring).

    It implements what the cycle and the drift report read: ``load``,
    ``describe``, ``empty_hint``, ``unavailable``, ``count_labelled`` and
    ``latest_change``; it writes nothing.
    """

    kind = "backtest"
    capabilities = Capabilities()

    def __init__(self, rows: pd.DataFrame, label: str, description: str, moment: datetime):
        self.rows = rows
        self.label = label
        self.description = f"{description} as known at {moment.isoformat()}"

    def describe(self) -> str:
        return self.description

    def empty_hint(self) -> str:
        return "start the backtest later (--start) or replay a longer history"

    def unavailable(self) -> str | None:
        return None

    def load(self, since: datetime | None = None, columns: list[str] | None = None, *,
             sample: bool = True) -> LoadedFeedback:
        frame = self.rows if not columns else self.rows[[c for c in dict.fromkeys(columns) if c in self.rows]]
        return LoadedFeedback(frame.copy(), self.description, self.empty_hint())

    def count_labelled(self, since: datetime | None = None) -> int:
        return int(self.rows[self.label].notna().sum())

    def count_positives(self) -> int | None:
        return None

    def latest_change(self) -> str:
        return f"{len(self.rows)}:{int(self.rows[self.label].notna().sum())}"
