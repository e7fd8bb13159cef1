"""One configuration option: how it is declared, and how a value is checked against that declaration.

:func:`opt` declares an option as a dataclass field carrying its description
and its allowed values (a tuple, or a function returning one when the values
come from a registry such as `trainer.learning.families`); :func:`coerce`
checks a value read from TOML, the environment or the command line and
raises :class:`ConfigError` naming the key and what is allowed.
`trainer.config` declares every option with them.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any, Callable

__all__ = ["ConfigError", "opt", "coerce", "allowed_values"]


class ConfigError(ValueError):
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
