"""The root of CLA's exceptions: every error CLA raises on purpose is a :class:`CLAError`.

Each layer declares its own errors next to the code that raises them
(``ConfigError`` in `trainer.options`, ``SourceError`` in
`trainer.feedback.sources`, ``RegistryError`` in `trainer.folder.summary`, ...);
all of them derive from :class:`CLAError`, so a caller can tell an expected
failure (a message for the user) from a bug with one ``except CLAError``.
Those that callers already catch as a built-in kind keep it as a second base
(``ConfigError`` is also a ``ValueError``, ``WriteError`` an ``OSError``,
``SourceError`` a ``RuntimeError``). ``tests/trainer/test_errors.py`` checks
that every exception class defined in ``trainer/`` and ``dashboard/`` is one.
"""

from __future__ import annotations

__all__ = ["CLAError"]


class CLAError(Exception):
    """An expected CLA failure; its message names the thing and what to do."""
