"""Feedback: where verdicts come from (sources, the embedded store, imports, the demo generator) and how they are cleaned.

The face other layers and the dashboard import (names load on first use): the
sources (``open_source``, ``KINDS``, ``SourceError``), the cleaning before
training (``prepare``, ``DataError``) and the feedback counts (``count_feedback``).
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "open_source": "sources", "KINDS": "sources", "SourceError": "sources", "FeedbackSource": "sources",
    "prepare": "quality", "DataError": "quality",
    "count_feedback": "counts", "start_of_day": "counts",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES)
