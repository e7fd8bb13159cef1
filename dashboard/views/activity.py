"""Activity page: the event log as a filterable table, newest first, and the tail of the trainer log.

The events and the folder's problems come from the shared snapshot
(:func:`dashboard.snapshot.snapshot`, re-read only when the watcher counted a
change), turned into a table once per snapshot for every session
(:func:`read_events_table`); the filters (event
kinds, actor, free text) sit outside the live fragment so they keep their values
while it refreshes. The trainer log (``runtime/trainer.log``) is read from its end
only, however long it has grown.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.snapshot import snapshot
from trainer.contract.events import KINDS
from trainer.reading import LOG_MAX_BYTES, open_regular

TAIL_BYTES = 64_000
COLUMNS = ["time (UTC)", "event", "actor", "model", "message", "trigger", "duration (s)"]
SHOWN_ORDER = ["time (UTC)", "event", "actor", "trigger", "model", "duration (s)", "message"]

config = context.get_config()
layout = config.layout


def event_frame(events: list[dict]) -> pd.DataFrame:
    """One row per event, newest first, with the columns in :data:`COLUMNS`."""
    rows = [{"time (UTC)": pd.to_datetime(event.get("ts"), utc=True, errors="coerce"),
             "event": str(event.get("event") or ""), "actor": str(event.get("actor") or ""),
             "trigger": str(event.get("trigger") or ""), "model": str(event.get("model_id") or ""),
             "message": str(event.get("message") or ""), "duration (s)": event.get("duration_s")}
            for event in events if isinstance(event, dict)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["time (UTC)"] = pd.to_datetime(frame["time (UTC)"], utc=True)
    seconds = pd.to_numeric(frame["duration (s)"], errors="coerce")
    frame["duration (s)"] = [f"{value:.1f}" if pd.notna(value) else "" for value in seconds]
    return frame.iloc[::-1].sort_values("time (UTC)", ascending=False, kind="stable").reset_index(drop=True)


def read_events_table() -> tuple[pd.DataFrame, list[str]]:
    """(every event as a table, the folder's problems) of the shared snapshot, built once per watcher-counted change."""
    current = snapshot()
    return current.derive("event_frame", lambda: event_frame(current.events)), [str(p) for p in current.problems]


def filter_events(frame: pd.DataFrame, kinds: list[str], actor: str, text: str) -> pd.DataFrame:
    """Rows of the chosen kinds (all when none), whose actor contains ``actor`` and any column ``text``."""
    keep = pd.Series(True, index=frame.index)
    if kinds:
        keep &= frame["event"].isin(kinds)
    if actor.strip():
        keep &= frame["actor"].str.contains(actor.strip(), case=False, regex=False)
    if text.strip():
        haystack = frame[["event", "actor", "trigger", "model", "message"]].agg(" ".join, axis=1)
        keep &= haystack.str.contains(text.strip(), case=False, regex=False)
    return frame[keep].reset_index(drop=True)


def log_tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of ``path`` (read from its last :data:`TAIL_BYTES`); raises OSError."""
    with open_regular(path, LOG_MAX_BYTES) as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - TAIL_BYTES))
        data = fh.read()
    text = data.decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES:
        text = text[1:]  # the first line was cut by the seek
    return "\n".join(text[-lines:])


st.title("Activity")
st.caption("Every training, promotion, rollback and control action, with who or what triggered it.")
left, middle, right = st.columns([3, 2, 3])
with left:
    kinds = st.multiselect("Event kinds", sorted(KINDS), key="activity_kinds", placeholder="all kinds")
with middle:
    actor = st.text_input("Actor contains", key="activity_actor")
with right:
    text = st.text_input("Text contains", key="activity_text", placeholder="model id, message, trigger…")
lines = st.select_slider("Trainer log lines", options=[20, 50, 100, 200, 500], value=50, key="activity_lines")


@st.fragment(run_every=config.dashboard.refresh_seconds)
def live_activity() -> None:
    """The filtered event table and the log tail."""
    frame, problems = read_events_table()
    for problem in problems:
        st.warning(problem)
    shown = filter_events(frame, kinds, actor, text)
    st.subheader(f"Events ({len(shown)} of {len(frame)})")
    if frame.empty:
        st.info(f"No event recorded yet in {layout.events}.")
    else:
        # the short columns first at fixed widths, the message last taking the rest: nothing is cut from 1024 px up
        st.dataframe(shown, hide_index=True, width="stretch", column_order=SHOWN_ORDER, key="activity_events",
                     column_config={"time (UTC)": st.column_config.DatetimeColumn(format="MM-DD HH:mm:ss", width=100),
                                    "event": st.column_config.TextColumn(width=120),
                                    "actor": st.column_config.TextColumn(width=75),
                                    "trigger": st.column_config.TextColumn(width=70),
                                    "model": st.column_config.TextColumn(width=118),
                                    "duration (s)": st.column_config.TextColumn("s", width=40,
                                                                                help="duration in seconds"),
                                    "message": st.column_config.TextColumn(width="large")})
    st.subheader("Trainer log")
    try:
        tail = log_tail(layout.log, lines)
    except FileNotFoundError:
        st.info(f"No trainer log yet ({layout.log}): it starts when the trainer runs.")
    except OSError as exc:
        st.warning(f"The trainer log {layout.log} cannot be read: {exc.strerror or exc}")
    else:
        st.caption(f"Last {lines} lines of {layout.log}")
        st.code(tail or "(empty)", language="log", wrap_lines=True)


live_activity()
