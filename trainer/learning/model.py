"""The trained triage model and the functions that make and judge it.

:class:`TriageModel` is what a pair's ``.pkl`` holds: the fitted pipeline
(`trainer.learning.modeling`), the decision threshold chosen on the validation slice
(`trainer.learning.thresholds`), the feature spec (`trainer.learning.features`) and metadata.

- :func:`fit` is the Python API: any table with a binary label column in, a
  model out (it splits off its own validation slice for the threshold).
- :func:`evaluate` scores a model on a labelled frame (`trainer.learning.evaluation`,
  `trainer.learning.diagnostics`).
- :func:`train_and_evaluate` is what `trainer.service.cycle` runs on cleaned feedback:
  newest-first holdout, validation slice inside the training window,
  candidate selection, threshold, optional calibration, test metrics, curves,
  importance and warnings, as the metrics keys of docs/CONTRACTS.md.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from trainer.learning import diagnostics
from trainer.learning import evaluation
from trainer.learning import modeling
from trainer.learning import thresholds
from trainer.learning import validation
from trainer.learning.calibration import OutOfFoldCalibrated
from trainer.config import Config, ConfigError, SchemaConfig, TrainingConfig, set_option
from trainer.learning.features import FeatureFrame, FeatureSpec, infer_features, require_columns
from trainer.feedback.quality import map_labels, parse_times



class TriageModel:
    """A fitted alert-triage classifier with its decision threshold.

    ``predict_proba(X)`` returns an ``(n, 2)`` array (column 1: probability
    of a true positive) for any frame holding the feature columns; extra
    columns are ignored. ``predict(X)`` flags alerts at or above
    ``threshold`` (1) and the rest (0).
    """

    classes_ = np.array([0, 1])

    def __init__(self, estimator, threshold: float, feature_spec: FeatureSpec, label: str,
                 metadata: dict | None = None):
        self.estimator = estimator
        self.threshold = float(threshold)
        self.feature_spec = feature_spec
        self.label = label
        self.metadata = dict(metadata or {})

    @property
    def feature_columns(self) -> list[str]:
        return self.feature_spec.input_columns

    def _check(self, X) -> pd.DataFrame:
        require_columns(X, self.feature_columns)
        return X[self.feature_columns]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` float array; raises ``ValueError`` naming missing feature columns."""
        X = self._check(X)
        if len(X) == 0:
            return np.empty((0, 2))
        with modeling.thread_limit():
            return np.asarray(self.estimator.predict_proba(X), dtype=float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 decisions at :attr:`threshold`."""
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(int)

    def __repr__(self) -> str:
        meta = self.metadata
        return (f"TriageModel({meta.get('family', '?')}/{meta.get('imbalance', '?')}, "
                f"threshold={self.threshold:.4f}, features={len(self.feature_columns)})")


@dataclass
class TrainingResult:
    """What :func:`train_and_evaluate` returns to the cycle."""

    model: TriageModel
    metrics: dict
    test_frame: pd.DataFrame


# --- labels and frames ---------------------------------------------------------------------------

def encode_label(values: pd.Series, name: str, positive_value: Any = True) -> pd.Series:
    """The label as 0/1 ints, ``<NA>`` where missing (spellings as in ``quality.map_labels``).

    Raises ``ValueError`` naming values that are not a verdict.
    """
    labels, _, invalid = map_labels(values, positive_value)
    if invalid.any():
        examples = sorted(values[invalid].astype(str).unique().tolist())[:5]
        raise ValueError(f"label column '{name}' holds values that are not a verdict: {examples} "
                         f"({int(invalid.sum())} rows); use true/false, 1/0 or tp/fp, or pass positive_value=")
    return labels.astype("Int64")


def _require_binary(y: pd.Series, name: str) -> None:
    counts = y.value_counts()
    if len(counts) < 2:
        only = int(counts.index[0]) if len(counts) else "none"
        raise ValueError(f"label column '{name}' has only one class ({only}): need both true and false positives")


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
        raise ValueError(f"label column '{schema.label}' is not in the frame; columns are: "
                         f"{', '.join(map(str, frame.columns))}; pass label= with the verdict column")
    frame = frame.copy()
    frame[schema.label] = encode_label(frame[schema.label], schema.label, schema.positive_value)
    frame = frame[frame[schema.label].notna()]
    if frame.empty:
        raise ValueError(f"label column '{schema.label}' is empty on every row: there is no feedback to learn from")
    frame[schema.label] = frame[schema.label].astype(int)
    _require_binary(frame[schema.label], schema.label)
    column = schema.time_column
    if column and column in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[column]):
        parsed = parse_times(frame[column])
        if parsed.isna().mean() > 0.5:
            raise ValueError(f"time column '{column}' does not parse as dates (e.g. {frame[column].iloc[0]!r}); "
                             "fix it, or pass time_column='' to split without time")
        frame[column] = parsed
    return frame


def _stratify(y: pd.Series):
    counts = y.value_counts()
    return y if len(counts) == 2 and counts.min() >= 2 else None


def split_newest(frame: pd.DataFrame, label: str, time_column: str, fraction: float, random_state: int
                 ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(older, newer, kind): the newest ``fraction`` of rows apart.

    ``kind`` is ``"time"`` when the time column orders the rows (rows without
    a time stay in the older part; at least ``validation.MIN_DISTINCT_TIMES`` distinct
    times), else ``"stratified"`` (a random split that keeps the label balance).
    """
    n_new = max(1, int(math.ceil(len(frame) * fraction)))
    if validation.orders_rows(frame, time_column):
        ordered = frame.sort_values(time_column, kind="stable", na_position="first")
        return ordered.iloc[:-n_new], ordered.iloc[-n_new:], "time"
    older, newer = train_test_split(frame, test_size=n_new, random_state=random_state,
                                    stratify=_stratify(frame[label]))
    return older, newer, "stratified"


# --- fitting ---------------------------------------------------------------------------------------

@dataclass
class _Fitted:
    model: TriageModel
    train: pd.DataFrame
    validation: pd.DataFrame
    validation_split: str
    selection: modeling.Selection
    choice: thresholds.ThresholdChoice
    validation_pr_auc: float | None
    fit_rows: int
    fit_negative_rate: float
    train_resampled: dict
    params: dict
    validation_info: dict
    notes: list = field(default_factory=list)


def _fit_window(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig, training: TrainingConfig) -> _Fitted:
    """Choose the recipe and the threshold on rows the scoring model did not fit, then fit the final model.

    The path comes from `trainer.learning.validation.plan`: the legacy recipe has no
    validation; a window whose validation slice would hold few positives is
    cross-validated (:func:`_fit_cross_validated`); a large one uses one
    newest slice (:func:`_fit_holdout`).
    """
    y_window = window[schema.label].astype(int)
    chosen = validation.plan(y_window, validation_fraction=training.validation_fraction,
                             min_validation_positives=training.min_validation_positives,
                             legacy=training.preset == "legacy")
    if chosen.path == validation.NONE:
        fitted = _fit_legacy(window, spec, schema, training)
    elif chosen.path == validation.CROSS_VALIDATION:
        fitted = _fit_cross_validated(window, spec, schema, training)
    else:
        fitted = _fit_holdout(window, spec, schema, training)
    fitted.validation_info.update({"path": chosen.path, "reason": chosen.reason})
    fitted.model.metadata["validation"] = dict(fitted.validation_info)
    return fitted


def _metadata(schema: SchemaConfig, training: TrainingConfig, selection: modeling.Selection, *, objective: str,
              target, calibration: str, train_rows: int, validation_rows: int, fitted_on: str) -> dict:
    return {
        "label": schema.label, "preset": training.preset, "family": selection.family,
        "imbalance": selection.imbalance, "objective": objective, "target": target, "calibration": calibration,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "training_rows": int(train_rows), "validation_rows": int(validation_rows), "fitted_on": fitted_on,
        "positive_value": schema.positive_value,
    }


def _fit_legacy(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig, training: TrainingConfig) -> _Fitted:
    """The old recipe: one forest on the whole window at the fixed threshold 0.5, nothing validated."""
    label, rs = schema.label, training.random_state
    y = window[label].astype(int)
    selection = modeling.select(spec, modeling.candidates("legacy", "auto", "auto"), window, y, window.iloc[:0],
                                y.iloc[:0], budget_seconds=training.time_budget_seconds, random_state=rs)
    rate = modeling.negative_rate_for(y, modeling.FIT_MAX_ROWS[selection.family])
    pipeline, fit_rows, rate, counts = _fit_pipeline(spec, selection, window, y, rs, legacy=True, negative_rate=rate)
    choice = thresholds.fixed_threshold(0.5, None, None, reason="legacy preset: fixed threshold 0.5")
    notes = _sampling_note(fit_rows, rate)
    meta = _metadata(schema, training, selection, objective="fixed", target=None, calibration="none",
                     train_rows=len(window), validation_rows=0, fitted_on="train")
    model = TriageModel(pipeline, choice.threshold, spec, label, meta)
    return _Fitted(model, window, window.iloc[:0], "none", selection, choice, None, fit_rows, rate, counts,
                   modeling.describe_params(pipeline), {"rows": 0, "positives": 0}, notes)


def _fit_holdout(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig, training: TrainingConfig) -> _Fitted:
    """Large data: rank candidates and choose the threshold on the newest slice of the window.

    The saved model is the one fitted on the older rows (with an optional
    calibrator fitted on the slice), so its threshold was chosen on scores of
    rows it never saw.
    """
    label, rs = schema.label, training.random_state
    notes: list[str] = []
    train, held, split = split_newest(window, label, schema.time_column, training.validation_fraction, rs)
    if split == "time" and (held[label].nunique() < 2 or train[label].sum() < 2):
        notes.append("the newest part of the training window lacks a class; validation split is stratified")
        train, held, _ = split_newest(window, label, "", training.validation_fraction, rs)
        split = "stratified"
    _require_binary(train[label], label)
    y_train, y_val = train[label].astype(int), held[label].astype(int)
    pairs = modeling.candidates(training.preset, training.model, training.imbalance)
    selection = modeling.select(spec, pairs, train, y_train, held, y_val,
                                budget_seconds=training.time_budget_seconds, random_state=rs)
    rate = modeling.negative_rate_for(train[label], modeling.FIT_MAX_ROWS[selection.family])
    pipeline, fit_rows, rate, counts = _fit_pipeline(spec, selection, train, y_train, rs, legacy=False,
                                                     negative_rate=rate)
    estimator = pipeline
    calibration = training.calibration
    validation_has_both = y_val.nunique() == 2
    if calibration != "none":
        if validation_has_both:
            estimator = CalibratedClassifierCV(FrozenEstimator(pipeline), method=calibration)
            with warnings.catch_warnings():
                # The frozen model is never refitted, so the folds sklearn splits the validation slice
                # into only route rows; its warning about a class too small for 5 folds does not apply.
                warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
                estimator.fit(held, y_val)
        else:
            notes.append("calibration skipped: the validation slice has only one class")
            calibration = "none"
    val_scores = estimator.predict_proba(held)[:, 1] if len(held) else np.empty(0)
    choice = thresholds.choose_threshold(y_val, val_scores, training.objective, training.target)
    val_pr_auc = float(average_precision_score(y_val, val_scores)) if validation_has_both else None
    notes += _sampling_note(fit_rows, rate)
    meta = _metadata(schema, training, selection, objective=training.objective, target=training.target,
                     calibration=calibration, train_rows=len(train), validation_rows=len(held), fitted_on="train")
    model = TriageModel(estimator, choice.threshold, spec, label, meta)
    info = {"rows": int(len(held)), "positives": int(y_val.sum()), "split": split}
    return _Fitted(model, train, held, split, selection, choice, val_pr_auc, fit_rows, rate, counts,
                   modeling.describe_params(pipeline), info, notes)


def _fit_cross_validated(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig,
                         training: TrainingConfig) -> _Fitted:
    """Small data: rank candidates by out-of-fold PR-AUC, threshold on the pooled out-of-fold scores.

    The two and the three best candidates are also tried as soft-voting
    ensembles (their out-of-fold scores are the mean of the members'). The
    winner is fitted on the whole window; its threshold comes from scores of
    fold models on rows they did not train on.
    """
    label, rs = schema.label, training.random_state
    notes: list[str] = []
    y_all = window[label].astype(int)
    X, y, rate = modeling.sample_negatives(window, y_all, validation.MAX_ROWS, rs)
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    weight = evaluation.negative_weights(y, rate)
    folds = validation.folds(X, y, time_column=schema.time_column, random_state=rs)
    if folds.note:
        notes.append(folds.note)
    rows = folds.rows
    y_pool, w_pool = folds.pool(y), None if weight is None else folds.pool(weight)
    minority = int(min(y.sum(), len(y) - y.sum()))

    def recipe(family: str, strategy: str):
        return lambda: modeling.build_pipeline(spec, family, strategy, minority=minority, rows=len(y),
                                               random_state=rs)

    started = time.perf_counter()
    tried: list[modeling.Candidate] = []
    recipes: list[tuple[modeling.Candidate, tuple[str, str], np.ndarray]] = []
    for family, strategy in modeling.candidates(training.preset, training.model, training.imbalance, small=True):
        candidate = modeling.Candidate(family, modeling.effective_strategy(strategy, minority, family))
        tried.append(candidate)
        if len(tried) > 1 and time.perf_counter() - started > training.time_budget_seconds:
            candidate.skipped = "time budget used up"
            continue
        t0 = time.perf_counter()
        try:
            oof = validation.out_of_fold(recipe(family, strategy), X, y, folds)
            candidate.validation_pr_auc = float(average_precision_score(y_pool, folds.pool(oof), sample_weight=w_pool))
            recipes.append((candidate, (family, strategy), oof))
        except (ValueError, RuntimeError) as exc:
            candidate.error = f"{type(exc).__name__}: {exc}"
        candidate.seconds = time.perf_counter() - t0
    if not recipes:
        errors = "; ".join(f"{c.family}/{c.imbalance}: {c.error}" for c in tried if c.error)
        raise RuntimeError(f"every candidate model failed to train: {errors}")
    recipes.sort(key=lambda r: -r[0].validation_pr_auc)
    best, best_key, oof = recipes[0]
    winner = modeling.Selection(best.family, best.imbalance, tried=tried, search_negative_rate=rate)
    members = [best_key]
    # Soft voting over the two and the three best recipes: on a few dozen positives the ranking of
    # single candidates is noisy, and a blend of recipes that err differently is often steadier.
    best_pr_auc = best.validation_pr_auc
    for size in (2, 3):
        if len(recipes) < size:
            break
        top = recipes[:size]
        blend = np.mean([r[2] for r in top], axis=0)
        ensemble = modeling.Candidate("ensemble", " + ".join(f"{c.family}/{c.imbalance}" for c, _, _ in top))
        ensemble.validation_pr_auc = float(average_precision_score(y_pool, folds.pool(blend), sample_weight=w_pool))
        tried.append(ensemble)
        if ensemble.validation_pr_auc > best_pr_auc:
            best_pr_auc = ensemble.validation_pr_auc
            members = [key for _, key, _ in top]
            winner = modeling.Selection("ensemble", ensemble.imbalance, tried=tried, search_negative_rate=rate,
                                        members=tuple(members))
            oof = blend

    pipelines = [recipe(*key)() for key in members]
    estimator = pipelines[0] if len(pipelines) == 1 else modeling.build_ensemble(pipelines)
    estimator.fit(X, y)
    final = estimator
    calibration = training.calibration
    val_scores = folds.pool(oof)
    if calibration != "none":
        final = OutOfFoldCalibrated(estimator, calibration, val_scores, y_pool)
        val_scores = final.calibrate(val_scores)
    choice = thresholds.choose_threshold(y_pool, val_scores, training.objective, training.target,
                                         sample_weight=w_pool, positives=int(y.iloc[rows].sum()))
    val_pr_auc = float(average_precision_score(y_pool, val_scores, sample_weight=w_pool))
    notes += _sampling_note(len(y), rate)
    meta = _metadata(schema, training, winner, objective=training.objective, target=training.target,
                     calibration=calibration, train_rows=len(window), validation_rows=len(rows), fitted_on="window")
    model = TriageModel(final, choice.threshold, spec, label, meta)
    info = {"rows": int(len(rows)), "positives": int(y.iloc[rows].sum()), "folds": len(folds.rounds[0]),
            "repeats": len(folds.rounds), "fold_kind": folds.kind, "scores": int(len(y_pool))}
    counts = modeling.resampled_counts(pipelines[0], y) if len(pipelines) == 1 else _counts(y)
    return _Fitted(model, window, X.iloc[rows], folds.kind, winner, choice,
                   val_pr_auc, len(y), rate, counts, modeling.describe_params(estimator), info, notes)


def _sampling_note(fit_rows: int, negative_rate: float) -> list[str]:
    if negative_rate >= 1.0:
        return []
    return [f"the final model was fitted on {fit_rows} training rows: all positives and "
            f"{negative_rate:.1%} of negatives"]


def _fit_pipeline(spec: FeatureSpec, selection: modeling.Selection, X: pd.DataFrame, y: pd.Series, rs: int, *,
                  legacy: bool, negative_rate: float):
    """The selected recipe fitted on ``X`` with ``negative_rate`` of its negatives.

    Returns (pipeline, rows fitted, share of negatives kept, class counts after resampling).
    """
    X_fit, y_fit, negative_rate = modeling.sample_negatives(X, y, modeling.FIT_MAX_ROWS[selection.family], rs,
                                                            negative_rate=negative_rate)
    minority = int(min(y_fit.sum(), len(y_fit) - y_fit.sum()))
    pipeline = modeling.build_pipeline(spec, selection.family, selection.imbalance, minority=minority,
                                       rows=len(y_fit), random_state=rs, legacy=legacy)
    pipeline.fit(X_fit, y_fit)
    return pipeline, len(y_fit), negative_rate, modeling.resampled_counts(pipeline, y_fit)


def _configs(label: str, objective: str, target: float, options: dict) -> Config:
    config = Config()
    schema_fields = {f.name for f in dataclasses.fields(SchemaConfig)}
    training_fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    for name in options:
        if name not in schema_fields and name not in training_fields:
            allowed = ", ".join(sorted((schema_fields | training_fields) - {"label", "objective", "target"}))
            raise TypeError(f"fit() got an unknown option {name!r}; allowed: {allowed}")
    try:
        for name, value in {"label": label, "objective": objective, "target": target, **options}.items():
            if name == "positive_value":  # any value is allowed: it names the positive class
                config.schema.positive_value = value
                continue
            set_option(config, f"{'schema' if name in schema_fields else 'training'}.{name}", value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return config


def fit(frame: pd.DataFrame, label: str = "is_true_positive", objective: str = "recall", target: float = 0.95,
        **options) -> TriageModel:
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
    with modeling.thread_limit():
        return _fit_window(cleaned, spec, config.schema, config.training).model


# --- evaluation ------------------------------------------------------------------------------------

def evaluate(model: TriageModel, frame: pd.DataFrame, label: str = "is_true_positive", *,
             min_test_positives: int = 20, positive_value: Any = None) -> dict:
    """The metrics block of ``model`` on the labelled ``frame``, with warnings, ``useful`` and curves.

    ``positive_value`` defaults to the one the model was fitted with
    (``fit(..., positive_value="malicious")``), else the usual spellings.
    Raises ``ValueError`` for an empty frame, a missing label column, or
    missing feature columns.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ValueError("cannot evaluate on an empty frame: pass labelled rows")
    if label not in frame.columns:
        raise ValueError(f"label column '{label}' is not in the frame; columns are: {', '.join(map(str, frame.columns))}")
    if positive_value is None:
        positive_value = model.metadata.get("positive_value", True)
    y = encode_label(frame[label], label, positive_value)
    frame = frame[y.notna()]
    y = y[y.notna()].astype(int)
    if frame.empty:
        raise ValueError(f"label column '{label}' is empty on every row: nothing to evaluate")
    scores = model.predict_proba(frame)[:, 1]
    metrics = evaluation.score_metrics(y, scores, model.threshold, recall_target=_recall_target(model.metadata))
    warnings = diagnostics.prediction_warnings(metrics, y, scores >= model.threshold,
                                               min_test_positives=min_test_positives)
    metrics["warnings"] = warnings
    metrics["useful"] = diagnostics.is_useful(warnings)
    metrics["curves"] = evaluation.curves(y, scores)
    return metrics


def _recall_target(metadata: dict) -> float | None:
    """The recall a model promises (objective ``recall``), for the workload it saves at that recall."""
    return metadata.get("target") if metadata.get("objective") == "recall" else None


def _at_most(frame: pd.DataFrame, rows: int, random_state: int) -> pd.DataFrame:
    return frame if len(frame) <= rows else frame.sample(rows, random_state=random_state)


def _counts(y: pd.Series) -> dict[str, int]:
    y = y.astype(int)
    return {"0": int((y == 0).sum()), "1": int((y == 1).sum())}


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _data_window(frame, train_window, test, split: str, time_column: str) -> dict:
    out: dict[str, Any] = {"split": split, "time_column": time_column if split == "time" else ""}
    if split == "time":
        out.update({"start": _iso(frame[time_column].min()), "end": _iso(frame[time_column].max()),
                    "train_end": _iso(train_window[time_column].max()), "test_start": _iso(test[time_column].min())})
    return out


def train_and_evaluate(frame: pd.DataFrame, config: Config, *, negative_sample_rate: float = 1.0) -> TrainingResult:
    """Train on the older feedback and evaluate on the newest, as `trainer.service.cycle` needs.

    ``frame`` comes from ``quality.prepare`` (label 0/1, time parsed). Returns
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
    _require_binary(frame[label], label)
    if training.max_rows and len(frame) > training.max_rows:
        if validation.orders_rows(frame, schema.time_column):
            frame = frame.sort_values(schema.time_column, kind="stable").iloc[-training.max_rows:]
        else:
            frame = frame.sample(training.max_rows, random_state=training.random_state)

    window, test, split = split_newest(frame, label, schema.time_column, training.holdout_fraction,
                                       training.random_state)
    if window[label].nunique() < 2:
        raise ValueError(f"the training window (the older {1 - training.holdout_fraction:.0%} of the feedback) has "
                         f"only one class in '{label}': need both true and false positives before the holdout")
    spec = infer_features(window, schema)
    with modeling.thread_limit():
        return _train_and_evaluate(frame, window, test, split, spec, config, started, negative_sample_rate)


def _train_and_evaluate(frame: pd.DataFrame, window: pd.DataFrame, test: pd.DataFrame, split: str,
                        spec: FeatureSpec, config: Config, started: float,
                        negative_sample_rate: float) -> TrainingResult:
    schema, training = config.schema, config.training
    label = schema.label
    fitted = _fit_window(window, spec, schema, training)
    model = fitted.model
    fit_s = time.perf_counter() - started

    t0 = time.perf_counter()
    y_test = test[label].astype(int)
    scores = model.predict_proba(test)[:, 1]
    weights = evaluation.negative_weights(y_test, negative_sample_rate)
    metrics = evaluation.score_metrics(y_test, scores, model.threshold, sample_weight=weights,
                                       recall_target=_recall_target(model.metadata))
    curves = evaluation.curves(y_test, scores, points=training.curve_points, sample_weight=weights)
    importance = evaluation.permutation_importances(model.estimator, test, y_test, spec.input_columns,
                                                    repeats=training.permutation_repeats, top=training.top_features,
                                                    random_state=training.random_state)
    y_window = window[label].astype(int)
    warnings = diagnostics.label_warnings(y_window, severe_imbalance_share=training.severe_imbalance_share)
    warnings += diagnostics.prediction_warnings(metrics, y_test, scores >= model.threshold,
                                                min_test_positives=training.min_test_positives)
    prepare = FeatureFrame(spec)
    leak_fit, leak_eval = (_at_most(part, diagnostics.LEAKAGE_MAX_ROWS, training.random_state)
                           for part in (window, test))
    warnings += diagnostics.leakage_warnings(prepare.transform(leak_fit), leak_fit[label],
                                             prepare.transform(leak_eval), leak_eval[label],
                                             spec.model_columns, leakage_auc=training.leakage_auc)
    if split == "stratified" and validation.has_time(frame, schema.time_column):
        distinct = frame[schema.time_column].nunique()
        warnings.append(diagnostics.make_warning(
            "time_unordered", f"the time column '{schema.time_column}' holds only {distinct} distinct time(s): it "
            "cannot tell the newest feedback, so the test slice is a stratified sample, not the newest alerts; "
            "scores may be optimistic if the alerts drift"))
    if weights is not None:
        warnings.append(diagnostics.make_warning(
            "sampled_negatives", f"the source kept {negative_sample_rate:.1%} of false positives (all true positives): "
            f"rates and curves are re-weighted by {1 / negative_sample_rate:.1f}x per false positive to estimate the "
            "full feedback; confusion counts are the sampled rows"))
    if not fitted.choice.reached and fitted.choice.objective != "fixed":
        warnings.append(diagnostics.make_warning("threshold_target_unreached", fitted.choice.message))
    evaluate_s = time.perf_counter() - t0

    meta = model.metadata
    metrics.update({
        "training_samples": int(len(window)),
        "test_samples": int(len(test)),
        "useful": diagnostics.is_useful(warnings),
        "warnings": warnings,
        "threshold_selection": fitted.choice.to_metrics(),
        "class_counts": {"train": _counts(fitted.train[label]), "train_resampled": fitted.train_resampled,
                         "validation": _counts(fitted.validation[label]), "test": _counts(y_test)},
        "model": {"preset": training.preset, "family": meta["family"], "imbalance": meta["imbalance"],
                  "objective": meta["objective"], "target": meta["target"], "calibration": meta["calibration"],
                  "params": fitted.params, "selection": [c.to_metrics() for c in fitted.selection.tried],
                  "search_negative_rate": fitted.selection.search_negative_rate,
                  "fit_rows": fitted.fit_rows, "fit_negative_rate": fitted.fit_negative_rate,
                  "validation_pr_auc": evaluation.finite(fitted.validation_pr_auc),
                  "validation_split": fitted.validation_split, "fitted_on": meta["fitted_on"],
                  "validation": meta["validation"],
                  "notes": fitted.notes},
        "features": spec.to_metrics(),
        "feature_importance": importance,
        "curves": curves,
        "data_window": _data_window(frame, window, test, split, schema.time_column),
        "rows": {"train": int(len(fitted.train)), "validation": int(len(fitted.validation)), "test": int(len(test))},
        "timings": {"fit_s": round(fit_s, 3), "evaluate_s": round(evaluate_s, 3)},
    })
    return TrainingResult(model=model, metrics=metrics, test_frame=test)
