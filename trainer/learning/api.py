"""The learning layer's public API: fit a model on any labelled table, evaluate it, train and report.

- :func:`fit` is the Python API (``trainer.fit``): any table with a binary label
  column in, a :class:`~trainer.learning.triage_model.TriageModel` out (it
  splits off its own validation slice for the threshold).
- :func:`evaluate` (``trainer.evaluate``) scores a model on a labelled frame
  (`trainer.learning.evaluation`, `trainer.learning.diagnostics`).
- :func:`train_and_evaluate` is what `trainer.service.cycle` runs on cleaned
  feedback: newest-first holdout, then `trainer.learning.metrics_report`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pandas as pd

from trainer.config import Config, SchemaConfig, TrainingConfig, set_option
from trainer.columns import parse_times
from trainer.learning import diagnostics, evaluation, validation
from trainer.learning.features import infer_features
from trainer.learning.fit_recipe import fit_window
from trainer.learning.metrics_report import TrainingResult, fit_and_report, recall_target
from trainer.learning.pipelines import thread_limit
from trainer.learning.splitting import split_newest
from trainer.learning.triage_model import TriageModel, encode_label, require_binary

__all__ = ["fit", "evaluate", "train_and_evaluate", "clean_for_fit"]


def _configs(label: str, objective: str, target: float, options: dict[str, Any]) -> Config:
    config = Config()
    schema_fields = {f.name for f in dataclasses.fields(SchemaConfig)}
    training_fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    for name in options:
        if name not in schema_fields and name not in training_fields:
            allowed = ", ".join(sorted((schema_fields | training_fields) - {"label", "objective", "target"}))
            raise TypeError(f"fit() got an unknown option {name!r}; allowed: {allowed}")
    # A bad value raises ConfigError (a ValueError) naming the option and what is allowed.
    for name, value in {"label": label, "objective": objective, "target": target, **options}.items():
        if name == "positive_value":  # any value is allowed: it names the positive class
            config.schema.positive_value = value
            continue
        set_option(config, f"{'schema' if name in schema_fields else 'training'}.{name}", value)
    return config


def fit(
    frame: pd.DataFrame,
    label: str = "is_true_positive",
    objective: str = "recall",
    target: float = 0.95,
    **options: Any,
) -> TriageModel:
    """Train a triage model on any table with a binary label column.

    ``objective="recall"`` (or ``"precision"``) keeps that metric at or above
    ``target`` on a validation slice; ``"f1"`` maximises F1. ``options`` are
    any ``training.*`` or ``schema.*`` option of the config, e.g.
    ``preset="legacy"``, ``imbalance="smote"``, ``model="random_forest"``,
    ``calibration="sigmoid"``, ``time_column=""``, ``random_state=0``.
    The whole frame is used for fitting (minus the validation slice); hold
    out your own test rows and pass them to :func:`evaluate`.

    Raises ``TypeError`` for an unknown option, ``ValueError`` for an empty
    frame, a missing label column, a label with one class or a bad option value.

    Example::

        model = fit(alerts, label="verdict", objective="f1", time_column="")
        model.threshold, model.predict(new_alerts)
    """
    config = _configs(label, objective, target, options)
    cleaned = clean_for_fit(frame, config.schema)
    spec = infer_features(cleaned, config.schema)
    with thread_limit():
        return fit_window(cleaned, spec, config.schema, config.training).model


def clean_for_fit(frame: pd.DataFrame, schema: SchemaConfig) -> pd.DataFrame:
    """Light cleaning for the Python API: label as 0/1, unlabelled rows dropped, time parsed.

    Raises ``ValueError`` for an empty frame, a missing label column, a label
    with one class, or a time column that does not parse.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError("the frame is empty: there is no feedback to learn from")
    if schema.label not in frame.columns:
        raise ValueError(
            f"label column '{schema.label}' is not in the frame; columns are: "
            f"{', '.join(map(str, frame.columns))}; pass label= with the verdict column"
        )
    frame = frame.copy()
    frame[schema.label] = encode_label(frame[schema.label], schema.label, schema.positive_value)
    frame = frame[frame[schema.label].notna()]
    if frame.empty:
        raise ValueError(f"label column '{schema.label}' is empty on every row: there is no feedback to learn from")
    frame[schema.label] = frame[schema.label].astype(int)
    require_binary(frame[schema.label], schema.label)
    column = schema.time_column
    if column and column in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[column]):
        parsed = parse_times(frame[column])
        if parsed.isna().mean() > 0.5:
            raise ValueError(
                f"time column '{column}' does not parse as dates (e.g. {frame[column].iloc[0]!r}); "
                "fix it, or pass time_column='' to split without time"
            )
        frame[column] = parsed
    return frame


