"""CLA trainer: learns an alert-triage classifier from analyst verdicts.

Public API::

    import trainer
    model = trainer.fit(frame, label="is_true_positive", objective="recall", target=0.95)
    metrics = trainer.evaluate(model, holdout, label="is_true_positive")
    champion = trainer.load_champion("models")
    scored = champion.predict_proba(new_alerts)

``trainer.TriageModel`` is the class every model is, ``trainer.CLAError`` the
base of every error CLA raises on purpose (``trainer.ModelLoadError`` when a
model cannot be loaded safely). The names load on first use, so ``import
trainer`` (and the CLI's start-up) stays cheap; type checkers and IDEs see
them through the ``TYPE_CHECKING`` imports. Nothing here imports Streamlit;
the dashboard reads what this package writes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.errors import CLAError
    from trainer.folder.scoring import ModelLoadError, load_champion
    from trainer.learning.api import evaluate, fit
    from trainer.learning.triage_model import TriageModel

__version__ = "0.1.0"

#: public name -> the module that defines it
_HOMES = {
    "fit": "trainer.learning.api",
    "evaluate": "trainer.learning.api",
    "TriageModel": "trainer.learning.triage_model",
    "load_champion": "trainer.folder.scoring",
    "ModelLoadError": "trainer.folder.scoring",
    "CLAError": "trainer.errors",
}

__all__ = ["CLAError", "ModelLoadError", "TriageModel", "__version__", "evaluate", "fit", "load_champion"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'trainer' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
