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
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.errors import CLAError
    from trainer.folder.scoring import ModelLoadError
    from trainer.learning.api import evaluate, fit
    from trainer.learning.triage_model import TriageModel

__version__ = "0.1.0"

#: public name -> the module that defines it
_HOMES = {
    "fit": "trainer.learning.api",
    "evaluate": "trainer.learning.api",
    "TriageModel": "trainer.learning.triage_model",
    "ModelLoadError": "trainer.folder.scoring",
    "CLAError": "trainer.errors",
}

__all__ = ["CLAError", "ModelLoadError", "TriageModel", "__version__", "evaluate", "fit", "load_champion"]


def load_champion(
    models_dir: str | os.PathLike | None = None,
    *,
    allow_unsigned: bool = False,
    key_file: str | os.PathLike | None = None,
) -> TriageModel:
    """The champion of ``models_dir``, signature-verified before it is unpickled.

    What is not given comes from the configuration (``CLA_CONFIG``, then
    ``./cla.toml``; ``CLA_MODELS_DIR``, ``CLA_MODEL_KEY``): the models folder
    and the model key. The models-folder layer itself
    (`trainer.folder.scoring.load_champion`) never reads a configuration.
    Raises :class:`ModelLoadError` when there is no champion, it fails a
    check, or the configuration cannot say where the key is.
    """
    from trainer.folder.scoring import ModelLoadError
    from trainer.folder.scoring import load_champion as load

    if models_dir is None or key_file is None:
        from trainer.config import ConfigError, load_config

        try:
            config = load_config(models_dir=models_dir)
        except ConfigError as exc:
            raise ModelLoadError(f"cannot tell where the models and the model key are: {exc}") from exc
        models_dir, key_file = config.models_dir, key_file or config.model_key_path
    model: TriageModel = load(models_dir, allow_unsigned=allow_unsigned, key_file=key_file)
    return model


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'trainer' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
