"""Importing analyst verdicts from a CSV or Parquet file into the embedded store.

:func:`read_rows` reads the file keeping every value as text and the line
each CSV record starts on; :func:`validate` checks each row against the
store's columns (:data:`trainer.feedback.store.COLUMNS`) and splits accepted from
rejected rows with a reason; :func:`import_file` skips accepted rows whose
(alert id, verdict) is already stored or repeated earlier in the file, so
importing a file twice adds nothing (a changed verdict is a new verdict), and
commits the rest in one transaction through :func:`trainer.feedback.store.insert_frame`.
``cla feedback import`` (:mod:`trainer.cli.feedback`) prints the outcome.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from trainer.feedback import store
from trainer.columns import map_labels, parse_times
from trainer.feedback.sources import SourceError
from trainer.feedback.sources.files import file_kind, read_table

TRUE_TEXT = frozenset({"true", "1", "yes", "t", "y"})
FALSE_TEXT = frozenset({"false", "0", "no", "f", "n"})
REQUIRED = ("alert_id", store.LABEL_COLUMN, store.TIME_COLUMN)


@dataclass
class Rejected:
    line: int          # CSV: the line the record starts on, header = line 1; Parquet: the row number
    alert_id: str
    reason: str


@dataclass
class ImportResult:
    path: Path
    rows: int
    accepted: pd.DataFrame       # valid rows not yet in the store: what is (or would be) added
    rejected: list[Rejected] = field(default_factory=list)
    committed: bool = False
    position: str = "line"       # "line" for CSV, "row" for Parquet
    already_there: int = 0       # valid rows whose alert id and verdict the store (or the file, earlier) holds


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return pd.DataFrame(), []
            records, lines = [], []
            start = reader.line_num + 1
            for record in reader:
                if record:
                    records.append(record + [""] * (len(header) - len(record)))
                    lines.append(start)
                start = reader.line_num + 1
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path} cannot be read as CSV: {exc}") from None
    too_long = [line for line, record in zip(lines, records) if len(record) > len(header)]
    if too_long:
        raise SourceError(f"{path} line {too_long[0]} has more fields than the header ({len(header)}): "
                          "fix the file; nothing was imported")
    frame = pd.DataFrame(records, columns=[h.strip() for h in header], dtype="str")
    return frame.replace("", None), lines


def read_rows(path: str | Path) -> tuple[pd.DataFrame, list[int], str]:
    """(rows as text, the line or row number of each, "line" or "row"). Raises SourceError."""
    path = Path(path)
    if file_kind(path) == "csv":
        frame, lines = _read_csv(path)
        return frame, lines, "line"
    frame = read_table(path)
    return frame, list(range(1, len(frame) + 1)), "row"


def _text(values: pd.Series) -> pd.Series:
    return values.astype("str").str.strip()


def validate(frame: pd.DataFrame, positions: list[int]) -> tuple[pd.DataFrame, list[Rejected]]:
    """Accepted rows converted to the store's types, and each rejected row with its reason.

    Raises ValueError when a required column (alert_id, is_true_positive,
    timestamp) is missing from the file altogether.
    """
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"the file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}; "
                         f"columns are: {', '.join(map(str, frame.columns))}")
    frame = frame.reset_index(drop=True)
    reasons = pd.Series("", index=frame.index, dtype=object)

    def reject(mask: pd.Series, message: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            text = message[mask] if isinstance(message, pd.Series) else message
            reasons[mask] = np.where(reasons[mask] == "", text, reasons[mask] + "; " + text)

    out = pd.DataFrame(index=frame.index)
    ids = frame["alert_id"]
    reject(ids.isna() | (_text(ids) == ""), "missing alert_id")
    out["alert_id"] = _text(ids)

    labels, unlabelled, invalid = map_labels(frame[store.LABEL_COLUMN])
    reject(unlabelled, "missing label")
    reject(invalid, "invalid label " + frame[store.LABEL_COLUMN].astype("str").map(repr)
           + " (use 1/0, true/false or tp/fp)")
    out[store.LABEL_COLUMN] = labels.astype("Int64")

    for name in frame.columns:
        if name in out.columns:
            continue
        values = frame[name]
        present = values.notna() & (_text(values) != "")
        kind = store.COLUMNS.get(name)
        if kind == "TIMESTAMP":
            parsed = parse_times(values)
            reject(present & parsed.isna(), values.astype("str").map(lambda v, n=name: f"{n} {v!r} does not parse"))
            if name == store.TIME_COLUMN:
                reject(~present, f"missing {name}")
            out[name] = parsed
        elif kind == "BOOLEAN":
            lowered = _text(values).str.lower()
            ok = lowered.isin(TRUE_TEXT | FALSE_TEXT) | ~present
            if pd.api.types.is_bool_dtype(values):
                ok = pd.Series(True, index=frame.index)
            reject(~ok, values.astype("str").map(lambda v, n=name: f"{n} {v!r} is not true/false"))
            out[name] = values.astype("boolean") if pd.api.types.is_bool_dtype(values) else \
                lowered.isin(TRUE_TEXT).astype("boolean").where(present & ok, pd.NA)
        elif kind in ("INTEGER", "REAL"):
            numbers = pd.to_numeric(values.where(present), errors="coerce")
            reject(present & numbers.isna(), values.astype("str").map(lambda v, n=name: f"{n} {v!r} is not a number"))
            if kind == "INTEGER":
                reject(numbers.notna() & (numbers % 1 != 0),
                       values.astype("str").map(lambda v, n=name: f"{n} {v!r} is not a whole number"))
            out[name] = numbers
        else:
            numbers = pd.to_numeric(values.where(present), errors="coerce") if kind is None else None
            if numbers is not None and present.any() and numbers[present].notna().all():
                out[name] = numbers  # an extra attribute that is plainly numeric stays numeric
            else:
                out[name] = values.where(present, None)
    if "confidence" in out.columns:
        reject(out["confidence"].notna() & ~out["confidence"].between(0, 1),
               out["confidence"].astype("str").map(lambda v: f"confidence {v} is outside 0..1"))
    if "processed" not in out.columns:
        out["processed"] = 0

    bad = reasons != ""
    rejected = [Rejected(positions[i], str(frame.at[i, "alert_id"]) if pd.notna(frame.at[i, "alert_id"]) else "",
                         reasons[i]) for i in np.flatnonzero(bad.to_numpy())]
    return out[~bad].reset_index(drop=True), rejected


def import_file(path: str | Path, store_path: str | Path, table: str = "feedback", *,
                dry_run: bool = False) -> ImportResult:
    """Validate ``path`` and append its valid, new rows to the store in one transaction.

    A valid row whose alert id and verdict are already stored (or repeated
    earlier in the file) is skipped and counted in ``already_there``. Nothing is written with ``dry_run`` or when the file cannot be read.
    Raises SourceError for an unreadable file, ValueError for a file without
    a required column, and store.StoreError when the store cannot be written.
    """
    path = Path(path)
    frame, positions, position = read_rows(path)
    if frame.empty:
        return ImportResult(path, 0, frame, [], False, position)
    accepted, rejected = validate(frame, positions)
    known = store.verdicts_present(store_path, accepted, table) | accepted.duplicated(["alert_id", store.LABEL_COLUMN])
    accepted = accepted[~known].reset_index(drop=True)
    result = ImportResult(path, len(frame), accepted, rejected, False, position, int(known.sum()))
    if not dry_run and not accepted.empty:
        store.insert_frame(store_path, accepted, table)
        result.committed = True
    return result
