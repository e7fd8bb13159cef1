"""The embedded feedback store: one SQLite file, one row per triaged alert.

:func:`create` lays out the table (the old CLA's columns plus the alert
attributes known when it fired); :func:`insert_frame` appends a DataFrame in
one transaction; :func:`verdicts_present` tells which (alert id, verdict)
pairs are already stored, so an import can skip them; :func:`read`,
:func:`count` and :func:`stats` serve the
sqlite source, the trigger and ``cla feedback stats``. ``cla demo`` and
``cla feedback import`` write here; :mod:`trainer.feedback.sources.sqlite` reads.

The database runs in WAL mode with a busy timeout, so the trainer can read
while ``cla demo feed`` writes. Timestamps are stored as ISO 8601 UTC text in
one fixed format (``2026-11-23T12:00:00.000Z``), so text order is time order
and window filters use the index. ``inserted_at`` records arrival time, which
is what "new feedback since the last training" counts; it is bookkeeping and
never returned by :func:`read`, like ``sample_bucket``, the alert id's hash
bucket (:mod:`trainer.feedback.sources.sampling`) that :func:`read_sampled`
filters on. :func:`read` and :func:`select` fetch through ADBC's SQLite driver
(Arrow columns) when it can type every column, else through ``sqlite3``.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from trainer.errors import CLAError

#: column -> declared SQLite type; BOOLEAN and TIMESTAMP columns are converted on read and write
COLUMNS: dict[str, str] = {
    "alert_id": "TEXT",
    "timestamp": "TIMESTAMP",
    "rule_name": "TEXT",
    "alert_type": "TEXT",
    "severity": "TEXT",
    "source_product": "TEXT",
    "asset_criticality": "INTEGER",
    "protocol": "TEXT",
    "dest_port": "INTEGER",
    "related_events": "INTEGER",
    "src_reputation": "REAL",
    "src_is_internal": "BOOLEAN",
    "user_is_privileged": "BOOLEAN",
    "is_true_positive": "INTEGER",
    "confidence": "REAL",
    "analyst_comments": "TEXT",
    "analyst": "TEXT",
    "triaged_at": "TIMESTAMP",
    "processed": "INTEGER",
}
INSERTED_AT = "inserted_at"
#: bookkeeping like inserted_at: ``ABS(FARM_FINGERPRINT(alert_id) % 1000000)``, written with each row so the sampled
#: training read filters in SQLite's own code (trainer.feedback.sources.sampling); never returned by reads
SAMPLE_BUCKET = "sample_bucket"
BOOKKEEPING = (INSERTED_AT, SAMPLE_BUCKET)
LABEL_COLUMN = "is_true_positive"
TIME_COLUMN = "timestamp"
BUSY_TIMEOUT_MS = 30_000
INSERT_CHUNK = 50_000
LOOKUP_CHUNK = 500
READ_CHUNK = 100_000
BULK_ROWS = 100_000   # from this many rows in the table, reads go through Arrow (a child process) rather than tuples
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class StoreError(CLAError, RuntimeError):
    """The store file cannot be opened, or a table or column name is not allowed."""


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier; raises StoreError unless it is a plain identifier."""
    if not _IDENTIFIER.fullmatch(name or ""):
        raise StoreError(f"{name!r} is not a valid table or column name: use letters, digits and underscores")
    return f'"{name}"'


