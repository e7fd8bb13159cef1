"""The metrics report of one training: what the metrics file records about a model and its test slice.

:func:`fit_and_report` fits the window (`trainer.learning.fit_recipe`), scores
the newest-feedback test slice (`trainer.learning.evaluation`), gathers the
warnings (`trainer.learning.diagnostics`) and returns a :class:`TrainingResult`
whose ``metrics`` hold the training keys of docs/CONTRACTS.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.base import clone

from trainer.config import Config
from trainer.learning import diagnostics, evaluation, search, validation
from trainer.learning.features import FeatureFrame, FeatureSpec
from trainer.learning.fit_recipe import fit_window
from trainer.learning.pipelines import resampled_counts, thread_limit
from trainer.learning.triage_model import TriageModel, class_counts

__all__ = ["TrainingResult", "fit_and_report", "recall_target"]


@dataclass
class TrainingResult:
    """What :func:`train_and_evaluate` returns to the cycle.

    ``refit_frame`` is every labelled row (test slice included) when the
    model may learn them all once it has been judged (:meth:`refit_on_all`),
    else None.
    """

    model: TriageModel
    metrics: dict
    test_frame: pd.DataFrame
    refit_frame: pd.DataFrame | None = None

    def refit_on_all(self) -> bool:
        """Refit the measured recipe on every row, the test slice included, with the same threshold.

        A model judged on the newest feedback never learns it; on feedback
        ordered by time that slice holds the tenants, detectors and shifts
        tomorrow's alerts are most like. The cycle calls this once the
        gates let the model in, so the model that serves has learned every
        verdict. Only for a time-ordered feedback of at most
        ``search.SEARCH_MAX_ROWS`` rows without calibration (as
        `trainer.learning.fit_recipe` refits a window): there one more fit is cheap, and a
        threshold chosen on a slice of a few thousand rows carries over to a model
        fitted on a few hundred more. Returns False when it does not apply. The
        metrics keep what was measured; ``model.fitted_on`` becomes ``"all"``.
        """
        if self.refit_frame is None:
            return False
        frame, measured = self.refit_frame, self.model
        # The drift report compares new alerts' scores with the test slice's; a model that learned the slice
        # scores it too sharply, so the measured model's scores on it are kept as the reference.
        reference = measured.predict_proba(self.test_frame)[:, 1] if len(self.test_frame) else []
        self.metrics["score_reference"] = {"rows": int(len(reference)),
                                           "scores": [round(float(v), 5) for v in reference]}
        y = frame[measured.label].astype(int)
        with thread_limit():
            estimator = clone(measured.estimator).fit(frame, y)
        metadata = {**measured.metadata, "fitted_on": "all", "refit_rows": int(len(frame))}
        self.model = TriageModel(estimator, measured.threshold, measured.feature_spec, measured.label, metadata)
        block = self.metrics.setdefault("model", {})
        block.update({"fitted_on": "all", "fit_rows": int(len(frame)), "fit_negative_rate": 1.0})
        block.setdefault("notes", []).append(
            f"after the gates, the recipe was refitted on all {len(frame)} labelled rows, the {len(self.test_frame)} "
            "test rows included, with the threshold chosen before; the test metrics are those of the model "
            "fitted before the test slice")
        counts = resampled_counts(estimator, y) if hasattr(estimator, "named_steps") else class_counts(y)
        self.metrics.setdefault("class_counts", {})["train_resampled"] = counts
        return True


def recall_target(metadata: dict) -> float | None:
    """The recall a model promises (objective ``recall``), for the workload it saves at that recall."""
    return metadata.get("target") if metadata.get("objective") == "recall" else None


def _at_most(frame: pd.DataFrame, rows: int, random_state: int) -> pd.DataFrame:
    return frame if len(frame) <= rows else frame.sample(rows, random_state=random_state)


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _data_window(frame, train_window, test, split: str, time_column: str) -> dict:
    out: dict[str, Any] = {"split": split, "time_column": time_column if split == "time" else ""}
    if split == "time":
        out.update({"start": _iso(frame[time_column].min()), "end": _iso(frame[time_column].max()),
                    "train_end": _iso(train_window[time_column].max()), "test_start": _iso(test[time_column].min())})
    return out


def fit_and_report(frame: pd.DataFrame, window: pd.DataFrame, test: pd.DataFrame, split: str,
                   spec: FeatureSpec, config: Config, started: float, negative_sample_rate: float) -> TrainingResult:
    """Fit on ``window`` (`trainer.learning.fit_recipe`), score ``test`` and gather the metrics file's training keys.

    ``frame`` is the whole feedback (for the data window), ``split`` how
    ``test`` was split off (``"time"`` or ``"stratified"``), ``started`` the
    ``perf_counter`` at which training began (for ``timings.fit_s``).
    """
    schema, training = config.schema, config.training
    label = schema.label
    fitted = fit_window(window, spec, schema, training, source_negative_rate=negative_sample_rate)
    model = fitted.model
    fit_s = time.perf_counter() - started

    t0 = time.perf_counter()
    y_test = test[label].astype(int)
    scores = model.predict_proba(test)[:, 1]
    weights = evaluation.negative_weights(y_test, negative_sample_rate)
    metrics = evaluation.score_metrics(y_test, scores, model.threshold, sample_weight=weights,
                                       recall_target=recall_target(model.metadata))
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
        # the share the severe-imbalance warning checks (training window, before resampling), per model
        "training_positive_rate": evaluation.finite(float(y_window.mean())) if len(y_window) else None,
        "useful": diagnostics.is_useful(warnings),
        "warnings": warnings,
        "threshold_selection": fitted.choice.to_metrics(),
        "class_counts": {"train": class_counts(fitted.train[label]), "train_resampled": fitted.train_resampled,
                         "validation": class_counts(fitted.validation[label]), "test": class_counts(y_test)},
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
    refit = split == "time" and len(frame) <= search.SEARCH_MAX_ROWS and meta["calibration"] == "none" \
        and meta.get("objective") != "fixed" and weights is None
    return TrainingResult(model=model, metrics=metrics, test_frame=test, refit_frame=frame if refit else None)
