"""Data quality before training: label mapping, quarantine, de-duplication, confidence filter.

:func:`prepare` turns what a source loaded (:mod:`trainer.feedback.sources`) into
training rows for :mod:`trainer.learning.api`, and returns the counts that
:mod:`trainer.service.cycle` stores as the metrics ``data_quality`` block. Nothing is
dropped silently: rows without a label are counted as unlabelled, rows with an
invalid label, a timestamp that does not parse or text in a numeric column are
written with their reason to ``quarantine_<stamp>.csv`` (through
:mod:`trainer.atomic`), duplicate alert ids keep the latest verdict, and every
labelled row is training data whether or not it was ``processed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from trainer.atomic import write_with
# The verdict and time columns are read as every layer reads them (trainer.columns); the spellings stay
# importable from here for the sources that read them through this module.
from trainer.columns import NEGATIVE_TOKENS, POSITIVE_TOKENS, is_standard_positive  # noqa: F401
from trainer.columns import blank, map_labels, parse_times
from trainer.config import SchemaConfig
from trainer.feedback.sources import DEFAULT_EMPTY_HINT
from trainer.errors import CLAError

NUMERIC_SHARE = 0.95            # a column this numeric is numeric; its text values are errors
TRIAGED_AT = "triaged_at"       # when present, orders duplicate verdicts
_SHOWN_VALUE = 60


class DataError(CLAError, ValueError):
    """The feedback cannot be trained on; the message names what is wrong and what to do."""


@dataclass
class QualityResult:
    """Training rows (label as int 0/1, time column as UTC datetimes) and the data_quality report."""

    frame: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN_VALUE else text[:_SHOWN_VALUE] + "…"


def _numeric_text(values: pd.Series) -> pd.Series | None:
    """For a mostly numeric text column: the numbers (NaN where text). None when not such a column."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) \
            or pd.api.types.is_datetime64_any_dtype(values):
        return None
    present = ~blank(values)
    if not present.any():
        return None
    probe = pd.to_numeric(values[present].head(2_000), errors="coerce")
    if probe.notna().mean() < 0.5:
        return None  # plainly a text column: skip the full conversion
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    share = numbers[present].notna().mean()
    return numbers if share >= NUMERIC_SHARE else None


def _write_quarantine(rows: pd.DataFrame, quarantine_dir: Path, stamp: str) -> Path:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    path = quarantine_dir / f"quarantine_{stamp}.csv"
    write_with(path, lambda tmp: rows.to_csv(tmp, index=False))
    return path


