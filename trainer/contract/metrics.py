"""The metrics file's keys: what a pair's commit marker holds on its first line.

:mod:`trainer.folder.pairs` writes :data:`SUMMARY_KEYS` (compact, first line)
under :data:`SCHEMA_VERSION`; :mod:`trainer.folder.registry` indexes the
:data:`NUMBER_KEYS`; the CLI and the dashboard show the :data:`HEADLINE_KEYS`
and the :data:`CONFUSION_KEYS`. Every list of metric keys is one of these.
"""

from __future__ import annotations

__all__ = [
    "SCHEMA_VERSION",
    "QUALITY_KEYS",
    "HEADLINE_KEYS",
    "CONFUSION_KEYS",
    "SAMPLE_KEYS",
    "NUMBER_KEYS",
    "SUMMARY_KEYS",
    "LEGACY_KEYS",
    "RESULT_KEYS",
    "DETAIL_KEYS",
    "LABELS",
]

#: version of the metrics file's first-line summary (version 2: the line carries ``body_crc32``)
SCHEMA_VERSION = 2

#: the four scores every model, old or new, reports
QUALITY_KEYS = ("precision", "recall", "f1_score", "accuracy")
#: the scores a listing shows for a model, in this order
HEADLINE_KEYS = (*QUALITY_KEYS, "pr_auc", "roc_auc")
#: the confusion-matrix counts on the validation split
CONFUSION_KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")
#: how many rows trained and validated the model
SAMPLE_KEYS = ("training_samples", "test_samples")
#: the numeric fields a registry row carries (None when a file lacks one)
NUMBER_KEYS = (*HEADLINE_KEYS, "threshold", "positive_rate", "training_positive_rate", *SAMPLE_KEYS, *CONFUSION_KEYS)
#: the keys of the old CLA's metrics files (no PR-AUC): a file with only these is a legacy file
LEGACY_KEYS = QUALITY_KEYS

#: keys written on the metrics file's first line (when present), in this order
SUMMARY_KEYS = (
    "schema_version",
    "model_id",
    "model_file",
    "model_sha256",
    "model_hmac",
    "model_key_id",
    "created_at",
    "timestamp",
    *QUALITY_KEYS,
    *CONFUSION_KEYS,
    *SAMPLE_KEYS,
    "balanced_accuracy",
    "mcc",
    "pr_auc",
    "roc_auc",
    "brier_score",
    "threshold",
    "workload_saved",
    "positive_rate",
    "training_positive_rate",
    "useful",
    "warnings",
    "promotion_decision",
    "body_crc32",
)

#: the scores a finished cycle copies into the status file's ``last_result.metrics``
RESULT_KEYS = ("precision", "recall", "f1_score", "pr_auc", "threshold", "useful", *SAMPLE_KEYS)
#: the keys ``cla models show`` prints, in this order
DETAIL_KEYS = ("pr_auc", "roc_auc", *QUALITY_KEYS, "threshold", "positive_rate", *SAMPLE_KEYS, "useful")
#: how a score is named where people read it (charts, tables)
LABELS = {
    "precision": "Precision",
    "recall": "Recall",
    "f1_score": "F1",
    "pr_auc": "PR-AUC",
    "roc_auc": "ROC-AUC",
    "accuracy": "Accuracy",
}
