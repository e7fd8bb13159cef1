"""The JSON edge of the contract records: typed fields inside, the exact object on disk outside.

A record (:class:`JsonRecord`) is a frozen dataclass whose fields are the keys
a JSON object may have. :meth:`JsonRecord.from_json` parses an object once,
where it is read: each known key through its field's parser (a value of the
wrong type reads as None), every other key kept as it was in ``extra``, and
the keys' order in ``keys``. :meth:`JsonRecord.to_json` writes the same keys
in the same order, so a file read and written again keeps its bytes; a
record built in code (:meth:`JsonRecord.of`) writes the keys it was given, in
that order. A value that is not a JSON object is refused with
:class:`NotAnObject`.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, TypeVar, cast

from trainer.reading import NotAnObject  # the one class for "JSON, but not an object", files and fields alike

__all__ = [
    "NotAnObject",
    "JsonRecord",
    "text",
    "number",
    "integer",
    "flag",
    "texts",
    "object_or_none",
    "record_or_none",
]

R = TypeVar("R", bound="JsonRecord")
Parser = Callable[[Any], Any]


def text(value: Any) -> str | None:
    """A string as it is; any other value reads as None."""
    return value if isinstance(value, str) else None


def number(value: Any) -> float | int | None:
    """A real number (never a bool; numpy's too, as it is); any other value reads as None."""
    return cast(float, value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else None


def integer(value: Any) -> int | None:
    """An integer (never a bool; numpy's too, as it is); any other value reads as None."""
    return cast(int, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else None


def flag(value: Any) -> bool | None:
    """A bool; any other value reads as None."""
    return value if isinstance(value, bool) else None


def texts(value: Any) -> tuple[str, ...]:
    """The strings of a list, in order (other items and a non-list read as none)."""
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def object_or_none(value: Any) -> dict[str, Any] | None:
    """A JSON object as a dict; any other value reads as None."""
    return dict(value) if isinstance(value, dict) else None


def record_or_none(kind: type[R]) -> Callable[[Any], R | None]:
    """A parser for a field holding a nested record: the record, or None for a non-object."""

    def parse(value: Any) -> R | None:
        return kind.from_json(value) if isinstance(value, dict) else None

    return parse


def _dump(value: Any) -> Any:
    if isinstance(value, JsonRecord):
        return value.to_json()
    if isinstance(value, tuple):
        return [_dump(item) for item in value]
    return value


@dataclass(frozen=True)
class JsonRecord:
    """A JSON object as typed fields; subclasses declare their fields and :attr:`PARSERS`."""

    #: a parser per field name; a field without one takes the value as it is
    PARSERS: ClassVar[Mapping[str, Parser]] = {}
    #: what the object is, for :class:`NotAnObject`'s message
    WHAT: ClassVar[str] = "a record"

    #: keys the object had that no field names, as they were
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)
    #: the keys the object has, in order (what :meth:`to_json` writes)
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False, kw_only=True)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "keys"))

    @classmethod
    def from_json(cls: type[R], obj: Any) -> R:
        """The record an object holds; raises :class:`NotAnObject` for a value that is not an object."""
        if not isinstance(obj, dict):
            raise NotAnObject(f"{cls.WHAT} must be a JSON object, not {type(obj).__name__}")
        names = cls.field_names()
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in obj.items():
            if key in names:
                parser = cls.PARSERS.get(key)
                known[key] = parser(value) if parser is not None else value
            else:
                extra[key] = value
        return cls(**known, extra=extra, keys=tuple(obj))

    @classmethod
    def of(cls: type[R], **fields: Any) -> R:
        """A record built in code; it writes the keys given, in this order."""
        return cls(**fields, keys=tuple(fields))

    def with_(self: R, **changes: Any) -> R:
        """A copy with ``changes``; a key it did not have is written after the others."""
        names = self.field_names()
        added = tuple(key for key in changes if key not in self.keys and key in names)
        return dataclasses.replace(self, **changes, keys=self.keys + added)

    def to_json(self) -> dict[str, Any]:
        """The object: the keys it was read or built with, in order, each with its current value."""
        names = set(self.field_names())
        return {key: _dump(getattr(self, key)) if key in names else self.extra[key] for key in self.keys}
