"""The champion pointer of a models folder: which model scores alerts, and which did before it.

The pointer is a :class:`~trainer.contract.champion.ChampionRecord`
(``model_id``, ``promoted_at``, ``reason``, ``actor``, ``previous``: older
champion ids, newest first, ``pinned``, ``interrupted``); ``interrupted``
lists models whose promotion was decided but never carried out
(:mod:`trainer.service.reconcile`): readers show their decision as
``interrupted``, not the ``promoted`` their metrics file says.

:class:`ChampionPointer` is the one reader of the file (:meth:`ChampionPointer.load`;
:meth:`ChampionPointer.read` caches it by the file's mtime, size and inode)
and changes it: :meth:`ChampionPointer.change` applies a pure function
to the pointer under a file lock (:mod:`trainer.locking`) and replaces
the file atomically (:mod:`trainer.atomic`), so a manual promote and the
trainer's automatic one never lose each other's change. Promotion and rollback
both move the pointer with :func:`shift_champion`.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Callable

from trainer import atomic
from trainer.contract.champion import ChampionRecord
from trainer.contract.json_record import NotAnObject
from trainer.contract.layout import ModelsLayout
from trainer.folder.summary import RegistryError
from trainer.locking import FileLock
from trainer.timestamps import now_iso
from trainer.reading import JSON_MAX_BYTES, read_regular, stat_stamp

__all__ = ["PREVIOUS_KEPT", "ChampionPointer", "ChampionRecord", "shift_champion", "walk_back"]

log = logging.getLogger("cla.registry")

#: how many earlier champions the pointer remembers for rollback
PREVIOUS_KEPT = 20
LOCK_TIMEOUT_SECONDS = 10.0


def shift_champion(pointer: ChampionRecord, model_id: str, *, actor: str,
                   reason: str | Callable[[str | None], str]) -> ChampionRecord:
    """``pointer`` with ``model_id`` as champion and the old champion first in ``previous``.

    ``reason`` is the text recorded, or a function of the old champion's id
    that returns it. ``model_id`` leaves ``previous`` and ``interrupted``
    (it is champion now); ``previous`` keeps :data:`PREVIOUS_KEPT` ids.
    Raises :class:`RegistryError` when ``model_id`` is the champion already.
    """
    current = pointer.model_id
    if current == model_id:
        raise RegistryError(f"model {model_id} is already the champion")
    previous = [current] if current else []
    previous += [p for p in pointer.previous if p not in (model_id, current)]
    interrupted = tuple(i for i in pointer.interrupted if i != model_id)
    return pointer.with_(model_id=model_id, promoted_at=now_iso(),
                         reason=reason(current) if callable(reason) else reason, actor=actor,
                         previous=tuple(previous[:PREVIOUS_KEPT]), interrupted=interrupted)


def walk_back(pointer: ChampionRecord, target: str, *, actor: str,
              reason: str | Callable[[str | None], str]) -> ChampionRecord:
    """``pointer`` rolled back to ``target``, walking back through the champion history.

    ``target`` and every newer entry leave ``previous`` and the champion rolled
    back from is not added, so the next rollback goes one step further back,
    never forward to the model just removed. A ``target`` outside the history
    is a plain :func:`shift_champion`. Raises :class:`RegistryError` like it.
    """
    history = [p for p in pointer.previous if p != pointer.model_id]
    shifted = shift_champion(pointer, target, actor=actor, reason=reason)
    if target not in history:
        return shifted
    return shifted.with_(previous=tuple(history[history.index(target) + 1:]))


class ChampionPointer:
    """Reader and writer of one folder's pointer; not thread-safe (the registry calls it under its lock)."""

    def __init__(self, layout: ModelsLayout):
        self.layout = layout
        self._cache: tuple[tuple | None, ChampionRecord | None, str | None] = (None, None, None)

    @property
    def signature(self) -> tuple | None:
        """The pointer file's change stamp (`trainer.reading.stat_stamp`) at the last :meth:`read`, None when absent."""
        return self._cache[0]

    def load(self) -> ChampionRecord | None:
        """The pointer as the file holds it now, None when there is no file.

        Raises OSError when it cannot be read, ValueError when it is not JSON
        (:class:`~trainer.contract.json_record.NotAnObject` when it is not an object).
        """
        try:
            data = read_regular(self.layout.champion, JSON_MAX_BYTES)
        except FileNotFoundError:
            return None
        return ChampionRecord.from_json(json.loads(data))

    def read(self) -> tuple[ChampionRecord | None, str | None]:
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
            pointer, problem = self.load(), None
        except NotAnObject:
            pointer, problem = None, f"{path.name} is not a JSON object: no champion is known"
        except (OSError, ValueError) as exc:
            pointer, problem = None, f"{path.name} cannot be read ({exc}): no champion is known"
        self._cache = (signature, pointer, problem)
        return pointer, problem

    def change(self, change: Callable[[ChampionRecord], ChampionRecord]) -> tuple[ChampionRecord, ChampionRecord]:
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
            old = pointer.completed() if pointer is not None else ChampionRecord.empty()
            new = change(old)
            atomic.write_json(self.layout.champion, new.to_json())
            self._cache = (None, None, None)
            return old, new
        finally:
            lock.release()
