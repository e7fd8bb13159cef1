"""Feedback sources: where the verdicts come from, and where the review queue writes them back.

:class:`FeedbackSource` is what :mod:`trainer.service.cycle`,
:mod:`trainer.service.triggers`, :mod:`trainer.review` and the dashboard use;
they never import a concrete source. :data:`KINDS` declares each source once
(its module, its config keys, one sentence about it) and :func:`open_source`
builds the one ``config.source.kind`` names: the embedded SQLite store
(:mod:`.sqlite`, the default), CSV/Parquet files (:mod:`.files`) or BigQuery
through pandas-gbq (:mod:`.bigquery`). Adding a source is one module and one
line in :data:`KINDS`; no dashboard file changes.

Every source declares :class:`Capabilities` (can it read alerts pending a
verdict, write verdicts, retract one), a description and a hint for when it is
empty. A load returns :class:`LoadedFeedback`, which carries the description
and the hint with the frame, so :func:`trainer.feedback.quality.prepare` can
name the source in its messages. A source only loads and writes; cleaning is
:mod:`trainer.feedback.quality`'s job. Every expected failure is a
:class:`SourceError` whose message says what to do.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from trainer.config import Config
from trainer.errors import CLAError

#: the columns a verdict written back fills, beside the label (the embedded store's names)
ANALYST_COLUMN = "analyst"
TRIAGED_AT_COLUMN = "triaged_at"
COMMENT_COLUMN = "analyst_comments"
DEFAULT_EMPTY_HINT = "run `cla demo seed` or `cla feedback import FILE`"


class SourceError(CLAError, RuntimeError):
    """The source cannot be read or written; the message names it and says what to do."""


@dataclass(frozen=True)
class Capabilities:
    """What a source can do beyond loading labelled feedback."""

    pending_alerts: bool = False   # read alerts that have no verdict yet (label null)
    verdicts: bool = False         # append a verdict row (analyst, triage time) for an alert
    retract: bool = False          # remove a verdict row it wrote (the review page's undo)


@dataclass
class LoadedFeedback:
    """What a source returned: the rows, where they came from, what to do when empty, the negatives kept."""

    frame: pd.DataFrame
    description: str = "the feedback source"
    empty_hint: str = DEFAULT_EMPTY_HINT
    negative_sample_rate: float = 1.0   # 1.0: no sampling; below 1: the share of negatives kept (sources.sampling)


@dataclass(frozen=True)
class SourceKind:
    """One declared source: where its class lives, which ``[source]`` keys it reads, what it is."""

    name: str
    target: str                  # "module:Class"
    config_keys: tuple[str, ...]
    summary: str

    def load_class(self):
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


KINDS: dict[str, SourceKind] = {kind.name: kind for kind in (
    SourceKind("sqlite", "trainer.feedback.sources.sqlite:SQLiteSource", ("path", "table", "window_days",
                                                                         "max_negatives"),
               "the embedded SQLite store"),
    SourceKind("files", "trainer.feedback.sources.files:FilesSource", ("path", "window_days", "verdicts_path",
                                                                      "max_negatives"),
               "CSV or Parquet files (a path or a glob)"),
    SourceKind("bigquery", "trainer.feedback.sources.bigquery:BigQuerySource",
               ("project", "bq_table", "query", "location", "credentials_file", "window_days", "max_negatives",
                "bq_verdicts_table"),
               "a BigQuery table or query, through pandas-gbq"),
)}


@runtime_checkable
class FeedbackSource(Protocol):
    kind: str
    capabilities: Capabilities

    def describe(self) -> str:
        """Where the feedback comes from, for people: ``data/feedback.db:feedback``."""

    def empty_hint(self) -> str:
        """What to do when the source holds no rows."""

    def unavailable(self) -> str | None:
        """A sentence when there is nothing to read yet (a store not created); None otherwise. Cheap."""

    def load(self, since: datetime | None = None, columns: list[str] | None = None, *,
             sample: bool = True) -> LoadedFeedback:
        """The feedback in the configured window (and, with ``since``, only newer feedback).

        With ``columns``, only those that exist are read (the drift report reads
        the champion's inputs, the label, time and id), pushed down to the source.
        With ``sample`` (the training read), a source whose window holds more
        than ``source.max_negatives`` labelled negatives answers the plan of
        :mod:`.sampling` in its own engine: the latest verdict per alert, every
        positive and a hash sample of the negatives, the rate returned as
        ``negative_sample_rate``. ``sample=False`` reads every row of the window
        (the drift report: its statistics are not re-weighted).
        """

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows (newer than ``since``), counted cheaply for the service's triggers."""

    def count_positives(self) -> int | None:
        """True positives in the whole source (no time window), when a cheap count exists; None otherwise."""

    def latest_change(self) -> str:
        """A cheap fingerprint that changes when feedback is added."""

    def load_pending(self, limit: int) -> LoadedFeedback:
        """Alerts in the window without any verdict (newest first, at most ``limit``)."""

    def find_alerts(self, alert_ids: list[str]) -> pd.DataFrame:
        """The newest stored row of each of ``alert_ids`` (absent ids are absent)."""

    def write_verdicts(self, rows: pd.DataFrame) -> int:
        """Append verdict rows (label, analyst, triage time set); returns how many were written."""

    def retract_verdict(self, alert_id: str, triaged_at: str) -> bool:
        """Remove the verdict row of ``alert_id`` stamped ``triaged_at``; False when it is not there."""


def open_source(config: Config) -> FeedbackSource:
    """The source ``config.source.kind`` names. Raises SourceError for a misconfigured one."""
    kind = KINDS.get(config.source.kind)
    if kind is None:
        raise SourceError(f"source.kind {config.source.kind!r} is not known; choose {', '.join(KINDS)}")
    return kind.load_class().from_config(config)


def unsupported(source: FeedbackSource, what: str) -> SourceError:
    """The error for a capability ``source`` does not declare."""
    return SourceError(f"{source.describe()} cannot {what} (source.kind = {source.kind!r}); use the embedded store "
                       "or a files source for the review queue")


__all__ = ["ANALYST_COLUMN", "COMMENT_COLUMN", "Capabilities", "FeedbackSource", "KINDS", "LoadedFeedback",
           "SourceError", "SourceKind", "TRIAGED_AT_COLUMN", "open_source", "unsupported"]
