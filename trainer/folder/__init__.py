"""The models folder: writing pairs, listing them, signing, scoring, promotion and retention.

The face other layers and the dashboard import (names load on first use):
:class:`Registry` (list, get, verify, promote, roll back, pin) and its errors,
the event log (``append_event``, ``read_events``, ``local_user``), the
signature verdicts, loading and scoring with a model, the health questions the
banner and the notifications both ask (``champion_problem``,
``degraded_reason``) and the champion pointer.
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "Registry": "registry",
    "RegistryError": "summary", "ModelNotFound": "summary", "ModelSummary": "summary",
    "append_event": "events", "read_events": "events", "read_event_rows": "events", "appended_since": "events",
    "local_user": "events",
    "Verdict": "signing", "VERIFIED": "signing", "UNSIGNED": "signing", "TAMPERED": "signing",
    "UNVERIFIABLE": "signing", "KeyUnavailable": "signing",
    "ModelLoadError": "scoring", "load_champion": "scoring", "load_model": "scoring", "score_frame": "scoring",
    "champion_id": "scoring",
    "champion_problem": "health", "degraded_reason": "health", "field_of": "health",
    "ChampionPointer": "champion",
    "write_pair": "pairs",
    "METRIC_NAMES": "promotion_rules", "champion_slide": "promotion_rules",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES)