def evaluate(
    model: TriageModel,
    frame: pd.DataFrame,
    label: str = "is_true_positive",
    *,
    min_test_positives: int = 20,
    positive_value: Any = None,
) -> dict:
    """The metrics block of ``model`` on the labelled ``frame``, with warnings, ``useful`` and curves.

    ``positive_value`` defaults to the one the model was fitted with
    (``fit(..., positive_value="malicious")``), else the usual spellings.
    Raises ``ValueError`` for an empty frame, a missing label column, or
    missing feature columns.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ValueError("cannot evaluate on an empty frame: pass labelled rows")
    if label not in frame.columns:
        raise ValueError(
            f"label column '{label}' is not in the frame; columns are: {', '.join(map(str, frame.columns))}"
        )
    if positive_value is None:
        positive_value = model.metadata.get("positive_value", True)
    y = encode_label(frame[label], label, positive_value)
    frame = frame[y.notna()]
    y = y[y.notna()].astype(int)
    if frame.empty:
        raise ValueError(f"label column '{label}' is empty on every row: nothing to evaluate")
    scores = model.predict_proba(frame)[:, 1]
    metrics = evaluation.score_metrics(y, scores, model.threshold, recall_target=recall_target(model.metadata))
    warnings = diagnostics.prediction_warnings(
        metrics, y, scores >= model.threshold, min_test_positives=min_test_positives
    )
    metrics["warnings"] = warnings
    metrics["useful"] = diagnostics.is_useful(warnings)
    metrics["curves"] = evaluation.curves(y, scores)
    return metrics


def train_and_evaluate(frame: pd.DataFrame, config: Config, *, negative_sample_rate: float = 1.0) -> TrainingResult:
    """Train on the older feedback and evaluate on the newest, as `trainer.service.cycle` needs.

    ``frame`` comes from `trainer.feedback.quality.prepare` (label 0/1, time parsed). Returns
    a :class:`TrainingResult` whose metrics hold the training keys of the
    metrics file. ``negative_sample_rate`` below 1 says the source kept only
    that share of negatives (BigQuery sampling): test metrics are then
    re-weighted to estimate the full population, and a warning says so. Raises ``ValueError`` for an empty frame, a missing label,
    or a label (or training window) with one class.
    """
    schema, training = config.schema, config.training
    label = schema.label
    started = time.perf_counter()
    if frame.empty:
        raise ValueError("the feedback is empty: there is nothing to train on")
    if label not in frame.columns:
        raise ValueError(f"label column '{label}' is not in the feedback; set schema.label to the verdict column")
    frame = frame[frame[label].notna()].copy()
    frame[label] = frame[label].astype(int)
    require_binary(frame[label], label)
    if training.max_rows and len(frame) > training.max_rows:
        if validation.orders_rows(frame, schema.time_column):
            frame = frame.sort_values(schema.time_column, kind="stable").iloc[-training.max_rows :]
        else:
            frame = frame.sample(training.max_rows, random_state=training.random_state)

    window, test, split = split_newest(
        frame,
        label,
        schema.time_column,
        training.holdout_fraction,
        training.random_state,
        positives=training.holdout_positives,
    )
    if window[label].nunique() < 2:
        raise ValueError(
            f"the training window (the feedback older than the {len(test)} test rows) has "
            f"only one class in '{label}': need both true and false positives before the holdout"
        )
    spec = infer_features(window, schema)
    with thread_limit():
        return fit_and_report(frame, window, test, split, spec, config, started, negative_sample_rate)
