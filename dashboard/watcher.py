"""One file-system observer per models folder, counting the changes the pages care about.

:class:`ModelsWatcher` owns a watchdog ``Observer`` on one models folder
(``dashboard.context.get_watcher`` keeps one per folder per process in
``st.cache_resource``). Its handler classifies each event by the file it
names (:func:`classify`): a committed pair (``model_metrics_*.json``, written
by temp + rename, so moves and creates count; a metrics or model file changed
in place counts too, since the pages must show a truncated metrics file or a
tampered champion), ``champion.json``,
``events.jsonl``, ``runtime/status.json``, or the trainer log. Noise
(``.partial`` temporaries, ``.reserved_*`` stamp markers, the registry's own
``runtime/index.json``, requests, quarantine files) is ignored.

The observer thread only bumps counters under a lock; it never calls
Streamlit. Pages read :attr:`ModelsWatcher.generation` (any change) or
:meth:`ModelsWatcher.generation_of` (one kind) from a ``run_every`` fragment
and re-read only what moved. When inotify cannot be used (watch limits on a
shared host) the watcher falls back to watchdog's polling observer and says so
in :attr:`ModelsWatcher.mode`.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from trainer.layout import METRICS_RE, MODEL_RE

log = logging.getLogger(__name__)

KINDS = ("pairs", "champion", "events", "status", "log")
POLL_SECONDS = 1.0


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
        if name == "champion.json":
            return "champion"
        if name == "events.jsonl":
            return "events"
        return None
    if parent == root / "runtime":
        if name == "status.json":
            return "status"
        if name.startswith("trainer.log"):
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
    ``inotify``, ``polling`` or ``off`` (the folder could not be watched;
    ``error`` says why).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(KINDS, 0)
        self._last_change: float | None = None
        self.error: str | None = None
        self.mode = "off"
        self._observer = None
        self._start()

    def _start(self) -> None:
        try:
            (self.root / "runtime").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error = f"models folder {self.root} cannot be created: {exc.strerror or exc}"
            return
        for mode, factory in (("inotify", Observer), ("polling", lambda: PollingObserver(timeout=POLL_SECONDS))):
            observer = factory()
            try:
                observer.schedule(_Handler(self), str(self.root), recursive=True)
                observer.daemon = True
                observer.start()
            except OSError as exc:
                self.error = f"{mode} watch on {self.root} failed: {exc.strerror or exc}"
                log.warning("%s", self.error)
                continue
            self._observer, self.mode = observer, mode
            return

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
        return self._observer is not None and self._observer.is_alive()

    def stop(self) -> None:
        """Stop the observer thread (tests, and ``st.cache_resource`` eviction)."""
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
