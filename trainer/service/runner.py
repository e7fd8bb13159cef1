"""The trainer service (``cla trainer run``): one process per models folder that trains when told or when due.

:class:`TrainerService` holds the service lock (:mod:`trainer.locking`) for
its whole life, so a second service for the same folder refuses to start. On
start it recovers from a previous crash (temporaries, reserved stamps, a model
file whose metrics never followed), then loops:

1. list the retrain requests in ``runtime/requests/`` (dropped there by
   :func:`trainer.service.control.retrain`; a watchdog observer wakes the loop);
2. start the drift report in the background when due (`trainer.service.reporting`)
   and ask :mod:`trainer.service.triggers` whether to train;
3. if so, consume *every* request present and run :func:`trainer.service.cycle.run_cycle`
   under the training lock in a worker thread, each stage in the status file; requests
   made meanwhile cause exactly one more cycle only when feedback was added meanwhile;
4. otherwise write why not into the status and sleep until the next check.

A failed cycle is logged with its traceback to ``runtime/trainer.log``
(rotated), recorded once as ``training_failed``, and followed by an
exponential back-off; the service keeps running (notifications and metrics:
`trainer.service.telemetry`). SIGTERM/SIGINT stop it: a training in progress gets
``service.stop_timeout_seconds`` to finish, else it is abandoned (pairs are written atomically).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from trainer.atomic import remove_stale_temporaries
from trainer.config import Config
from trainer.folder.events import append_event, appended_since
from trainer.contract import exit_codes, states
from trainer.contract.status import CurrentTraining, LastError, LastResult
from trainer.contract.requests import pending_requests, read_request, read_stop_request
from trainer.locking import FileLock, LockBusy, service_lock
from trainer.service.reporting import DriftReporter
from trainer.service.startup import recover, setup_logging, warm_imports, watch_requests
from trainer.service.status import StatusWriter, load_status_file
from trainer.service.telemetry import Telemetry
from trainer.timestamps import iso, now_iso, now_utc
from trainer.service.triggers import Decision, should_train, gather, when
from trainer.errors import CLAError

log = logging.getLogger("cla.service")

SERVICE_ACTOR = "trainer service"


class Abandoned(CLAError):
    """The stop timeout ran out while a training was in progress."""


class TrainerService:
    """One service run: ``TrainerService(config).run()`` returns the process exit code.

    ``cycle`` is the training function (default :func:`trainer.service.cycle.run_cycle`);
    raises :class:`~trainer.locking.LockBusy` from :meth:`run` when another
    service holds this models folder.
    """

    def __init__(self, config: Config, *, actor: str | None = None,
                 cycle: Callable[..., Any] | None = None):
        self.config = config
        self.layout = config.layout
        self.actor = actor or SERVICE_ACTOR
        self._cycle = cycle
        self.status = StatusWriter(self.layout)
        self.stop_requested = threading.Event()
        self._trained_on: str | None = None  # the data fingerprint the last cycle that did not fail read
        self.wake = threading.Event()
        self.failures = 0
        self.backoff_until: datetime | None = None
        self.abandoned = False
        self.cycles = 0
        self._born = time.monotonic()
        self.telemetry = Telemetry(config, self.layout)
        self.reporter = DriftReporter(config, self.wake)

    def request_stop(self, *_: Any) -> None:
        """Ask the loop to stop (signal handler, or a test)."""
        self.stop_requested.set()
        self.wake.set()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)

    def run(self) -> int:
        """Hold the service lock and loop until stopped; returns the exit code."""
        self.layout.ensure()
        with service_lock(self.layout):
            return self._run_locked()

    def _run_locked(self) -> int:
        handler = setup_logging(self.config, self.layout)
        observer = None
        try:
            self._install_signal_handlers()
            log.info("trainer service starting for %s (pid %d, started by %s)", self.layout.root, os.getpid(), self.actor)
            recover(self.layout)
            previous = load_status_file(self.layout)
            self.telemetry.started(previous)
            self.status.update(state=states.STARTING, message="starting", started_at=iso(now_utc()),
                               last_result=previous.last_result if previous is not None else None,
                               last_error=previous.last_error if previous is not None else None)
            self._event("service_started", actor=self.actor, message=f"trainer service started (pid {os.getpid()})")
            self.status.start_heartbeat(self.config.service.heartbeat_seconds)
            threading.Thread(target=warm_imports, name="warm-imports", daemon=True).start()
            observer = watch_requests(self.layout, self.wake)
            try:
                self._loop(poll=observer is None)
            except Abandoned:
                self.abandoned = True
            return self._shutdown()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            self.telemetry.close()
            self.reporter.join(timeout=5)
            self.status.stop_heartbeat()
            logging.getLogger().removeHandler(handler)
            handler.close()

    def _loop(self, *, poll: bool) -> None:
        while not self.stop_requested.is_set():
            self.wake.clear()
            self.telemetry.check_folder()
            self.reporter.tick()
            try:
                requests = pending_requests(self.layout)
                facts = gather(self.config, self.layout, now=now_utc(), force=bool(requests),
                               backoff_until=self.backoff_until)
                decision = should_train(self.config.service, facts)
                if decision.train:
                    if not self._train(decision, requests):
                        self._sleep_until(now_utc() + timedelta(seconds=1), poll=poll)
                    continue
            except Abandoned:
                raise
            except Exception as exc:  # noqa: BLE001 - the loop's guard: the check runs the source and the
                # monitoring, which can raise anything; logged with its traceback and shown in the status
                reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
                log.exception("trigger check failed")
                decision = Decision(False, None, f"trigger check failed: {reason}; see {self.layout.log}",
                                    now_utc() + timedelta(seconds=self.config.service.check_interval_seconds))
            self.status.update(state=states.IDLE, stage=states.STAGE_IDLE, current=None, message=decision.message,
                               next_check=iso(decision.next_check))
            self._sleep_until(decision.next_check, poll=poll)

    def _sleep_until(self, moment: datetime, *, poll: bool) -> None:
        seconds = max(0.0, (moment - now_utc()).total_seconds())
        seconds = min(seconds, self.config.service.check_interval_seconds)
        if poll:
            seconds = min(seconds, 1.0)
        self.wake.wait(seconds)

    def _train(self, decision: Decision, requests: list[Path]) -> bool:
        """One training for ``decision``; False when a ``cla train`` holds the training lock (retry soon)."""
        training_lock = FileLock(self.layout.training_lock)
        try:
            training_lock.acquire()
        except LockBusy as exc:
            self.status.update(state=states.IDLE, stage=states.STAGE_IDLE,
                               message=f"waiting: another training is running (pid {exc.pid}, a `cla train`)")
            return False
        try:
            consumed = [read_request(path) for path in requests]
            for path in requests:
                path.unlink(missing_ok=True)
            actor = ", ".join(dict.fromkeys(r.actor or "unknown" for r in consumed)) or SERVICE_ACTOR
            request_ids = [str(r.id) for r in consumed]
            fingerprint = self._data_fingerprint()
            if decision.trigger == "force" and fingerprint is not None and fingerprint == self._trained_on:
                self._answer_unchanged(actor, request_ids)
                return True
            self._event("trigger", actor=actor, trigger=decision.trigger, message=decision.message,
                        requests=request_ids,
                        **({"evidence": decision.evidence.to_json()} if decision.evidence is not None else {}))
            log.info("training (%s, asked by %s): %s", decision.trigger, actor, decision.message)
            outcome = self._run_cycle(decision.trigger or "schedule", actor, request_ids)
            if outcome != "failed":
                self._trained_on = fingerprint
                self._serve_late_requests(fingerprint)
        finally:
            training_lock.release()
        return True

    def _data_fingerprint(self) -> str | None:
        """The source's ``latest_change()`` (changes when feedback is added), or None when it cannot tell."""
        try:
            from trainer.feedback.sources import open_source

            return str(open_source(self.config).latest_change())
        except Exception as exc:  # noqa: BLE001 - any source kind can raise its client's own errors;
            # without a fingerprint, late requests simply get their own cycle
            log.info("no data fingerprint: %s", exc)
            return None

    def _answer_unchanged(self, actor: str, request_ids: list[str]) -> None:
        """Answer retrain requests without training: the feedback is as the last training of this service read it.

        Fifty presses of "Retrain now" over a minute gave five trainings on the same rows; each answer now
        says that nothing changed. A restarted service trains on the first request.
        """
        previous = self.status.data.last_result or LastResult()
        message = (f"nothing changed since the last training (finished {previous.finished_at or 'earlier'}): "
                   "the feedback source reports no new or changed verdicts, so the request was answered without "
                   "training; add verdicts, or restart the trainer after changing its configuration")
        self._event("training_skipped", actor=actor, trigger="force", message=message, requests=request_ids)
        self.status.update(last_result=LastResult.of(outcome="skipped", model_id=previous.model_id, message=message,
                                                     finished_at=now_iso(), trigger="force", actor=actor,
                                                     duration_s=0.0, requests=tuple(request_ids)),
                           message=f"retrain request answered: {message}")
        log.info("retrain request(s) %s answered without training: nothing changed", ", ".join(request_ids))

    def _serve_late_requests(self, fingerprint: str | None) -> None:
        """Requests that arrived during a cycle, while no feedback was added, are answered by that cycle.

        Pressing "Retrain now" twice must not train twice on the same data;
        a request after new feedback arrived still gets one more cycle.
        """
        late = pending_requests(self.layout)
        if not late or fingerprint is None or self._data_fingerprint() != fingerprint:
            return
        served = tuple(str(read_request(path).id) for path in late)
        for path in late:
            path.unlink(missing_ok=True)
        last_result = self.status.data.last_result or LastResult.of()
        self.status.update(last_result=last_result.with_(requests=last_result.requests + served))
        log.info("%d retrain request(s) made during the training were answered by it: no feedback was added "
                 "since it read its data", len(served))

    def _cycle_function(self) -> Callable[..., Any]:
        if self._cycle is None:
            from trainer.service.cycle import run_cycle

            self._cycle = run_cycle
        return self._cycle

    def _run_cycle(self, trigger: str, actor: str, request_ids: list[str]) -> str:
        """Run one cycle in a worker thread and record its result; returns the outcome."""
        started_at = now_iso()
        started = time.perf_counter()
        self.status.update(state=states.TRAINING, stage=states.STAGE_LOADING,
                           message=f"training ({trigger}, asked by {actor})", next_check=None,
                           current=CurrentTraining.of(trigger=trigger, actor=actor, started_at=started_at,
                                                      requests=tuple(request_ids)))
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["outcome"] = self._cycle_function()(self.config, trigger=trigger, actor=actor,
                                                           status_cb=self._stage)
            except BaseException as exc:  # noqa: BLE001 - the training thread hands everything (interrupts
                # included) to the service thread, which reports it and survives it
                result["error"] = exc
                result["traceback"] = traceback.format_exc()

        worker = threading.Thread(target=work, name="training-cycle", daemon=True)
        worker.start()
        self._wait_for(worker)
        self.cycles += 1
        duration = time.perf_counter() - started
        if "error" in result:
            exc = result["error"]
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            log.error("training cycle raised %s\n%s", reason, result["traceback"])
            self._event("training_failed", actor=actor, trigger=trigger, message=reason, duration_s=duration)
            outcome, model_id, message = "failed", None, reason
        else:
            cycle = result["outcome"]
            outcome, model_id, message = cycle.outcome, cycle.model_id, cycle.message
            if outcome == "failed" and not appended_since(self.layout.events, "training_failed", since=started_at):
                self._event("training_failed", actor=actor, trigger=trigger, message=message, duration_s=duration)
        self._after_cycle(outcome, model_id, message, trigger, actor, request_ids, duration)
        return outcome

    def _wait_for(self, worker: threading.Thread) -> None:
        """Join the cycle; on a stop request give it the stop timeout, then raise :class:`Abandoned`."""
        deadline: float | None = None
        while worker.is_alive():
            worker.join(0.1)
            if self.stop_requested.is_set() and deadline is None:
                deadline = time.monotonic() + self.config.service.stop_timeout_seconds
                self.status.update(state=states.STOPPING, message="stopping: waiting up to "
                                   f"{self.config.service.stop_timeout_seconds:g} s for the training to finish")
                log.info("stop requested during a training; waiting up to %s s",
                         self.config.service.stop_timeout_seconds)
            if deadline is not None and time.monotonic() >= deadline and worker.is_alive():
                raise Abandoned()

    def _after_cycle(self, outcome: str, model_id: str | None, message: str, trigger: str, actor: str,
                     request_ids: list[str], duration: float) -> None:
        finished_at = now_iso()
        self.telemetry.training_ended(trigger, outcome, message, duration)
        last_result = LastResult.of(outcome=outcome, model_id=model_id, message=message, finished_at=finished_at,
                                    trigger=trigger, actor=actor, duration_s=round(duration, 3),
                                    requests=tuple(request_ids))
        fields: dict[str, Any] = {"last_result": last_result, "current": None, "stage": states.STAGE_IDLE,
                                  "state": states.IDLE}
        if outcome == "failed":
            self.failures += 1
            base = self.config.service.check_interval_seconds
            delay = min(self.config.service.backoff_max_seconds, base * 2 ** (self.failures - 1))
            self.backoff_until = now_utc() + timedelta(seconds=delay)
            fields["last_error"] = LastError.of(message=message, at=finished_at, trigger=trigger,
                                                consecutive_failures=self.failures)
            fields["message"] = (f"training failed: {message}; automatic trainings are backed off until "
                                 f"{when(self.backoff_until)} ({delay:g} s; a retrain request runs at once)")
            log.warning("training failed (%d in a row): %s; back-off %s s", self.failures, message, delay)
        else:
            self.failures = 0
            self.backoff_until = None
            fields["message"] = f"training {outcome}: {message}"
            log.info("training %s in %.1f s: %s", outcome, duration, message)
        self.status.update(**fields)

    def _stage(self, stage: str) -> None:
        log.info("stage: %s", stage)
        self.status.update(stage=stage)

    def _event(self, kind: str, **fields: Any) -> None:
        try:
            append_event(self.layout.events, kind, **fields)
        except OSError as exc:
            log.error("cannot append %s to %s: %s", kind, self.layout.events, exc)

    def _shutdown(self) -> int:
        """Record the stop (who asked, whether a training was abandoned); returns the exit code."""
        request = read_stop_request(self.layout)
        self.layout.stop_request.unlink(missing_ok=True)
        actor = (request.actor if request is not None else None) or "signal"
        if self.abandoned:
            current = self.status.data.current or CurrentTraining()
            message = (f"trainer service stopped by {actor}; the training started at {current.started_at} "
                       f"did not finish within {self.config.service.stop_timeout_seconds:g} s and was abandoned")
            removed = remove_stale_temporaries(self.layout.root)
            log.warning("%s; removed %d temporary files", message, len(removed))
            self._event("training_abandoned", actor=current.actor or actor, trigger=current.trigger,
                        message=f"abandoned: the trainer service was stopped by {actor} during the training "
                                f"(stage '{self.status.data.stage}') and it did not finish within "
                                f"{self.config.service.stop_timeout_seconds:g} s")
        else:
            message = f"trainer service stopped by {actor}"
            log.info(message)
        self._event("service_stopped", actor=actor, message=message, duration_s=time.monotonic() - self._born,
                    cycles=self.cycles)
        self.status.update(state=states.STOPPED, stage=states.STAGE_IDLE, next_check=None, message=message,
                           stopped_at=iso(now_utc()))
        return exit_codes.ABANDONED if self.abandoned else exit_codes.OK


def run_service(config: Config, *, actor: str | None = None) -> int:
    """``cla trainer run``: run the service in this process until SIGTERM/SIGINT; returns the exit code.

    Raises :class:`~trainer.locking.LockBusy` when a service already runs for
    this models folder. When a training had to be abandoned the process ends
    at once (``os._exit``) so the abandoned worker thread cannot write on.
    """
    service = TrainerService(config, actor=actor)
    code = service.run()
    if service.abandoned:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