def prepare(frame: pd.DataFrame, schema: SchemaConfig, *, quarantine_dir: Path | None, stamp: str,
            now: pd.Timestamp | None = None, source: str = "the feedback source",
            empty_hint: str = DEFAULT_EMPTY_HINT) -> QualityResult:
    """Clean loaded feedback for training.

    Returns a :class:`QualityResult` whose frame holds only valid, labelled,
    de-duplicated rows (label int 0/1; time column UTC datetimes, oldest
    first) and whose report is the metrics ``data_quality`` block. Quarantined
    rows go to ``quarantine_dir/quarantine_<stamp>.csv`` with a ``_reason``
    column (``quarantine_dir=None`` only counts them). Raises
    :class:`DataError` for no rows, a missing label column, or no labelled
    row left; raises ``atomic.WriteError`` when the quarantine file cannot be
    written. One class only is not an error here: the cycle decides. A time
    more than ``schema.max_future_minutes`` after ``now`` (default: the
    current time) is quarantined: such a row would pose as the newest feedback. ``source`` and
    ``empty_hint`` (a :class:`trainer.feedback.sources.LoadedFeedback`'s description and hint) name
    the source in the messages.
    """
    if frame.empty:
        raise DataError(f"{source} has no rows: {empty_hint}")
    label = schema.label
    if label not in frame.columns:
        raise DataError(f"label column {label!r} not found in {source}; columns are: "
                        f"{', '.join(map(str, frame.columns))}; set schema.label in the config")

    work = frame.reset_index(drop=True)
    reasons = pd.Series("", index=work.index, dtype=object)
    counts: dict[str, int] = {}

    def flag(mask: pd.Series, category: str, column: str, message: Callable[[Any], str]) -> None:
        """Quarantine ``mask`` rows; the reason is ``message(value of column)``."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        counts[category] = counts.get(category, 0) + int(mask.sum())
        text = work.loc[mask, column].map(message)
        reasons[mask] = np.where(reasons[mask] == "", text, reasons[mask] + "; " + text)

    labels, unlabelled, invalid = map_labels(work[label], schema.positive_value)
    flag(invalid, "invalid label", label, lambda v: f"invalid label {_show(v)!r} in column {label!r}")

    time_column = schema.time_column if schema.time_column in work.columns else ""
    times = None
    if time_column:
        times = parse_times(work[time_column])
        raw = work[time_column]
        missing = blank(raw)
        flag(times.isna() & ~missing & ~unlabelled, "unparseable timestamp", time_column,
             lambda v: f"timestamp {_show(v)!r} does not parse (column {time_column!r})")
        flag(missing & ~unlabelled, "missing timestamp", time_column, lambda v: f"missing timestamp in column {time_column!r}")
        limit = (now if now is not None else pd.Timestamp.now(tz="UTC")) + pd.Timedelta(minutes=schema.max_future_minutes)
        flag((times > limit) & ~unlabelled, "timestamp in the future", time_column,
             lambda v: f"timestamp {_show(v)!r} is in the future (more than schema.max_future_minutes="
                       f"{schema.max_future_minutes:g} after the read): fix the sender's clock or time zone")

    skip = {label, time_column, schema.id_column, *schema.post_triage} - {schema.confidence_column}
    converted: dict[str, pd.Series] = {}
    for column in work.columns:
        if column in skip:
            continue
        numbers = _numeric_text(work[column])
        if numbers is None:
            continue
        text = ~blank(work[column]) & numbers.isna()
        flag(text & ~unlabelled, f"text in numeric column {column!r}", column, lambda v, c=column: f"text {_show(v)!r} in numeric column {c!r}")
        converted[column] = numbers

    quarantined = (reasons != "") & ~unlabelled
    quarantine_path = None
    if quarantined.any() and quarantine_dir is not None:
        rows = frame.reset_index(drop=True)[quarantined].copy()
        rows.insert(0, "_reason", reasons[quarantined])
        rows.insert(1, "_row", rows.index)
        quarantine_path = _write_quarantine(rows, Path(quarantine_dir), stamp)

    # Row positions are chosen first and the frame is taken once: copies of 1M rows are costly.
    rows = np.flatnonzero((~unlabelled & ~quarantined).to_numpy())
    # Naive UTC datetime64 values: to_numpy() on tz-aware data would build Timestamp objects.
    time_values = times.dt.tz_convert(None).to_numpy() if times is not None else None
    duplicates = 0
    if schema.id_column and schema.id_column in work.columns:
        id_codes = pd.factorize(work[schema.id_column])[0]  # integers: cheaper to sort than text
        keys = pd.DataFrame({"id": id_codes[rows], "pos": rows})
        order = []
        if TRIAGED_AT in work.columns and TRIAGED_AT != time_column:
            keys["triaged"] = parse_times(work[TRIAGED_AT].iloc[rows]).dt.tz_convert(None).to_numpy()
            order.append("triaged")
        if time_values is not None:
            keys["time"] = time_values[rows]
            order.append("time")
        keys = keys.sort_values(order + ["pos"], kind="stable", na_position="first")
        latest = ~keys.duplicated("id", keep="last").to_numpy()
        duplicates = int((~latest).sum())
        rows = np.sort(keys["pos"].to_numpy()[latest])

    below = 0
    conf = schema.confidence_column
    if schema.min_confidence > 0 and conf and conf in work.columns:
        confidence = converted[conf] if conf in converted else pd.to_numeric(work[conf], errors="coerce")
        low = (confidence.to_numpy()[rows] < schema.min_confidence)
        below = int(low.sum())
        rows = rows[~low]

    if time_values is not None:
        rows = rows[np.argsort(time_values[rows], kind="stable")]
    clean = work.iloc[rows].reset_index(drop=True)
    for column, numbers in converted.items():
        clean[column] = numbers.to_numpy()[rows]
    clean[label] = labels.to_numpy()[rows].astype("int64")
    if times is not None:
        clean[time_column] = times.iloc[rows].reset_index(drop=True)

    report = {
        "rows_read": int(len(frame)),
        "unlabelled": int(unlabelled.sum()),
        "duplicates_removed": duplicates,
        "quarantined": int(quarantined.sum()),
        "quarantine_reasons": counts,
        "quarantine_file": (f"{quarantine_path.parent.name}/{quarantine_path.name}" if quarantine_path else None),
        "quarantine_path": str(quarantine_path) if quarantine_path else None,
        "below_min_confidence": below,
        "rows_used": int(len(clean)),
        "positives": int((clean[label] == 1).sum()),
        "negatives": int((clean[label] == 0).sum()),
    }
    if clean.empty:
        where = f"; see {quarantine_path}" if quarantine_path else ""
        why = ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        raise DataError(f"no labelled rows to train on in {source}: {report['rows_read']} rows read, "
                        f"{report['unlabelled']} without a label in column {label!r}, {report['quarantined']} "
                        f"quarantined{f' ({why})' if why else ''}{where}, {below} below schema.min_confidence")
    return QualityResult(clean, report)

