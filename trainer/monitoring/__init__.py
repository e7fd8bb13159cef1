"""Drift and live performance of the champion: statistics (drift, prevalence, live), samples, signals, the report.

The face other layers and the dashboard import (names load on first use): the
report file (``read_report``, ``load_report`` (typed), ``refresh``, ``current_report``,
``data_fingerprint``) and :mod:`.history`, the drift history file.
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "build_report": "report", "write_report": "report", "read_report": "report", "refresh": "report",
    "current_report": "report", "data_fingerprint": "report", "verdict": "report", "load_report": "report",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES, modules=("history",))
