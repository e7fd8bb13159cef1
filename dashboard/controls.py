"""Start, Stop and Retrain now: the Overview's buttons, the training progress and the last result.

The decisions are plain functions tested without Streamlit:
:func:`button_states` (which buttons are enabled, and why not),
:func:`progress_of` (where a running training is among the trainer's stages)
and :func:`result_of` (the last training's outcome as one sentence).
:func:`render` lays them out and calls :mod:`trainer.service.control` with the
session's user as the actor (``dashboard.context.current_user``), so every
press is recorded in the event log with who pressed it. Access is checked
again when the action runs (``dashboard.context.authorize``), not only by
disabling the buttons: a refused action is an error under the buttons and an
``action_refused`` event. A second press
never starts a second training: the buttons are disabled while one runs, and
``control.retrain`` coalesces with a request already queued.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard import context
from dashboard.markdown import literal
from dashboard.state import ago
from trainer.service import control
from trainer.contract import states
from trainer.contract.states import CYCLE_STAGES
from trainer.timestamps import parse_iso

#: the stages a training goes through, in order (``status["stage"]``, see trainer.service.cycle)
STAGES = CYCLE_STAGES
NOTICE_KEY = "_control_notice"
NOTICE_SECONDS = 60.0  # how long what an action said stays under the buttons


@dataclass(frozen=True)
class ButtonState:
    """Whether a button is disabled and the tooltip that says why (or what it does)."""

    disabled: bool
    help: str


def button_states(status: dict[str, Any], allowed: bool, reason: str) -> dict[str, ButtonState]:
    """The state of the start, stop and retrain buttons for this status and access decision."""
    if not allowed:
        return dict.fromkeys(("start", "stop", "retrain"), ButtonState(True, reason))
    state = status.get("state")
    running = bool(status.get("running"))
    training = state == states.TRAINING or bool(status.get("training_pid"))
    queued = int(status.get("queued_requests") or 0)
    start = (ButtonState(True, f"the trainer already runs (pid {status.get('service_pid')})") if running
             else ButtonState(False, "start the trainer service; it keeps running when the dashboard closes"))
    stop = (ButtonState(False, "ask the trainer to finish cleanly, then stop") if running
            else ButtonState(True, "the trainer is not running"))
    if state == states.STOPPING:
        start = stop = ButtonState(True, "the trainer is stopping")
    if training:
        retrain = ButtonState(True, "a training is running; wait for its result")
    elif queued:
        retrain = ButtonState(True, "a retrain is already queued")
    elif state == states.STOPPING:
        retrain = ButtonState(True, "the trainer is stopping")
    else:
        retrain = ButtonState(False, "train once now" + ("" if running else
                                                        " (the service is off: one training runs on its own)"))
    return {"start": start, "stop": stop, "retrain": retrain}


def progress_of(status: dict[str, Any], now: datetime | None = None) -> tuple[float, str] | None:
    """(fraction done, sentence) while a training runs, else None."""
    if status.get("state") != states.TRAINING and not status.get("training_pid"):
        return None
    stage = status.get("stage")
    current = status.get("current") if isinstance(status.get("current"), dict) else {}
    who = f", asked by {literal(current['actor'])}" if current.get("actor") else ""
    since = parse_iso(current.get("started_at"))
    started = f", started {ago(since, now)}" if since else ""
    if stage in STAGES:
        index = STAGES.index(stage)
        return (index + 0.5) / len(STAGES), f"Stage {index + 1} of {len(STAGES)}: {stage}{started}{who}"
    if status.get("training_pid") and status.get("state") != states.TRAINING:
        return 0.02, f"A training runs in its own process (pid {status['training_pid']}); the service is off"
    return 0.02, f"Training{started}{who}"


def result_of(status: dict[str, Any], now: datetime | None = None) -> tuple[str, str] | None:
    """(level, sentence) for the last training's result, or None before the first one."""
    last = status.get("last_result")
    if not isinstance(last, dict) or not last.get("outcome"):
        return None
    outcome = last["outcome"]
    finished = parse_iso(last.get("finished_at"))
    when = f" {ago(finished, now)}" if finished else ""
    message = last.get("message") or ""
    model_id = str(last.get("model_id") or "")
    if model_id and model_id not in message:
        message = f"model {model_id}: {message}"
    took = f" in {last['duration_s']:.0f} s" if isinstance(last.get("duration_s"), (int, float)) else ""
    if outcome == "finished":
        return "success", f"Last training finished{when}{took} — {message}"
    if outcome == "failed":
        return "error", f"Last training failed{when}: {message}"
    return "info", f"Last training {outcome}{when}: {message}"


def _act(action: str) -> None:
    """Button callback: run one control action for this session's user, keep what it said for the render.

    As a callback it runs before the page (or fragment) reruns, so that rerun
    already shows the new status and the buttons it implies.
    """
    config = context.get_config()
    allowed, reason = context.authorize(action)
    if not allowed:
        st.session_state[NOTICE_KEY] = ("error", f"{action.capitalize()} refused: {reason}", time.monotonic())
        return
    actor = context.current_user()
    try:
        if action == "start":
            result = control.start(config, actor)
        elif action == "stop":
            result = control.stop(config, actor)
        else:
            result = control.retrain(config, actor)
        st.session_state[NOTICE_KEY] = ("success", f"{result.message} (by {literal(actor)})", time.monotonic())
    except control.ControlError as exc:
        st.session_state[NOTICE_KEY] = ("error", f"{action.capitalize()} failed: {exc}", time.monotonic())


def render(status: dict[str, Any]) -> None:
    """The three buttons, the progress of a running training and the last result."""
    allowed, reason = context.can_control()
    states = button_states(status, allowed, reason)
    columns = st.columns([1, 1, 1, 3])
    labels = {"start": "▶ Start", "stop": "■ Stop", "retrain": "↻ Retrain now"}
    for column, (name, label) in zip(columns, labels.items()):
        with column:
            st.button(label, key=f"control_{name}", disabled=states[name].disabled, help=states[name].help,
                      width="stretch", type="primary" if name == "retrain" else "secondary",
                      on_click=_act, args=(name,))
    if not allowed:
        with columns[3]:
            st.caption(f"🔒 {reason}")
    notice = st.session_state.get(NOTICE_KEY)
    if notice and time.monotonic() - notice[2] < NOTICE_SECONDS:
        (st.success if notice[0] == "success" else st.error)(notice[1])
    progress = progress_of(status)
    if progress:
        st.progress(progress[0], text=progress[1])
    result = result_of(status)
    if result:
        {"success": st.success, "error": st.error}.get(result[0], st.info)(result[1])
