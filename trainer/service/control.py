"""Start, stop, inspect and poke the trainer service: the control API shared by ``cla trainer`` and the dashboard.

Every function takes the :class:`~trainer.config.Config` of a models folder
and the *actor* (the dashboard's user name, or :func:`trainer.folder.events.local_user`
from the CLI), works only through files and locks in that folder, and
returns a :class:`ControlResult` (or a :class:`~trainer.contract.status.ServiceStatus`). Nothing here imports
Streamlit or keeps state between calls, so any number of dashboards, tabs and
shells see the same truth.

* :func:`start` launches ``python -m trainer trainer run`` detached (its own
  session, so it outlives the caller and is stopped as a group); a reaper
  thread waits on the child so it never lingers as a zombie.
* :func:`stop` sends SIGTERM, waits, then SIGKILL.
* :func:`retrain` drops a request file for a running service (coalescing with
  one already queued), or runs one ``cla train`` in its own process when the
  service is off.
* :func:`status` is :func:`trainer.service.status.read_status` plus what is queued.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import dataclasses
from dataclasses import dataclass
from typing import Any

from trainer.atomic import WriteError
from trainer.config import Config
from trainer.folder.events import append_event, read_event_rows
from trainer.contract import exit_codes, states
from trainer.contract.events import TRAINING_OUTCOMES
from trainer.contract.layout import ModelsLayout
from trainer.contract.status import LastResult, ServiceStatus
from trainer.contract.requests import new_request_id, pending_requests, read_request, write_request, write_stop_request
from trainer.service import processes
from trainer.locking import who_holds
from trainer.service.reconcile import latest_result
from trainer.service.status import read_status, write_stopped
from trainer.errors import CLAError

log = logging.getLogger("cla.control")



class ControlError(CLAError, RuntimeError):
    """A control action could not be done; the message says why and what to look at."""


@dataclass
class ControlResult:
    """What a control action did.

    ``action``: started, already_running, stopped, killed, not_running,
    queued, coalesced, started_process, already_training.
    ``outcome`` is filled by ``retrain(wait=True)``: the training's result
    (``outcome``, ``model_id``, ``message``, ...).
    """

    action: str
    message: str
    pid: int | None = None
    request_id: str | None = None
    outcome: LastResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "message": self.message, "pid": self.pid, "request_id": self.request_id,
                "outcome": self.outcome.to_json() if self.outcome is not None else None}


def _layout(config: Config) -> ModelsLayout:
    layout = config.layout
    try:
        layout.ensure()
    except OSError as exc:
        raise ControlError(f"models folder {layout.root} cannot be used: {exc.strerror or exc}") from None
    return layout


def _config_args(config: Config, layout: ModelsLayout) -> list[str]:
    args = ["--models-dir", str(layout.root)]
    if config.config_file:
        args += ["--config", config.config_file]
    return args


def _holder_pid(path, attempts: int = 20) -> int | None:
    """The pid holding the lock at ``path`` (retrying while a fresh holder writes it), or None when free."""
    for _ in range(attempts):
        holder = who_holds(path)
        if holder is None:
            return None
        if holder.pid is not None:
            return holder.pid
        time.sleep(0.05)
    raise ControlError(f"{path} is locked but its owner did not write its pid; try again")


def _event(layout: ModelsLayout, kind: str, **fields: Any) -> None:
    """Record an action; an unwritable event log is logged, never a reason to refuse the action."""
    try:
        append_event(layout.events, kind, **fields)
    except OSError as exc:
        log.warning("cannot record %s in %s: %s", kind, layout.events, exc.strerror or exc)


def status(config: Config) -> ServiceStatus:
    """The service status (see :func:`trainer.service.status.read_status`) plus queued requests and a running training.

    ``last_result`` is the newest training that ended, however it was started:
    the service's own record, unless the event log
    (:func:`trainer.service.reconcile.latest_result`) holds a later ending (a
    ``cla train`` run while the service was off, or the one Retrain now starts
    then) or says the newest training was killed (``abandoned``).
    """
    layout = config.layout
    data = read_status(layout, heartbeat_seconds=config.service.heartbeat_seconds)
    training = who_holds(layout.training_lock)
    return dataclasses.replace(
        data, models_dir=str(layout.root), queued_requests=len(pending_requests(layout)),
        training_pid=training.pid if training else None, log_file=str(layout.log),
        last_result=latest_result(layout, data.last_result, training_running=training is not None))


def start(config: Config, actor: str, *, timeout: float = 30.0) -> ControlResult:
    """Start the service for ``config.models_dir`` unless one runs; returns started or already_running.

    Waits until the new process reports itself running. Raises
    :class:`ControlError` when it exits first, with what it said on its
    report pipe (its ``cla:`` line, which survives a log that cannot be
    written, as on a full disk) and the end of the trainer log, or when it
    does not come up within ``timeout`` seconds.
    """
    layout = _layout(config)
    pid = _holder_pid(layout.service_lock)
    if pid is not None:
        return ControlResult("already_running", f"the trainer already runs for {layout.root} (pid {pid})", pid=pid)
    command = [sys.executable, "-m", "trainer", "trainer", "run", *_config_args(config, layout), "--actor", actor]
    proc, report = processes.spawn_detached(command, layout)
    try:
        return _await_start(config, layout, proc, report, timeout)
    finally:
        os.close(report)


def _await_start(config: Config, layout: ModelsLayout, proc: subprocess.Popen, report: int,
                 timeout: float) -> ControlResult:
    """Wait until ``proc`` reports itself running; raise :class:`ControlError` when it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = read_status(layout, heartbeat_seconds=config.service.heartbeat_seconds)
        if current.running and current.service_pid == proc.pid and current.state in (states.IDLE, states.TRAINING):
            return ControlResult("started", f"trainer started for {layout.root} (pid {proc.pid}); "
                                            f"log: {layout.log}", pid=proc.pid)
        if proc.poll() is not None:
            other = _holder_pid(layout.service_lock)
            if other is not None and other != proc.pid:
                return ControlResult("already_running", f"the trainer already runs for {layout.root} (pid {other})",
                                     pid=other)
            said = processes.read_report(report)
            raise ControlError(f"the trainer exited at start (code {proc.returncode})"
                               + (f": {said.removeprefix('cla: ')}" if said else "")
                               + f"; the end of {layout.log}:\n{processes.log_tail(layout)}")
        time.sleep(0.05)
    raise ControlError(f"the trainer (pid {proc.pid}) did not report running within {timeout:g} s; "
                       f"see {layout.log}:\n{processes.log_tail(layout)}")


