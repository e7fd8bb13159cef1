"""The champion pointer of a models folder: which model scores alerts, and which did before it.

The pointer is ``{"model_id", "promoted_at", "reason", "actor", "previous":
[older champion ids, newest first], "pinned": [ids], "interrupted": [ids]}``;
``interrupted`` lists models whose promotion was decided but never carried
out (:mod:`trainer.service.reconcile`): readers show their decision as
``interrupted``, not the ``promoted`` their metrics file says.

:class:`ChampionPointer` reads it (cached by the file's mtime, size and
inode) and changes it: :meth:`ChampionPointer.change` applies a pure function
to the pointer under a file lock (:mod:`trainer.locking`) and replaces
the file atomically (:mod:`trainer.atomic`), so a manual promote and the
trainer's automatic one never lose each other's change. Promotion and rollback
both move the pointer with :func:`shift_champion`.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable

from trainer import atomic
from trainer.contract.layout import ModelsLayout
from trainer.folder.summary import RegistryError
from trainer.locking import FileLock
from trainer.timestamps import now_iso
from trainer.reading import JSON_MAX_BYTES, read_regular, stat_stamp

__all__ = ["PREVIOUS_KEPT", "ChampionPointer", "empty_pointer", "shift_champion"]

log = logging.getLogger("cla.registry")

#: how many earlier champions the pointer remembers for rollback
PREVIOUS_KEPT = 20
LOCK_TIMEOUT_SECONDS = 10.0


def empty_pointer() -> dict[str, Any]:
    return {"model_id": None, "promoted_at": None, "reason": None, "actor": None, "previous": [], "pinned": []}


def shift_champion(pointer: dict[str, Any], model_id: str, *, actor: str,
                   reason: str | Callable[[str | None], str]) -> dict[str, Any]:
    """``pointer`` with ``model_id`` as champion and the old champion first in ``previous``.

    ``reason`` is the text recorded, or a function of the old champion's id
    that returns it. ``model_id`` leaves ``previous`` and ``interrupted``
    (it is champion now); ``previous`` keeps :data:`PREVIOUS_KEPT` ids.
    Raises :class:`RegistryError` when ``model_id`` is the champion already.
    """
    current = pointer.get("model_id")
    if current == model_id:
        raise RegistryError(f"model {model_id} is already the champion")
    previous = [current] if current else []
    previous += [p for p in pointer.get("previous") or [] if p not in (model_id, current)]
    interrupted = [i for i in pointer.get("interrupted") or [] if i != model_id]
    return {**pointer, "model_id": model_id, "promoted_at": now_iso(),
            "reason": reason(current) if callable(reason) else reason, "actor": actor,
            "previous": previous[:PREVIOUS_KEPT], "interrupted": interrupted}


def walk_back(pointer: dict[str, Any], target: str, *, actor: str,
              reason: str | Callable[[str | None], str]) -> dict[str, Any]:
    """``pointer`` rolled back to ``target``, walking back through the champion history.

    ``target`` and every newer entry leave ``previous`` and the champion rolled
    back from is not added, so the next rollback goes one step further back,
    never forward to the model just removed. A ``target`` outside the history
    is a plain :func:`shift_champion`. Raises :class:`RegistryError` like it.
    """
    history = [p for p in pointer.get("previous") or [] if p != pointer.get("model_id")]
    shifted = shift_champion(pointer, target, actor=actor, reason=reason)
    if target not in history:
        return shifted
    return {**shifted, "previous": history[history.index(target) + 1:]}


class ChampionPointer:
    """Reader and writer of one folder's pointer; not thread-safe (the registry calls it under its lock)."""

    def __init__(self, layout: ModelsLayout):
        self.layout = layout
        self._cache: tuple[tuple | None, dict[str, Any] | None, str | None] = (None, None, None)

    @property
    def signature(self) -> tuple | None:
        """The pointer file's change stamp (`trainer.reading.stat_stamp`) at the last :meth:`read`, None when absent."""
        return self._cache[0]

    def read(self) -> tuple[dict[str, Any] | None, str | None]:
        """(pointer or None, problem sentence or None), cached by the file's mtime and size."""
        path = self.layout.champion
        try:
            st = os.stat(path)
            signature = stat_stamp(st)
        except FileNotFoundError:
            self._cache = (None, None, None)
            return None, None
        except OSError as exc:
            self._cache = (None, None, None)
            return None, f"{path} cannot be read ({exc.strerror or exc})"
        cached_signature, pointer, problem = self._cache
        if cached_signature == signature:
            return pointer, problem
        try:
            pointer = json.loads(read_regular(path, JSON_MAX_BYTES))
            problem = None
            if not isinstance(pointer, dict):
                pointer, problem = None, f"{path.name} is not a JSON object: no champion is known"
        except (OSError, ValueError) as exc:
            pointer, problem = None, f"{path.name} cannot be read ({exc}): no champion is known"
        self._cache = (signature, pointer, problem)
        return pointer, problem

    def change(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply ``change(pointer) -> pointer`` under the champion lock; returns (old, new).

        An unreadable pointer is logged and replaced by a new one. Whatever
        ``change`` raises leaves the file as it was.
        """
        lock = FileLock(self.layout.champion_lock)
        lock.acquire(blocking=True, timeout=LOCK_TIMEOUT_SECONDS)
        try:
            self._cache = (None, None, None)
            pointer, problem = self.read()
            if problem:
                log.warning("%s; starting a new champion pointer", problem)
            old = {**empty_pointer(), **(pointer or {})}
            new = change(dict(old))
            atomic.write_json(self.layout.champion, new)
            self._cache = (None, None, None)
            return old, new
        finally:
            lock.release()
