"""What the trainer service tells the outside world besides its status file: notifications and metrics.

:class:`Telemetry` is the service's one handle on both: the notification
:class:`~trainer.notify.sender.Sender` and :class:`~trainer.service.ops_notices.OpsNotices`,
and, when ``service.metrics_address`` is set, :class:`~trainer.service.metrics.ServiceMetrics`.
The runner calls it at start, at every check, after every training and at
shutdown; nothing it does can stop the service or fail a training, except a
metrics address that cannot be listened on, which stops the start
(:class:`~trainer.service.metrics.MetricsUnavailable`).
"""

from __future__ import annotations

import logging
import os

from trainer.config import Config
from trainer.contract.layout import ModelsLayout
from trainer.contract.status import StatusFile
from trainer.notify.sender import Sender
from trainer.service.ops_notices import OpsNotices

log = logging.getLogger("cla.service")


class Telemetry:
    """Notifications and metrics for one service run; :meth:`close` it when the service stops."""

    def __init__(self, config: Config, layout: ModelsLayout):
        self.config = config
        self.layout = layout
        self.sender = Sender(config, layout)
        self.notices = OpsNotices(config, layout, self.sender)
        self.metrics = None

    def started(self, previous: StatusFile | None) -> None:
        """The service holds its lock and found ``previous`` as the status file (a crashed service's, maybe).

        Serves /metrics when configured (raises ``MetricsUnavailable`` when the
        address is taken), then announces a crashed predecessor.
        """
        if self.config.service.metrics_address:
            from trainer.service.metrics import ServiceMetrics

            self.metrics = ServiceMetrics(self.config, self.layout)
            self.metrics.start()
        self.notices.after_start(previous, os.getpid())

    def check_folder(self) -> None:
        """Tell the ops notices what the folder looks like now; a failure costs a log line, never the loop."""
        try:
            self.notices.check_folder()
        except Exception:  # noqa: BLE001 - the service's guard around notifications: anything, a bug
            # included, is logged with its traceback and must not stop the service
            log.exception("checking the folder for notifications failed")

    def training_ended(self, trigger: str, outcome: str, message: str, duration_s: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_training(trigger, outcome, duration_s)
        try:
            self.notices.after_training(outcome, message)
        except Exception:  # noqa: BLE001 - as above: logged with its traceback, never a failed training
            log.exception("recording the training for notifications failed")

    def close(self) -> None:
        if self.metrics is not None:
            self.metrics.close()
        self.sender.close()
