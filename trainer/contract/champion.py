"""The champion pointer (``champion.json``): which model scores alerts, and which did before it.

``model_id`` is the champion (None before the first promotion), with when,
why and by whom it was promoted; ``previous`` the earlier champions, newest
first (rollback walks back through them); ``pinned`` the models retention
keeps; ``interrupted`` the models whose promotion was decided but never
carried out (written once the first one is marked or the champion moves;
older pointers lack the key). ``trainer.folder.champion`` reads and changes
it; every reader gets a :class:`ChampionRecord`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Mapping

from trainer.contract.json_record import JsonRecord, Parser, text, texts

__all__ = ["ChampionRecord", "EMPTY_KEYS"]

#: the keys a new pointer starts with, in this order (``interrupted`` follows once written)
EMPTY_KEYS = ("model_id", "promoted_at", "reason", "actor", "previous", "pinned")


@dataclass(frozen=True)
class ChampionRecord(JsonRecord):
    """The champion pointer; see the module docstring."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "model_id": text,
        "promoted_at": text,
        "reason": text,
        "actor": text,
        "previous": texts,
        "pinned": texts,
        "interrupted": texts,
    }
    WHAT: ClassVar[str] = "the champion pointer"

    model_id: str | None = None
    promoted_at: str | None = None
    reason: str | None = None
    actor: str | None = None
    previous: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    interrupted: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> "ChampionRecord":
        """A pointer naming no champion (what a folder without ``champion.json`` starts from)."""
        return cls(keys=EMPTY_KEYS)

    def completed(self) -> "ChampionRecord":
        """This pointer as a change writes it: the keys a new pointer starts with first, then the others in order."""
        return dataclasses.replace(self, keys=EMPTY_KEYS + tuple(key for key in self.keys if key not in EMPTY_KEYS))
