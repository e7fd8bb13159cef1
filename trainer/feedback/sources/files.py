"""CSV and Parquet files as a feedback source (``source.kind = "files"``).

``source.path`` is a file or a glob (``exports/*.parquet``); matching files are
read in name order and stacked. Only the label column has to exist: when the
configured id or time column is absent, quality skips de-duplication and the
trainer falls back to a stratified split. ``source.window_days`` counts back
from the newest alert time *in the files* (an export from last year still
trains), and ``since`` keeps alerts fired at or after it, since files carry no
arrival time.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from trainer.config import Config, SchemaConfig
from trainer.feedback.quality import parse_times
from trainer.feedback.sources import LoadedFeedback, SourceError, label_for

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")


def file_kind(path: Path) -> str:
    """"csv" or "parquet" by the file name; raises SourceError for anything else."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise SourceError(f"{path} is neither CSV nor Parquet: name the file .csv or .parquet")


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
        raise SourceError(f"feedback file {path} cannot be read (permission denied)") from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise SourceError(f"feedback file {path} cannot be read as {kind.upper()}: {reason}") from None


@dataclass
class FilesSource:
    pattern: str
    schema: SchemaConfig
    window_days: int = 0
    kind: str = "files"

    @classmethod
    def from_config(cls, config: Config) -> "FilesSource":
        if not config.source.path:
            raise SourceError("source.path is empty: give a CSV/Parquet file or a glob such as exports/*.csv")
        return cls(config.source.path, config.schema, config.source.window_days)

    def describe(self) -> str:
        return f"feedback files {self.pattern}"

    def paths(self) -> list[Path]:
        """The matching files, in name order. Raises SourceError when nothing matches."""
        if glob.has_magic(self.pattern):
            found = sorted(Path(p) for p in glob.glob(self.pattern, recursive=True) if Path(p).is_file())
            if not found:
                raise SourceError(f"no file matches source.path {self.pattern!r} "
                                  f"(looked from {Path.cwd()}): check the pattern")
            return found
        path = Path(self.pattern)
        if not path.exists():
            raise SourceError(f"feedback file {path} does not exist: check source.path")
        return [path]

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
            keep &= times.isna() | (times >= pd.Timestamp(since))
        # Rows whose time does not parse are kept, so quality quarantines them with a reason.
        return frame[keep]

    def load(self, since: datetime | None = None, columns: list[str] | None = None) -> LoadedFeedback:
        """Every matching file stacked (only ``columns`` when given), window applied. Raises SourceError."""
        if columns is not None and self.schema.time_column:
            columns = list(dict.fromkeys([*columns, self.schema.time_column]))  # the window needs it
        frame = self._time_filter(self._read(columns), since)
        hint = f"the files matching {self.pattern!r} hold no rows; export some feedback first"
        return LoadedFeedback(label_for(frame.reset_index(drop=True), self.describe(), hint))

    def count_labelled(self, since: datetime | None = None) -> int:
        """Rows with a label, reading only the label and time columns."""
        wanted = [self.schema.label] + ([self.schema.time_column] if self.schema.time_column else [])
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