def format_timestamps(values: pd.Series) -> pd.Series:
    """UTC datetimes (or parseable text) as the store's fixed ISO 8601 text; missing stays None."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601") if not isinstance(values.dtype, pd.DatetimeTZDtype) \
        else values.dt.tz_convert("UTC")
    as_ms = parsed.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT"))
    text = np.datetime_as_string(as_ms, unit="ms", timezone="UTC")
    return pd.Series(np.where(pd.isna(as_ms), None, text), index=values.index, dtype=object)


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def connect(path: str | Path, *, create_folder: bool = False) -> Iterator[sqlite3.Connection]:
    """An open connection in WAL mode with a busy timeout; closed on exit.

    Raises StoreError when the file does not exist (unless ``create_folder``)
    or cannot be opened.
    """
    path = Path(path)
    if create_folder:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder {path.parent} for the feedback store: {exc.strerror}") from exc
    elif not path.is_file():
        raise StoreError(f"the feedback store {path} does not exist: run `cla demo seed` or `cla feedback import FILE`")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the feedback store {path}: {exc}") from exc
    with closing(conn):
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"feedback store {path}: {exc}") from exc


def create(path: str | Path, table: str = "feedback") -> None:
    """Create the store file, its table and indexes if missing (idempotent)."""
    columns = ", ".join(f"{quote(name)} {kind}" for name, kind in COLUMNS.items())
    with connect(path, create_folder=True) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        with conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(table)} ({columns}, {quote(INSERTED_AT)} TEXT NOT NULL, "
                         f"{quote(SAMPLE_BUCKET)} INTEGER)")
            if SAMPLE_BUCKET not in table_columns(conn, table):
                # a store from before the sampled read: add the bucket and fill it once
                from trainer.feedback.sources.sampling import SAMPLE_BUCKETS, fingerprint

                conn.create_function("FARM_FINGERPRINT", 1, fingerprint, deterministic=True)
                conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(SAMPLE_BUCKET)} INTEGER")
                conn.execute(f"UPDATE {quote(table)} SET {quote(SAMPLE_BUCKET)} = "
                             f"ABS(FARM_FINGERPRINT(CAST({quote('alert_id')} AS TEXT)) % {SAMPLE_BUCKETS}) "
                             f"WHERE {quote('alert_id')} IS NOT NULL")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {quote(table + '_timestamp')} ON {quote(table)} ({quote(TIME_COLUMN)})")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {quote(table + '_inserted_at')} ON {quote(table)} ({quote(INSERTED_AT)})")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {quote(table + '_alert_id')} ON {quote(table)} ({quote('alert_id')})")
            # empty while every row has its bucket: tells read_sampled at once whether SQL alone can sample
            conn.execute(f"CREATE INDEX IF NOT EXISTS {quote(table + '_unbucketed')} ON {quote(table)} "
                         f"({quote('alert_id')}) WHERE {quote(SAMPLE_BUCKET)} IS NULL")


def table_columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """column -> declared type of ``table`` (empty when the table does not exist)."""
    return {row[1]: (row[2] or "").upper() for row in conn.execute(f"PRAGMA table_info({quote(table)})")}


def _sql_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "BOOLEAN"
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values):
        return "TIMESTAMP"
    if pd.api.types.is_integer_dtype(values):
        return "INTEGER"
    if pd.api.types.is_numeric_dtype(values):
        return "REAL"
    return "TEXT"


def _to_sql_values(frame: pd.DataFrame, types: dict[str, str]) -> list[tuple]:
    """Rows as tuples of plain Python values: timestamps as text, missing as None.

    Values are stored as given (booleans bind as 0/1); validating them is the
    importer's job, and quality.prepare quarantines what slips through.
    """
    out = []
    for name in frame.columns:
        values = frame[name]
        if types[name] == "TIMESTAMP":
            out.append(format_timestamps(values))
        else:
            out.append(values.astype(object).where(values.notna(), None))
    return list(zip(*out))


def insert_frame(path: str | Path, frame: pd.DataFrame, table: str = "feedback") -> int:
    """Append ``frame``'s rows in one transaction; returns the number of rows inserted.

    Creates the store if needed. Columns the table lacks are added (typed from
    the frame), so an export with extra attributes keeps them. Raises
    StoreError when the file cannot be written.
    """
    create(path, table)
    if frame.empty:
        return 0
    with connect(path) as conn:
        existing = table_columns(conn, table)
        types = {}
        with conn:
            for name in frame.columns:
                if name in BOOKKEEPING:
                    raise StoreError(f"column {name!r} is reserved by the feedback store; rename it")
                if name not in existing:
                    conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {_sql_type(frame[name])}")
                    existing[name] = _sql_type(frame[name])
                types[name] = existing[name]
            names = [*frame.columns, INSERTED_AT, SAMPLE_BUCKET]
            sql = f"INSERT INTO {quote(table)} ({', '.join(map(quote, names))}) VALUES ({', '.join('?' for _ in names)})"
            stamp = now_text()
            # Converted a slice at a time (one transaction still): Python row tuples cost ~1 KB a row.
            for start in range(0, len(frame), INSERT_CHUNK):
                part = frame.iloc[start:start + INSERT_CHUNK]
                rows = _to_sql_values(part, types)
                buckets = _buckets(part)
                conn.executemany(sql, (row + (stamp, bucket) for row, bucket in zip(rows, buckets)))
    return len(frame)


def _buckets(frame: pd.DataFrame) -> list:
    """Each row's alert-id hash bucket (None without an id), as :func:`read_sampled` filters on it."""
    from trainer.feedback.sources.sampling import bucket_of

    if "alert_id" not in frame.columns:
        return [None] * len(frame)
    ids = frame["alert_id"]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else bucket_of(str(v)) for v in ids]


