"""Loading a stored model safely, and scoring alerts with it.

:func:`load_model` and :func:`load_champion` are the only places CLA
unpickles a model. Before ``joblib.load`` they check that the id is a stamp,
that both files of the pair resolve inside the models folder (no ``..``, no
symlink pointing elsewhere), and that the pickle matches the signature its
metrics file recorded (`trainer.folder.signing`: an HMAC under a key kept outside the
models folder, so whoever can write the folder cannot forge it). The bytes
that were checked are the bytes that are loaded, so a file swapped in between
is never unpickled. An unsigned pair (the old CLA's) is loaded only when the
caller passes ``allow_unsigned=True`` (``cla score --allow-unsigned``).
Anything else raises :class:`ModelLoadError`, which names the file and what
to do.

:func:`score_frame` adds ``tp_probability``, ``tp_decision`` and ``model_id``
to a frame of alerts; ``cla score`` (`trainer.cli.score`) wraps it.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from trainer.folder import signing
from trainer.contract.champion import ChampionRecord
from trainer.contract.json_record import NotAnObject
from trainer.folder.champion import ChampionPointer
from trainer.contract.layout import STAMP_RE, ModelsLayout
from trainer.reading import JSON_MAX_BYTES, MODEL_MAX_BYTES, read_regular
from trainer.errors import CLAError

log = logging.getLogger("cla.scoring")

#: where the classes of models pickled before the trainer was split into subpackages live now; a pickle
#: names its classes by module path, so a champion written by an older CLA still loads after an upgrade
MOVED_MODULES = {
    "trainer.model": "trainer.learning.triage_model",
    "trainer.learning.model": "trainer.learning.triage_model",
    "trainer.modeling": "trainer.learning.pipelines",
    "trainer.learning.modeling": "trainer.learning.pipelines",
    "trainer.features": "trainer.learning.features",
    "trainer.calibration": "trainer.learning.calibration",
    "trainer.thresholds": "trainer.learning.thresholds",
    "trainer.evaluation": "trainer.learning.evaluation",
}


def _alias_moved_modules() -> None:
    import importlib
    import sys

    for old, new in MOVED_MODULES.items():
        if old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)

PROBABILITY_COLUMN = "tp_probability"
DECISION_COLUMN = "tp_decision"
MODEL_ID_COLUMN = "model_id"


class ModelLoadError(CLAError, RuntimeError):
    """A model cannot be loaded safely; the message names the file and what to do."""


def _inside(root: Path, path: Path) -> Path:
    """``path`` with symlinks resolved; raises ModelLoadError unless it is a regular file directly in ``root``."""
    real = Path(os.path.realpath(path))
    if real.parent != root:
        raise ModelLoadError(f"{path} resolves to {real}, outside the models folder {root}: refusing to load it; "
                             "keep models as plain files inside the models folder")
    if not real.is_file():
        raise ModelLoadError(f"{path} is missing (or not a file): the pair is incomplete; pick another model "
                             "with `cla models list`")
    return real


def read_metrics(models_dir: str | os.PathLike, model_id: str) -> dict[str, Any]:
    """The metrics dict of ``model_id``, its path checked to lie inside the models folder.

    Raises :class:`ModelLoadError` for an id that is not a stamp, a missing or
    escaping file, or a file that is not a JSON object.
    """
    if not isinstance(model_id, str) or not STAMP_RE.match(model_id):
        raise ModelLoadError(f"{model_id!r} is not a model id (expected YYYYMMDD_HHMMSS, as `cla models list` shows)")
    layout = ModelsLayout.of(models_dir)
    root = Path(os.path.realpath(layout.root))
    path = _inside(root, layout.metrics_path(model_id))
    try:
        metrics = json.loads(read_regular(path, JSON_MAX_BYTES))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}; the pair cannot be trusted, pick another model") from exc
    if not isinstance(metrics, dict):
        raise ModelLoadError(f"{path} is not a JSON object; the pair cannot be trusted, pick another model")
    return metrics


def load_model(models_dir: str | os.PathLike, model_id: str, *, allow_unsigned: bool = False,
               key_file: str | os.PathLike | None = None):
    """The model of pair ``model_id`` in ``models_dir``, after the containment and signature checks.

    ``key_file`` is the model key (default: ``CLA_MODEL_KEY`` or the default place, see
    `trainer.folder.signing`). ``allow_unsigned`` lets a pair without a signature
    (the old CLA's) load, after its SHA-256 when it records one; a pair whose
    signature fails is never loaded. The returned model's
    ``metadata["model_id"]`` is set to ``model_id``. Raises
    :class:`ModelLoadError` (see the module docstring).
    """
    metrics = read_metrics(models_dir, model_id)
    layout = ModelsLayout.of(models_dir)
    root = Path(os.path.realpath(layout.root))
    expected_name = layout.model_path(model_id).name
    named = metrics.get("model_file", expected_name)
    if named != expected_name:
        raise ModelLoadError(f"{layout.metrics_path(model_id)} names model file {named!r}, expected {expected_name!r}: "
                             "refusing to load a model from anywhere but its own pair")
    path = _inside(root, layout.model_path(model_id))
    try:
        data = read_regular(path, MODEL_MAX_BYTES)
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    verdict = signing.verify(model_id, metrics, data, key_file=key_file, models_dir=root)
    if verdict.state == signing.UNSIGNED and allow_unsigned:
        log.warning("%s has no signature, so nothing proves CLA wrote it; loading it anyway because unsigned "
                    "models were allowed", path)
    elif not verdict.trusted:
        raise ModelLoadError(f"refusing to load {path}: {verdict.reason}")
    _alias_moved_modules()
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - unpickling runs the pickle's own code (imports,
        # __setstate__), which can raise anything; every failure means the same thing to the user
        raise ModelLoadError(f"{path} cannot be unpickled ({type(exc).__name__}: {exc}); "
                             "it was probably written by incompatible package versions; retrain") from exc
    if not hasattr(model, "predict_proba") or not hasattr(model, "threshold"):
        raise ModelLoadError(f"{path} holds a {type(model).__name__}, not a triage model with predict_proba and "
                             "a threshold; retrain with `cla train`")
    if isinstance(getattr(model, "metadata", None), dict):
        model.metadata["model_id"] = model_id
    return model


def champion_id(models_dir: str | os.PathLike) -> str:
    """The champion's model id from the champion pointer; raises :class:`ModelLoadError` when there is none."""
    layout = ModelsLayout.of(models_dir)
    try:
        pointer = ChampionPointer(layout).load()
    except NotAnObject:
        pointer = ChampionRecord.empty()
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {layout.champion}: {exc}; promote a model again with "
                             "`cla models promote ID`") from exc
    if pointer is None:
        raise ModelLoadError(f"no champion in {layout.root} ({layout.champion.name} does not exist): train one with "
                             "`cla train` or promote one with `cla models promote ID`")
    if not pointer.model_id:
        raise ModelLoadError(f"{layout.champion} names no champion: promote one with `cla models promote ID`")
    return pointer.model_id


def load_champion(models_dir: str | os.PathLike, *, allow_unsigned: bool = False,
                  key_file: str | os.PathLike | None = None):
    """The champion model of ``models_dir``, signature-verified.

    ``allow_unsigned`` and ``key_file`` are as for :func:`load_model`
    (``trainer.load_champion`` fills both from the configuration).
    Raises :class:`ModelLoadError` when there is no champion or it fails a check.
    """
    return load_model(models_dir, champion_id(models_dir), allow_unsigned=allow_unsigned, key_file=key_file)


def score_frame(model, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``tp_probability``, ``tp_decision`` (1 at or above the threshold) and ``model_id``.

    Raises ``ValueError`` naming the feature columns the frame lacks.
    """
    probabilities = model.predict_proba(frame)[:, 1]
    scored = frame.copy()
    scored[PROBABILITY_COLUMN] = probabilities
    scored[DECISION_COLUMN] = (probabilities >= model.threshold).astype(int)
    scored[MODEL_ID_COLUMN] = (getattr(model, "metadata", None) or {}).get("model_id")
    return scored
