"""One configuration option: how it is declared, and how a value is checked against that declaration.

:func:`opt` declares an option as a dataclass field carrying its description
and its allowed values (a tuple, or a function returning one when the values
come from the module that owns them, such as `trainer.learning.families`);
:func:`coerce` checks a value read from TOML, the environment or the command
line and raises :class:`ConfigError` naming the key and what is allowed;
:func:`check_fields` runs it on every option of a group built in code (each
group's ``__post_init__``), so ``TrainingConfig(target=7)`` is refused too.
`trainer.config` declares every option with them.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from dataclasses import field
from typing import Any, Callable

from trainer.errors import CLAError

__all__ = ["ConfigError", "opt", "coerce", "allowed_values", "owned_by", "check_fields"]


class ConfigError(CLAError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


def opt(default: Any, help: str, *, choices: tuple | Callable[[], tuple] | None = None, min: float | None = None,
        max: float | None = None) -> Any:
    """Declare one option: its default, its description and its allowed values or range."""
    meta = {"help": help, "choices": choices, "min": min, "max": max}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def allowed_values(meta) -> tuple | None:
    """The values an option allows (its declared tuple, or what its registry offers now); ``None``: any."""
    choices = meta.get("choices")
    return tuple(choices()) if callable(choices) else choices


def owned_by(module: str, name: str) -> Callable[[], tuple]:
    """Allowed values that ``module`` declares as ``name`` (a tuple or a dict's keys), imported when first asked for.

    Lets an option's choices come from the module that owns them without
    importing it (and its libraries) when the configuration is read.
    """
    return lambda: tuple(getattr(importlib.import_module(module), name))


def check_fields(group: Any, prefix: str) -> None:
    """Check every option of a group built in code, as :func:`coerce` checks one read from a file.

    A value equal to its declared default is taken as it is (the defaults are
    checked once, by the tests), so building the defaults imports no owner of
    a choice list. Raises :class:`ConfigError` naming ``prefix`` + the option.
    """
    for f in dataclasses.fields(group):
        value = getattr(group, f.name)
        if dataclasses.is_dataclass(value) or f.type in ("Any", Any) or "help" not in f.metadata:
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if value is default or (type(value) is type(default) and value == default):
            continue
        setattr(group, f.name, coerce(f"{prefix}{f.name}", value, default, dict(f.metadata)))


def coerce(key: str, value: Any, default: Any, meta: dict) -> Any:
    """Check one value against its default's type and declared range."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            out = value
        elif isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on", "false", "0", "no", "off"}:
            out = value.strip().lower() in {"true", "1", "yes", "on"}
        else:
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
    elif isinstance(default, int):
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            out = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}") from None
    elif isinstance(default, float):
        try:
            if isinstance(value, bool):
                raise ValueError
            out = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
        if not math.isfinite(out):  # NaN passes every range check (each comparison is False)
            raise ConfigError(f"{key}: expected a finite number, got {value!r}; set a number such as {default!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        out = value
    elif isinstance(default, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        out = list(value)
    else:
        out = value
    choices = allowed_values(meta)
    if choices and isinstance(out, list):
        unknown = [v for v in out if v not in choices]
        if unknown:
            raise ConfigError(f"{key}: {', '.join(map(repr, unknown))} not allowed; choose among {', '.join(choices)}")
    elif choices and out not in choices:
        raise ConfigError(f"{key}: {out!r} is not allowed; choose one of {', '.join(map(str, choices))}")
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and out < lo:
        raise ConfigError(f"{key}: {out!r} is below the minimum {lo}")
    if hi is not None and out > hi:
        raise ConfigError(f"{key}: {out!r} is above the maximum {hi}")
    return out
