"""CSV and Parquet files as a feedback source (``source.kind = "files"``).

``source.path`` is a file or a glob (``exports/*.parquet``); matching files are
read in name order and stacked. Only the label column has to exist: when the
configured id or time column is absent, quality skips de-duplication and the
trainer falls back to a stratified split. ``source.window_days`` counts back
from the newest alert time *in the files* (an export from last year still
trains), and ``since`` keeps alerts fired or triaged (``triaged_at``) at or
after it, since files carry no arrival time.

Verdicts given in the review queue are appended to one CSV file
(``source.verdicts_path``, default ``verdicts.csv`` beside the first matching
file), read with the other files whether or not the glob matches it. An
alert is pending while none of its rows carries a label.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from trainer.atomic import WriteError, write_with
from trainer.config import Config, SchemaConfig
from trainer.feedback.quality import blank, map_labels, parse_times
from trainer.feedback.sources import Capabilities, LoadedFeedback, SourceError, TRIAGED_AT_COLUMN
from trainer.feedback.sources.sampling import choose_rows, negative_rate

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
CHUNK_ROWS = 200_000   # rows a CSV chunk or a Parquet batch holds while the sampled read picks its rows


def file_kind(path: Path) -> str:
    """"csv" or "parquet" by the file name; raises SourceError for anything else."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise SourceError(f"source.path: {path} is neither CSV nor Parquet: name the file .csv or .parquet")


@contextmanager
def _reading(path: Path, kind: str) -> Iterator[None]:
    """Turn a reader's failure into a SourceError naming the file (source.path)."""
    try:
        yield
    except FileNotFoundError:
        raise SourceError(f"feedback file {path} does not exist: check source.path") from None
    except PermissionError:
        raise SourceError(f"feedback file {path} cannot be read (permission denied): check source.path and the "
                          "file's permissions") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise SourceError(f"feedback file {path} (source.path) cannot be read as {kind.upper()}: {reason}") from None


