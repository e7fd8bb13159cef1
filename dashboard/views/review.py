"""Review page: the next alert of the chosen queue, its score and why, and the verdict buttons.

The queue comes from :func:`trainer.review.next_alerts` (pending alerts
scored by the champion, minus those this analyst has seen and those with a
verdict); the verdict from :func:`trainer.review.give`, which writes it back
to the feedback source with this session's user as the analyst. Giving or
undoing a verdict is a control action: it is checked with
:func:`dashboard.context.authorize` in the button's callback, where it runs,
as Retrain now is; a refusal is an error here and an ``action_refused`` event.
Keyboard: T true positive, F false positive, S skip, U undo.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.formatting import digits_apart, fmt
from dashboard.review_panel import PUSH_NOTE, reasons_text
from dashboard.markdown import literal
from trainer import review

NOTICE_KEY = "_review_notice"
NOTICE_SECONDS = 30.0
UP_NEXT = 5
#: what each action is called in messages and in the event log's refusals
ACTIONS = {"tp": "true positive verdict", "fp": "false positive verdict", "skip": "skip", "undo": "undo"}

config = context.get_config()


def _notice(level: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (level, text[:1].upper() + text[1:], time.monotonic())


def _act(action: str, item: dict[str, Any] | None = None) -> None:
    """Button callback: check access where the action runs, then give, skip or undo for this session's user."""
    name = ACTIONS[action]
    allowed, reason = context.authorize(f"review: {name}")
    if not allowed:
        _notice("error", f"{name} refused: {reason}")
        return
    actor = context.current_user()
    try:
        if action == "undo":
            undone = review.undo_last(config, actor=actor)
            _notice("success", f"verdict on {literal(undone['alert_id'])} ({review.LABELS[undone['label']]}) undone")
        elif action == "skip":
            review.skip(config, item["alert_id"], actor=actor)
            _notice("info", f"{literal(item['alert_id'])} skipped; you will not see it again")
        else:
            comment = st.session_state.get(f"comment_{item['alert_id']}", "")
            result = review.give(config, item["alert_id"], action, actor=actor, comment=comment,
                                 policy=item["policy"],
                                 score_info=(item["score"], item["threshold"], item["model_id"]))
            said = f"{review.LABELS[action]} recorded for {literal(item['alert_id'])} by {literal(actor)}"
            if result.written:
                _notice("success", said)
            else:
                _notice("warning", f"{said}, but not yet in the feedback source: {result.message}")
    except (review.ReviewError, ValueError, OSError) as exc:
        _notice("error", f"{name} failed: {exc}")


def attributes_table(item: review.QueueItem) -> pd.DataFrame:
    return pd.DataFrame({"attribute": list(item.attributes),
                         "value": [str(v) for v in item.attributes.values()]})


def verdict_buttons(item: review.QueueItem, allowed: bool, reason: str) -> None:
    payload = {"alert_id": item.alert_id, "policy": item.policy, "score": item.score,
               "threshold": item.threshold, "model_id": item.model_id}
    buttons = st.columns([1, 1, 1, 1, 2])
    help_text = reason or None
    buttons[0].button("True positive", key="verdict_tp", type="primary", shortcut="T", disabled=not allowed,
                      help=help_text, on_click=_act, args=("tp", payload), width="stretch")
    buttons[1].button("False positive", key="verdict_fp", shortcut="F", disabled=not allowed, help=help_text,
                      on_click=_act, args=("fp", payload), width="stretch")
    buttons[2].button("Skip", key="verdict_skip", shortcut="S", disabled=not allowed, help=help_text,
                      on_click=_act, args=("skip", payload), width="stretch")


def draw_alert(item: review.QueueItem, allowed: bool, reason: str) -> None:
    flagged = item.score >= item.threshold
    digits = digits_apart(item.score, item.threshold)
    st.subheader(f"Alert {literal(item.alert_id)}")
    cols = st.columns(3)
    cols[0].metric("Champion score", fmt(item.score, digits))
    cols[1].metric("Threshold", fmt(item.threshold, digits))
    cols[2].metric("Champion says", "flag" if flagged else "skip",
                   help=f"model {item.model_id}: flag when the score is at or above the threshold")
    # the verdict first: at 1024 x 768 the buttons sit above the fold, the evidence below them
    st.text_input("Comment (optional)", key=f"comment_{item.alert_id}", disabled=not allowed)
    verdict_buttons(item, allowed, reason)
    left, right = st.columns([3, 2])
    with left:
        st.dataframe(attributes_table(item), hide_index=True, width="stretch",
                     column_config={"attribute": st.column_config.TextColumn("attribute", width="medium"),
                                    "value": st.column_config.TextColumn("value", width="medium")})
    with right:
        st.markdown("**What pushed the score**")
        lines = reasons_text(item, digits)
        if lines:
            st.markdown("\n".join(f"- {line}" for line in lines))
            st.caption(PUSH_NOTE)
        else:
            st.caption(f"no single attribute moved the score by {0.5 * 10 ** -digits:.{digits + 1}f} or more")


def forget_notice() -> None:
    """Another queue was chosen: the last action's notice belongs to the queue it was given in."""
    st.session_state.pop(NOTICE_KEY, None)


st.title("Review")
policy = st.segmented_control("Queue", list(review.POLICIES), default="uncertain", required=True,
                              format_func=str.capitalize, key="review_policy", on_change=forget_notice)
st.caption(review.POLICIES[policy])
allowed, reason = context.can_control()
if not allowed:
    st.caption(f"🔒 {reason}")
actor = context.current_user()

notice = st.session_state.get(NOTICE_KEY)
if notice and time.monotonic() - notice[2] < NOTICE_SECONDS:
    {"success": st.success, "warning": st.warning, "info": st.info}.get(notice[0], st.error)(notice[1])

try:
    queue = review.next_alerts(config, policy, limit=UP_NEXT + 1, actor=actor, with_reasons=True)
except (review.ReviewError, ValueError) as exc:
    st.error(str(exc))
    queue = None

if queue is not None:
    st.caption(f"{queue.waiting:,} of {queue.pending:,} pending alerts not yet seen by {literal(actor)} · "
               f"champion {queue.model_id}")
    if queue.items:
        draw_alert(queue.items[0], allowed, reason)
        rest = queue.items[1:]
        if rest:
            st.markdown("**Up next**")
            st.dataframe(pd.DataFrame({"alert": [i.alert_id for i in rest], "score": [i.score for i in rest]}),
                         hide_index=True)
    else:
        st.info("Nothing left to review in this queue.")
st.button("Undo my last verdict", key="verdict_undo", shortcut="U", disabled=not allowed, on_click=_act,
          args=("undo",))
