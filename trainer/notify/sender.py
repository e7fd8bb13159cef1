"""Deliver notifications from a background thread, so a slow or dead receiver never holds up a training.

:class:`Sender` owns one daemon thread and a queue. :meth:`Sender.submit`
returns at once; the thread posts each notice to every ``notify.webhook_url``
(:func:`trainer.notify.webhook.post`), retrying a failed attempt
``notify.retries`` times after ``notify.backoff_seconds``, doubling each time.
Each delivery ends as one event-log line: ``notification_sent`` (with the
receiver's HTTP status and the attempts it took) or ``notification_failed``
(with every attempt's error); each failed attempt is also a line in the trainer
log. Receivers are named by scheme, host and port only: a webhook URL's path
often is its secret.
"""

from __future__ import annotations

import logging
import queue
import threading

from trainer.addresses import redact_url
from trainer.config import Config
from trainer.contract.layout import ModelsLayout
from trainer.folder.events import append_event
from trainer.notify.webhook import DeliveryError, Notice, Reply, payload, post

log = logging.getLogger("cla.notify")

ACTOR = "trainer service"
_STOP = object()


def record(layout: ModelsLayout, kind: str, notice: Notice, message: str, *, actor: str = ACTOR, **details) -> None:
    """One ``notification_sent`` / ``notification_failed`` line; an unwritable log is logged, never raised."""
    try:
        append_event(layout.events, kind, actor=actor, message=message, model_id=notice.model_id,
                     notification=notice.event, **details)
    except OSError as exc:
        log.error("cannot record %s for %s in %s: %s", kind, notice.event, layout.events, exc)


class Sender:
    """The service's notification queue: ``submit`` never blocks; ``close`` lets it finish for a bounded time.

    The thread starts with the first notice, so a service that never notifies runs none.
    """

    def __init__(self, config: Config, layout: ModelsLayout, *, actor: str = ACTOR):
        self.config = config
        self.layout = layout
        self.actor = actor
        self._queue: queue.Queue = queue.Queue()
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._work, name="notify-sender", daemon=True)
        self._lock = threading.Lock()

    def submit(self, notice: Notice) -> None:
        """Queue ``notice`` for every configured receiver (nothing when none is); the thread starts with the first."""
        if self.config.notify.webhook_url:
            with self._lock:
                if not self._thread.is_alive() and self._thread.ident is None:
                    self._thread.start()
            self._queue.put(notice)

    def close(self, timeout: float = 2.0) -> None:
        """Deliver what is queued within ``timeout`` seconds; then stop retrying and leave the rest.

        A stopping service must not wait on a dead receiver: what is still
        queued after ``timeout`` is logged as not delivered.
        """
        if self._thread.ident is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abort.set()
            log.warning("the service stops with %d notification(s) still queued or being delivered; they are not "
                        "sent", self._queue.qsize())

    def _work(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is _STOP:
                return
            for url in self.config.notify.webhook_url:
                try:
                    self._deliver(url, notice, payload(self.config, notice))
                except Exception:  # noqa: BLE001 - the thread's last guard: delivery failures are
                    # recorded by _deliver; anything else is a bug, logged with its traceback, and must not end the thread
                    log.exception("delivering %s to %s failed unexpectedly", notice.event, redact_url(url))

    def _deliver(self, url: str, notice: Notice, body: bytes) -> None:
        settings = self.config.notify
        where = redact_url(url)
        errors: list[str] = []
        wait = settings.backoff_seconds
        for attempt in range(1, settings.retries + 2):
            if attempt > 1:
                if self._abort.wait(wait):
                    errors.append("the trainer service stopped before the next retry")
                    break
                wait *= 2
            try:
                reply: Reply = post(url, body, event=notice.event, secret=settings.secret,
                                    timeout=settings.timeout_seconds)
            except DeliveryError as exc:
                errors.append(str(exc))
                log.warning("notification %s, attempt %d of %d: %s", notice.event, attempt, settings.retries + 1, exc)
                continue
            record(self.layout, "notification_sent", notice,
                   f"{notice.event} sent to {where}: HTTP {reply.status}"
                   + (f" after {attempt} attempts" if attempt > 1 else ""),
                   actor=self.actor, receiver=where, status=reply.status, attempts=attempt)
            return
        record(self.layout, "notification_failed", notice,
               f"{notice.event} not delivered after {len(errors)} attempt(s): {errors[-1]}",
               actor=self.actor, receiver=where, attempts=len(errors), errors=errors)
