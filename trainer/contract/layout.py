"""Names and places inside a models folder: the on-disk half of the trainer/dashboard contract.

A model is a pair ``trained_model_<stamp>.pkl`` + ``model_metrics_<stamp>.json``
(``<stamp>`` = UTC ``YYYYMMDD_HHMMSS``; the metrics file is the pair's commit
marker). Beside the pairs live ``champion.json``, ``events.jsonl``,
``quarantine/``, the review queue's ``review/`` folder and the trainer's ``runtime/`` folder. :class:`ModelsLayout`
is the single place those names are spelled; every other module asks it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

MODEL_PREFIX = "trained_model_"
METRICS_PREFIX = "model_metrics_"
STAMP_FORMAT = "%Y%m%d_%H%M%S"
# Use them with fullmatch. They end in \Z, not $ ($ also matches before a trailing newline),
# so that a caller still using .match() cannot accept "20261123_120000\n" either.
STAMP_RE = re.compile(r"(\d{8}_\d{6})\Z")
MODEL_RE = re.compile(r"trained_model_(\d{8}_\d{6})\.pkl\Z")
METRICS_RE = re.compile(r"model_metrics_(\d{8}_\d{6})\.json\Z")


def model_file_name(stamp: str) -> str:
    """The model file's name for a pair stamp."""
    return f"{MODEL_PREFIX}{stamp}.pkl"


def stamp_of(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(STAMP_FORMAT)


def stamp_time(stamp: str) -> datetime:
    """The UTC time a stamp names."""
    return datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ModelsLayout:
    """Paths inside one models folder."""

    root: Path

    @classmethod
    def of(cls, root: str | os.PathLike) -> "ModelsLayout":
        return cls(Path(root).resolve())

    def model_path(self, stamp: str) -> Path:
        return self.root / model_file_name(stamp)

    def metrics_path(self, stamp: str) -> Path:
        return self.root / f"{METRICS_PREFIX}{stamp}.json"

    @property
    def champion(self) -> Path:
        return self.root / "champion.json"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def runtime(self) -> Path:
        return self.root / "runtime"

    @property
    def status(self) -> Path:
        return self.runtime / "status.json"

    @property
    def service_lock(self) -> Path:
        return self.runtime / "service.lock"

    @property
    def training_lock(self) -> Path:
        return self.runtime / "training.lock"

    @property
    def champion_lock(self) -> Path:
        return self.runtime / "champion.lock"

    @property
    def requests_dir(self) -> Path:
        return self.runtime / "requests"

    @property
    def log(self) -> Path:
        return self.runtime / "trainer.log"

    @property
    def index(self) -> Path:
        return self.runtime / "index.json"

    @property
    def review_dir(self) -> Path:
        """The review queue's records (trainer.review): verdict ledger, outbox, audit population, summary."""
        return self.root / "review"

    @property
    def review_ledger(self) -> Path:
        return self.review_dir / "verdicts.jsonl"

    @property
    def review_outbox(self) -> Path:
        return self.review_dir / "outbox.jsonl"

    @property
    def review_population(self) -> Path:
        return self.review_dir / "audit_population.json"

    @property
    def review_summary(self) -> Path:
        return self.review_dir / "summary.json"

    def ensure(self) -> None:
        """Create the folder tree (raises OSError when it cannot)."""
        for folder in (self.root, self.runtime, self.requests_dir, self.quarantine_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def reserve_stamp(self, when: datetime | None = None) -> str:
        """A stamp no pair in this folder uses yet.

        Starts from ``when`` (default: now) and moves forward one second while
        the stamp is taken, so two runs finishing in the same second still get
        distinct, sortable names. The reservation is an exclusive marker file
        that :func:`release_stamp` removes once the pair is committed.
        """
        when = when or datetime.now(timezone.utc)
        ts = int(when.timestamp())
        while True:
            stamp = stamp_of(datetime.fromtimestamp(ts, timezone.utc))
            marker = self.root / f".reserved_{stamp}"
            if not self.model_path(stamp).exists() and not self.metrics_path(stamp).exists():
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                    os.close(fd)
                    return stamp
                except FileExistsError:
                    pass
            ts += 1

    def release_stamp(self, stamp: str) -> None:
        try:
            (self.root / f".reserved_{stamp}").unlink()
        except FileNotFoundError:
            pass