def verdicts_present(path: str | Path, frame: pd.DataFrame, table: str = "feedback") -> pd.Series:
    """For each row of ``frame``: is its (alert_id, is_true_positive) pair already in the store?

    Looked up a slice of alert ids at a time through the alert_id index. A
    store or table that does not exist yet holds nothing.
    """
    present = pd.Series(False, index=frame.index)
    if frame.empty or not Path(path).is_file():
        return present
    ids = frame["alert_id"].astype("str")
    labels = frame[LABEL_COLUMN]
    keys = list(zip(ids, labels.astype("Int64").astype(object).where(labels.notna(), None)))
    stored: set[tuple] = set()
    with connect(path) as conn:
        if not table_columns(conn, table):
            return present
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start:start + LOOKUP_CHUNK]
            stored.update(conn.execute(
                f"SELECT {quote('alert_id')}, {quote(LABEL_COLUMN)} FROM {quote(table)} "
                f"WHERE {quote('alert_id')} IN ({', '.join('?' for _ in chunk)})", chunk))
    return pd.Series([key in stored for key in keys], index=frame.index)


def _where(time_since: datetime | None, inserted_since: datetime | None, labelled: bool) -> tuple[str, list]:
    clauses, params = [], []
    if time_since is not None:
        clauses.append(f"{quote(TIME_COLUMN)} >= ?")
        params.append(format_timestamps(pd.Series([time_since])).iloc[0])
    if inserted_since is not None:
        clauses.append(f"{quote(INSERTED_AT)} >= ?")
        params.append(format_timestamps(pd.Series([inserted_since])).iloc[0])
    if labelled:
        clauses.append(f"{quote(LABEL_COLUMN)} IS NOT NULL")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def read(path: str | Path, table: str = "feedback", *, time_since: datetime | None = None,
         inserted_since: datetime | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Every row (optionally: fired at or after ``time_since``, arrived at or after ``inserted_since``).

    With ``columns``, only the stored columns named there are selected.

    Returns the stored columns except the ``inserted_at`` bookkeeping, in
    insertion order; BOOLEAN columns come back as pandas ``boolean``, INTEGER
    columns with NULLs as ``Int64``, timestamps as the stored text (quality.prepare parses them). Raises
    StoreError when the file or table does not exist.
    """
    def where(types: dict[str, str]) -> tuple[str, list]:
        return _where(time_since if TIME_COLUMN in types else None, inserted_since, labelled=False)

    return select(path, table, where, "ORDER BY rowid", columns=columns, bulk=True)


def select(path: str | Path, table: str, where, tail: str = "", columns: list[str] | None = None, *,
           bulk: bool = False) -> pd.DataFrame:
    """The rows ``where(types) -> (" WHERE ...", params)`` picks, then ``tail`` (ORDER BY, LIMIT), typed as :func:`read`.

    ``where`` gets the table's column types, so it can leave out a clause on a
    column the table lacks; ``columns`` limits the stored columns selected.
    With ``bulk`` and a table of at least :data:`BULK_ROWS` rows, the rows
    come through Arrow (:func:`_fetch_arrow`). Raises StoreError when the file or table does not exist.
    """
    with connect(path) as conn:
        types = _types_of(conn, path, table)
        names = [name for name in types if name not in BOOKKEEPING and (columns is None or name in columns)]
        clause, params = where(types)
        sql = f"SELECT {', '.join(map(quote, names))} FROM {quote(table)}{clause} {tail}"
        frame = _fetch_arrow(path, sql, params, names, types) if bulk and _large(conn, table) else None
        return frame if frame is not None else _fetch(conn, sql, params, names, types)


def _large(conn: sqlite3.Connection, table: str) -> bool:
    """Whether ``table`` spans at least :data:`BULK_ROWS` rowids (read off the rowid b-tree, no scan)."""
    low, high = conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {quote(table)}").fetchone()
    return low is not None and high - low + 1 >= BULK_ROWS


def _types_of(conn: sqlite3.Connection, path: str | Path, table: str) -> dict[str, str]:
    types = table_columns(conn, table)
    if not types:
        raise StoreError(f"the feedback store {path} has no table {table!r}: run `cla demo seed` "
                         f"or `cla feedback import FILE`, or set source.table in the config")
    return types


def _fetch(conn: sqlite3.Connection, sql: str, params: list, names: list[str], types: dict[str, str]) -> pd.DataFrame:
    """Rows through the sqlite3 module, a slice at a time: every stored value as SQLite holds it."""
    cursor = conn.execute(sql, params)
    # Fetched a slice at a time and made compact at once: 1M rows of Python tuples would cost ~1.5 GB.
    parts = []
    while rows := cursor.fetchmany(READ_CHUNK):
        parts.append(_typed(pd.DataFrame.from_records(rows, columns=names), types))
    if not parts:
        return _typed(pd.DataFrame({name: pd.Series(dtype=object) for name in names}), types)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for name in names:
        if types[name] == "INTEGER" and pd.api.types.is_float_dtype(frame[name]):
            # NULLs turned the column into floats; keep whole numbers whole.
            values = frame[name]
            if (values.dropna() % 1 == 0).all():
                frame[name] = values.astype("Int64")
    return frame


def _fetch_arrow(path: str | Path, sql: str, params: list, names: list[str],
                 types: dict[str, str]) -> pd.DataFrame | None:
    """The same rows through ADBC's SQLite driver as Arrow columns (:mod:`trainer.feedback.arrow_read`), typed as
    :func:`_fetch` types them; None when the driver is missing or a column holds values it cannot type.

    None sends the caller to :func:`_fetch`, which keeps every value as
    stored, so quality.prepare can still quarantine an odd one.
    """
    from trainer.feedback import arrow_read

    import pyarrow as pa

    result = arrow_read.query(path, sql, params)
    if result is None or result.num_columns != len(names):
        return None
    columns = {}
    for name, values in zip(names, result.columns):
        kind = types[name]
        if kind in ("TEXT", "TIMESTAMP"):
            if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
                    or values.null_count == len(values)):
                return None  # numbers stored in a text column: the sqlite3 path keeps them as SQLite gives them
            series = values.to_pandas()
            if series.dtype != "str":
                series = series.astype("str")
        elif kind == "BOOLEAN":
            if not pa.types.is_integer(values.type) and values.null_count != len(values):
                return None
            try:
                series = values.to_pandas().astype("boolean")
            except (TypeError, ValueError):
                return None  # odd values: the sqlite3 path keeps them as stored for quality.prepare to report
        elif pa.types.is_integer(values.type):
            series = values.to_pandas()
            if values.null_count:
                series = series.astype("Int64")
        elif pa.types.is_floating(values.type):
            series = values.to_pandas()
            if kind == "INTEGER" and (series.dropna() % 1 == 0).all():
                series = series.astype("Int64")  # as _fetch keeps whole numbers whole
        else:
            return None
        columns[name] = series
    if not names:
        return pd.DataFrame(index=range(result.num_rows))
    return pd.DataFrame(columns, columns=names, copy=False)


def positive_sql(label: str, positive_values: list[str], alias: str = "") -> tuple[str, list]:
    """SQL true when ``label`` holds a true positive: its trimmed lower-case text is one of ``positive_values``.

    Numbers are compared as numbers first, so a store of 0/1 labels never builds text.
    """
    column = f"{alias}{quote(label)}"
    text = f"LOWER(TRIM(CAST({column} AS TEXT)))"
    marks = ", ".join("?" for _ in positive_values)
    if "1" in positive_values:
        return (f"({column} = 1 OR (typeof({column}) = 'text' AND {text} IN ({marks})))",
                list(positive_values))
    return f"{text} IN ({marks})", list(positive_values)


def _labelled_sql(label: str, alias: str = "") -> str:
    column = f"{alias}{quote(label)}"
    return f"{column} IS NOT NULL AND (typeof({column}) <> 'text' OR TRIM({column}) <> '')"


def count_negatives(path: str | Path, table: str = "feedback", *, label: str = LABEL_COLUMN,
                    positive_values: list[str], time_since: datetime | None = None,
                    inserted_since: datetime | None = None) -> int:
    """Labelled rows in the window whose label is not a true positive: one COUNT (the sampling rate's base)."""
    with connect(path) as conn:
        types = _types_of(conn, path, table)
        if label not in types:
            return 0
        where, params = _where(time_since if TIME_COLUMN in types else None, inserted_since, labelled=False)
        positive, values = positive_sql(label, positive_values)
        clause = f"{where} AND" if where else " WHERE"
        sql = f"SELECT COUNT(*) FROM {quote(table)}{clause} {_labelled_sql(label)} AND NOT {positive}"
        return int(conn.execute(sql, params + values).fetchone()[0])


def read_sampled(path: str | Path, table: str = "feedback", *, rate: float, label: str = LABEL_COLUMN,
                 id_column: str = "alert_id", positive_values: list[str], time_since: datetime | None = None,
                 inserted_since: datetime | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """The training plan of :mod:`trainer.feedback.sources.sampling`, answered in one SQLite query.

    Labelled rows in the window; of each alert only its latest verdict
    (``triaged_at``, then alert time, then arrival); every positive, and the
    negatives whose bucket ``ABS(FARM_FINGERPRINT(id) % 1000000)`` is below
    ``rate x 1000000``. The bucket is the stored ``sample_bucket``; rows
    without one (written by other tools) get it from ``FARM_FINGERPRINT``
    registered on the connection (:func:`trainer.feedback.sources.sampling.fingerprint`).
    Typed as :func:`read`. Raises StoreError.
    """
    from trainer.feedback.sources.sampling import SAMPLE_BUCKETS, cutoff, fingerprint

    with connect(path) as conn:
        types = _types_of(conn, path, table)
        if label not in types or id_column not in types:
            missing = label if label not in types else id_column
            raise StoreError(f"the feedback store {path} table {table!r} has no column {missing!r}: the training "
                             "read needs the label and the alert id (check schema.label and schema.id_column)")
        names = [name for name in types if name not in BOOKKEEPING and (columns is None or name in columns)]
        ident = quote(id_column)
        computed = f"ABS(FARM_FINGERPRINT(CAST(a.{ident} AS TEXT)) % {SAMPLE_BUCKETS})"
        stored = SAMPLE_BUCKET in types and id_column == "alert_id"
        unbucketed = not stored or conn.execute(
            f"SELECT 1 FROM {quote(table)} WHERE {quote(SAMPLE_BUCKET)} IS NULL AND {ident} IS NOT NULL "
            "LIMIT 1").fetchone() is not None
        if unbucketed:
            conn.create_function("FARM_FINGERPRINT", 1, fingerprint, deterministic=True)
            bucket = f"COALESCE(a.{quote(SAMPLE_BUCKET)}, {computed})" if stored else computed
        else:
            bucket = f"a.{quote(SAMPLE_BUCKET)}"

        def scoped(alias: str) -> tuple[str, list]:
            clauses, params = [_labelled_sql(label, alias)], []
            if time_since is not None and TIME_COLUMN in types:
                clauses.append(f"{alias}{quote(TIME_COLUMN)} >= ?")
                params.append(format_timestamps(pd.Series([time_since])).iloc[0])
            if inserted_since is not None:
                clauses.append(f"{alias}{quote(INSERTED_AT)} >= ?")
                params.append(format_timestamps(pd.Series([inserted_since])).iloc[0])
            return " AND ".join(clauses), params

        def key(alias: str) -> str:
            order = [f"COALESCE({alias}{quote(c)}, '')" for c in ("triaged_at", TIME_COLUMN) if c in types]
            return ", ".join([*order, f"{alias}rowid"])

        outer, outer_params = scoped("a.")
        inner, inner_params = scoped("b.")
        positive, values = positive_sql(label, positive_values, "a.")
        sql = (f"SELECT {', '.join('a.' + quote(n) for n in names)} FROM {quote(table)} AS a "
               f"WHERE {outer} AND ({positive} OR {bucket} < ?) "
               f"AND NOT EXISTS (SELECT 1 FROM {quote(table)} AS b WHERE b.{ident} = a.{ident} AND {inner} "
               f"AND ({key('b.')}) > ({key('a.')})) ORDER BY a.rowid")
        params = outer_params + values + [cutoff(rate)] + inner_params
        frame = None if unbucketed or not _large(conn, table) else _fetch_arrow(path, sql, params, names, types)
        return frame if frame is not None else _fetch(conn, sql, params, names, types)


def _typed(part: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """One slice of rows with the store's types: text as pandas ``str``, booleans as ``boolean``."""
    for name in part.columns:
        kind = types[name]
        values = part[name]
        if kind in ("TEXT", "TIMESTAMP"):
            part[name] = values.astype("str")
        elif kind == "BOOLEAN":
            try:
                part[name] = values.astype("boolean")
            except (TypeError, ValueError):
                pass  # odd values stay as stored; quality.prepare reports them
        elif values.dtype == object and values.isna().all():
            part[name] = values.astype("float64")  # an all-NULL slice of a numeric column
    return part


def count(path: str | Path, table: str = "feedback", *, labelled: bool = False,
          time_since: datetime | None = None, inserted_since: datetime | None = None) -> int:
    """Number of rows (only labelled ones with ``labelled``); one indexed COUNT query.

    A store that does not exist yet counts 0 rows.
    """
    if not Path(path).is_file():
        return 0
    with connect(path) as conn:
        if not table_columns(conn, table):
            return 0
        where, params = _where(time_since, inserted_since, labelled)
        return int(conn.execute(f"SELECT COUNT(*) FROM {quote(table)}{where}", params).fetchone()[0])


def latest_change(path: str | Path, table: str = "feedback") -> str:
    """A cheap fingerprint that changes whenever rows are added: ``"<max rowid>:<row count>"``."""
    if not Path(path).is_file():
        return "0:0"
    with connect(path) as conn:
        if not table_columns(conn, table):
            return "0:0"
        top, rows = conn.execute(f"SELECT COALESCE(MAX(rowid), 0), COUNT(*) FROM {quote(table)}").fetchone()
        return f"{top}:{rows}"


def stats(path: str | Path, table: str = "feedback") -> dict:
    """rows, labelled, positives, positive_rate, oldest and newest alert time, last arrival."""
    with connect(path) as conn:
        if not table_columns(conn, table):
            raise StoreError(f"the feedback store {path} has no table {table!r}: run `cla demo seed`")
        rows, labelled, positives, oldest, newest, arrived = conn.execute(
            f"SELECT COUNT(*), COUNT({quote(LABEL_COLUMN)}), COALESCE(SUM({quote(LABEL_COLUMN)} = 1), 0), "
            f"MIN({quote(TIME_COLUMN)}), MAX({quote(TIME_COLUMN)}), MAX({quote(INSERTED_AT)}) FROM {quote(table)}"
        ).fetchone()
    return {"path": str(path), "table": table, "rows": rows, "labelled": labelled, "positives": positives,
            "positive_rate": (positives / labelled) if labelled else None,
            "oldest": oldest, "newest": newest, "last_inserted_at": arrived}
