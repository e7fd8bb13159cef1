"""The drift history: one short line per drift report written, so the Drift page can show levels over time.

``drift_report.json`` is replaced at every report: the drift that made the
trainer retrain is gone from it once the new champion is in place (its recent
window starts again from zero). :func:`append` keeps, per report, when it was
computed, for which champion, on how many recent alerts against the floor,
and each feature's PSI and level, in ``drift_history.jsonl`` beside it.
:func:`read` returns them oldest first, each a
:class:`trainer.contract.drift_report.HistoryEntry`. The file stays below
:data:`HISTORY_MAX_BYTES`: past it, the older half is dropped (rewritten
atomically). A line that does not parse is skipped.
"""

from __future__ import annotations

import json
import logging
import os

from trainer.atomic import append_json_line, write_bytes
from trainer.contract.drift_report import DriftReport, DriftReportError, HistoryEntry
from trainer.contract.layout import ModelsLayout
from trainer.reading import read_regular

__all__ = ["append", "read", "HISTORY_MAX_BYTES"]

log = logging.getLogger("cla.drift")

HISTORY_MAX_BYTES = 2 << 20
"""About 5,000 reports of 20 features: months of a report every few minutes."""


def append(layout: ModelsLayout, report: DriftReport) -> None:
    """Add ``report``'s line to the history (raises OSError when the folder cannot be written, and
    ``UnsafeFile`` when the history is a FIFO, a device or a link)."""
    found = HistoryEntry.of(report)
    if found is None:
        return
    line = found.to_json()
    path = layout.drift_history
    needed = len(json.dumps(line, default=str).encode("utf-8")) + 1  # as `append_json_line` writes it
    try:
        size = os.lstat(path).st_size
    except FileNotFoundError:
        size = 0
    if size + needed > HISTORY_MAX_BYTES:
        lines = read_regular(path, 2 * HISTORY_MAX_BYTES).splitlines(keepends=True)
        write_bytes(path, b"".join(lines[len(lines) // 2:]))
    append_json_line(path, line)


def read(layout: ModelsLayout, *, limit: int | None = None) -> list[HistoryEntry]:
    """The history's entries, oldest first (the newest ``limit`` when given); empty when there is none."""
    try:
        raw = read_regular(layout.drift_history, 2 * HISTORY_MAX_BYTES).splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("the drift history cannot be read: %s", exc)
        return []
    out = []
    for line in raw[-limit:] if limit else raw:
        try:
            out.append(HistoryEntry.from_json(json.loads(line)))
        except (ValueError, DriftReportError):  # a torn line, or one without its time
            continue
    return out
