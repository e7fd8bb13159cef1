"""Activity page: the event log as a filterable table, newest first, and the tail of the trainer log.

The events and the folder's problems come from the shared snapshot
(:func:`dashboard.snapshot.snapshot`, re-read only when the watcher counted a
change), turned into a table once per snapshot for every session
(:func:`read_events_table`); the filters (event
kinds, actor, free text) sit outside the live fragment so they keep their values
while it refreshes. The table's rows are tall enough for a message to wrap onto
:data:`MESSAGE_LINES` lines; a click on an event shows it in full under the
table, message and details, however long (kept by the event's identity, so
newer events arriving above it do not swap it). Trigger, model and duration
are behind "More columns", so the message has the room from 1024 px up. The
trainer log (``runtime/trainer.log``) is read from its end only, however long
it has grown.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.markdown import literal
from dashboard.snapshot import snapshot
from trainer.contract.events import KINDS, Event
from trainer.reading import LOG_MAX_BYTES, open_regular

TAIL_BYTES = 64_000
COLUMNS = ["time (UTC)", "event", "actor", "model", "message", "trigger", "duration (s)", "details", "key"]
SHOWN_ORDER = ["time (UTC)", "event", "actor", "message"]
MORE_COLUMNS = ["trigger", "model", "duration (s)"]
#: a message's column is MESSAGE_PX wide from 1024 px up (wider when the table stretches), about LINE_CHARS a line
MESSAGE_PX = 340
LINE_CHARS = 45
#: at most this many lines of a message in its row (Streamlit wraps a cell's text only in rows taller than 4 rem);
#: a longer message ends with "…" there and is whole under the table once clicked
MAX_LINES = 4
LINE_PX = 19
ONE_LINE_PX = 35
#: the rows' event keys as drawn, so a click names its event; and the key of the event clicked last
ROW_KEYS = "_activity_row_keys"
PICKED_KEY = "_activity_picked"

config = context.get_config()
layout = config.layout


def event_key(event: Event) -> str:
    """What tells one event from another: its time, kind, actor and writing process."""
    return "|".join(str(part or "") for part in (event.ts, event.event, event.actor, event.pid))


def details_text(event: Event) -> str:
    """An event's details as indented JSON, "" when it has none."""
    details = event.details
    return json.dumps(details.to_json(), indent=1, sort_keys=True, default=str) if details and details.keys else ""


def event_frame(rows_read: list[dict]) -> pd.DataFrame:
    """One row per event (the log's rows as read), newest first, with the columns in :data:`COLUMNS`."""
    events = [Event.from_json(row) for row in rows_read if isinstance(row, dict)]
    rows = [{"time (UTC)": pd.to_datetime(event.ts, utc=True, errors="coerce"),
             "event": event.event or "", "actor": event.actor or "",
             "trigger": event.trigger or "", "model": event.model_id or "",
             "message": event.message or "", "duration (s)": event.duration_s,
             "details": details_text(event), "key": event_key(event)}
            for event in events]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["time (UTC)"] = pd.to_datetime(frame["time (UTC)"], utc=True)
    seconds = pd.to_numeric(frame["duration (s)"], errors="coerce")
    frame["duration (s)"] = [f"{value:.1f}" if pd.notna(value) else "" for value in seconds]
    return frame.iloc[::-1].sort_values("time (UTC)", ascending=False, kind="stable").reset_index(drop=True)


def table_rows(shown: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(the rows as the table draws them, their height in px): as tall as the longest message needs, within
    :data:`MAX_LINES` lines at 1024 px; a message longer than that is cut at a word with "…"."""
    longest = int(shown["message"].str.len().max()) if len(shown) else 0
    if longest <= LINE_CHARS:
        return shown, ONE_LINE_PX
    lines = min(MAX_LINES, max(3, -(-longest // LINE_CHARS)))
    room = lines * LINE_CHARS

    def fit(text: str) -> str:
        return text if len(text) <= room else text[:room - 1].rsplit(" ", 1)[0] + " …"

    return shown.assign(message=shown["message"].map(fit)), lines * LINE_PX + 8


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
st.caption("Every training, promotion, rollback, control action and review verdict, undo or skip, with who or "
           "what triggered it.")
left, middle, right = st.columns([3, 2, 3])
with left:
    kinds = st.multiselect("Event kinds", sorted(KINDS), key="activity_kinds", placeholder="all kinds")
with middle:
    actor = st.text_input("Actor contains", key="activity_actor")
with right:
    text = st.text_input("Text contains", key="activity_text", placeholder="model id, message, trigger…")
lines = st.select_slider("Trainer log lines", options=[20, 50, 100, 200, 500], value=50, key="activity_lines")
more = st.toggle("More columns", key="activity_more", help=f"Also {', '.join(MORE_COLUMNS)}; the message gets "
                                                           "less room.")


def event_clicked() -> None:
    """Table callback: the event of the clicked cell is shown in full under the table."""
    selection = (st.session_state.get("activity_events") or {}).get("selection") or {}
    keys = st.session_state.get(ROW_KEYS) or []
    for row, _column in selection.get("cells") or []:
        if 0 <= row < len(keys):
            st.session_state[PICKED_KEY] = keys[row]


def show_picked(frame: pd.DataFrame) -> None:
    """The event clicked last, its whole message and its details."""
    rows = frame[frame["key"] == st.session_state.get(PICKED_KEY)]
    if rows.empty:
        return
    row = rows.iloc[0]
    with st.container(border=True, key="activity_picked"):
        when = row["time (UTC)"].strftime("%Y-%m-%d %H:%M:%S UTC") if pd.notna(row["time (UTC)"]) else "unknown time"
        facts = [f"**{row['event']}** at {when} by {literal(row['actor'])}"]
        facts += [f"{name} {literal(row[column])}" for name, column in
                  (("trigger", "trigger"), ("model", "model"), ("took", "duration (s)")) if row[column]]
        facts = [f"{fact} s" if fact.startswith("took") else fact for fact in facts]
        st.markdown(" · ".join(facts))
        st.text(row["message"] or "(no message)")
        if row["details"]:
            st.code(row["details"], language="json", wrap_lines=True)


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
        # the short columns first at fixed widths, the message last taking the rest and wrapping in tall rows
        st.session_state[ROW_KEYS] = shown["key"].tolist()
        order = [*SHOWN_ORDER[:-1], *(MORE_COLUMNS if more else []), SHOWN_ORDER[-1]]
        drawn, row_px = table_rows(shown)
        st.dataframe(drawn, hide_index=True, width="stretch", column_order=order, key="activity_events",
                     row_height=row_px, height=min(len(drawn), 10) * row_px + 38,
                     on_select=event_clicked, selection_mode="single-cell",
                     column_config={"time (UTC)": st.column_config.DatetimeColumn(format="MM-DD HH:mm:ss", width=100),
                                    "event": st.column_config.TextColumn(width=120),
                                    "actor": st.column_config.TextColumn(width=90),
                                    "trigger": st.column_config.TextColumn(width=70),
                                    "model": st.column_config.TextColumn(width=118),
                                    "duration (s)": st.column_config.TextColumn("s", width=40,
                                                                                help="duration in seconds"),
                                    "message": st.column_config.TextColumn(width=MESSAGE_PX)})
        st.caption("Click an event to read it in full, with its details, here.")
        show_picked(frame)
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
