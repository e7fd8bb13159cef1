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
from datetime import datetime, timezone
from typing import Any

import streamlit as st

from dashboard import context
from dashboard.markdown import literal
from dashboard.formatting import ago, parse_iso
from trainer.service import control
from trainer.contract import states
from trainer.contract.states import CYCLE_STAGES
from trainer.contract.status import CurrentTraining, ServiceStatus
from trainer.errors import CLAError

#: the stages a training goes through, in order (``status.stage``, see trainer.service.cycle)
STAGES = CYCLE_STAGES
NOTICE_KEY = "_control_notice"
NOTICE_SECONDS = 60.0  # how long what an action said stays under the buttons (less once a training answered it)


@dataclass(frozen=True)
class ButtonState:
    """Whether a button is disabled and the tooltip that says why (or what it does)."""

    disabled: bool
    help: str


def read_status() -> ServiceStatus:
    """The trainer status (``control.status``), or an ``unknown`` status whose message says why it cannot be read.

    What reading it can meet: a runtime folder or lock file the dashboard may
    not read (OSError), a configuration that no longer loads (a CLAError).
    """
    try:
        return control.status(context.get_config())
    except (OSError, CLAError) as exc:
        return ServiceStatus.of(state="unknown", stage=None, message=f"the trainer status cannot be read: {exc}")


def button_states(status: ServiceStatus, allowed: bool, reason: str) -> dict[str, ButtonState]:
    """The state of the start, stop and retrain buttons for this status and access decision."""
    if not allowed:
        return dict.fromkeys(("start", "stop", "retrain"), ButtonState(True, reason))
    state = status.state
    running = status.running
    training = state == states.TRAINING or bool(status.training_pid)
    queued = status.queued_requests or 0
    start = (ButtonState(True, f"the trainer already runs (pid {status.service_pid})") if running
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


def progress_of(status: ServiceStatus, now: datetime | None = None) -> tuple[float, str] | None:
    """(fraction done, sentence) while a training runs, else None."""
    if status.state != states.TRAINING and not status.training_pid:
        return None
    stage = status.stage
    current = status.current or CurrentTraining()
    who = f", asked by {literal(current.actor)}" if current.actor else ""
    since = parse_iso(current.started_at)
    started = f", started {ago(since, now)}" if since else ""
    if stage in STAGES:
        index = STAGES.index(stage)
        return (index + 0.5) / len(STAGES), f"Stage {index + 1} of {len(STAGES)}: {stage}{started}{who}"
    if status.training_pid and status.state != states.TRAINING:
        return 0.02, f"A training runs in its own process (pid {status.training_pid}); the service is off"
    return 0.02, f"Training{started}{who}"


MODEL_DETAIL_PAGE = "views/model_detail.py"


def model_link(model_id: str) -> None:
    """A link to Model detail for ``model_id`` that opens in this tab (``st.page_link``; a Markdown link opens a new
    tab, and a second dashboard tab was the Overview's most common surprise)."""
    st.page_link(MODEL_DETAIL_PAGE, label=f"Open model {model_id} in Model detail", icon=":material/search_insights:",
                 query_params={"model": model_id})


def result_of(status: ServiceStatus, now: datetime | None = None,
              decision: str | None = None) -> tuple[str, str] | None:
    """(level, sentence) for the last training's result, or None before the first one.

    ``decision`` is the promotion decision stored with the model it wrote
    (``promoted``, ``first_champion``, ``rejected``, ``held``; None when
    unknown, then the trainer's message tells): only a promotion is a success,
    a model that was not promoted is a warning with the reason in the same
    line. :func:`render` draws the link to the model's Model detail under it.
    """
    last = status.last_result
    if last is None or not last.outcome:
        return None
    outcome = last.outcome
    finished = parse_iso(last.finished_at)
    when = f" {ago(finished, now)}" if finished else ""
    message = last.message or ""
    model_id = last.model_id or ""
    if model_id and model_id not in message:
        message = f"model {model_id}: {message}"
    took = f" in {last.duration_s:.0f} s" if last.duration_s is not None else ""
    if outcome == "finished":
        rejected = decision == "rejected" or (decision is None and "not promoted:" in message)
        level = "warning" if rejected else "info" if decision == "held" or "; held:" in message else "success"
        return level, f"Last training finished{when}{took} — {message}"
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
        st.session_state[NOTICE_KEY] = notice("error", f"{action.capitalize()} refused: {reason}")
        return
    actor = context.current_user()
    try:
        if action == "start":
            result = control.start(config, actor)
        elif action == "stop":
            result = control.stop(config, actor)
        else:
            result = control.retrain(config, actor)
        st.session_state[NOTICE_KEY] = notice("success", f"{result.message}; asked by {literal(actor)}")
    except control.ControlError as exc:
        st.session_state[NOTICE_KEY] = notice("error", f"{action.capitalize()} failed: {exc}")


def notice(level: str, text: str) -> tuple[str, str, float, datetime]:
    """What an action said, with when (monotonic for its age, UTC to compare with a training's end)."""
    return level, text, time.monotonic(), datetime.now(timezone.utc)


def notice_current(kept: Any, status: ServiceStatus, now: float | None = None) -> bool:
    """Whether an action's notice still says something: younger than :data:`NOTICE_SECONDS`, no training ended since.

    Once a training ended after the press, the last result below the buttons
    says what happened; "one training runs in its own process" would be stale.
    """
    if not kept or (now if now is not None else time.monotonic()) - kept[2] >= NOTICE_SECONDS:
        return False
    ended = parse_iso(status.last_result.finished_at if status.last_result is not None else None)
    return ended is None or ended < kept[3]


def render(status: ServiceStatus, decision: str | None = None) -> None:
    """The three buttons, the progress of a running training and the last result (see :func:`result_of`)."""
    allowed, reason = context.can_control()
    states = button_states(status, allowed, reason)
    columns = st.columns([1, 1, 1.5, 2.5])  # "Retrain now" whole from 1024 px up
    labels = {"start": "▶ Start", "stop": "■ Stop", "retrain": "↻ Retrain now"}
    for column, (name, label) in zip(columns, labels.items()):
        with column:
            st.button(label, key=f"control_{name}", disabled=states[name].disabled, help=states[name].help,
                      width="stretch", type="primary" if name == "retrain" else "secondary",
                      on_click=_act, args=(name,))
    if not allowed:
        with columns[3]:
            st.caption(f"🔒 {reason}")
    kept = st.session_state.get(NOTICE_KEY)
    if notice_current(kept, status):
        (st.info if kept[0] == "success" else st.error)(kept[1])
    progress = progress_of(status)
    if progress:
        st.progress(progress[0], text=progress[1])
    result = result_of(status, decision=decision)
    if result:
        {"success": st.success, "error": st.error, "warning": st.warning}.get(result[0], st.info)(result[1])
        last = status.last_result
        if last is not None and last.model_id:
            model_link(last.model_id)
