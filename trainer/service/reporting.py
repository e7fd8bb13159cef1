"""When the trainer service recomputes the drift report, and the thread that does it.

:class:`DriftReporter` is asked by the service loop on every pass
(:meth:`DriftReporter.tick`); it starts one background thread running
:func:`trainer.monitoring.report.refresh` when ``drift.enabled`` is on and the
report is due: none written yet (or unreadable), about another champion than
the current one (so a promotion gets its report at the next pass), or older
than ``drift.interval_minutes`` while feedback arrived since (the source's
``latest_change()``; a quiet store is not re-read). A slow report (a million recent alerts) never holds up a
retrain request. When a report has been written the loop is woken so the
``drift`` and ``performance`` triggers see it at once. A failure is logged
with its traceback and retried at the next interval; it never ends the service.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from trainer.config import Config
from trainer.contract.drift_report import DriftReport

log = logging.getLogger("cla.service.drift")


class DriftReporter:
    """Runs the drift report on schedule for one service; ``wake`` is set after each report."""

    def __init__(self, config: Config, wake: threading.Event):
        self.config = config
        self.layout = config.layout
        self.wake = wake
        self._thread: threading.Thread | None = None
        self._last_attempt: float | None = None

    def due(self) -> bool:
        """Whether a new report should be computed now (see the module docstring)."""
        from trainer.monitoring.report import about_current_champion, age, data_fingerprint, read_report

        if not self.config.drift.enabled:
            return False
        interval = self.config.drift.interval_minutes * 60
        if self._last_attempt is not None and time.monotonic() - self._last_attempt < min(interval, 30.0):
            return False  # at most one attempt every 30 s, whatever the report says (a failing source)
        report = read_report(self.layout)
        if not about_current_champion(report, self.config):
            return True
        old = age(report, datetime.now(timezone.utc))
        if old is not None and old.total_seconds() < interval:
            return False
        # asked only once the interval has passed: on BigQuery it is a query
        return DriftReport.from_json(report).data_fingerprint != data_fingerprint(self.config)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def tick(self) -> bool:
        """Start a report in the background when due and none is running; returns whether one started."""
        if self.running():
            return False
        try:
            if not self.due():
                return False
        except Exception:  # noqa: BLE001 - due() opens the feedback source (any kind, BigQuery's
            # client included) on the service thread; whatever it raises is logged, never the end of the service
            log.exception("cannot tell whether the drift report is due")
            return False
        self._last_attempt = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="drift-report", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        from trainer.monitoring.report import refresh

        try:
            report = refresh(self.config)
        except Exception:  # noqa: BLE001 - the thread's last guard: the report runs the source,
            # pandas, scipy and the champion's pickled pipeline; logged with its traceback, the next interval tries again
            log.exception("the drift report failed")
            return
        error = DriftReport.from_json(report).error
        if error:
            log.info("drift report not computed: %s", error)
        self.wake.set()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
