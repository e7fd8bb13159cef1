"""The registry's listing of a models folder, and the index that keeps it cheap.

:class:`Listing` holds the rows of one folder. Listing is cheap because of an
index (``ModelsLayout.index``) holding each metrics file's indexed fields
(:func:`trainer.folder.summary.read_fields`) keyed by file name with its
``(mtime_ns, size)``. A listing does one ``os.scandir``; a file whose name,
mtime and size match the index is not opened, a new or changed one is read
whole and checked. The same instance also keeps the last listing in memory,
so a call when nothing changed costs one scandir, and a new instance whose
index records the folder's current mtime does not scan at all. Not
thread-safe: :class:`trainer.folder.registry.Registry` calls it under its lock.
"""

from __future__ import annotations

import json
import logging
import os
import time

from trainer import atomic
from trainer.contract.champion import ChampionRecord
from trainer.contract.layout import (METRICS_PREFIX, METRICS_RE, MODEL_PREFIX, MODEL_RE, ModelsLayout, metrics_stamp,
                                     stamp_time)
from trainer.folder.summary import INDEXED_FIELDS, INTERRUPTED, ModelSummary, read_fields, row_values
from trainer.reading import JSON_MAX_BYTES, kind_of, read_regular
from trainer.timestamps import parse_iso

__all__ = ["Listing", "INDEX_VERSION", "NOT_APPLIED"]

log = logging.getLogger("cla.registry")

#: version 2: entries come from whole-file checks (version 1 trusted a metrics file's first line alone)
INDEX_VERSION = 2
#: a folder changed this recently before a scan is scanned again next time (mtime ticks are coarse)
RACY_NS = 2_000_000_000
#: a long-lived instance rewrites the index at most this often, unless this many entries changed
INDEX_SAVE_INTERVAL_SECONDS = 60.0
INDEX_SAVE_BATCH = 200


