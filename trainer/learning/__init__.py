"""Learning: from a frame of verdicts to a fitted, thresholded, measured model.

The layer's public face, what the rest of CLA imports (the names below load
from this package on first use: ``from trainer.learning import fit, TriageModel``):

- `trainer.learning.api`: ``fit``, ``evaluate`` (``trainer.fit``/``trainer.evaluate``)
  and ``train_and_evaluate`` (what `trainer.service.cycle` runs);
- `trainer.learning.triage_model`: ``TriageModel``, the class a pair's pickle
  holds, and ``encode_label``;
- `trainer.learning.metrics_report`: ``TrainingResult``, the model with the
  metrics file's training keys;
- `trainer.learning.diagnostics`: ``SEVERITY``, ``SEVERITY_WORDS``,
  ``prediction_warnings``, ``is_useful``, ``shown`` and ``title``: the
  warnings a metrics file carries and how each reads;
- `trainer.learning.families`: the model families, imbalance strategies and
  fixed recipes (``legacy``), declared once; the config's allowed values, the
  candidate lists and the docs table come from it.

Inside, one module per step: features (which columns, how encoded), pipelines
(a declared family and strategy as an unfitted pipeline), search (candidate
lists, ranking on a validation slice, row sampling), validation (which rows
choose the candidate and the threshold), splitting, fit_recipe (the fixed,
holdout and cross-validated paths), thresholds, calibration, evaluation,
diagnostics. Each module lists its public names in ``__all__``. Nothing here
touches the models folder or the feedback store.
"""

from __future__ import annotations

from trainer.faces import lazy_face

#: public name -> the module that defines it
_HOMES = {
    "fit": "api",
    "evaluate": "api",
    "train_and_evaluate": "api",
    "clean_for_fit": "api",
    "TriageModel": "triage_model",
    "encode_label": "triage_model",
    "TrainingResult": "metrics_report",
    "SEVERITY": "diagnostics",
    "SEVERITY_WORDS": "diagnostics",
    "prediction_warnings": "diagnostics",
    "is_useful": "diagnostics",
    "shown": "diagnostics",
    "title": "diagnostics",
}

__getattr__, __dir__, __all__ = lazy_face(__name__, _HOMES, modules=("families",))
