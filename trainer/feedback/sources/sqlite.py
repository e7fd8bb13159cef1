"""The embedded SQLite store as a feedback source (the default).

Reads through :mod:`trainer.feedback.store`, applying ``source.window_days`` on the
time column in SQL (the column is indexed). ``since`` means *arrived since*:
the store records when each row was inserted, so verdicts imported late
with old alert times, and verdicts given in the review queue, count as new
feedback for the trigger. Pending alerts and verdict rows go through
:mod:`trainer.feedback.pending`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from trainer.config import Config, SchemaConfig
from trainer.feedback import pending, store
from trainer.feedback.sources import DEFAULT_EMPTY_HINT, Capabilities, LoadedFeedback, SourceError
from trainer.feedback.sources.sampling import negative_rate


@dataclass
class SQLiteSource:
    path: Path
    table: str = "feedback"
    window_days: int = 90
    max_negatives: int = 0
    schema: SchemaConfig | None = None
    kind: str = "sqlite"
    capabilities = Capabilities(pending_alerts=True, verdicts=True, retract=True)

    @classmethod
    def from_config(cls, config: Config) -> "SQLiteSource":
        """The configured store; raises SourceError naming ``source.table`` when it is not a plain name."""
        try:
            store.quote(config.source.table)
        except store.StoreError as exc:
            raise SourceError(f"source.table: {exc}") from None
        return cls(config.source_path, config.source.table, config.source.window_days,
                   config.source.max_negatives, config.schema)

    def describe(self) -> str:
        return f"the feedback store {self._shown_path()}:{self.table}"

    def empty_hint(self) -> str:
        return DEFAULT_EMPTY_HINT

    def unavailable(self) -> str | None:
        if self.path.exists():
            return None
        return (f"the feedback store {self.path} does not exist: nothing to train on; run `cla demo seed` for a "
                "demo store, or set source.path")

    def _shown_path(self) -> str:
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def _window_start(self) -> datetime | None:
        if not self.window_days:
            return None
        return datetime.now(timezone.utc) - timedelta(days=self.window_days)

    def _positive_values(self) -> list[str]:
        from trainer.feedback.sources.bigquery_sql import positive_values

        return positive_values(self.schema or SchemaConfig())

    def negative_rate(self, since: datetime | None = None) -> float:
        """Share of labelled negatives in the window to read so about ``max_negatives`` arrive (one COUNT)."""
        if not self.max_negatives:
            return 1.0
        schema = self.schema or SchemaConfig()
        negatives = store.count_negatives(self.path, self.table, label=schema.label,
                                          positive_values=self._positive_values(),
                                          time_since=self._window_start(), inserted_since=since)
        return negative_rate(negatives, self.max_negatives)

    def _loaded(self, frame: pd.DataFrame, rate: float = 1.0) -> LoadedFeedback:
        hint = self.empty_hint()
        if frame.empty and self.window_days:
            total = store.count(self.path, self.table)
            if total:
                newest = store.stats(self.path, self.table)["newest"]
                hint = (f"its {total} rows are all older than source.window_days = {self.window_days} "
                        f"(newest alert {newest}); raise the window, set it to 0, or add recent feedback")
        return LoadedFeedback(frame, self.describe(), hint, negative_sample_rate=rate)

    def load(self, since: datetime | None = None, columns: list[str] | None = None, *,
             sample: bool = True) -> LoadedFeedback:
        """Rows fired inside the window (and arrived since ``since``; only ``columns`` when given).

        When the window holds more than ``max_negatives`` labelled negatives
        (and ``sample``), SQLite answers the sampled plan
        (:func:`store.read_sampled`); otherwise every row is read in bulk.
        Raises SourceError.
        """
        try:
            rate = self.negative_rate(since) if sample else 1.0
            if rate < 1.0:
                schema = self.schema or SchemaConfig()
                frame = store.read_sampled(self.path, self.table, rate=rate, label=schema.label,
                                           id_column=schema.id_column or "alert_id", positive_values=self._positive_values(),
                                           time_since=self._window_start(), inserted_since=since, columns=columns)
            else:
                frame = store.read(self.path, self.table, time_since=self._window_start(), inserted_since=since,
                                   columns=columns)
            return self._loaded(frame, rate)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def load_pending(self, limit: int) -> LoadedFeedback:
        """The newest ``limit`` alerts in the window that no row labels yet. Raises SourceError."""
        try:
            frame = pending.read_pending(self.path, self.table, time_since=self._window_start(), limit=limit)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc
        return LoadedFeedback(frame, self.describe(), "no alert is waiting for a verdict; "
                              "`cla demo feed --pending-share 0.5` adds some to the demo store")

    def find_alerts(self, alert_ids: list[str]) -> pd.DataFrame:
        try:
            return pending.find_latest(self.path, alert_ids, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def write_verdicts(self, rows: pd.DataFrame) -> int:
        try:
            return store.insert_frame(self.path, rows, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def retract_verdict(self, alert_id: str, triaged_at: str) -> bool:
        try:
            return pending.delete_verdict(self.path, alert_id, triaged_at, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows in the window that arrived since ``since``: one COUNT query."""
        try:
            return store.count(self.path, self.table, labelled=True, time_since=self._window_start(),
                               inserted_since=since)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def count_positives(self) -> int | None:
        try:
            return pending.count_positives(self.path, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def latest_change(self) -> str:
        try:
            return store.latest_change(self.path, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc
