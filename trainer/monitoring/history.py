"""The drift history: one short line per drift report written, so the Drift page can show levels over time.

``drift_report.json`` is replaced at every report: the drift that made the
trainer retrain is gone from it once the new champion is in place (its recent
window starts again from zero). :func:`append` keeps, per report, when it was
computed, for which champion, on how many recent alerts against the floor,
and each feature's PSI and level, in ``drift_history.jsonl`` beside it.
:func:`read` returns them oldest first. The file stays below
:data:`HISTORY_MAX_BYTES`: past it, the older half is dropped (rewritten
atomically). A line that does not parse is skipped.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from trainer.atomic import append_json_line, write_bytes
from trainer.contract.layout import ModelsLayout
from trainer.reading import read_regular

__all__ = ["append", "read", "entry", "HISTORY_MAX_BYTES"]

log = logging.getLogger("cla.drift")

HISTORY_MAX_BYTES = 2 << 20
"""About 5,000 reports of 20 features: months of a report every few minutes."""


def entry(report: dict[str, Any]) -> dict[str, Any] | None:
    """The history line of ``report``; None for a report that holds only an error."""
    if report.get("error") or not report.get("computed_at"):
        return None
    window = report.get("window") or {}
    score = report.get("score") or {}
    return {"computed_at": report["computed_at"], "champion_id": report.get("champion_id"),
            "recent_rows": window.get("recent_rows"), "min_rows": (report.get("thresholds") or {}).get("min_rows"),
            "enough_data": bool(report.get("enough_data")),
            "features": {str(r["feature"]): [r.get("psi"), r.get("level")] for r in report.get("features") or []
                         if isinstance(r, dict) and r.get("feature") is not None},
            "score": [score.get("psi"), score.get("level")] if score else None,
            "drift_signal": bool((report.get("signals") or {}).get("drift"))}


def append(layout: ModelsLayout, report: dict[str, Any]) -> None:
    """Add ``report``'s line to the history (raises OSError when the folder cannot be written, and
    ``UnsafeFile`` when the history is a FIFO, a device or a link)."""
    line = entry(report)
    if line is None:
        return
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


def read(layout: ModelsLayout, *, limit: int | None = None) -> list[dict[str, Any]]:
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
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("computed_at"):
            out.append(value)
    return out
