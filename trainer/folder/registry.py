"""The model registry: what is in a models folder, which model is champion, and moving that pointer.

:class:`Registry` is the facade the dashboard and ``cla models`` ask. It reads
the pairs written by :mod:`trainer.folder.pairs` through a cached listing
(:mod:`trainer.folder.listing`: one ``os.scandir`` per call, an index so a new
process parses no unchanged file; rows are :class:`ModelSummary`, read by
:mod:`trainer.folder.summary`), fills in what the old CLA's files never
recorded (:mod:`trainer.folder.legacy`), and reads and moves the champion
pointer (:mod:`trainer.folder.champion`). Instances are thread-safe: the
dashboard shares one across sessions.

Trust: :meth:`Registry.verify` checks a model file against the signature its
metrics file records (:mod:`trainer.folder.signing`), without unpickling, and caches the
verdict by the size, mtime, ctime and inode of both files and of the key, so
a page load hashes a model only after it changed. Every listing checks the
champion that way (``integrity`` on its row; a failure is also in
:meth:`Registry.problems`), and :meth:`Registry.promote` and
:meth:`Registry.rollback` refuse a model that is not verified.

Tolerated, never fatal: legacy pairs with only the old CLA keys, a model file
without metrics (listed as ``incomplete``, never a model), a metrics file that
does not parse (listed as ``unreadable`` and reported by
:meth:`Registry.problems`). Temporaries and stamp reservations are ignored.
Each change of the pointer appends an event (:mod:`trainer.folder.events`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path
from typing import Any

from trainer.contract.layout import STAMP_RE, ModelsLayout, stamp_time
from trainer.folder import signing
from trainer.contract.champion import ChampionRecord
from trainer.folder.champion import ChampionPointer, shift_champion, walk_back
from trainer.folder.events import append_event, read_events
from trainer.folder.legacy import with_legacy_fields
from trainer.folder.listing import Listing
from trainer.folder.summary import INTERRUPTED, INTERRUPTED_REASON, ModelNotFound, ModelSummary, RegistryError
from trainer.reading import JSON_MAX_BYTES, file_stamp, read_regular

__all__ = ["Registry", "RegistryError", "ModelNotFound", "ModelSummary", "INTERRUPTED", "INTERRUPTED_REASON"]


class Registry:
    """Reader and champion-pointer writer for one models folder (see the module docstring)."""

    def __init__(self, models_dir: str | os.PathLike, *, key_file: str | os.PathLike | None = None):
        """``key_file``: the model key that signatures are checked with (default: ``signing.resolve_key_file``)."""
        self.layout = ModelsLayout.of(models_dir)
        self.root = self.layout.root
        self.key_file = Path(key_file) if key_file else None
        self._lock = threading.RLock()
        self._verdicts: dict[str, tuple[tuple, signing.Verdict]] = {}
        self._listing = Listing(self.layout)
        self._pointer = ChampionPointer(self.layout)
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
            return list(self._listing.rows)

    def problems(self) -> list[str]:
        """Sentences about what is wrong in the folder: unreadable files, orphan model files, a bad pointer,
        a champion that fails its signature check."""
        with self._lock:
            self._refresh()
            champion = self._check_champion()
            _, _, event_problems = self._read_events()
            untrusted = ([f"the champion {champion.model_id} is {champion.integrity}: {champion.integrity_reason}"]
                         if champion is not None and champion.integrity_reason else [])
            return untrusted + list(self._listing.problems) + event_problems

    def verify(self, model_id: str) -> signing.Verdict:
        """The signature verdict on ``model_id``'s model file (`trainer.folder.signing`); nothing is unpickled.

        Cached by the size, mtime, ctime and inode of the metrics file, the
        model file and the key: a model is hashed again only after one of them
        changed (ctime moves even when someone resets the mtime). Raises
        :class:`ModelNotFound` or :class:`RegistryError` as :meth:`get` does.
        """
        metrics_path, model_path = self.layout.metrics_path(model_id), self.layout.model_path(model_id)
        if self.key_file is None:
            self.key_file = signing.resolve_key_file(None)  # once: the environment is read at the first check
        key_file = self.key_file
        signature = (file_stamp(metrics_path), file_stamp(model_path), signing.key_signature(key_file))
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
            metrics = json.loads(read_regular(path, JSON_MAX_BYTES))
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
        return with_legacy_fields(metrics)

    def summary(self, model_id: str) -> ModelSummary:
        """The listing row of ``model_id``; raises :class:`ModelNotFound`."""
        for row in self.list_models():
            if row.model_id == model_id:
                return row
        raise ModelNotFound(f"no model {model_id} in {self.root}; see `cla models list`")

    def champion(self) -> ChampionRecord | None:
        """The champion pointer (see the module docstring), or None when no model has been promoted."""
        with self._lock:
            pointer, _ = self._pointer.read()
            return pointer if pointer is not None and pointer.model_id else None

    def pinned(self) -> list[str]:
        """Ids of pinned models."""
        with self._lock:
            pointer, _ = self._pointer.read()
            return list(pointer.pinned) if pointer is not None else []

    def interrupted(self) -> list[str]:
        """Ids of models whose promotion was decided but never carried out (see :meth:`mark_interrupted`)."""
        with self._lock:
            pointer, _ = self._pointer.read()
            return list(pointer.interrupted) if pointer is not None else []

    def events(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Events oldest first (the newest ``limit`` when given); bad lines are in :meth:`problems`."""
        with self._lock:
            _, events, _ = self._read_events()
        return list(events[-limit:] if limit else events)

    # --- champion pointer --------------------------------------------------------------------------

    def promote(self, model_id: str, *, actor: str, reason: str = "promoted by hand",
                **details: Any) -> ChampionRecord:
        """Make ``model_id`` the champion; the old one becomes ``previous[0]``. Returns the new pointer.

        Raises :class:`ModelNotFound`, or :class:`RegistryError` when the model
        is already champion, incomplete, unreadable, unsigned or fails its signature check.
        """
        self._require_loadable(model_id)
        old, new = self._change_pointer(lambda pointer: shift_champion(pointer, model_id, actor=actor, reason=reason))
        append_event(self.layout.events, "promoted", actor=actor, model_id=model_id, message=reason,
                     previous=old.model_id, **details)
        return new

    def rollback(self, to: str | None = None, *, actor: str, reason: str = "") -> ChampionRecord:
        """Make ``to`` (default: the previous champion) the champion again. Returns the new pointer.

        Walks back through the champion history (:func:`trainer.folder.champion.walk_back`):
        a second rollback goes further back, never forward to the model just removed.
        Raises :class:`RegistryError` when there is no previous champion, or
        the target is the champion already, missing, incomplete, unsigned or fails its signature check.
        """
        with self._lock:
            pointer, _ = self._pointer.read()
            target = to or next(iter(pointer.previous if pointer is not None else ()), None)
            if target is None:
                raise RegistryError("there is no previous champion to roll back to; name a model with --to ID "
                                    "(see `cla models list`)")
            self._require_loadable(target)
            said = reason or (lambda champion: f"rolled back from {champion}")
            old, new = self._change_pointer(lambda pointer: walk_back(pointer, target, actor=actor, reason=said))
        append_event(self.layout.events, "rolled_back", actor=actor, model_id=target,
                     message=new.reason, previous=old.model_id)
        return new

    def mark_interrupted(self, model_id: str, *, actor: str, message: str) -> ChampionRecord:
        """Record that ``model_id``'s promotion was decided but its training died before carrying it out.

        Its listing and metrics then say ``interrupted``; promoting it by hand
        clears the mark. Appends ``promotion_interrupted``; returns the new pointer.
        """
        def change(pointer: ChampionRecord) -> ChampionRecord:
            interrupted = pointer.interrupted
            return pointer.with_(interrupted=interrupted + (model_id,) if model_id not in interrupted else interrupted)

        _, new = self._change_pointer(change)
        append_event(self.layout.events, "promotion_interrupted", actor=actor, model_id=model_id, message=message)
        return new

    def pin(self, model_id: str, *, actor: str, reason: str = "") -> ChampionRecord:
        """Exempt ``model_id`` from retention. Raises :class:`ModelNotFound` or :class:`RegistryError`."""
        row = self.summary(model_id)
        if row.status != "ok":
            raise RegistryError(f"model {model_id} is {row.status} ({row.error}); only a readable pair can be pinned")

        def change(pointer: ChampionRecord) -> ChampionRecord:
            if model_id in pointer.pinned:
                raise RegistryError(f"model {model_id} is already pinned")
            return pointer.with_(pinned=pointer.pinned + (model_id,))

        _, new = self._change_pointer(change)
        append_event(self.layout.events, "pinned", actor=actor, model_id=model_id,
                     message=reason or f"pinned {model_id}: retention keeps it")
        return new

    def unpin(self, model_id: str, *, actor: str, reason: str = "") -> ChampionRecord:
        """Let retention delete ``model_id`` again. Raises :class:`RegistryError` when it is not pinned."""

        def change(pointer: ChampionRecord) -> ChampionRecord:
            if model_id not in pointer.pinned:
                raise RegistryError(f"model {model_id} is not pinned")
            return pointer.with_(pinned=tuple(p for p in pointer.pinned if p != model_id))

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
        at = self._listing.champion_at
        if at is None:
            return None
        row = self._listing.rows[at]
        try:
            verdict = self.verify(row.model_id)
        except RegistryError as exc:
            verdict = signing.Verdict(signing.UNVERIFIABLE, str(exc))
        reason = None if verdict.trusted else verdict.reason
        if row.integrity != verdict.state or row.integrity_reason != reason:
            row = dataclasses.replace(row, integrity=verdict.state, integrity_reason=reason)
            self._listing.rows[at] = row
        return row

    def _change_pointer(self, change) -> tuple[ChampionRecord, ChampionRecord]:
        """Apply ``change(pointer) -> pointer`` under the registry's and the pointer's locks; returns (old, new)."""
        with self._lock:
            old, new = self._pointer.change(change)
            self._listing.invalidate()
            return old, new

    def _refresh(self, force: bool = False) -> None:
        """Bring the listing up to date with the folder and the pointer (caller holds ``self._lock``)."""
        pointer, problem = self._pointer.read()
        self._listing.refresh(pointer, self._pointer.signature, problem, force=force)

    def _read_events(self) -> tuple[tuple | None, list[dict], list[str]]:
        signature = file_stamp(self.layout.events)
        if self._events_cache[0] != signature or signature is None:
            events, problems = read_events(self.layout.events)
            self._events_cache = (signature, events, problems)
        return self._events_cache
