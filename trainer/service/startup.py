"""What the trainer service does before its loop: log to the trainer log, clean up after a killed writer,
wake on request files, and import the training stack ahead of the first request.

:func:`recover` runs once per start while the training lock is free;
:func:`watch_requests` is the service's one file-system observer, on
``runtime/requests/`` only (the request protocol is :mod:`trainer.contract.requests`).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
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
    """Send every ``cla.*`` and ``trainer.*`` log line to the rotating trainer log; returns the handler."""
    handler = logging.handlers.RotatingFileHandler(layout.log, maxBytes=config.service.log_max_bytes,
                                                   backupCount=config.service.log_backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
    logging.getLogger().addHandler(handler)          # the root: third-party warnings land in the log too
    for name in ("cla", "trainer"):
        logging.getLogger(name).setLevel(logging.INFO)
    return handler


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
