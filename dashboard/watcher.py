"""One file-system observer per models folder, counting the changes the pages care about.

:class:`ModelsWatcher` owns a watchdog ``Observer`` on one models folder
(``dashboard.context.get_watcher`` keeps one per folder per process in
``st.cache_resource``). Its handler classifies each event by the file it
names (:func:`classify`, against the names of :mod:`trainer.contract.layout`):
a committed pair (a metrics file, written by temp + rename, so moves and
creates count; a metrics or model file changed in place counts too, since the
pages must show a truncated metrics file or a tampered champion), the champion
pointer, the event log, the status file, or the trainer log. Noise
(``.partial`` temporaries, stamp reservations, the registry's own index,
requests, quarantine files) is ignored.

The observer thread only bumps counters under a lock; it never calls
Streamlit. Pages read :attr:`ModelsWatcher.generation` (any change) or
:meth:`ModelsWatcher.generation_of` (one kind) from a ``run_every`` fragment
and re-read only what moved.

How it watches is the ``dashboard.watcher`` option (:data:`OBSERVERS`, keyed
by the option's choices): ``auto`` tries inotify and falls back to watchdog's
polling observer when inotify cannot start (watch limits on a shared host);
``inotify`` never polls; ``poll`` always polls, for a network mount written by
another host, where inotify arms without error and never fires.
:attr:`ModelsWatcher.mode` says which observer runs.

A watch belongs to one directory inode: after ``rm -rf models; mkdir models``
it watches nothing, while its thread stays alive. So readers call
:meth:`ModelsWatcher.check` (one ``stat``), which notices a folder that is gone,
was replaced, or whose watch ended, counts that as a change of every kind, and
arms a new observer on the folder as it is now; while the folder is missing,
:attr:`ModelsWatcher.alive` is false and the pages poll instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent, FileClosedEvent,
                             FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEvent,
                             FileSystemEventHandler)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from trainer.config import WATCHER_CHOICES
from trainer.contract.layout import (CHAMPION_NAME, DRIFT_REPORT_NAME, EVENTS_NAME, LOG_NAME, METRICS_RE, MODEL_RE,
                                     RUNTIME_NAME, STATUS_NAME)

log = logging.getLogger(__name__)

KINDS = ("pairs", "champion", "events", "status", "log", "drift")
POLL_SECONDS = 1.0
#: the changes asked of the kernel: writes, creations, deletions and renames. Without a filter inotify also
#: reports every open and close-without-write, so one read of 10,000 pairs queued 20,000 events that the
#: observer thread decoded (under the GIL) while the page that read them waited.
WATCHED_EVENTS = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
                  DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent]


def _inotify() -> Observer:
    return Observer()


def _polling() -> PollingObserver:
    return PollingObserver(timeout=POLL_SECONDS)


#: the observers each ``dashboard.watcher`` choice tries, in order, as (mode, factory)
OBSERVERS = {
    "auto": (("inotify", _inotify), ("polling", _polling)),
    "inotify": (("inotify", _inotify),),
    "poll": (("polling", _polling),),
}
assert tuple(OBSERVERS) == WATCHER_CHOICES, "every dashboard.watcher choice has its observers"


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the folder at ``path``, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def classify(path: str | Path, root: Path) -> str | None:
    """The kind of change a file stands for (one of :data:`KINDS`), or None for noise."""
    path = Path(path)
    name = path.name
    if name.endswith(".partial") or name.startswith(".") or name.endswith((".tmp", "~")):
        return None
    parent = path.parent
    if parent == root:
        if METRICS_RE.match(name) or MODEL_RE.match(name):
            return "pairs"
        if name == CHAMPION_NAME:
            return "champion"
        if name == EVENTS_NAME:
            return "events"
        if name == DRIFT_REPORT_NAME:
            return "drift"
        return None
    if parent == root / RUNTIME_NAME:
        if name == STATUS_NAME:
            return "status"
        if name.startswith(LOG_NAME):
            return "log"
    return None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: "ModelsWatcher"):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path]
        if event.event_type == "moved":
            paths = [event.dest_path, event.src_path]
        for raw in paths:
            kind = classify(raw if isinstance(raw, str) else raw.decode(errors="replace"), self.watcher.root)
            if kind is not None:
                self.watcher.record(kind)
                return


class ModelsWatcher:
    """Counts changes in one models folder; thread-safe, started on construction.

    ``generation`` is the total count of relevant changes and
    ``generation_of(kind)`` the count for one kind; ``last_change`` is the
    ``time.time()`` of the newest one (None before any). ``mode`` is
    ``inotify``, ``polling`` or ``off`` (the folder could not be watched, or
    is gone; ``error`` says why). ``watch`` is the ``dashboard.watcher``
    choice (:data:`OBSERVERS`).
    """

    def __init__(self, root: str | Path, watch: str = "auto"):
        if watch not in OBSERVERS:
            raise ValueError(f"dashboard.watcher must be one of {', '.join(OBSERVERS)}, not {watch!r}")
        self.root = Path(root).resolve()
        self.watch = watch
        self._lock = threading.Lock()
        self._arm_lock = threading.Lock()
        self._counts = dict.fromkeys(KINDS, 0)
        self._last_change: float | None = None
        self.error: str | None = None
        self.mode = "off"
        self._observer = None
        self._armed: tuple[int, int] | None = None
        self._closed = False
        try:
            (self.root / RUNTIME_NAME).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error = f"models folder {self.root} cannot be created: {exc.strerror or exc}"
            return
        with self._arm_lock:
            self._arm()

    def _arm(self) -> None:
        """Start an observer on the folder as it is now, the first of the choice's that starts (caller holds ``_arm_lock``)."""
        self._armed = _identity(self.root)
        for mode, factory in OBSERVERS[self.watch]:
            observer = factory()
            try:
                observer.schedule(_Handler(self), str(self.root), recursive=True, event_filter=WATCHED_EVENTS)
                observer.daemon = True
                observer.start()
            except OSError as exc:
                self.error = f"{mode} watch on {self.root} failed: {exc.strerror or exc}"
                log.warning("%s", self.error)
                continue
            self._observer, self.mode, self.error = observer, mode, None
            return
        self.mode = "off"

    def check(self) -> bool:
        """Whether the folder is watched, re-arming first when it was deleted, replaced or its watch ended.

        Costs one ``stat`` when nothing happened. A re-arm, or the folder going
        missing, counts as a change of every kind, so every page re-reads.
        While the folder is missing it returns False (pages poll) and it does
        not create the folder: that would race the ``mkdir`` of whoever is
        replacing it.
        """
        identity = _identity(self.root)
        with self._arm_lock:
            if self._closed or (identity == self._armed and (self._observer is None or self._watching())):
                return self._watching()
            self._stop_observer()
            if identity is None:
                self._armed, self.mode = None, "off"
                self.error = f"the models folder {self.root} is gone; pages poll until it is back"
                log.warning("%s", self.error)
            else:
                log.info("models folder %s was replaced or its watch ended: watching it again", self.root)
                self._arm()
        for kind in KINDS:
            self.record(kind)
        return self._watching()

    def _watching(self) -> bool:
        """The observer thread runs and still watches (an emitter ends when its folder is deleted)."""
        observer = self._observer
        return observer is not None and observer.is_alive() and bool(observer.emitters) \
            and all(emitter.is_alive() for emitter in observer.emitters)

    def _stop_observer(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def record(self, kind: str) -> None:
        """Count one change of ``kind`` (called from the observer thread)."""
        with self._lock:
            self._counts[kind] += 1
            self._last_change = time.time()

    @property
    def generation(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def generation_of(self, *kinds: str) -> int:
        """Changes counted for the given kinds together (all kinds when none is given)."""
        with self._lock:
            return sum(self._counts[k] for k in (kinds or KINDS))

    @property
    def last_change(self) -> float | None:
        with self._lock:
            return self._last_change

    @property
    def alive(self) -> bool:
        """Whether changes are being watched right now (see :meth:`check`, which also re-arms)."""
        return self._watching()

    def stop(self) -> None:
        """Stop the observer thread for good (tests, and ``st.cache_resource`` eviction)."""
        with self._arm_lock:
            self._closed = True
            self._stop_observer()
