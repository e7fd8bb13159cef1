"""Names and places inside a models folder: the on-disk half of the trainer/dashboard contract.

A model is a pair: a model file (:data:`MODEL_PREFIX` + stamp + :data:`MODEL_SUFFIX`)
and a metrics file (:data:`METRICS_PREFIX` + stamp + :data:`METRICS_SUFFIX`),
where the stamp is UTC ``YYYYMMDD_HHMMSS`` and the metrics file is the pair's
commit marker. Beside the pairs live the champion pointer
(:data:`CHAMPION_NAME`), the event log (:data:`EVENTS_NAME`), the drift report
(:data:`DRIFT_REPORT_NAME`), the quarantine folder, the review queue's folder
(:data:`REVIEW_NAME`: verdict ledger, outbox, audit population, summary) and the
trainer's runtime folder (the status file, the locks, the registry index, the
trainer log, the retrain requests and the stop request).
This module is the single place those names are spelled; every other module
asks :class:`ModelsLayout` or the helpers here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "MODEL_PREFIX",
    "METRICS_PREFIX",
    "MODEL_SUFFIX",
    "METRICS_SUFFIX",
    "STAMP_FORMAT",
    "STAMP_RE",
    "MODEL_RE",
    "METRICS_RE",
    "RESERVED_PREFIX",
    "CHAMPION_NAME",
    "EVENTS_NAME",
    "DRIFT_REPORT_NAME",
    "DRIFT_HISTORY_NAME",
    "BACKTEST_REPORT_NAME",
    "QUARANTINE_NAME",
    "RUNTIME_NAME",
    "STATUS_NAME",
    "LOG_NAME",
    "STOP_REQUEST_NAME",
    "REVIEW_NAME",
    "REVIEW_LEDGER_NAME",
    "REVIEW_OUTBOX_NAME",
    "AUDIT_POPULATION_NAME",
    "REVIEW_SUMMARY_NAME",
    "REQUEST_SUFFIX",
    "ModelsLayout",
    "model_file_name",
    "metrics_file_name",
    "metrics_stamp",
    "model_stamp",
    "stamp_of",
    "stamp_time",
]

MODEL_PREFIX = "trained_model_"
METRICS_PREFIX = "model_metrics_"
MODEL_SUFFIX = ".pkl"
METRICS_SUFFIX = ".json"
#: the exclusive marker a writer holds on a stamp until its pair is committed
RESERVED_PREFIX = ".reserved_"
CHAMPION_NAME = "champion.json"
EVENTS_NAME = "events.jsonl"
#: the drift and live-performance report (``trainer.monitoring.report``)
DRIFT_REPORT_NAME = "drift_report.json"
#: what a backtest replayed and what each contender would have done (``trainer.backtest``)
BACKTEST_REPORT_NAME = "backtest.json"
DRIFT_HISTORY_NAME = "drift_history.jsonl"
QUARANTINE_NAME = "quarantine"
RUNTIME_NAME = "runtime"
STATUS_NAME = "status.json"
#: the trainer log's name; rotated copies add ``.1``, ``.2``, ...
LOG_NAME = "trainer.log"
STOP_REQUEST_NAME = "stop_request.json"
REVIEW_NAME = "review"
REVIEW_LEDGER_NAME = "verdicts.jsonl"
REVIEW_OUTBOX_NAME = "outbox.jsonl"
AUDIT_POPULATION_NAME = "audit_population.json"
REVIEW_SUMMARY_NAME = "summary.json"
#: a retrain request in ``runtime/requests/`` is ``<id>.json``
REQUEST_SUFFIX = ".json"
STAMP_FORMAT = "%Y%m%d_%H%M%S"
# Use them with fullmatch. They end in \Z, not $ ($ also matches before a trailing newline),
# so that a caller still using .match() cannot accept "20261123_120000\n" either.
STAMP_RE = re.compile(r"(\d{8}_\d{6})\Z")
MODEL_RE = re.compile(re.escape(MODEL_PREFIX) + r"(\d{8}_\d{6})" + re.escape(MODEL_SUFFIX) + r"\Z")
METRICS_RE = re.compile(re.escape(METRICS_PREFIX) + r"(\d{8}_\d{6})" + re.escape(METRICS_SUFFIX) + r"\Z")


def model_file_name(stamp: str) -> str:
    """The model file's name for a pair stamp."""
    return f"{MODEL_PREFIX}{stamp}{MODEL_SUFFIX}"


