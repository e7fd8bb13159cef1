"""Retention: which model pairs to delete, and deleting them safely.

:func:`plan` reads the registry (`trainer.folder.registry`) and ``config.retention``:
a pair is kept when it is among the newest ``keep_last`` pairs **or** younger
than ``keep_days`` days (0 switches a rule off; both off keeps everything),
and always when it is the champion, the previous champion
(the champion pointer's ``previous[0]``, the rollback target) or pinned.
Unreadable metrics files are never deleted: they are reported for a person to
look at. Leftovers of interrupted writes (a model file without metrics,
``*.partial`` temporaries, ``.reserved_*`` stamp markers) are removed once
they are :data:`STALE_SECONDS` old, so a write in progress is never touched.

:func:`prune` deletes what the plan lists. Each pair goes metrics file first,
then model file: the metrics file is the pair's commit marker, so an
interrupted prune leaves a model file without metrics, which every reader
already treats as an incomplete write (never a model) and the next prune
removes. The other order would leave a metrics file naming a model that is
gone, which a reader could take for a model. One ``pruned`` event records
what was deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from trainer.atomic import TEMP_SUFFIX
from trainer.config import Config
from trainer.folder.events import append_event
from trainer.contract.layout import RESERVED_PREFIX, model_file_name, stamp_time
from trainer.folder.registry import Registry

#: leftovers of an interrupted write younger than this are left alone (the write may still be running)
STALE_SECONDS = 3600.0


@dataclass
class PrunePlan:
    """What :func:`prune` deletes (``delete``: model ids), keeps and why, and stale leftovers."""

    delete: list[str] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"delete": list(self.delete), "keep": dict(self.keep), "stale": list(self.stale),
                "skipped": list(self.skipped)}


def _stale_leftovers(root: Path, incomplete: list[str], now_epoch: float) -> list[str]:
    """File names of interrupted-write leftovers older than :data:`STALE_SECONDS`."""
    names = [model_file_name(stamp) for stamp in incomplete]
    try:
        with os.scandir(root) as entries:
            names += [e.name for e in entries if e.name.startswith(".")
                      and (e.name.endswith(TEMP_SUFFIX) or e.name.startswith(RESERVED_PREFIX))]
    except FileNotFoundError:
        return []
    stale = []
    for name in names:
        try:
            if now_epoch - (root / name).stat().st_mtime >= STALE_SECONDS:
                stale.append(name)
        except FileNotFoundError:
            continue
    return sorted(stale)


def plan(registry: Registry, config: Config, now: datetime | None = None) -> PrunePlan:
    """What a prune would delete now; nothing is changed."""
    now = now or datetime.now(timezone.utc)
    rules = config.retention
    rows = registry.list_models()
    pointer = registry.champion()
    protected: dict[str, str] = {}
    for model_id in registry.pinned():
        protected[model_id] = "pinned"
    if pointer is not None and pointer.previous:
        protected[pointer.previous[0]] = "previous champion"
    if pointer is not None and pointer.model_id:
        protected[pointer.model_id] = "champion"

    result = PrunePlan()
    pairs = sorted((row for row in rows if row.status == "ok"), key=lambda row: row.model_id, reverse=True)
    result.skipped = [f"{row.file}: {row.error}" for row in rows if row.status == "unreadable"]
    cutoff = now - timedelta(days=rules.keep_days)
    for position, row in enumerate(pairs):
        if row.model_id in protected:
            result.keep[row.model_id] = protected[row.model_id]
        elif rules.keep_last == 0 and rules.keep_days == 0:
            result.keep[row.model_id] = "retention is off (keep_last = keep_days = 0)"
        elif rules.keep_last and position < rules.keep_last:
            result.keep[row.model_id] = f"among the newest {rules.keep_last}"
        elif rules.keep_days and stamp_time(row.model_id) >= cutoff:
            result.keep[row.model_id] = f"younger than {rules.keep_days} days"
        else:
            result.delete.append(row.model_id)
    result.delete.sort()  # oldest first: an interrupted prune has removed the least useful pairs
    incomplete = [row.model_id for row in rows if row.status == "incomplete" and row.model_id not in protected]
    result.stale = _stale_leftovers(registry.root, incomplete, now.timestamp())
    return result


def prune(registry: Registry, config: Config, *, actor: str, dry_run: bool = False,
          now: datetime | None = None) -> PrunePlan:
    """Delete what :func:`plan` lists (nothing when ``dry_run``) and return the plan.

    A pair is removed metrics file first (see the module docstring). Raises
    OSError when a file cannot be deleted; what was deleted before that is
    still recorded in the ``pruned`` event.
    """
    result = plan(registry, config, now)
    if dry_run or not (result.delete or result.stale):
        return result
    layout = registry.layout
    deleted: list[str] = []
    removed: list[str] = []
    try:
        for model_id in result.delete:
            for path in (layout.metrics_path(model_id), layout.model_path(model_id)):
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
            deleted.append(model_id)
        for name in result.stale:
            try:
                (layout.root / name).unlink()
            except FileNotFoundError:
                pass
            removed.append(name)
    finally:
        if deleted or removed:
            append_event(layout.events, "pruned", actor=actor,
                         message=f"deleted {len(deleted)} model pair(s) and {len(removed)} leftover file(s)",
                         deleted=deleted, leftovers=removed, keep_last=config.retention.keep_last,
                         keep_days=config.retention.keep_days)
    return result
