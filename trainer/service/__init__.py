"""The trainer service: its loop (runner), the control requests, triggers, one training cycle, status and recovery.

The face the CLI and the dashboard import (names load on first use):
:mod:`.control` (start, stop, status, retrain; ``ControlError``) and the
status file (``read_status``) and when the last training read its data
(``last_training_time``, ``when``).
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "ControlError": "control", "ControlResult": "control",
    "read_status": "status",
    "last_training_time": "triggers", "when": "triggers",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES, modules=("control",))