def _mark_stopped(layout: ModelsLayout, message: str) -> str:
    """Write the status ``stopped`` for a service that cannot; returns the message, noting a failed write."""
    try:
        write_stopped(layout, message)
    except WriteError as exc:
        return f"{message} (the status file could not be updated: {exc})"
    return message


def stop(config: Config, actor: str, *, timeout: float | None = None) -> ControlResult:
    """Stop the service: SIGTERM, wait ``timeout`` (default: the stop timeout + 5 s), then SIGKILL.

    Returns stopped, killed or not_running; the status reads ``stopped``
    afterwards. Raises :class:`ControlError` if even SIGKILL does not free
    the lock.
    """
    layout = _layout(config)
    timeout = config.service.stop_timeout_seconds + 5 if timeout is None else timeout
    pid = _holder_pid(layout.service_lock)
    if pid is None:
        current = read_status(layout)
        if current.state == states.CRASHED:
            message = f"the trainer was not running (it had crashed: {current.message}); marked stopped"
            message = _mark_stopped(layout, message)
            _event(layout, "service_stopped", actor=actor, message=message)
            return ControlResult("not_running", message)
        return ControlResult("not_running", f"the trainer is not running for {layout.root}")
    try:
        write_stop_request(layout, actor)
    except WriteError:
        pass  # the service then records the stop as coming from a signal; stopping matters more
    processes.signal_group(pid, signal.SIGTERM)
    if processes.wait_ended(pid, layout.service_lock, timeout):
        return ControlResult("stopped", f"trainer stopped (pid {pid})", pid=pid)
    processes.signal_group(pid, signal.SIGKILL)
    if not processes.wait_ended(pid, layout.service_lock, 10.0):
        raise ControlError(f"the trainer (pid {pid}) still holds {layout.service_lock} after SIGKILL")
    layout.stop_request.unlink(missing_ok=True)
    message = f"trainer (pid {pid}) killed by {actor}: it did not stop within {timeout:g} s of SIGTERM"
    message = _mark_stopped(layout, message)
    _event(layout, "service_stopped", actor=actor, message=message)
    return ControlResult("killed", message, pid=pid)


