"""The append-only event log of a models folder (``ModelsLayout.events``): one JSON object a line.

Trainer, registry and service append with :func:`append_event`; the dashboard
and ``cla`` read with :func:`read_events` (the rows as written) or
:func:`read_event_rows` (each row an :class:`~trainer.contract.events.Event`). Appends take an exclusive
``fcntl`` lock and write one line in one call (:func:`trainer.atomic.append_json_line`), so concurrent writers never
interleave; a last line left without its newline (a writer killed mid-write,
a disk that filled) is closed first, so the next event starts on its own line
and only the torn one is lost. A line that does not parse (a crash mid-write on a foreign
filesystem) is reported by :func:`read_events` and skipped, never fatal.

The event kinds and the row are declared in :mod:`trainer.contract.events`.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

from trainer.atomic import append_json_line
from trainer.contract.events import KINDS, Event
from trainer.timestamps import now_iso, parse_iso
from trainer.reading import LOG_MAX_BYTES, open_regular


def local_user() -> str:
    """The OS user running this process, as the actor of CLI actions."""
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no password entry (KeyError; OSError from 3.13), no pwd module
        return f"uid:{os.getuid()}"


def append_event(path: str | os.PathLike, kind: str, *, actor: str | None = None, trigger: str | None = None,
                 message: str = "", duration_s: float | None = None, model_id: str | None = None,
                 **details: Any) -> Event:
    """Append one event and return it. Raises ValueError for an unknown kind, OSError if unwritable."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    event: dict[str, Any] = {
        "ts": now_iso(), "event": kind, "actor": actor or local_user(), "trigger": trigger,
        "message": message, "duration_s": None if duration_s is None else round(duration_s, 3),
        "model_id": model_id, "pid": os.getpid(),
    }
    if details:
        event["details"] = details
    append_json_line(path, event)
    return Event.from_json(event)


def read_events(path: str | os.PathLike, *, limit: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Events oldest first (the newest ``limit`` if given) and a list of problems found.

    With ``limit`` only the end of the file is read, so a status poll stays
    cheap however long the log grows (line numbers in problems then count
    from the first line read).
    """
    problems: list[str] = []
    try:
        with open_regular(path, LOG_MAX_BYTES) as fh:
            lines = _tail_lines(fh, limit) if limit is not None else fh.read().splitlines()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"cannot read {path}: {exc.strerror or exc}"]
    if limit is not None:
        lines = lines[-limit:]
    events = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            problems.append(f"{path}: line {number} is not valid JSON and was skipped")
            continue
        if isinstance(obj, dict):
            events.append(obj)
    return events, problems


def read_event_rows(path: str | os.PathLike, *, limit: int | None = None) -> tuple[list[Event], list[str]]:
    """:func:`read_events` with each row parsed into an :class:`~trainer.contract.events.Event`."""
    events, problems = read_events(path, limit=limit)
    return [Event.from_json(event) for event in events], problems


def _tail_lines(fh, count: int, block: int = 64 * 1024) -> list[bytes]:
    """At least the last ``count`` lines of a binary file (all of them when it is shorter), read from the end."""
    end = fh.seek(0, os.SEEK_END)
    start, data = end, b""
    while start > 0 and data.count(b"\n") <= count:
        start = max(0, start - block)
        fh.seek(start)
        data = fh.read(end - start)
    lines = data.splitlines()
    return lines[1:] if start > 0 else lines


def appended_since(path: str | os.PathLike, kind: str, *, since: str, pid: int | None = None) -> bool:
    """Whether process ``pid`` (default: this one) appended a ``kind`` event at or after the ISO time ``since``."""
    pid = os.getpid() if pid is None else pid
    events, _ = read_event_rows(path, limit=200)
    start = parse_iso(since)
    for event in reversed(events):
        ts = parse_iso(event.ts)
        if ts is not None and start is not None and ts < start:
            break
        if event.event == kind and event.pid == pid:
            return True
    return False
