"""The demo's ground truth, kept apart from the feedback, and the simulated analyst who reads it.

``cla demo seed`` and ``cla demo feed --pending-share S`` write alerts that
wait for a verdict (label NULL). The verdict an analyst would give each of
them is drawn by :mod:`trainer.feedback.demo` with the rest of the alert and
stored here, in the table :data:`TRUTH_TABLE` of the same SQLite file: a table
the product never reads (every source reads ``source.table`` only). The
simulated analyst (:func:`truth_for`) answers from it, which is how the review
benchmark and tests give verdicts without a person, and how the audit estimate
of production recall can be checked against the true recall.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trainer.feedback import store
from trainer.feedback.demo import TRUTH_COLUMN
from trainer.feedback.store import LABEL_COLUMN, quote

TRUTH_TABLE = "demo_truth"
#: written after triage: an alert pending triage has none of them
POST_TRIAGE = ("confidence", "analyst_comments", "analyst", "triaged_at")


def make_pending(frame: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """``frame`` with a ``share`` of its rows turned into alerts pending triage; the truth kept in TRUTH_COLUMN."""
    out = frame.copy()
    out[TRUTH_COLUMN] = out[LABEL_COLUMN].astype("Int64")
    waiting = rng.random(len(out)) < share
    if waiting.any():
        out.loc[waiting, LABEL_COLUMN] = pd.NA
        for name in POST_TRIAGE:
            if name in out.columns:
                out.loc[waiting, name] = None if out[name].dtype != "float64" else np.nan
    return out


def insert_with_truth(path: str | Path, frame: pd.DataFrame, table: str = "feedback") -> int:
    """Insert ``frame`` without its truth column into ``table``; the pending rows' truth into :data:`TRUTH_TABLE`."""
    rows = frame.drop(columns=[TRUTH_COLUMN], errors="ignore")
    written = store.insert_frame(path, rows, table)
    if TRUTH_COLUMN in frame.columns:
        waiting = frame[LABEL_COLUMN].isna()
        truth = pd.DataFrame({"alert_id": frame.loc[waiting, "alert_id"].astype("str"),
                              LABEL_COLUMN: frame.loc[waiting, TRUTH_COLUMN].astype("int64")})
        _write_truth(path, truth)
    return written


def _write_truth(path: str | Path, truth: pd.DataFrame) -> None:
    with store.connect(path, create_folder=True) as conn:
        with conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(TRUTH_TABLE)} ({quote('alert_id')} TEXT PRIMARY KEY, "
                         f"{quote(LABEL_COLUMN)} INTEGER NOT NULL)")
            conn.executemany(f"INSERT OR REPLACE INTO {quote(TRUTH_TABLE)} VALUES (?, ?)",
                             list(zip(truth["alert_id"], truth[LABEL_COLUMN].astype(int).tolist())))


def truth_for(path: str | Path, alert_ids: list[str]) -> dict[str, int]:
    """alert id -> 1 (true positive) or 0, for the ids the demo generated as pending; others are absent."""
    ids = [str(i) for i in alert_ids]
    found: dict[str, int] = {}
    with store.connect(path) as conn:
        if not store.table_columns(conn, TRUTH_TABLE):
            return found
        for start in range(0, len(ids), store.LOOKUP_CHUNK):
            chunk = ids[start:start + store.LOOKUP_CHUNK]
            found.update(conn.execute(
                f"SELECT {quote('alert_id')}, {quote(LABEL_COLUMN)} FROM {quote(TRUTH_TABLE)} "
                f"WHERE {quote('alert_id')} IN ({', '.join('?' for _ in chunk)})", chunk).fetchall())
    return found