def retrain(config: Config, actor: str, *, wait: bool = False, timeout: float | None = None) -> ControlResult:
    """Ask for one training now; returns queued, coalesced, started_process or already_training.

    A running service gets a request file (or, if one is already queued,
    none: the requests coalesce). With the service off, one ``cla train
    --trigger force`` runs in its own process, unless a training already
    holds the lock. With ``wait`` the call returns once that training ended,
    with its result in ``outcome``; raises :class:`ControlError` after
    ``timeout`` seconds or when the service dies meanwhile.
    """
    layout = _layout(config)
    service_pid = _holder_pid(layout.service_lock)
    if service_pid is not None:
        queued = pending_requests(layout)
        if queued:
            request_id = str(read_request(queued[0]).id)
            result = ControlResult("coalesced", f"a retrain is already queued ({request_id}); this request joins it",
                                   pid=service_pid, request_id=request_id)
        else:
            request_id = new_request_id()
            try:
                write_request(layout, request_id, actor)
            except WriteError as exc:
                raise ControlError(f"cannot queue the retrain request: {exc}") from None
            message = f"retrain requested from the running trainer (pid {service_pid})"
            now = read_status(layout)
            current = now.current if now.state == states.TRAINING else None
            if current is not None:
                message = (f"a training is running (asked by {current.actor} at {current.started_at}): "
                           "it answers this request, or one more training follows if feedback arrives meanwhile")
            result = ControlResult("queued", message, pid=service_pid, request_id=request_id)
        _event(layout, "retrain_requested", actor=actor, trigger="force", message=result.message,
               request_id=request_id)
        if wait:
            result.outcome = _wait_for_request(config, layout, request_id, timeout)
        return result
    training_pid = _holder_pid(layout.training_lock)
    if training_pid is not None:
        message = f"a training is already running (pid {training_pid}); no second one was started"
        _event(layout, "retrain_requested", actor=actor, trigger="force", message=message)
        return ControlResult("already_training", message, pid=training_pid)
    command = [sys.executable, "-m", "trainer", "train", *_config_args(config, layout),
               "--trigger", "force", "--actor", actor]
    proc, report = processes.spawn_detached(command, layout, reap=not wait)
    try:
        message = f"the trainer service is off: one training runs in its own process (pid {proc.pid})"
        _event(layout, "retrain_requested", actor=actor, trigger="force", message=message, training_pid=proc.pid)
        result = ControlResult("started_process", message, pid=proc.pid)
        if wait:
            result.outcome = _wait_for_process(layout, proc, timeout, report)
        return result
    finally:
        os.close(report)


def _wait_for_request(config: Config, layout: ModelsLayout, request_id: str, timeout: float | None) -> LastResult:
    """Poll the status until the training that consumed ``request_id`` has a result; returns that result."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        current = read_status(layout, heartbeat_seconds=config.service.heartbeat_seconds)
        last = current.last_result
        if last is not None and request_id in last.requests:
            return last
        if current.state in (states.CRASHED, states.STOPPED):
            raise ControlError(f"the trainer {current.state} before the requested training ended: "
                               f"{current.message}")
        time.sleep(0.05)
    raise ControlError(f"the requested training did not end within {timeout:g} s; it may still be running "
                       f"(see `cla trainer status`)")


def _wait_for_process(layout: ModelsLayout, proc: subprocess.Popen, timeout: float | None,
                      report: int) -> LastResult:
    """Wait for a stand-alone ``cla train``; returns its last training event (or its report line) as a result."""
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
        raise ControlError(f"the training (pid {proc.pid}) did not end within {timeout:g} s; "
                           "it keeps running in the background") from None
    events, _ = read_event_rows(layout.events, limit=500)
    for event in reversed(events):
        if event.pid == proc.pid and event.event in TRAINING_OUTCOMES:
            return LastResult.of(outcome=event.event.removeprefix("training_"), model_id=event.model_id,
                                 message=event.message, finished_at=event.ts, trigger=event.trigger,
                                 actor=event.actor, duration_s=event.duration_s, exit_code=code)
    outcome = exit_codes.outcome_of(code)
    said = processes.read_report(report)
    return LastResult.of(outcome=outcome, model_id=None, exit_code=code,
                         message=f"the training process exited with code {code} without recording a result"
                                 + (f": {said.removeprefix('cla: ')}" if said else "")
                                 + f"; see {layout.log}:\n{processes.log_tail(layout, 5)}")
