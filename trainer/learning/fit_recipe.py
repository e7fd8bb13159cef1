"""The fit recipe: choose a candidate and a threshold on rows the scoring model did not fit, then fit it.

:func:`fit_window` takes the path `trainer.learning.validation.plan` chooses
for a training window:

- a fixed recipe (`trainer.learning.families.RECIPES`, e.g. ``legacy``): one
  pipeline on the whole window at the recipe's threshold, nothing validated;
- large data (:func:`_fit_holdout`): candidates ranked and threshold chosen on
  the newest slice of the window, the saved model fitted on the older rows
  (on the whole window when it is ordered by time and small enough to fit twice);
- small data (:func:`_fit_cross_validated`): candidates ranked by out-of-fold
  PR-AUC (soft-voting blends of the best included), threshold on the pooled
  out-of-fold scores, the saved model fitted on the whole window.

It returns a :class:`FittedWindow`: the :class:`~trainer.learning.triage_model.TriageModel`
and what `trainer.learning.metrics_report` records about how it was chosen.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import average_precision_score

from trainer.config import SchemaConfig, TrainingConfig
from trainer.learning import evaluation, families, pipelines, search, thresholds, validation
from trainer.learning.calibration import OutOfFoldCalibrated
from trainer.learning.features import FeatureSpec
from trainer.learning.splitting import split_newest
from trainer.learning.triage_model import TriageModel, class_counts, require_binary

__all__ = ["FittedWindow", "fit_window"]


@dataclass
class FittedWindow:
    """A window's fitted model and how it was chosen (what the metrics report records)."""

    model: TriageModel
    train: pd.DataFrame
    validation: pd.DataFrame
    validation_split: str
    selection: search.Selection
    choice: thresholds.ThresholdChoice
    validation_pr_auc: float | None
    fit_rows: int
    fit_negative_rate: float
    train_resampled: dict
    params: dict
    validation_info: dict
    notes: list = field(default_factory=list)


def fit_window(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig,
               training: TrainingConfig, *, source_negative_rate: float = 1.0) -> FittedWindow:
    """Choose the recipe and the threshold on rows the scoring model did not fit, then fit the final model.

    ``source_negative_rate`` below 1 says the source kept only that share of
    the negatives (`trainer.feedback.sources.sampling`): candidates are ranked
    and the threshold chosen with each validation negative weighted by its
    inverse, as on the whole feedback.

    The path comes from `trainer.learning.validation.plan`: a fixed recipe
    (``training.preset`` names one) has no validation; a window whose validation slice would hold few positives is
    cross-validated (:func:`_fit_cross_validated`); a large one uses one
    newest slice (:func:`_fit_holdout`).
    """
    y_window = window[schema.label].astype(int)
    chosen = validation.plan(y_window, validation_fraction=training.validation_fraction,
                             min_validation_positives=training.min_validation_positives,
                             recipe=families.recipe(training.preset))
    if chosen.path == validation.NONE:
        fitted = _fit_fixed(window, spec, schema, training, families.recipe(training.preset))
    elif chosen.path == validation.CROSS_VALIDATION:
        fitted = _fit_cross_validated(window, spec, schema, training, source_negative_rate)
    else:
        fitted = _fit_holdout(window, spec, schema, training, source_negative_rate)
    fitted.validation_info.update({"path": chosen.path, "reason": chosen.reason})
    fitted.model.metadata["validation"] = dict(fitted.validation_info)
    return fitted


def _metadata(schema: SchemaConfig, training: TrainingConfig, selection: search.Selection, *, objective: str,
              target, calibration: str, train_rows: int, validation_rows: int, fitted_on: str) -> dict:
    return {
        "label": schema.label, "preset": training.preset, "family": selection.family,
        "imbalance": selection.imbalance, "objective": objective, "target": target, "calibration": calibration,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "training_rows": int(train_rows), "validation_rows": int(validation_rows), "fitted_on": fitted_on,
        "positive_value": schema.positive_value,
    }


def _fit_fixed(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig, training: TrainingConfig,
               recipe: families.Recipe) -> FittedWindow:
    """A fixed recipe (the old CLA's forest): one pipeline on the whole window at its threshold, nothing validated."""
    label, rs = schema.label, training.random_state
    y = window[label].astype(int)
    selection = search.select(spec, [(recipe.family, recipe.strategy)], window, y, window.iloc[:0],
                              y.iloc[:0], budget_seconds=training.time_budget_seconds, random_state=rs)
    rate = search.negative_rate_for(y, families.family(selection.family).fit_max_rows)
    pipeline, fit_rows, rate, counts = _fit_pipeline(spec, selection, window, y, rs, recipe=recipe,
                                                     negative_rate=rate)
    choice = thresholds.fixed_threshold(recipe.threshold, None, None,
                                        reason=f"{recipe.name} preset: fixed threshold {recipe.threshold:g}")
    notes = _sampling_note(fit_rows, rate)
    meta = _metadata(schema, training, selection, objective="fixed", target=None, calibration="none",
                     train_rows=len(window), validation_rows=0, fitted_on="train")
    model = TriageModel(pipeline, choice.threshold, spec, label, meta)
    return FittedWindow(model, window, window.iloc[:0], "none", selection, choice, None, fit_rows, rate, counts,
                        pipelines.describe_params(pipeline), {"rows": 0, "positives": 0}, notes)


