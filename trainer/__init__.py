"""CLA trainer: learns an alert-triage classifier from analyst verdicts.

Public API::

    import trainer
    model = trainer.fit(frame, label="is_true_positive", objective="recall", target=0.95)
    metrics = trainer.evaluate(model, holdout, label="is_true_positive")
    champion = trainer.load_champion("models")
    scored = champion.predict_proba(new_alerts)

Nothing here imports Streamlit; the dashboard reads what this package writes.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["fit", "evaluate", "load_champion", "__version__"]


def __getattr__(name: str):
    # Lazy so `import trainer` (and the CLI's start-up) stays cheap.
    if name in ("fit", "evaluate"):
        from trainer.learning import api
        return getattr(api, name)
    if name == "load_champion":
        from trainer.folder.scoring import load_champion
        return load_champion
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")
