"""Learning: from a frame of verdicts to a fitted, thresholded, measured model.

The layer's public face, what the rest of CLA imports:

- `trainer.learning.api`: ``fit``, ``evaluate`` (``trainer.fit``/``trainer.evaluate``)
  and ``train_and_evaluate`` (what `trainer.service.cycle` runs);
- `trainer.learning.triage_model`: ``TriageModel``, the class a pair's pickle
  holds, and ``encode_label``;
- `trainer.learning.metrics_report`: ``TrainingResult``, the model with the
  metrics file's training keys;
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
