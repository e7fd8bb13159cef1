"""Metrics files written by the old CLA: only precision, recall, F1 and accuracy, no PR-AUC.

The registry lists them as models all the same (:func:`is_legacy`); what
they never recorded is derived from their confusion counts
(:func:`legacy_warnings`: a model that flagged no alert at all is
``predicts_one_class``) and filled in by :func:`with_legacy_fields` when a
reader asks for the whole file.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_legacy", "legacy_warnings", "usefulness", "with_legacy_fields"]


def is_legacy(metrics: dict[str, Any]) -> bool:
    """Whether a metrics dict was written by the old CLA (it has no PR-AUC)."""
    return "pr_auc" not in metrics


def number(value: Any) -> float | int | None:
    """``value`` when it is an int or float (not a bool), else None."""
    return value if type(value) in (float, int) else None


def _int(value: Any) -> int:
    found = number(value)
    return int(found) if found is not None else 0


def legacy_warnings(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Warnings a reader can derive from a legacy metrics file's confusion counts, plus ``legacy_metrics``.

    The old CLA wrote models that flagged no alert at all (accuracy 1.0,
    F1 0.0) without a word; such a file is flagged ``predicts_one_class``.
    """
    # Imported here: diagnostics pulls in scikit-learn, which `cla models list` should not wait for.
    from trainer.learning.diagnostics import make_warning

    tp, fp, tn, fn = (_int(metrics.get(k)) for k in ("true_positives", "false_positives", "true_negatives",
                                                     "false_negatives"))
    warnings = []
    total = tp + fp + tn + fn
    f1 = number(metrics.get("f1_score"))
    accuracy = number(metrics.get("accuracy"))
    if total and tp + fp == 0:
        warnings.append(make_warning("predicts_one_class", f"the model flagged none of the {total} test alerts as a "
                                     "true positive: it predicts one class"))
    elif total and tn + fn == 0:
        warnings.append(make_warning("predicts_one_class", f"the model flagged all {total} test alerts as true "
                                     "positives: it predicts one class"))
    elif f1 == 0 and accuracy is not None:
        majority = max(tp + fn, tn + fp) / total if total else 0.5
        if accuracy >= majority:
            warnings.append(make_warning("majority_accuracy", f"accuracy {accuracy:.3f} only reflects the majority "
                                         "class: F1 is 0"))
    warnings.append({"code": "legacy_metrics", "severity": "info",
                     "message": "written by the old CLA: no PR-AUC, checksum or warnings were recorded"})
    return warnings


def usefulness(recorded: Any, warnings: Any) -> bool | None:
    """The recorded ``useful`` flag, else False when a warning is blocking, else None (unknown)."""
    if isinstance(recorded, bool):
        return recorded
    blocked = any(isinstance(w, dict) and w.get("severity") == "blocking" for w in warnings or [])
    return False if blocked else None


def with_legacy_fields(metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` (changed in place) with ``legacy: true`` and derived ``warnings``/``useful`` when it is legacy."""
    if is_legacy(metrics):
        metrics["legacy"] = True
        if not isinstance(metrics.get("warnings"), list):
            metrics["warnings"] = legacy_warnings(metrics)
        if "useful" not in metrics:
            metrics["useful"] = usefulness(None, metrics["warnings"])
    return metrics
