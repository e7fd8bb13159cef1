"""The exit codes of ``cla`` commands and of the trainer service process.

``cla train`` and ``cla trainer retrain --wait`` exit :data:`SKIPPED` when
there was nothing to learn from and :data:`BUSY` when another training holds
the lock; the service process exits :data:`ABANDONED` when it stopped with a
training cut short. :data:`OUTCOMES` is how :mod:`trainer.service.control`
reads a finished ``cla train`` child.
"""

from __future__ import annotations

__all__ = ["OK", "ERROR", "USAGE", "SKIPPED", "BUSY", "ABANDONED", "INTERRUPTED", "OUTCOMES", "outcome_of"]

OK = 0
#: a clear error (the message says what to do)
ERROR = 1
#: the command line or the configuration is wrong
USAGE = 2
#: the training ran but found nothing to learn from
SKIPPED = 3
#: another training or service holds the lock
BUSY = 4
#: the service stopped with a training cut short (shares the number with SKIPPED: a different command)
ABANDONED = 3
#: stopped with Ctrl-C (128 + SIGINT, as shells report it)
INTERRUPTED = 130

#: a ``cla train`` exit code as a training outcome
OUTCOMES = {OK: "finished", SKIPPED: "skipped", BUSY: "busy"}


def outcome_of(code: int) -> str:
    """The training outcome a ``cla train`` exit code stands for (``failed`` for any other code)."""
    return OUTCOMES.get(code, "failed")
