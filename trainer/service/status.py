"""The trainer service's status file (``models/runtime/status.json``) and how to read the truth from it.

The file is a :class:`~trainer.contract.status.StatusFile`; what readers get is a
:class:`~trainer.contract.status.ServiceStatus`.
The service owns a :class:`StatusWriter`: it keeps the status as a record,
replaces the file atomically (:func:`trainer.atomic.write_json`) on every
change of state or stage, and a heartbeat thread rewrites it every
``service.heartbeat_seconds``. Readers (``cla trainer status``, the
dashboard, :mod:`trainer.service.control`) call :func:`read_status`, which never
trusts the file alone: a file that says the service runs while nobody holds
the service lock (:mod:`trainer.locking`) reads as ``crashed``, and a
missing file reads as ``stopped``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from trainer.atomic import WriteError, write_json
from trainer.contract import states
from trainer.contract.status import ServiceStatus, StatusFile
from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds
from trainer.timestamps import iso, now_utc, parse_iso
from trainer.reading import JSON_MAX_BYTES, read_regular

STATES, LIVE_STATES, STAGES = states.STATES, states.LIVE_STATES, states.STAGES

log = logging.getLogger(__name__)


class StatusWriter:
    """The service's own view of its status, written atomically on each change.

    Thread-safe: the service loop, the cycle's stage callback and the
    heartbeat thread all write through :meth:`update`. A status file that
    cannot be written is logged, never fatal: the service keeps training.
    """

    def __init__(self, layout: ModelsLayout):
        self.layout = layout
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.data = StatusFile.of(
            state=states.STARTING, stage=states.STAGE_IDLE, pid=os.getpid(), started_at=iso(now_utc()),
            heartbeat=iso(now_utc()), next_check=None, last_result=None, last_error=None, current=None,
            message="starting", models_dir=str(layout.root))

    def update(self, **fields: Any) -> StatusFile:
        """Set ``fields`` (:class:`~trainer.contract.status.StatusFile`'s), stamp the heartbeat, write the file.

        Returns the status written. Raises ValueError for a state outside
        :data:`STATES`; a stage outside :data:`STAGES` is written but logged,
        so a renamed cycle stage never fails a training.
        """
        if "state" in fields and fields["state"] not in STATES:
            raise ValueError(f"unknown service state {fields['state']!r}; known: {', '.join(STATES)}")
        if "stage" in fields and fields["stage"] not in STAGES:
            log.warning("unknown training stage %r (known: %s)", fields["stage"], ", ".join(STAGES))
        with self._lock:
            self.data = self.data.with_(**fields).with_(heartbeat=iso(now_utc()))
            snapshot = self.data
            try:
                write_json(self.layout.status, snapshot.to_json())
            except WriteError as exc:
                log.warning("status file not written: %s", exc)
        return snapshot

    def start_heartbeat(self, interval: float) -> None:
        """Rewrite the file every ``interval`` seconds until :meth:`stop_heartbeat`."""
        def beat() -> None:
            while not self._stop.wait(interval):
                self.update()

        self._thread = threading.Thread(target=beat, name="status-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def load_status_file(layout: ModelsLayout) -> StatusFile | None:
    """The status file as written, or None when it is missing or unreadable."""
    try:
        return StatusFile.from_json(json.loads(read_regular(layout.status, JSON_MAX_BYTES)))
    except (OSError, ValueError):
        return None


def write_stopped(layout: ModelsLayout, message: str) -> StatusFile:
    """Mark the service stopped on behalf of a process that cannot (it was killed); returns the status."""
    data = (load_status_file(layout) or StatusFile.of()).with_(
        state=states.STOPPED, stage=states.STAGE_IDLE, current=None, next_check=None, message=message,
        stopped_at=iso(now_utc()))
    write_json(layout.status, data.to_json())
    return data


def read_status(layout: ModelsLayout, *, heartbeat_seconds: float = 2.0) -> ServiceStatus:
    """The service status as the truth, not as the file claims it.

    Returns the file's fields plus ``running`` (a process holds the service
    lock), ``service_pid`` (from the lock) and ``heartbeat_age_s``. A file
    in a live state whose owner no longer holds the lock becomes
    ``crashed``; a missing file is ``stopped`` ("never started"); a held
    lock with a heartbeat older than five beats sets ``stale``.
    """
    holder = who_holds(layout.service_lock)
    data = load_status_file(layout)
    if data is None:
        data = StatusFile.of(state=states.STOPPED, stage=states.STAGE_IDLE, pid=None, heartbeat=None, next_check=None,
                             last_result=None, last_error=None, current=None,
                             message="the trainer has not been started for this models folder")
        if layout.status.exists():
            data = data.with_(message=f"the status file {layout.status} cannot be read")
    beat = parse_iso(data.heartbeat)
    age = None if beat is None else round((now_utc() - beat).total_seconds(), 1)
    status = ServiceStatus.of_file(data, running=holder is not None, service_pid=holder.pid if holder else None,
                                   heartbeat_age_s=age, stale=False)
    state = data.state
    if holder is None and state in LIVE_STATES:
        message = f"the trainer process {data.pid} is gone (it was {state}); start it again"
        if data.current is not None:
            message += f"; the training started at {data.current.started_at} was abandoned"
        return status.with_(state=states.CRASHED, stage=states.STAGE_IDLE, message=message, file_state=state)
    if holder is not None and (state not in LIVE_STATES or None not in (holder.pid, data.pid)
                               and holder.pid != data.pid):
        # The lock is taken but the new owner has not written its first status yet: the file is a
        # stopped service's, or a killed one's (still saying "training" while the new owner recovers).
        return status.with_(state=states.STARTING, pid=holder.pid, message="the trainer is starting", file_state=state)
    if holder is not None and age is not None and age > max(5 * heartbeat_seconds, 10.0):
        return status.with_(stale=True, message=f"no heartbeat for {age:.0f} s from the trainer process "
                                                f"{holder.pid}; it is alive but may be stuck")
    return status