def read_rows(path: Path, rows: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
    """Only the rows at positions ``rows`` (sorted) of one file, streamed: a CSV a chunk at a time, a Parquet file a
    batch at a time, so the file's other rows never reach memory together. Raises SourceError naming the file."""
    kind = file_kind(path)
    parts, offset = [], 0
    with _reading(path, kind):
        if kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(path)
            names = handle.schema_arrow.names if columns is None else \
                [c for c in handle.schema_arrow.names if c in columns]
            for batch in handle.iter_batches(batch_size=CHUNK_ROWS, columns=names):
                wanted = rows[(rows >= offset) & (rows < offset + batch.num_rows)] - offset
                if len(wanted):
                    parts.append(batch.take(pa.array(wanted)))
                offset += batch.num_rows
            table = pa.Table.from_batches(parts, schema=handle.schema_arrow) if parts else \
                handle.schema_arrow.empty_table().select(names)
            return table.select(names).to_pandas()
        sep = "\t" if path.name.lower().endswith(".tsv") else ","
        usecols = (lambda c: c in columns) if columns is not None else None
        header = pd.DataFrame()
        try:
            with pd.read_csv(path, sep=sep, usecols=usecols, low_memory=False, chunksize=CHUNK_ROWS) as chunks:
                for chunk in chunks:
                    wanted = rows[(rows >= offset) & (rows < offset + len(chunk))] - offset
                    if len(wanted):
                        parts.append(chunk.iloc[wanted])
                    offset += len(chunk)
                    header = chunk.iloc[:0]
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
    return pd.concat(parts, ignore_index=True) if parts else header


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One CSV or Parquet file as a frame (only ``columns`` when given and present).

    Raises SourceError naming the file when it is missing, unreadable or malformed.
    """
    kind = file_kind(path)
    try:
        if kind == "parquet":
            if columns is not None:
                import pyarrow.parquet as pq
                present = set(pq.read_schema(path).names)
                columns = [c for c in columns if c in present]
            return pd.read_parquet(path, columns=columns)
        sep = "\t" if path.name.lower().endswith(".tsv") else ","
        usecols = (lambda c: c in columns) if columns is not None else None
        return pd.read_csv(path, sep=sep, usecols=usecols, low_memory=False)
    except FileNotFoundError:
        raise SourceError(f"feedback file {path} does not exist: check source.path") from None
    except PermissionError:
        raise SourceError(f"feedback file {path} cannot be read (permission denied): check source.path and the "
                          "file's permissions") from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise SourceError(f"feedback file {path} (source.path) cannot be read as {kind.upper()}: {reason}") from None


@dataclass
class FilesSource:
    pattern: str
    schema: SchemaConfig
    window_days: int = 0
    verdicts_path: str = ""
    max_negatives: int = 0
    kind: str = "files"
    capabilities = Capabilities(pending_alerts=True, verdicts=True, retract=True)

    @classmethod
    def from_config(cls, config: Config) -> "FilesSource":
        if not config.source.path:
            raise SourceError("source.path is empty: give a CSV/Parquet file or a glob such as exports/*.csv")
        return cls(config.source.path, config.schema, config.source.window_days, config.source.verdicts_path,
                   config.source.max_negatives)

    def describe(self) -> str:
        return f"feedback files {self.pattern}"

    def empty_hint(self) -> str:
        return f"the files matching {self.pattern!r} hold no rows; export some feedback first"

    def unavailable(self) -> str | None:
        return None  # a missing file is an error, said by load()

    def verdicts_file(self) -> Path:
        """Where review verdicts are appended."""
        if self.verdicts_path:
            return Path(self.verdicts_path)
        first = self.pattern if not glob.has_magic(self.pattern) else (self._matches() or [Path(self.pattern)])[0]
        return Path(first).parent / "verdicts.csv"

    def _matches(self) -> list[Path]:
        return sorted(Path(p) for p in glob.glob(self.pattern, recursive=True) if Path(p).is_file())

    def paths(self) -> list[Path]:
        """The matching files in name order, then the verdicts file. Raises SourceError when nothing matches."""
        if glob.has_magic(self.pattern):
            found = self._matches()
            if not found:
                raise SourceError(f"no file matches source.path {self.pattern!r} "
                                  f"(looked from {Path.cwd()}): check the pattern")
        else:
            found = [Path(self.pattern)]
            if not found[0].exists():
                raise SourceError(f"feedback file {found[0]} does not exist: check source.path")
        verdicts = self.verdicts_file()
        if verdicts.is_file() and verdicts.resolve() not in {p.resolve() for p in found}:
            found.append(verdicts)
        return found

    def _read(self, columns: list[str] | None = None) -> pd.DataFrame:
        frames = [read_table(path, columns) for path in self.paths()]
        frames = [f for f in frames if not f.empty or len(f.columns)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _time_filter(self, frame: pd.DataFrame, since: datetime | None) -> pd.DataFrame:
        column = self.schema.time_column
        if frame.empty or not column or column not in frame.columns or not (self.window_days or since):
            return frame
        times = parse_times(frame[column])
        keep = pd.Series(True, index=frame.index)
        if self.window_days and times.notna().any():
            keep &= times.isna() | (times >= times.max() - pd.Timedelta(days=self.window_days))
        if since is not None:
            # A verdict given later on an older alert is new feedback too: its triage time counts.
            recent = times >= pd.Timestamp(since)
            if TRIAGED_AT_COLUMN in frame.columns:
                recent |= parse_times(frame[TRIAGED_AT_COLUMN]) >= pd.Timestamp(since)
            keep &= times.isna() | recent
        # Rows whose time does not parse are kept, so quality quarantines them with a reason.
        return frame[keep]

    def load(self, since: datetime | None = None, columns: list[str] | None = None, *,
             sample: bool = True) -> LoadedFeedback:
        """Every matching file stacked (only ``columns`` when given), window applied. Raises SourceError.

        With ``sample``, an id column, and more than ``max_negatives`` labelled
        negatives in the window, only the sampled plan's rows are read
        (:meth:`_load_sampled`).
        """
        if columns is not None and self.schema.time_column:
            columns = list(dict.fromkeys([*columns, self.schema.time_column]))  # the window needs it
        if sample and self.max_negatives and self.schema.id_column:
            sampled = self._load_sampled(since, columns)
            if sampled is not None:
                return sampled
        frame = self._time_filter(self._read(columns), since)
        return LoadedFeedback(frame.reset_index(drop=True), self.describe(), self.empty_hint())

    def _load_sampled(self, since: datetime | None, columns: list[str] | None) -> LoadedFeedback | None:
        """The plan of :mod:`.sampling` in two streamed passes; None when every negative fits (read them all).

        Pass 1 reads only the id, label, time and ``triaged_at`` columns of
        every file, applies the window, counts the labelled negatives and, when
        they exceed ``max_negatives``, picks the rows (latest verdict per alert,
        every positive, the hash sample of negatives). Pass 2 reads just those
        rows, a chunk or batch at a time.
        """
        schema = self.schema
        wanted = [c for c in (schema.id_column, schema.label, schema.time_column, TRIAGED_AT_COLUMN) if c]
        paths = self.paths()
        parts = []
        for number, path in enumerate(paths):
            part = read_table(path, wanted)
            part["_file"], part["_row"] = np.int16(number), np.arange(len(part), dtype=np.int32)
            parts.append(part)
        keys = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if schema.id_column not in keys.columns or schema.label not in keys.columns:
            return None  # no id to hash (or no label): the whole read, which quality checks
        keys = self._time_filter(keys, since)
        labelled = keys[~blank(keys[schema.label])].reset_index(drop=True)
        del keys, parts
        positive = (map_labels(labelled[schema.label], schema.positive_value)[0] == 1).to_numpy()
        rate = negative_rate(int((~positive).sum()), self.max_negatives)
        if rate >= 1.0:
            return None
        times = parse_times(labelled[schema.time_column]) if schema.time_column in labelled.columns else None
        triaged = parse_times(labelled[TRIAGED_AT_COLUMN]) if TRIAGED_AT_COLUMN in labelled.columns else None
        chosen = labelled.iloc[choose_rows(labelled[schema.id_column], positive, rate, triaged=triaged, times=times)]
        del labelled
        frames = [read_rows(path, np.sort(chosen.loc[chosen["_file"] == number, "_row"].to_numpy()), columns)
                  for number, path in enumerate(paths)]
        frames = [f for f in frames if not f.empty or len(f.columns)]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return LoadedFeedback(frame, self.describe(), self.empty_hint(), negative_sample_rate=rate)

    def _latest_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per alert id: its last in file order (the verdicts file comes last)."""
        column = self.schema.id_column
        if not column or column not in frame.columns:
            raise SourceError(f"the files matching {self.pattern!r} have no id column {column!r}: the review "
                              "queue needs one (set schema.id_column)")
        return frame.drop_duplicates(column, keep="last")

    def load_pending(self, limit: int) -> LoadedFeedback:
        """The newest ``limit`` alerts in the window none of whose rows carries a label."""
        frame = self._time_filter(self._read(), None)
        if frame.empty:
            return LoadedFeedback(frame, self.describe(), self.empty_hint())
        label, column = self.schema.label, self.schema.id_column
        unlabelled = blank(frame[label]) if label in frame.columns else pd.Series(True, index=frame.index)
        latest = self._latest_rows(frame)
        labelled_ids = set(frame.loc[~unlabelled, column].astype("str"))
        waiting = latest[unlabelled.loc[latest.index] & ~latest[column].astype("str").isin(labelled_ids)]
        time_column = self.schema.time_column
        if time_column and time_column in waiting.columns:
            order = parse_times(waiting[time_column]).sort_values(ascending=False, kind="stable").index
            waiting = waiting.loc[order]
        return LoadedFeedback(waiting.head(limit).reset_index(drop=True), self.describe(),
                              f"no alert in {self.pattern!r} is waiting for a verdict (rows with an empty "
                              f"{label!r})")

    def find_alerts(self, alert_ids: list[str]) -> pd.DataFrame:
        frame = self._read()
        if frame.empty:
            return frame
        latest = self._latest_rows(frame)
        return latest[latest[self.schema.id_column].astype("str").isin({str(i) for i in alert_ids})]

    def _verdict_rows(self) -> pd.DataFrame:
        path = self.verdicts_file()
        return read_table(path) if path.is_file() else pd.DataFrame()

    def _write_verdict_rows(self, rows: pd.DataFrame) -> None:
        path = self.verdicts_file()
        try:
            write_with(path, lambda tmp: rows.to_csv(tmp, index=False))
        except WriteError as exc:
            raise SourceError(f"cannot write the verdicts file {path}: {exc}") from None

    @contextmanager
    def _verdicts_locked(self) -> Iterator[None]:
        """Hold an exclusive lock beside the verdicts file while it is read, changed and replaced.

        Two analysts writing at once would otherwise each rewrite the file
        from what they read, and one verdict would be lost.
        """
        path = self.verdicts_file()
        lock = path.with_name(f".{path.name}.lock")  # hidden: a glob such as exports/* never matches it
        try:
            handle = open(lock, "a")
        except OSError as exc:
            raise SourceError(f"cannot write the verdicts file {path}: cannot lock it ({exc.strerror or exc})") from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def write_verdicts(self, rows: pd.DataFrame) -> int:
        """Append ``rows`` to the verdicts file (rewritten whole, atomically, under a lock). Raises SourceError."""
        with self._verdicts_locked():
            existing = self._verdict_rows()
            combined = pd.concat([existing, rows], ignore_index=True) if not existing.empty else rows
            self._write_verdict_rows(combined)
        return len(rows)

    def retract_verdict(self, alert_id: str, triaged_at: str) -> bool:
        with self._verdicts_locked():
            existing = self._verdict_rows()
            if existing.empty or TRIAGED_AT_COLUMN not in existing.columns:
                return False
            wanted = parse_times(pd.Series([triaged_at])).iloc[0]
            match = (existing[self.schema.id_column].astype("str") == str(alert_id)) \
                & (parse_times(existing[TRIAGED_AT_COLUMN]) == wanted)
            if not match.any():
                return False
            self._write_verdict_rows(existing[~match])
        return True

    def count_positives(self) -> int | None:
        return None  # would read every file; the labelled count is what the triggers need

    def count_labelled(self, since: datetime | None = None) -> int:
        """Rows with a label, reading only the label and time columns."""
        wanted = [self.schema.label, TRIAGED_AT_COLUMN] + ([self.schema.time_column] if self.schema.time_column else [])
        frame = self._time_filter(self._read(wanted), since)
        if self.schema.label not in frame.columns:
            return 0
        labels = frame[self.schema.label]
        return int((labels.notna() & (labels.astype("str").str.strip() != "")).sum())

    def latest_change(self) -> str:
        """A digest of the matching files' names, sizes and modification times."""
        digest = hashlib.sha256()
        for path in self.paths():
            stat = os.stat(path)
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:16]
