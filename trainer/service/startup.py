"""What the trainer service does before its loop: log to the trainer log, clean up after a killed writer,
wake on request files, and import the training stack ahead of the first request.

:func:`recover` runs once per start while the training lock is free;
:func:`watch_requests` is the service's one file-system observer, on
``runtime/requests/`` only (the request protocol is :mod:`trainer.contract.requests`).
"""

from __future__ import annotations

import atexit
import io
import logging
import logging.handlers
import os
import sys
import threading

from trainer.atomic import remove_stale_temporaries
from trainer.config import Config
from trainer.contract.layout import RESERVED_PREFIX, ModelsLayout
from trainer.contract.requests import is_request_name
from trainer.locking import FileLock, LockBusy
from trainer.service.reconcile import reconcile

__all__ = ["setup_logging", "recover", "warm_imports", "watch_requests"]

log = logging.getLogger("cla.service")


def setup_logging(config: Config, layout: ModelsLayout) -> logging.Handler:
    """Send every ``cla.*`` and ``trainer.*`` log line to the rotating trainer log; returns the handler.

    Every line of the log carries its time: Python warnings go through logging
    (``py.warnings``), and when this process's stdout or stderr is the trainer
    log itself (a service or a one-off ``cla train`` that
    :func:`trainer.service.processes.spawn_detached` started), what it prints
    there is written line by line through the same handler (:class:`LogLines`).
    """
    handler = logging.handlers.RotatingFileHandler(layout.log, maxBytes=config.service.log_max_bytes,
                                                   backupCount=config.service.log_backups, encoding="utf-8")
    handler.setFormatter(EveryLineStamped())
    logging.getLogger().addHandler(handler)          # the root: third-party warnings land in the log too
    for name in ("cla", "trainer"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.captureWarnings(True)
    if not isinstance(sys.stdout, LogLines) and _is_file(sys.stdout, layout.log):
        sys.stdout = LogLines(handler, "cla.stdout", logging.INFO, sys.stdout)
    if not isinstance(sys.stderr, LogLines) and _is_file(sys.stderr, layout.log):
        sys.stderr = LogLines(handler, "cla.stderr", logging.WARNING, sys.stderr)
    return handler


class EveryLineStamped(logging.Formatter):
    """``time LEVEL name [pid] message``, repeated on each line of a message that has several (a traceback)."""

    PREFIX = "%(asctime)s %(levelname)s %(name)s [%(process)d] "

    def __init__(self) -> None:
        super().__init__(self.PREFIX + "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")
        if not rest:
            return first
        prefix = self.PREFIX % {"asctime": record.asctime, "levelname": record.levelname, "name": record.name,
                                "process": record.process}
        return "\n".join([first, *(prefix + line for line in rest)])


def _is_file(stream, path) -> bool:
    """Whether ``stream`` writes to the file at ``path`` (False for a terminal, a pipe, a closed stream)."""
    try:
        return os.path.samestat(os.fstat(stream.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False


class LogLines(io.TextIOBase):
    """A text stream whose every line becomes a record of ``handler``: time, level, ``name``, pid, the line.

    Stands in for a stdout or stderr that is the trainer log, so a ``print``,
    a traceback or a ``cla:`` failure line gets its time like every logged
    line (and follows the log when it rotates). A line is written once its
    newline arrives; a last line without one when the process exits. Should
    the handler itself fail, its complaint goes to the original stream as is.
    """

    def __init__(self, handler: logging.Handler, name: str, level: int, original) -> None:
        super().__init__()
        self._handler, self._name, self._level, self._original = handler, name, level, original
        self._pending = ""
        self._inside = threading.local()
        atexit.register(self._finish)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, text: str) -> int:
        if getattr(self._inside, "active", False):   # the handler reporting its own failure
            self._original.write(text)
            return len(text)
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._emit(line)
        return len(text)

    def _emit(self, line: str) -> None:
        record = logging.LogRecord(self._name, self._level, __file__, 0, line.rstrip("\r"), None, None)
        self._inside.active = True
        try:
            self._handler.handle(record)
        finally:
            self._inside.active = False

    def _finish(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._emit(line)


def recover(layout: ModelsLayout) -> list[str]:
    """Clean up after a killed writer; returns what was removed, one line each.

    Runs only while the training lock is free (a running ``cla train`` owns
    its temporaries). Removes ``*.partial`` temporaries, ``.reserved_<stamp>``
    markers, and a model file whose metrics file (the commit marker) was never
    written because its writer died between the two renames; then records the
    killed training and any promotion it never carried out
    (:func:`trainer.service.reconcile.reconcile`).
    """
    removed: list[str] = []
    try:
        lock = FileLock(layout.training_lock).acquire()
    except LockBusy as exc:
        log.info("recovery skipped: a training holds the lock (%s)", exc)
        return removed
    try:
        for folder in (layout.root, layout.runtime, layout.requests_dir):
            removed += [f"temporary {p}" for p in remove_stale_temporaries(folder)]
        for marker in layout.root.glob(f"{RESERVED_PREFIX}*"):
            stamp = marker.name.removeprefix(RESERVED_PREFIX)
            model = layout.model_path(stamp)
            if model.exists() and not layout.metrics_path(stamp).exists():
                model.unlink(missing_ok=True)
                removed.append(f"uncommitted model {model}")
            marker.unlink(missing_ok=True)
            removed.append(f"stamp reservation {marker}")
        try:
            reconcile(layout)
        except OSError as exc:
            log.error("cannot record what the killed training left unfinished: %s", exc)
    finally:
        lock.release()
    for line in removed:
        log.info("recovered: removed %s", line)
    return removed


def warm_imports() -> None:
    """Import the training stack ahead of the first request, so its latency is training, not imports."""
    import importlib

    for name in ("trainer.service.cycle", "trainer.feedback.sources", "trainer.feedback.quality",
                 "trainer.learning.api", "trainer.folder.pairs", "trainer.folder.registry",
                 "trainer.folder.promotion", "trainer.folder.retention"):
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - importing runs the module's code, which can raise
            # anything; the cycle imports it again and reports the error with its traceback
            log.warning("could not pre-import %s: %s", name, exc)



def watch_requests(layout: ModelsLayout, wake: threading.Event):
    """A watchdog observer that sets ``wake`` when a request file lands; None if it cannot start."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class RequestLanded(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            name = os.path.basename(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
            if event.event_type in ("created", "moved") and is_request_name(name):
                wake.set()

    observer = Observer()
    try:
        observer.schedule(RequestLanded(), str(layout.requests_dir), recursive=False)
        observer.daemon = True
        observer.start()
    except OSError as exc:
        log.warning("cannot watch %s (%s); polling every second instead", layout.requests_dir, exc)
        return None
    return observer