class Listing:
    """The rows of one models folder, newest first, kept up to date by :meth:`refresh`.

    ``rows`` and ``problems`` are the last listing; ``champion_at`` is the
    champion's index in ``rows`` (None when no readable pair is champion).
    """

    def __init__(self, layout: ModelsLayout):
        self.layout = layout
        self.root = layout.root
        self.rows: list[ModelSummary] = []
        self.problems: list[str] = []
        self.champion_at: int | None = None
        self._index: dict[str, tuple[int, int, tuple]] | None = None
        self._rows: dict[str, tuple] = {}
        self._seen: tuple | None = None
        self._racy = True
        self._index_dirty = 0
        self._index_saved = 0.0
        self._snapshot: tuple | None = None
        self._saved_settled: tuple | None = None
        self._special_models: dict[str, str] = {}

    def invalidate(self) -> None:
        """Make the next :meth:`refresh` rebuild the listing (the pointer changed)."""
        self._seen = None

    def _scan(self) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        """(metrics file name -> (mtime_ns, size), stamps of model files) from one scandir."""
        metrics: dict[str, tuple[int, int]] = {}
        models = set()
        special: dict[str, str] = {}
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(METRICS_PREFIX):
                        if METRICS_RE.match(name):
                            try:
                                st = entry.stat()
                            except FileNotFoundError:
                                continue  # deleted while we listed
                            metrics[name] = (st.st_mtime_ns, st.st_size)
                    elif name.startswith(MODEL_PREFIX):
                        match = MODEL_RE.match(name)
                        if match and entry.is_file(follow_symlinks=False):
                            models.add(match.group(1))
                        elif match:  # a FIFO, device or link where a model belongs: never opened, named
                            try:
                                special[match.group(1)] = kind_of(entry.stat(follow_symlinks=False).st_mode)
                            except FileNotFoundError:
                                continue
        except FileNotFoundError:
            pass
        self._special_models = special
        return metrics, frozenset(models)

    def _folder_signature(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.root)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_ino

    def _load_index(self) -> dict[str, tuple[int, int, list]]:
        """The index's entries; also sets ``self._snapshot`` to the folder state they describe, if recorded."""
        self._snapshot = None
        try:
            data = json.loads(read_regular(self.layout.index, JSON_MAX_BYTES))
            if data.get("version") != INDEX_VERSION or data.get("fields") != list(INDEXED_FIELDS):
                return {}
            width = len(INDEXED_FIELDS)
            entries = {name: (mtime, size, values) for name, (mtime, size, values) in data["entries"].items()
                       if len(values) == width}
            if data.get("folder") and len(entries) == len(data["entries"]):
                self._snapshot = (tuple(data["folder"]), int(data["scanned_ns"]), frozenset(data["models"]))
            return entries
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.info("registry index %s ignored (%s); rebuilding it", self.layout.index, exc)
            return {}

    def _save_index(self) -> None:
        entries = {name: [mtime, size, values] for name, (mtime, size, values) in self._index.items()}
        data = {"version": INDEX_VERSION, "fields": list(INDEXED_FIELDS), "entries": entries}
        if self._snapshot and self._snapshot[0] is not None:
            folder, scanned_ns, models = self._snapshot
            data.update({"folder": list(folder), "scanned_ns": scanned_ns, "models": sorted(models)})
            self._saved_settled = folder if folder[0] < scanned_ns - RACY_NS else None
        self._index_dirty = 0
        self._index_saved = time.monotonic()
        try:
            self.layout.runtime.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(self.layout.index, json.dumps(data, separators=(",", ":")).encode("utf-8"))
        except OSError as exc:
            # A read-only folder (an old archive opened for viewing) still lists; it just re-parses next time.
            log.info("registry index not saved: %s", exc)

    def refresh(self, pointer: ChampionRecord | None, pointer_signature: tuple | None,
                pointer_problem: str | None, *, force: bool = False) -> None:
        """Bring the cached listing up to date with the folder and the champion ``pointer``.

        Pairs are immutable and appear, vanish or are replaced only by
        renames, which change the folder's mtime. So when the folder's mtime
        and the champion pointer are unchanged, the cached listing stands; and
        a new instance whose index records the folder's current mtime uses the
        index without scanning. A folder changed less than :data:`RACY_NS`
        before a scan began is scanned again (a rename in the same clock tick
        would not move the mtime). ``force`` scans regardless.
        """
        folder = self._folder_signature()
        seen = (folder, pointer_signature, pointer_problem)
        if self._seen == seen and not self._racy and not force:
            if self._index_dirty and time.monotonic() - self._index_saved >= INDEX_SAVE_INTERVAL_SECONDS:
                self._save_index()
            return
        scan_started = time.time_ns()
        if self._index is None:
            self._index = self._load_index()
            snapshot = self._snapshot
            if not force and snapshot and folder is not None and snapshot[0] == folder \
                    and folder[0] < snapshot[1] - RACY_NS:
                # The index was saved after a scan of this very folder state: no scan needed.
                scan_started = snapshot[1]
                metrics = {name: (mtime, size) for name, (mtime, size, _) in self._index.items()}
                models = snapshot[2]
                self._saved_settled = folder
            else:
                metrics, models = self._scan()
        else:
            metrics, models = self._scan()
        self._snapshot = (folder, scan_started, models)
        root = str(self.root)
        for name, (mtime, size) in metrics.items():
            known = self._index.get(name)
            if known is None or known[0] != mtime or known[1] != size:
                stamp = metrics_stamp(name)
                self._index[name] = (mtime, size, row_values(read_fields(os.path.join(root, name), stamp)))
                self._index_dirty += 1
        for name in [n for n in self._index if n not in metrics]:
            del self._index[name]
            self._index_dirty += 1
        self._racy = folder is None or folder[0] >= scan_started - RACY_NS
        if not self._racy and self._saved_settled != folder:
            self._index_dirty += 1  # the index should record this settled folder state for new instances
        # Saving 10,000 entries costs more than parsing a few new files, so a long-lived instance
        # (the dashboard's) saves at most once per interval; a new process saves what it parsed.
        if self._index_dirty and (self._index_saved == 0.0 or self._index_dirty >= INDEX_SAVE_BATCH
                                  or time.monotonic() - self._index_saved >= INDEX_SAVE_INTERVAL_SECONDS):
            self._save_index()
        self.rows, self.problems = self._assemble(metrics, models, pointer, pointer_problem)
        self._seen = seen

    def _assemble(self, metrics, models, pointer, pointer_problem) -> tuple[list[ModelSummary], list[str]]:
        champion_id = pointer.model_id if pointer is not None else None
        pinned = set(pointer.pinned if pointer is not None else ())
        interrupted = set(pointer.interrupted if pointer is not None else ())
        rows: list[ModelSummary] = []
        problems: list[str] = [pointer_problem] if pointer_problem else []
        stamps_with_metrics = set()
        previous_rows, self._rows = self._rows, {}
        for name in metrics:
            stamp = metrics_stamp(name)
            stamps_with_metrics.add(stamp)
            values = self._index[name][2]
            key = (values, stamp == champion_id, stamp in pinned, stamp in models, stamp in interrupted)
            cached = previous_rows.get(name)
            if cached is not None and cached[0] is values and cached[1:-1] == key[1:]:
                row = cached[-1]
            else:
                row = ModelSummary(stamp, *values, is_champion=key[1], pinned=key[2])
                row.warnings = tuple(row.warnings or ())
                if key[4]:
                    row.promotion = INTERRUPTED
                elif row.promotion in ("promoted", "first_champion") and not key[1] \
                        and not _pointer_moved_after(pointer, stamp):
                    # The pointer has not moved since this pair was written, so it never named it: a training
                    # between writing and promoting, or one killed there (reconcile marks it interrupted).
                    row.promotion = NOT_APPLIED
                if row.status == "ok" and not key[3]:
                    row.status = "unreadable"
                    kind = self._special_models.get(stamp)
                    row.error = (f"{self.layout.model_path(stamp).name} is {kind}, not a regular file: the model "
                                 "cannot be read; remove it" if kind else
                                 f"{self.layout.model_path(stamp).name} is missing: the numbers remain, "
                                 "the model is gone")
            self._rows[name] = (*key, row)
            if row.status != "ok":
                problems.append(row.error or f"{name} is unreadable")
            rows.append(row)
        for stamp in models - stamps_with_metrics:
            name = self.layout.model_path(stamp).name
            error = (f"{name} has no metrics file: an interrupted write or prune, not a model "
                     "(`cla models prune` removes it once it is an hour old)")
            problems.append(error)
            rows.append(ModelSummary(model_id=stamp, status="incomplete", file=name, error=error,
                                     created_at=stamp_time(stamp).isoformat(), is_champion=stamp == champion_id,
                                     pinned=stamp in pinned))
        if champion_id and champion_id not in stamps_with_metrics:
            problems.append(f"{self.layout.champion.name} names model {champion_id}, whose metrics file is missing: "
                            "roll back or promote another model")
        rows.sort(key=lambda row: row.model_id, reverse=True)
        self.champion_at = next((i for i, row in enumerate(rows) if row.is_champion and row.status == "ok"), None)
        return rows, problems


NOT_APPLIED = "not applied"
"""The promotion a pair's metrics file records but the champion pointer has not carried out (yet)."""


def _pointer_moved_after(pointer: ChampionRecord | None, stamp: str) -> bool:
    """True when the champion pointer was last moved after pair ``stamp`` was written."""
    moved = parse_iso(pointer.promoted_at if pointer is not None else None)
    return moved is not None and moved >= stamp_time(stamp)
