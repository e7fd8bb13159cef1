"""Ops notifications: turn what the trainer service sees into webhook notifications, once per change of state.

(Not the product's alerts, the ones analysts triage: these tell whoever runs CLA that training fails, the
service crashed, the champion degraded or cannot be trusted.) One notification per change of state, never
one per check.

:class:`OpsNotices` keeps, for each notification name
(`trainer.contract.notifications`), the key of its active state (None when
it is not active) in ``runtime/alerts.json``, so a restarted service does not
announce again what it already announced. :meth:`OpsNotices.observe` is the one
entry point: report a condition's current state under its name, and a
notification is queued (`trainer.notify.sender.Sender`) only when the state
starts or its key changes, and only when ``[notify] events`` chooses it.

The service reports, through the helpers below:

* :meth:`OpsNotices.after_training`: ``training_failed`` while trainings fail
  (a finished training clears it; a skipped one changes nothing);
* :meth:`OpsNotices.after_start`: ``trainer_crashed`` when the previous service's
  status file still says it was running: it died without stopping;
* :meth:`OpsNotices.check_folder`: ``learning_degraded`` and ``champion_untrusted``
  from the registry listing (`trainer.folder.health`), after every check and
  every training, and ``major_drift`` and ``live_recall_below_target`` from
  the drift report's signals (`trainer.monitoring.signals`), for the champion
  the report is about.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from trainer.atomic import write_json
from trainer.config import Config
from trainer.contract import states
from trainer.contract.layout import ModelsLayout
from trainer.contract.status import StatusFile
from trainer.folder.health import champion_problem, degraded_reason
from trainer.notify.sender import Sender
from trainer.notify.webhook import Notice
from trainer.reading import JSON_MAX_BYTES, read_regular

log = logging.getLogger("cla.ops_notices")



class OpsNotices:
    """The active conditions of one models folder and the notifications their changes send."""

    def __init__(self, config: Config, layout: ModelsLayout, sender: Sender):
        self.config = config
        self.layout = layout
        self.sender = sender
        self.active: dict[str, str] = self._load()
        self._registry = None

    def observe(self, name: str, key: str | None, reason: str = "", model_id: str | None = None,
                **details: Any) -> bool:
        """Report condition ``name``: active under ``key``, or over when ``key`` is None; True when this notifies.

        A condition is remembered as announced only when it was sent: one that
        no webhook or ``[notify] events`` let through is announced once they do.
        """
        previous = self.active.get(name)
        if key == previous:
            return False
        if key is None:
            self.active.pop(name, None)
            self._save()
            return False
        if not self.config.notify.webhook_url or name not in self.config.notify.events:
            return False
        self.active[name] = key
        self._save()
        log.info("notification %s: %s", name, reason)
        self.sender.submit(Notice(name, reason, model_id, details))
        return True

    # -- what the service reports --------------------------------------------------------------

    def after_start(self, previous: StatusFile | None, pid: int) -> None:
        """``trainer_crashed`` when ``previous`` (the status file found at start) says a service was still running."""
        if previous is None or previous.state not in states.LIVE_STATES or previous.pid in (None, pid):
            return
        doing = f"training ({previous.stage})" if previous.state == states.TRAINING else str(previous.state)
        self.observe("trainer_crashed", f"{previous.pid}@{previous.started_at}",
                     f"the trainer service (pid {previous.pid}, started {previous.started_at}) ended "
                     f"without stopping while {doing}; last heartbeat {previous.heartbeat or 'unknown'}; "
                     f"a new service (pid {pid}) has started", self._champion_id())

    def after_training(self, outcome: str, message: str) -> None:
        """``training_failed`` starts with a failed training and ends with a finished one."""
        if outcome == "failed":
            self.observe("training_failed", "failing", f"training failed: {message}", self._champion_id())
        elif outcome == "finished":
            self.observe("training_failed", None)

    def check_folder(self) -> None:
        """``learning_degraded`` and ``champion_untrusted`` from the registry as it is now."""
        try:
            summaries = self._registry_of().list_models()
        except OSError as exc:
            log.warning("cannot list %s for notifications: %s", self.layout.root, exc)
            return
        model_id, reason = degraded_reason(summaries)
        self.observe("learning_degraded", "degraded" if reason else None, reason or "", model_id)
        champion = next((s for s in summaries if s.is_champion), None)
        problem = champion_problem(champion) if champion is not None else None
        self.observe("champion_untrusted", f"{champion.model_id}: {problem}" if problem else None,
                     f"{problem}; roll back to the previous champion or retrain" if problem else "",
                     champion.model_id if champion is not None else None)
        self.check_drift(champion.model_id if champion is not None else None)

    def check_drift(self, champion_id: str | None) -> None:
        """``major_drift`` and ``live_recall_below_target`` from the drift report about ``champion_id``.

        A report about another champion (or none) says nothing, so a new champion clears both.
        """
        from trainer.monitoring.report import load_report

        report = load_report(self.layout) if champion_id is not None else None
        about = report is not None and report.champion_id == champion_id
        drift = report.signals.drift if about and report is not None else None
        performance = report.signals.performance if about and report is not None else None
        features = ",".join(sorted(f.feature for f in drift.features)) if drift is not None else ""
        self.observe("major_drift", f"{champion_id}:{features}" if drift is not None else None,
                     f"{drift.message}; the drift trigger retrains when it is on" if drift is not None else "",
                     champion_id)
        self.observe("live_recall_below_target", str(champion_id) if performance is not None else None,
                     f"{performance.message}; review recent misses and retrain" if performance is not None else "",
                     champion_id)

    # -- helpers ---------------------------------------------------------------------------------

    def _registry_of(self):
        if self._registry is None:
            from trainer.folder.registry import Registry

            self._registry = Registry(self.layout.root, key_file=self.config.model_key_path)
        return self._registry

    def _champion_id(self) -> str | None:
        try:
            pointer = self._registry_of().champion()
            return pointer.model_id if pointer is not None else None
        except (OSError, ValueError):
            return None

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(read_regular(self.layout.alerts, JSON_MAX_BYTES))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("%s cannot be read (%s): every active condition will be announced again", self.layout.alerts,
                        exc)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self) -> None:
        try:
            write_json(self.layout.alerts, self.active)
        except OSError as exc:
            log.error("cannot write %s: %s", self.layout.alerts, exc)