def _fit_holdout(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig,
                 training: TrainingConfig, source_negative_rate: float = 1.0) -> FittedWindow:
    """Large data: rank candidates and choose the threshold on the newest slice of the window.

    The threshold is chosen on scores of the validation rows by the model
    fitted on the older rows (with an optional calibrator fitted on the
    slice). That model is saved, except on a time-ordered window of at most
    ``search.SEARCH_MAX_ROWS`` rows without calibration, where the winner is
    refitted on the whole window so it knows the newest tenants and detectors.
    """
    label, rs = schema.label, training.random_state
    notes: list[str] = []
    train, held, split = split_newest(window, label, schema.time_column, training.validation_fraction, rs)
    if split == "time" and (held[label].nunique() < 2 or train[label].sum() < 2):
        notes.append("the newest part of the training window lacks a class; validation split is stratified")
        train, held, _ = split_newest(window, label, "", training.validation_fraction, rs)
        split = "stratified"
    require_binary(train[label], label)
    y_train, y_val = train[label].astype(int), held[label].astype(int)
    pairs = search.candidates(training.preset, training.model, training.imbalance)
    selection = search.select(spec, pairs, train, y_train, held, y_val,
                                budget_seconds=training.time_budget_seconds, random_state=rs,
                                source_negative_rate=source_negative_rate)
    rate = search.negative_rate_for(train[label], families.family(selection.family).fit_max_rows)
    pipeline, fit_rows, rate, counts = _fit_pipeline(spec, selection, train, y_train, rs, recipe=None,
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
    val_weight = evaluation.negative_weights(y_val, source_negative_rate)
    choice = thresholds.choose_threshold(y_val, val_scores, training.objective, training.target,
                                         sample_weight=val_weight,
                                         min_bound_positives=training.min_validation_positives)
    val_pr_auc = float(average_precision_score(y_val, val_scores, sample_weight=val_weight)) \
        if validation_has_both else None
    fitted_on = "train"
    if split == "time" and calibration == "none" and len(window) <= search.SEARCH_MAX_ROWS:
        # Feedback ordered by time: the validation slice is the newest, the rows most like tomorrow's
        # alerts (tenants and detectors come and go). The saved model learns them too; its threshold
        # still comes from scores of a model that had not seen them. On larger windows the newest
        # slice is a small share and a second fit of the largest size would double the cycle's cost.
        pipeline, fit_rows, rate, counts = _fit_pipeline(spec, selection, window, window[label].astype(int), rs,
                                                         recipe=None, negative_rate=rate)
        estimator, fitted_on = pipeline, "window"
    notes += _sampling_note(fit_rows, rate)
    meta = _metadata(schema, training, selection, objective=training.objective, target=training.target,
                     calibration=calibration, train_rows=len(train), validation_rows=len(held), fitted_on=fitted_on)
    model = TriageModel(estimator, choice.threshold, spec, label, meta)
    info = {"rows": int(len(held)), "positives": int(y_val.sum()), "split": split}
    return FittedWindow(model, train, held, split, selection, choice, val_pr_auc, fit_rows, rate, counts,
                   pipelines.describe_params(pipeline), info, notes)


def _fit_cross_validated(window: pd.DataFrame, spec: FeatureSpec, schema: SchemaConfig,
                         training: TrainingConfig, source_negative_rate: float = 1.0) -> FittedWindow:
    """Small data: rank candidates by out-of-fold PR-AUC, threshold on the pooled out-of-fold scores.

    The two and the three best candidates are also tried as soft-voting
    ensembles (their out-of-fold scores are the mean of the members'). The
    winner is fitted on the whole window; its threshold comes from scores of
    fold models on rows they did not train on.
    """
    label, rs = schema.label, training.random_state
    notes: list[str] = []
    y_all = window[label].astype(int)
    X, y, rate = search.sample_negatives(window, y_all, validation.MAX_ROWS, rs)
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    weight = evaluation.negative_weights(y, rate * source_negative_rate)
    folds = validation.folds(X, y, time_column=schema.time_column, random_state=rs)
    if folds.note:
        notes.append(folds.note)
    rows = folds.rows
    y_pool, w_pool = folds.pool(y), None if weight is None else folds.pool(weight)
    minority = int(min(y.sum(), len(y) - y.sum()))

    def recipe(family: str, strategy: str):
        return lambda: pipelines.build_pipeline(spec, family, strategy, minority=minority, rows=len(y),
                                               random_state=rs)

    def out_of_fold_pr_auc(family: str, strategy: str) -> tuple[float, np.ndarray]:
        oof = validation.out_of_fold(recipe(family, strategy), X, y, folds)
        return float(average_precision_score(y_pool, folds.pool(oof), sample_weight=w_pool)), oof

    pairs = search.candidates(training.preset, training.model, training.imbalance, small=True)
    tried, scored = search.try_candidates(pairs, minority, budget_seconds=training.time_budget_seconds,
                                          score=out_of_fold_pr_auc)
    recipes = [(done.candidate, done.pair, done.payload) for done in scored]
    recipes.sort(key=lambda r: -r[0].validation_pr_auc)
    best, best_key, oof = recipes[0]
    winner = search.Selection(best.family, best.imbalance, tried=tried, search_negative_rate=rate)
    members = [best_key]
    # Soft voting over the two and the three best recipes: on a few dozen positives the ranking of
    # single candidates is noisy, and a blend of recipes that err differently is often steadier.
    best_pr_auc = best.validation_pr_auc
    for size in (2, 3):
        if len(recipes) < size:
            break
        top = recipes[:size]
        blend = np.mean([r[2] for r in top], axis=0)
        ensemble = search.Candidate("ensemble", " + ".join(f"{c.family}/{c.imbalance}" for c, _, _ in top))
        ensemble.validation_pr_auc = float(average_precision_score(y_pool, folds.pool(blend), sample_weight=w_pool))
        tried.append(ensemble)
        if ensemble.validation_pr_auc > best_pr_auc:
            best_pr_auc = ensemble.validation_pr_auc
            members = [key for _, key, _ in top]
            winner = search.Selection("ensemble", ensemble.imbalance, tried=tried, search_negative_rate=rate,
                                        members=tuple(members))
            oof = blend

    chosen = [recipe(*key)() for key in members]
    estimator = chosen[0] if len(chosen) == 1 else pipelines.build_ensemble(chosen)
    estimator.fit(X, y)
    final = estimator
    calibration = training.calibration
    val_scores = folds.pool(oof)
    if calibration != "none":
        final = OutOfFoldCalibrated(estimator, calibration, val_scores, y_pool)
        val_scores = final.calibrate(val_scores)
    choice = thresholds.choose_threshold(y_pool, val_scores, training.objective, training.target,
                                         sample_weight=w_pool, positives=int(y.iloc[rows].sum()),
                                         min_bound_positives=training.min_validation_positives)
    val_pr_auc = float(average_precision_score(y_pool, val_scores, sample_weight=w_pool))
    notes += _sampling_note(len(y), rate)
    meta = _metadata(schema, training, winner, objective=training.objective, target=training.target,
                     calibration=calibration, train_rows=len(window), validation_rows=len(rows), fitted_on="window")
    model = TriageModel(final, choice.threshold, spec, label, meta)
    info = {"rows": int(len(rows)), "positives": int(y.iloc[rows].sum()), "folds": len(folds.rounds[0]),
            "repeats": len(folds.rounds), "fold_kind": folds.kind, "scores": int(len(y_pool))}
    counts = pipelines.resampled_counts(chosen[0], y) if len(chosen) == 1 else class_counts(y)
    return FittedWindow(model, window, X.iloc[rows], folds.kind, winner, choice,
                        val_pr_auc, len(y), rate, counts, pipelines.describe_params(estimator), info, notes)


def _sampling_note(fit_rows: int, negative_rate: float) -> list[str]:
    if negative_rate >= 1.0:
        return []
    return [f"the final model was fitted on {fit_rows} training rows: all positives and "
            f"{negative_rate:.1%} of negatives"]


def _fit_pipeline(spec: FeatureSpec, selection: search.Selection, X: pd.DataFrame, y: pd.Series, rs: int, *,
                  recipe: families.Recipe | None, negative_rate: float):
    """The selected pair (with a fixed ``recipe``'s parameters) fitted on ``X`` with ``negative_rate`` of its negatives.

    Returns (pipeline, rows fitted, share of negatives kept, class counts after resampling).
    """
    X_fit, y_fit, negative_rate = search.sample_negatives(X, y, families.family(selection.family).fit_max_rows, rs,
                                                          negative_rate=negative_rate)
    minority = int(min(y_fit.sum(), len(y_fit) - y_fit.sum()))
    pipeline = pipelines.build_pipeline(spec, selection.family, selection.imbalance, minority=minority,
                                        rows=len(y_fit), random_state=rs, recipe=recipe)
    pipeline.fit(X_fit, y_fit)
    return pipeline, len(y_fit), negative_rate, pipelines.resampled_counts(pipeline, y_fit)

