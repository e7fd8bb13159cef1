"""Alerts awaiting a verdict, and the verdict rows the review queue writes, in the embedded store.

An alert is *pending* while none of its rows carries a label. A verdict is a
new row for the alert (its attributes copied, the label, the analyst and the
triage time set), appended with :func:`trainer.feedback.store.insert_frame`;
the store keeps every row and readers keep the latest verdict per alert
(``quality.prepare`` orders duplicates by ``triaged_at``). :func:`read_pending`,
:func:`find_latest`, :func:`delete_verdict` and :func:`count_positives` are
the queries :class:`trainer.feedback.sources.sqlite.SQLiteSource` needs for
that; every value is a bound parameter, and the alert-id index serves them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from trainer.feedback import store
from trainer.feedback.store import LABEL_COLUMN, TIME_COLUMN, quote

ID_COLUMN = "alert_id"


def read_pending(path: str | Path, table: str = "feedback", *, time_since: datetime | None = None,
                 limit: int = 20_000) -> pd.DataFrame:
    """The newest ``limit`` unlabelled alerts (fired at or after ``time_since``) with no labelled row anywhere.

    One row per alert id (its newest unlabelled row), newest alert first.
    Raises StoreError when the file or table does not exist.
    """
    def where(types: dict[str, str]) -> tuple[str, list]:
        clauses = [f"t.{quote(LABEL_COLUMN)} IS NULL",
                   f"t.rowid = (SELECT MAX(rowid) FROM {quote(table)} AS d WHERE d.{quote(ID_COLUMN)} = t.{quote(ID_COLUMN)})",
                   f"NOT EXISTS (SELECT 1 FROM {quote(table)} AS v WHERE v.{quote(ID_COLUMN)} = t.{quote(ID_COLUMN)} "
                   f"AND v.{quote(LABEL_COLUMN)} IS NOT NULL)"]
        params: list = []
        if time_since is not None and TIME_COLUMN in types:
            clauses.append(f"t.{quote(TIME_COLUMN)} >= ?")
            params.append(store.format_timestamps(pd.Series([time_since])).iloc[0])
        return " AS t WHERE " + " AND ".join(clauses), params

    order = f"t.{quote(TIME_COLUMN)} DESC, t.rowid DESC"
    return store.select(path, table, where, f"ORDER BY {order} LIMIT {int(limit)}")


def find_latest(path: str | Path, alert_ids: list[str], table: str = "feedback") -> pd.DataFrame:
    """The newest row of each id in ``alert_ids`` that the store holds (ids it lacks are absent)."""
    ids = list(dict.fromkeys(str(i) for i in alert_ids))[:store.LOOKUP_CHUNK]

    def where(types: dict[str, str]) -> tuple[str, list]:
        marks = ", ".join("?" for _ in ids)
        return (f" AS t WHERE t.{quote(ID_COLUMN)} IN ({marks}) AND t.rowid = (SELECT MAX(rowid) FROM "
                f"{quote(table)} AS d WHERE d.{quote(ID_COLUMN)} = t.{quote(ID_COLUMN)})", ids)

    if not ids:
        return pd.DataFrame()
    return store.select(path, table, where, "ORDER BY t.rowid")


def delete_verdict(path: str | Path, alert_id: str, triaged_at: str, table: str = "feedback") -> bool:
    """Remove the labelled row of ``alert_id`` whose triage time is ``triaged_at``; False when there is none."""
    stamp = store.format_timestamps(pd.Series([triaged_at])).iloc[0]
    with store.connect(path) as conn:
        with conn:
            cursor = conn.execute(
                f"DELETE FROM {quote(table)} WHERE {quote(ID_COLUMN)} = ? AND {quote('triaged_at')} = ? "
                f"AND {quote(LABEL_COLUMN)} IS NOT NULL", (str(alert_id), stamp))
    return cursor.rowcount > 0


def count_positives(path: str | Path, table: str = "feedback") -> int:
    """Rows labelled true positive; 0 for a store or table that does not exist yet."""
    if not Path(path).is_file():
        return 0
    with store.connect(path) as conn:
        if not store.table_columns(conn, table):
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(LABEL_COLUMN)} = 1").fetchone()[0])
