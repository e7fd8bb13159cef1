"""The model registry: what is in a models folder, which model is champion, and moving that pointer.

:class:`Registry` reads the pairs written by `trainer.folder.pairs` and the champion
champion pointer; it is what the dashboard and ``cla models`` ask.

Listing is cheap because of an index (``runtime/index.json``) holding each
metrics file's summary keyed by file name with its ``(mtime_ns, size)``. A
listing does one ``os.scandir``; a file whose name, mtime and size match the
index is not opened, a new or changed one is read whole and checked
(`trainer.folder.pairs.read_summary`: only its first line is parsed when the rest
matches the CRC it records; a file that does not parse as a whole is
``unreadable``, never a model with the numbers of its first line). The same
instance also keeps the last listing in memory, so a call when nothing
changed costs one scandir. Instances are
thread-safe: the dashboard shares one across sessions.

Trust: :meth:`Registry.verify` checks a model file against the signature its
metrics file records (`trainer.folder.signing`), without unpickling, and caches the
verdict by the size, mtime, ctime and inode of both files and of the key, so
a page load hashes a model only after it changed. Every listing checks the
champion that way (``integrity`` on its row; a failure is also in
:meth:`Registry.problems`), and :meth:`Registry.promote` and
:meth:`Registry.rollback` refuse a model that is not verified.

Tolerated, never fatal: legacy pairs with only the old CLA keys (their
``created_at`` comes from the stamp; a model that predicted one class is
flagged from its confusion counts), a ``.pkl`` without metrics (listed as
``incomplete``, never a model), a metrics file that does not parse (listed as
``unreadable`` and reported by :meth:`Registry.problems`). Temporaries
(``*.partial``) and stamp reservations (``.reserved_*``) are ignored.

The champion pointer is ``{"model_id", "promoted_at", "reason", "actor",
"previous": [older champion ids, newest first], "pinned": [ids],
"interrupted": [ids]}``; ``interrupted`` lists models whose promotion was
decided but never carried out (`trainer.service.reconcile`): readers show their
decision as ``interrupted``, not the ``promoted`` their metrics file says. It is replaced
atomically (`trainer.atomic`) under a file lock (`trainer.service.locking`) so a
manual promote and the trainer's automatic one never lose each other's
change. Each change appends an event (`trainer.folder.events`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer import atomic
from trainer.folder import signing
from trainer.folder.events import append_event, now_iso, read_events
from trainer.contract.layout import (METRICS_PREFIX, METRICS_RE, MODEL_PREFIX, MODEL_RE, STAMP_RE, ModelsLayout,
                                     metrics_stamp, stamp_time)
from trainer.contract.metrics import NUMBER_KEYS
from trainer.service.locking import FileLock
from trainer.folder.pairs import read_summary

log = logging.getLogger("cla.registry")

#: version 2: entries come from whole-file checks (version 1 trusted a metrics file's first line alone)
INDEX_VERSION = 2
#: the promotion decision readers show for a model whose promotion was never carried out
INTERRUPTED = "interrupted"
INTERRUPTED_REASON = ("interrupted: the training was killed after writing this model and before moving the "
                      "champion pointer, so it never became champion; promote it by hand if it should be")
#: how many earlier champions the champion pointer remembers for rollback
PREVIOUS_KEPT = 20
LOCK_TIMEOUT_SECONDS = 10.0
#: a folder changed this recently before a scan is scanned again next time (mtime ticks are coarse)
RACY_NS = 2_000_000_000
#: a long-lived instance rewrites runtime/index.json at most this often, unless this many entries changed
INDEX_SAVE_INTERVAL_SECONDS = 60.0
INDEX_SAVE_BATCH = 200



class RegistryError(Exception):
    """A registry action cannot be done; the message says why and what to do."""


class ModelNotFound(RegistryError, LookupError):
    """No readable pair with that id."""


@dataclass(slots=True)
class ModelSummary:
    """One row of :meth:`Registry.list_models`.

    ``status`` is ``ok`` (a readable pair), ``incomplete`` (a model file with
    no metrics file: an interrupted write, never a model) or ``unreadable``
    (``error`` says why). ``warnings`` holds warning codes; ``legacy`` is true
    for a metrics file without PR-AUC (the old CLA's keys only), whose
    ``created_at`` then comes from the stamp. ``promotion`` is the stored
    promotion decision, or ``interrupted`` when the pointer says it was never
    carried out. ``signed`` says the metrics file records a signature;
    ``integrity`` is the verdict of :meth:`Registry.verify` (``verified``,
    ``unsigned``, ``tampered``, ``unverifiable``) on the champion's row, None
    on rows that were not checked, with ``integrity_reason`` when it is not
    ``verified``. Rows are shared between callers: read them, do not change them.
    """

    model_id: str
    status: str = "ok"
    file: str = ""
    error: str | None = None
    created_at: str | None = None
    precision: float | None = None
    recall: float | None = None
    f1_score: float | None = None
    accuracy: float | None = None
    pr_auc: float | None = None
    roc_auc: float | None = None
    threshold: float | None = None
    positive_rate: float | None = None
    training_samples: int | None = None
    test_samples: int | None = None
    true_positives: int | None = None
    false_positives: int | None = None
    true_negatives: int | None = None
    false_negatives: int | None = None
    useful: bool | None = None
    warnings: tuple[str, ...] = ()
    legacy: bool = False
    promotion: str | None = None
    has_checksum: bool = False
    signed: bool = False
    is_champion: bool = False
    pinned: bool = False
    integrity: str | None = None
    integrity_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["warnings"] = list(self.warnings)
        return out


#: the fields the index stores per metrics file (the rest depend on the champion pointer and the folder)
INDEXED_FIELDS = tuple(f.name for f in dataclasses.fields(ModelSummary)
                       if f.name not in ("model_id", "is_champion", "pinned", "integrity", "integrity_reason"))
WARNINGS_AT = INDEXED_FIELDS.index("warnings")


def _number(value: Any) -> float | int | None:
    """``value`` when it is an int or float (not a bool), else None."""
    return value if type(value) in (float, int) else None


def _int(value: Any) -> int:
    number = _number(value)
    return int(number) if number is not None else 0


def legacy_warnings(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Warnings a reader can derive from a legacy metrics file's confusion counts, plus ``legacy_metrics``.

    The old CLA wrote models that flagged no alert at all (accuracy 1.0,
    F1 0.0) without a word; such a file is flagged ``predicts_one_class``.
    """
    # Imported here: diagnostics pulls in scikit-learn, which `cla models list` should not wait for.
    from trainer.learning.diagnostics import make_warning

    tp, fp, tn, fn = (_int(metrics.get(k)) for k in ("true_positives", "false_positives", "true_negatives",
                                                     "false_negatives"))
    warnings = []
    total = tp + fp + tn + fn
    f1 = _number(metrics.get("f1_score"))
    accuracy = _number(metrics.get("accuracy"))
    if total and tp + fp == 0:
        warnings.append(make_warning("predicts_one_class", f"the model flagged none of the {total} test alerts as a "
                                     "true positive: it predicts one class"))
    elif total and tn + fn == 0:
        warnings.append(make_warning("predicts_one_class", f"the model flagged all {total} test alerts as true "
                                     "positives: it predicts one class"))
    elif f1 == 0 and accuracy is not None:
        majority = max(tp + fn, tn + fp) / total if total else 0.5
        if accuracy >= majority:
            warnings.append(make_warning("majority_accuracy", f"accuracy {accuracy:.3f} only reflects the majority "
                                         "class: F1 is 0"))
    warnings.append({"code": "legacy_metrics", "severity": "info",
                     "message": "written by the old CLA: no PR-AUC, checksum or warnings were recorded"})
    return warnings


def _is_legacy(metrics: dict[str, Any]) -> bool:
    return "pr_auc" not in metrics


def _summary_fields(stamp: str, name: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """The indexed fields of one readable metrics file."""
    legacy = _is_legacy(metrics)
    warnings = metrics.get("warnings")
    if legacy and not isinstance(warnings, list):
        warnings = legacy_warnings(metrics)
    codes = []
    for item in warnings if isinstance(warnings, list) else []:
        code = item.get("code") if isinstance(item, dict) else item
        if code:
            codes.append(str(code))
    useful = metrics.get("useful")
    if not isinstance(useful, bool):
        blocked = any(isinstance(w, dict) and w.get("severity") == "blocking" for w in warnings or [])
        useful = False if blocked else None
    promotion = metrics.get("promotion")
    decision = metrics.get("promotion_decision") or (promotion.get("decision") if isinstance(promotion, dict)
                                                     else promotion)
    fields: dict[str, Any] = {
        "status": "ok", "file": name, "error": None,
        "created_at": str(metrics.get("created_at") or metrics.get("timestamp") or stamp_time(stamp).isoformat()),
        "useful": useful, "warnings": codes, "legacy": legacy,
        "promotion": str(decision) if decision else None,
        "has_checksum": bool(metrics.get("model_sha256")),
        "signed": bool(metrics.get(signing.SIGNATURE_FIELD)),
    }
    fields.update({key: _number(metrics.get(key)) for key in NUMBER_KEYS})
    return fields


def _values(fields: dict[str, Any] | list) -> tuple:
    """Indexed fields as a tuple in :data:`INDEXED_FIELDS` order (warnings as a tuple)."""
    values = [fields.get(k) for k in INDEXED_FIELDS] if isinstance(fields, dict) else list(fields)
    values[WARNINGS_AT] = tuple(values[WARNINGS_AT] or ())
    return tuple(values)


def _unreadable(name: str, stamp: str, error: str) -> dict[str, Any]:
    fields = {f.name: f.default for f in dataclasses.fields(ModelSummary) if f.name in INDEXED_FIELDS}
    fields.update({"status": "unreadable", "file": name, "error": error, "warnings": [],
                   "created_at": stamp_time(stamp).isoformat()})
    return fields


def _read_fields(path: str, stamp: str) -> dict[str, Any]:
    """Indexed fields of the metrics file at ``path``; unreadable files become ``status="unreadable"``."""
    name = os.path.basename(path)
    try:
        metrics = read_summary(path)
    except ValueError as exc:
        return _unreadable(name, stamp, f"{name} is not valid JSON as a whole ({exc}): it is truncated or damaged, "
                                        "so none of its numbers are shown; restore it from a copy or remove the pair")
    except OSError as exc:
        return _unreadable(name, stamp, f"{name} cannot be read ({exc.strerror or exc})")
    if not isinstance(metrics, dict):
        return _unreadable(name, stamp, f"{name} is not a JSON object")
    return _summary_fields(stamp, name, metrics)


def _file_signature(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino


def _empty_pointer() -> dict[str, Any]:
    return {"model_id": None, "promoted_at": None, "reason": None, "actor": None, "previous": [], "pinned": []}


class Registry:
    """Reader and champion-pointer writer for one models folder (see the module docstring)."""

    def __init__(self, models_dir: str | os.PathLike, *, key_file: str | os.PathLike | None = None):
        """``key_file``: the model key that signatures are checked with (default: the configured one)."""
        self.layout = ModelsLayout.of(models_dir)
        self.root = self.layout.root
        self.key_file = Path(key_file) if key_file else None
        self._lock = threading.RLock()
        self._verdicts: dict[str, tuple[tuple, signing.Verdict]] = {}
        self._champion_at: int | None = None
        self._index: dict[str, tuple[int, int, tuple]] | None = None
        self._rows: dict[str, tuple] = {}
        self._seen: tuple | None = None
        self._racy = True
        self._index_dirty = 0
        self._index_saved = 0.0
        self._snapshot: tuple | None = None
        self._saved_settled: tuple | None = None
        self._listing: list[ModelSummary] = []
        self._problems: list[str] = []
        self._pointer_cache: tuple[tuple | None, dict[str, Any] | None, str | None] = (None, None, None)
        self._events_cache: tuple[tuple | None, list[dict], list[str]] = (None, [], [])

    # --- reading ---------------------------------------------------------------------------------

    def list_models(self, *, rescan: bool = False) -> list[ModelSummary]:
        """Every pair, incomplete model file and unreadable metrics file, newest first; the champion verified.

        ``rescan`` stats every metrics file even when the folder's mtime says
        nothing was added or removed: for a caller that knows a file changed
        in place (the dashboard's watcher saw a truncated or edited file).
        """
        with self._lock:
            self._refresh(force=rescan)
            self._check_champion()
            return list(self._listing)

    def problems(self) -> list[str]:
        """Sentences about what is wrong in the folder: unreadable files, orphan model files, a bad pointer,
        a champion that fails its signature check."""
        with self._lock:
            self._refresh()
            champion = self._check_champion()
            _, _, event_problems = self._read_events()
            untrusted = ([f"the champion {champion.model_id} is {champion.integrity}: {champion.integrity_reason}"]
                         if champion is not None and champion.integrity_reason else [])
            return untrusted + list(self._problems) + event_problems

    def verify(self, model_id: str) -> signing.Verdict:
        """The signature verdict on ``model_id``'s model file (`trainer.folder.signing`); nothing is unpickled.

        Cached by the size, mtime, ctime and inode of the metrics file, the
        model file and the key: a model is hashed again only after one of them
        changed (ctime moves even when someone resets the mtime). Raises
        :class:`ModelNotFound` or :class:`RegistryError` as :meth:`get` does.
        """
        metrics_path, model_path = self.layout.metrics_path(model_id), self.layout.model_path(model_id)
        try:
            if self.key_file is None:
                self.key_file = signing.resolve_key_file(None)  # once: a listing must not re-read the config
        except signing.KeyUnavailable as exc:
            return signing.Verdict(signing.UNVERIFIABLE, f"{model_path.name} cannot be checked: {exc}")
        key_file = self.key_file
        signature = (_file_signature(metrics_path), _file_signature(model_path), signing.key_signature(key_file))
        with self._lock:
            cached = self._verdicts.get(model_id)
        if cached is not None and cached[0] == signature:
            return cached[1]
        metrics = self.get(model_id)
        try:
            verdict = signing.verify(model_id, metrics, model_path, key_file=key_file, models_dir=self.root)
        except OSError as exc:
            verdict = signing.Verdict(signing.UNVERIFIABLE, f"{model_path.name} cannot be read "
                                      f"({exc.strerror or exc}): it cannot be checked or loaded; roll back or retrain")
        with self._lock:
            self._verdicts[model_id] = (signature, verdict)
        return verdict

    def get(self, model_id: str) -> dict[str, Any]:
        """The full metrics dict of ``model_id``.

        Legacy files gain ``legacy: true`` and derived ``warnings``/``useful``;
        every file gains ``model_id`` and ``created_at`` when it lacks them.
        Raises :class:`ModelNotFound` for an unknown id and
        :class:`RegistryError` for a file that cannot be read.
        """
        if not isinstance(model_id, str) or not STAMP_RE.match(model_id):
            raise ModelNotFound(f"{model_id!r} is not a model id (expected YYYYMMDD_HHMMSS, see `cla models list`)")
        path = self.layout.metrics_path(model_id)
        try:
            metrics = json.loads(path.read_bytes())
        except FileNotFoundError:
            model_file = self.layout.model_path(model_id)
            if model_file.exists():
                raise ModelNotFound(f"model {model_id} is incomplete: {model_file.name} has no metrics file (an "
                                    "interrupted write or prune, not a model); pick a complete pair from "
                                    "`cla models list`") from None
            raise ModelNotFound(f"no model {model_id} in {self.root}; see `cla models list`") from None
        except ValueError as exc:
            raise RegistryError(f"{path} is not valid JSON ({exc}); the pair cannot be shown") from exc
        except OSError as exc:
            raise RegistryError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if not isinstance(metrics, dict):
            raise RegistryError(f"{path} is not a JSON object; the pair cannot be shown")
        metrics.setdefault("model_id", model_id)
        metrics.setdefault("created_at", metrics.get("timestamp") or stamp_time(model_id).isoformat())
        if model_id in self.interrupted() and isinstance(metrics.get("promotion"), dict):
            block = metrics["promotion"]
            metrics["promotion"] = {**block, "decision": INTERRUPTED, "decided": block.get("decision"),
                                    "reasons": [INTERRUPTED_REASON, *(block.get("reasons") or [])]}
            metrics["promotion_decision"] = INTERRUPTED
        if _is_legacy(metrics):
            metrics["legacy"] = True
            if not isinstance(metrics.get("warnings"), list):
                metrics["warnings"] = legacy_warnings(metrics)
            if "useful" not in metrics:
                blocked = any(w.get("severity") == "blocking" for w in metrics["warnings"] if isinstance(w, dict))
                metrics["useful"] = False if blocked else None
        return metrics

    def summary(self, model_id: str) -> ModelSummary:
        """The listing row of ``model_id``; raises :class:`ModelNotFound`."""
        for row in self.list_models():
            if row.model_id == model_id:
                return row
        raise ModelNotFound(f"no model {model_id} in {self.root}; see `cla models list`")

    def champion(self) -> dict[str, Any] | None:
        """The champion pointer (see the module docstring), or None when no model has been promoted."""
        with self._lock:
            pointer, _ = self._read_pointer()
            return dict(pointer) if pointer and pointer.get("model_id") else None

    def pinned(self) -> list[str]:
        """Ids of pinned models."""
        with self._lock:
            pointer, _ = self._read_pointer()
            return list((pointer or {}).get("pinned") or [])

    def interrupted(self) -> list[str]:
        """Ids of models whose promotion was decided but never carried out (see :meth:`mark_interrupted`)."""
        with self._lock:
            pointer, _ = self._read_pointer()
            return list((pointer or {}).get("interrupted") or [])

    def events(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Events oldest first (the newest ``limit`` when given); bad lines are in :meth:`problems`."""
        with self._lock:
            _, events, _ = self._read_events()
        return list(events[-limit:] if limit else events)

    # --- champion pointer --------------------------------------------------------------------------

    def promote(self, model_id: str, *, actor: str, reason: str = "promoted by hand", **details: Any) -> dict:
        """Make ``model_id`` the champion; the old one becomes ``previous[0]``. Returns the new pointer.

        Raises :class:`ModelNotFound`, or :class:`RegistryError` when the model
        is already champion, incomplete, unreadable, unsigned or fails its signature check.
        """
        self._require_loadable(model_id)

        def change(pointer: dict[str, Any]) -> dict[str, Any]:
            current = pointer.get("model_id")
            if current == model_id:
                raise RegistryError(f"model {model_id} is already the champion")
            previous = [current] if current else []
            previous += [p for p in pointer.get("previous") or [] if p not in (model_id, current)]
            interrupted = [i for i in pointer.get("interrupted") or [] if i != model_id]
            return {**pointer, "model_id": model_id, "promoted_at": now_iso(), "reason": reason, "actor": actor,
                    "previous": previous[:PREVIOUS_KEPT], "interrupted": interrupted}

        old, new = self._change_pointer(change)
        append_event(self.layout.events, "promoted", actor=actor, model_id=model_id, message=reason,
                     previous=old.get("model_id"), **details)
        return new

    def rollback(self, to: str | None = None, *, actor: str, reason: str = "") -> dict:
        """Make ``to`` (default: the previous champion) the champion again. Returns the new pointer.

        Raises :class:`RegistryError` when there is no previous champion, or
        the target is the champion already, missing, incomplete, unsigned or fails its signature check.
        """
        with self._lock:
            pointer, _ = self._read_pointer()
            pointer = pointer or _empty_pointer()
            target = to or next(iter(pointer.get("previous") or []), None)
            if target is None:
                raise RegistryError("there is no previous champion to roll back to; name a model with --to ID "
                                    "(see `cla models list`)")
            self._require_loadable(target)

            def change(current: dict[str, Any]) -> dict[str, Any]:
                champion = current.get("model_id")
                if champion == target:
                    raise RegistryError(f"model {target} is already the champion")
                previous = ([champion] if champion else []) + [
                    p for p in current.get("previous") or [] if p not in (target, champion)]
                return {**current, "model_id": target, "promoted_at": now_iso(),
                        "reason": reason or f"rolled back from {champion}", "actor": actor,
                        "previous": previous[:PREVIOUS_KEPT]}

            old, new = self._change_pointer(change)
        append_event(self.layout.events, "rolled_back", actor=actor, model_id=target,
                     message=new["reason"], previous=old.get("model_id"))
        return new

    def mark_interrupted(self, model_id: str, *, actor: str, message: str) -> dict:
        """Record that ``model_id``'s promotion was decided but its training died before carrying it out.

        Its listing and metrics then say ``interrupted``; promoting it by hand
        clears the mark. Appends ``promotion_interrupted``; returns the new pointer.
        """
        def change(pointer: dict[str, Any]) -> dict[str, Any]:
            interrupted = list(pointer.get("interrupted") or [])
            return {**pointer, "interrupted": interrupted + [model_id] if model_id not in interrupted else interrupted}

        _, new = self._change_pointer(change)
        append_event(self.layout.events, "promotion_interrupted", actor=actor, model_id=model_id, message=message)
        return new

    def pin(self, model_id: str, *, actor: str, reason: str = "") -> dict:
        """Exempt ``model_id`` from retention. Raises :class:`ModelNotFound` or :class:`RegistryError`."""
        row = self.summary(model_id)
        if row.status != "ok":
            raise RegistryError(f"model {model_id} is {row.status} ({row.error}); only a readable pair can be pinned")

        def change(pointer: dict[str, Any]) -> dict[str, Any]:
            pinned = list(pointer.get("pinned") or [])
            if model_id in pinned:
                raise RegistryError(f"model {model_id} is already pinned")
            return {**pointer, "pinned": pinned + [model_id]}

        _, new = self._change_pointer(change)
        append_event(self.layout.events, "pinned", actor=actor, model_id=model_id,
                     message=reason or f"pinned {model_id}: retention keeps it")
        return new

    def unpin(self, model_id: str, *, actor: str, reason: str = "") -> dict:
        """Let retention delete ``model_id`` again. Raises :class:`RegistryError` when it is not pinned."""

        def change(pointer: dict[str, Any]) -> dict[str, Any]:
            pinned = list(pointer.get("pinned") or [])
            if model_id not in pinned:
                raise RegistryError(f"model {model_id} is not pinned")
            return {**pointer, "pinned": [p for p in pinned if p != model_id]}

        _, new = self._change_pointer(change)
        append_event(self.layout.events, "unpinned", actor=actor, model_id=model_id,
                     message=reason or f"unpinned {model_id}")
        return new

    # --- internals ---------------------------------------------------------------------------------

    def _require_loadable(self, model_id: str) -> None:
        row = self.summary(model_id)
        if row.status != "ok":
            raise RegistryError(f"model {model_id} is {row.status}" + (f" ({row.error})" if row.error else "")
                                + "; pick a complete pair from `cla models list`")
        verdict = self.verify(model_id)
        if not verdict.trusted:
            raise RegistryError(f"model {model_id} cannot be champion, it could not be loaded: {verdict.reason}")

    def _check_champion(self) -> ModelSummary | None:
        """The champion's row of the current listing with its :meth:`verify` verdict (caller holds the lock)."""
        at = self._champion_at
        if at is None:
            return None
        row = self._listing[at]
        try:
            verdict = self.verify(row.model_id)
        except RegistryError as exc:
            verdict = signing.Verdict(signing.UNVERIFIABLE, str(exc))
        reason = None if verdict.trusted else verdict.reason
        if row.integrity != verdict.state or row.integrity_reason != reason:
            row = dataclasses.replace(row, integrity=verdict.state, integrity_reason=reason)
            self._listing[at] = row
        return row

    def _change_pointer(self, change) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply ``change(pointer) -> pointer`` under the lock; returns (old, new)."""
        with self._lock:
            lock = FileLock(self.layout.champion_lock)
            lock.acquire(blocking=True, timeout=LOCK_TIMEOUT_SECONDS)
            try:
                self._pointer_cache = (None, None, None)
                pointer, problem = self._read_pointer()
                if problem:
                    log.warning("%s; starting a new champion pointer", problem)
                old = {**_empty_pointer(), **(pointer or {})}
                new = change(dict(old))
                atomic.write_json(self.layout.champion, new)
                self._pointer_cache = (None, None, None)
                self._seen = None
                return old, new
            finally:
                lock.release()

    def _read_pointer(self) -> tuple[dict[str, Any] | None, str | None]:
        """(pointer or None, problem sentence or None), cached by the file's mtime and size."""
        try:
            st = os.stat(self.layout.champion)
            signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            self._pointer_cache = (None, None, None)
            return None, None
        except OSError as exc:
            self._pointer_cache = (None, None, None)
            return None, f"{self.layout.champion} cannot be read ({exc.strerror or exc})"
        cached_signature, pointer, problem = self._pointer_cache
        if cached_signature == signature:
            return pointer, problem
        try:
            pointer = json.loads(self.layout.champion.read_bytes())
            problem = None
            if not isinstance(pointer, dict):
                pointer, problem = None, f"{self.layout.champion.name} is not a JSON object: no champion is known"
        except (OSError, ValueError) as exc:
            pointer, problem = None, f"{self.layout.champion.name} cannot be read ({exc}): no champion is known"
        self._pointer_cache = (signature, pointer, problem)
        return pointer, problem

    def _read_events(self) -> tuple[tuple | None, list[dict], list[str]]:
        try:
            st = os.stat(self.layout.events)
            signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            signature = None
        if self._events_cache[0] != signature or signature is None:
            events, problems = read_events(self.layout.events)
            self._events_cache = (signature, events, problems)
        return self._events_cache

    def _scan(self) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        """(metrics file name -> (mtime_ns, size), stamps of model files) from one scandir."""
        metrics: dict[str, tuple[int, int]] = {}
        models = set()
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
                        if match:
                            models.add(match.group(1))
        except FileNotFoundError:
            pass
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
            data = json.loads(self.layout.index.read_bytes())
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

    def _refresh(self, force: bool = False) -> None:
        """Bring the cached listing up to date with the folder (caller holds ``self._lock``).

        Pairs are immutable and appear, vanish or are replaced only by
        renames, which change the folder's mtime. So when the folder's mtime
        and the champion pointer are unchanged, the cached listing stands; and
        a new instance whose index records the folder's current mtime uses the
        index without scanning. A folder changed less than :data:`RACY_NS`
        before a scan began is scanned again (a rename in the same clock tick
        would not move the mtime). ``force`` scans regardless.
        """
        folder = self._folder_signature()
        pointer, pointer_problem = self._read_pointer()
        seen = (folder, self._pointer_cache[0], pointer_problem)
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
                self._index[name] = (mtime, size, _values(_read_fields(os.path.join(root, name), stamp)))
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
        self._listing, self._problems = self._assemble(metrics, models, pointer, pointer_problem)
        self._seen = seen

    def _assemble(self, metrics, models, pointer, pointer_problem) -> tuple[list[ModelSummary], list[str]]:
        champion_id = (pointer or {}).get("model_id")
        pinned = set((pointer or {}).get("pinned") or [])
        interrupted = set((pointer or {}).get("interrupted") or [])
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
                if row.status == "ok" and not key[3]:
                    row.status = "unreadable"
                    row.error = (f"{self.layout.model_path(stamp).name} is missing: the numbers remain, "
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
        self._champion_at = next((i for i, row in enumerate(rows) if row.is_champion and row.status == "ok"), None)
        return rows, problems
