"""A layer's public face: the names other layers import from its package, each loaded on first use.

A layer's ``__init__`` declares which module defines each public name (and
which of its modules are public as a whole) and takes ``__getattr__``,
``__dir__`` and ``__all__`` from :func:`lazy_face`, so importing the package
costs nothing until a name is used (``trainer.config`` imports settings from
layers whose other modules import the configuration).
``tests/trainer/test_layers.py`` checks that the dashboard imports only these
names.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["lazy_face"]


def lazy_face(
    package: str, homes: dict[str, str], modules: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` with ``homes`` (public name -> module) and public ``modules``."""
    public = sorted({*homes, *modules})

    def getattr_(name: str) -> Any:
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    def dir_() -> list[str]:
        return list(public)

    return getattr_, dir_, public