def metrics_file_name(stamp: str) -> str:
    """The metrics file's name for a pair stamp."""
    return f"{METRICS_PREFIX}{stamp}{METRICS_SUFFIX}"


def metrics_stamp(name: str) -> str | None:
    """The stamp of a metrics file name (any text between prefix and suffix), None for another name."""
    if name.startswith(METRICS_PREFIX) and name.endswith(METRICS_SUFFIX):
        return name[len(METRICS_PREFIX) : -len(METRICS_SUFFIX)]
    return None


def model_stamp(name: str) -> str | None:
    """The stamp of a model file name (any text between prefix and suffix), None for another name."""
    if name.startswith(MODEL_PREFIX) and name.endswith(MODEL_SUFFIX):
        return name[len(MODEL_PREFIX) : -len(MODEL_SUFFIX)]
    return None


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
        return self.root / metrics_file_name(stamp)

    @property
    def champion(self) -> Path:
        return self.root / CHAMPION_NAME

    @property
    def events(self) -> Path:
        return self.root / EVENTS_NAME

    @property
    def drift_report(self) -> Path:
        """The drift and live-performance report (``trainer.monitoring.report``), replaced atomically."""
        return self.root / DRIFT_REPORT_NAME

    @property
    def drift_history(self) -> Path:
        """One line per drift report written, oldest first (``trainer.monitoring.history``)."""
        return self.root / DRIFT_HISTORY_NAME

    @property
    def backtest_report(self) -> Path:
        """A backtest's report (``trainer.backtest``), only in a folder ``cla backtest`` wrote."""
        return self.root / BACKTEST_REPORT_NAME

    @property
    def quarantine_dir(self) -> Path:
        return self.root / QUARANTINE_NAME

    @property
    def runtime(self) -> Path:
        return self.root / RUNTIME_NAME

    @property
    def status(self) -> Path:
        return self.runtime / STATUS_NAME

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
    def stop_request(self) -> Path:
        """Who asked the running service to stop (written by ``cla trainer stop``)."""
        return self.runtime / STOP_REQUEST_NAME

    def request_path(self, request_id: str) -> Path:
        return self.requests_dir / f"{request_id}{REQUEST_SUFFIX}"

    def reserved_marker(self, stamp: str) -> Path:
        return self.root / f"{RESERVED_PREFIX}{stamp}"

    @property
    def log(self) -> Path:
        return self.runtime / LOG_NAME

    @property
    def alerts(self) -> Path:
        """Which notification conditions are active, so a restart does not notify them again."""
        return self.runtime / "alerts.json"

    @property
    def index(self) -> Path:
        return self.runtime / "index.json"

    @property
    def review_dir(self) -> Path:
        """The review queue's records (trainer.review): verdict ledger, outbox, audit population, summary."""
        return self.root / REVIEW_NAME

    @property
    def review_ledger(self) -> Path:
        return self.review_dir / REVIEW_LEDGER_NAME

    @property
    def review_outbox(self) -> Path:
        return self.review_dir / REVIEW_OUTBOX_NAME

    @property
    def review_population(self) -> Path:
        return self.review_dir / AUDIT_POPULATION_NAME

    @property
    def review_summary(self) -> Path:
        return self.review_dir / REVIEW_SUMMARY_NAME

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
            marker = self.reserved_marker(stamp)
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
            self.reserved_marker(stamp).unlink()
        except FileNotFoundError:
            pass
