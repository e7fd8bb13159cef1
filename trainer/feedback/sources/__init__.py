"""Feedback sources: where the verdicts come from, behind one small interface.

:class:`FeedbackSource` is what :mod:`trainer.service.cycle` and :mod:`trainer.service.triggers`
use; :func:`open_source` builds the one the config names: the embedded SQLite
store (:mod:`.sqlite`, the default), CSV/Parquet files (:mod:`.files`) or
BigQuery through pandas-gbq (:mod:`.bigquery`). A source only loads; cleaning
is :mod:`trainer.feedback.quality`'s job. Every expected failure is a
:class:`SourceError` whose message says what to do.

The loaded frame carries ``attrs["source"]`` (the description) and
``attrs["empty_hint"]`` (what to do when it is empty), which
:func:`trainer.feedback.quality.prepare` uses in its messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from trainer.config import Config


class SourceError(RuntimeError):
    """The source cannot be read; the message names it and says what to do."""


@dataclass
class LoadedFeedback:
    """What a source returned, and the share of negatives it kept (1.0: no sampling)."""

    frame: pd.DataFrame
    negative_sample_rate: float = 1.0


@runtime_checkable
class FeedbackSource(Protocol):
    kind: str

    def describe(self) -> str:
        """Where the feedback comes from, for people: ``data/feedback.db:feedback``."""

    def load(self, since: datetime | None = None, columns: list[str] | None = None) -> LoadedFeedback:
        """The feedback in the configured window (and, with ``since``, only newer feedback).

        With ``columns``, only those that exist are read (the drift report reads
        the champion's inputs, the label, time and id), pushed down to the source.
        """

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows (newer than ``since``), counted cheaply for the service's triggers."""

    def latest_change(self) -> str:
        """A cheap fingerprint that changes when feedback is added."""


def label_for(frame: pd.DataFrame, description: str, empty_hint: str) -> pd.DataFrame:
    """``frame`` with the attrs quality.prepare uses in its messages."""
    frame.attrs["source"] = description
    frame.attrs["empty_hint"] = empty_hint
    return frame


def open_source(config: Config) -> FeedbackSource:
    """The source ``config.source.kind`` names. Raises SourceError for a misconfigured one."""
    kind = config.source.kind
    if kind == "sqlite":
        from trainer.feedback.sources.sqlite import SQLiteSource
        return SQLiteSource.from_config(config)
    if kind == "files":
        from trainer.feedback.sources.files import FilesSource
        return FilesSource.from_config(config)
    if kind == "bigquery":
        from trainer.feedback.sources.bigquery import BigQuerySource
        return BigQuerySource.from_config(config)
    raise SourceError(f"source.kind {kind!r} is not known; choose sqlite, files or bigquery")


__all__ = ["FeedbackSource", "LoadedFeedback", "SourceError", "open_source", "label_for"]
