"""The embedded SQLite store as a feedback source (the default).

Reads through :mod:`trainer.feedback.store`, applying ``source.window_days`` on the
time column in SQL (the column is indexed). ``since`` means *arrived since*:
the store records when each row was inserted, so verdicts imported late
with old alert times still count as new feedback for the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from trainer.feedback import store
from trainer.config import Config
from trainer.feedback.sources import LoadedFeedback, SourceError, label_for

EMPTY_HINT = "run `cla demo seed` or `cla feedback import FILE`"


@dataclass
class SQLiteSource:
    path: Path
    table: str = "feedback"
    window_days: int = 90
    kind: str = "sqlite"

    @classmethod
    def from_config(cls, config: Config) -> "SQLiteSource":
        return cls(config.source_path, config.source.table, config.source.window_days)

    def describe(self) -> str:
        return f"the feedback store {self._shown_path()}:{self.table}"

    def _shown_path(self) -> str:
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    def _window_start(self) -> datetime | None:
        if not self.window_days:
            return None
        return datetime.now(timezone.utc) - timedelta(days=self.window_days)

    def load(self, since: datetime | None = None, columns: list[str] | None = None) -> LoadedFeedback:
        """Rows fired inside the window (and arrived since ``since``; only ``columns`` when given). Raises SourceError."""
        try:
            frame = store.read(self.path, self.table, time_since=self._window_start(), inserted_since=since,
                               columns=columns)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc
        hint = EMPTY_HINT
        if frame.empty and self.window_days:
            total = store.count(self.path, self.table)
            if total:
                newest = store.stats(self.path, self.table)["newest"]
                hint = (f"its {total} rows are all older than source.window_days = {self.window_days} "
                        f"(newest alert {newest}); raise the window, set it to 0, or add recent feedback")
        return LoadedFeedback(label_for(frame, self.describe(), hint))

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows in the window that arrived since ``since``: one COUNT query."""
        try:
            return store.count(self.path, self.table, labelled=True, time_since=self._window_start(),
                               inserted_since=since)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc

    def latest_change(self) -> str:
        try:
            return store.latest_change(self.path, self.table)
        except store.StoreError as exc:
            raise SourceError(str(exc)) from exc
