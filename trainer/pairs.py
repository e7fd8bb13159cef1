"""The model/metrics pair: how a trained model lands in the models folder.

:func:`write_pair` reserves a unique stamp (`trainer.layout`), dumps the model
with joblib to a temporary file and renames it (`trainer.atomic`), records the
model file's SHA-256, and only then writes the metrics file, the pair's commit
marker, the same way (the pickle is zlib-compressed: forests shrink about
3x). A reader (`trainer.registry`, `trainer.scoring`) that
sees a metrics file therefore knows the model beside it is complete.

The metrics file is one JSON object whose *first line* holds the summary keys
(:data:`SUMMARY_KEYS`, including ``promotion_decision``, a copy of
``promotion.decision``) in compact form and whose remaining lines hold the rest
(curves, config, ...) indented. Any JSON reader reads it whole; the registry's
index parses only the first line, so listing 10,000 pairs does not parse
10,000 sets of curves. :func:`read_summary_head` is that fast path.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer import atomic
from trainer.layout import ModelsLayout, stamp_time

SCHEMA_VERSION = 2

#: keys written on the metrics file's first line (when present), in this order
SUMMARY_KEYS = (
    "schema_version", "model_id", "model_file", "model_sha256", "created_at", "timestamp",
    "precision", "recall", "f1_score", "accuracy",
    "true_positives", "false_positives", "true_negatives", "false_negatives",
    "training_samples", "test_samples",
    "balanced_accuracy", "mcc", "pr_auc", "roc_auc", "brier_score", "threshold", "workload_saved",
    "positive_rate", "useful", "warnings", "promotion_decision",
)

#: joblib compression: a random forest shrinks about 3x for about 0.1 s more per write (docs/REGISTRY.md)
COMPRESS = ("zlib", 3)

#: the first line is read with one small read (a summary line is 1-2 KB), then up to the maximum
HEAD_FIRST_READ = 4096
HEAD_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class PairInfo:
    """A committed pair: its id (the stamp), both paths and the model file's SHA-256."""

    model_id: str
    model_path: Path
    metrics_path: Path
    sha256: str


def _plain(value: Any) -> Any:
    """JSON-ready value: numpy scalars and arrays become Python numbers and lists, NaN becomes null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (datetime, Path)):
        return str(value)
    return str(value)


def metrics_text(metrics: dict[str, Any]) -> str:
    """The metrics file's text: summary keys compact on line one, the rest indented below."""
    plain = _plain(metrics)
    if isinstance(plain.get("promotion"), dict) and plain["promotion"].get("decision"):
        # The decision alone is what a listing shows; the block (reasons, gates, scores) stays below.
        plain["promotion_decision"] = plain["promotion"]["decision"]
    head = {key: plain[key] for key in SUMMARY_KEYS if key in plain}
    rest = {key: value for key, value in plain.items() if key not in head}
    head_text = json.dumps(head, allow_nan=False)
    if not rest:
        return head_text + "\n"
    rest_text = json.dumps(rest, indent=2, allow_nan=False)
    return head_text[:-1] + ",\n" + rest_text[1:].lstrip("\n") + "\n"


def read_summary_head(path: str | os.PathLike) -> dict[str, Any] | None:
    """The summary keys from a metrics file's first line, or None when the line is not a summary head.

    None means "parse the whole file" (a legacy or hand-edited file); it is
    never an error. Raises OSError when the file cannot be read.
    """
    with open(path, "rb", buffering=0) as fh:
        block = fh.read(HEAD_FIRST_READ)
        if b"\n" not in block and len(block) == HEAD_FIRST_READ:
            block += fh.read(HEAD_MAX_BYTES - HEAD_FIRST_READ)
    line, newline, _ = block.partition(b"\n")
    if not newline or not line.startswith(b"{"):
        return None
    text = line.rstrip()
    if text.endswith(b","):
        text = text[:-1] + b"}"
    try:
        head = json.loads(text)
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("schema_version") != SCHEMA_VERSION or "model_sha256" not in head:
        return None
    return head


def _reserve(layout: ModelsLayout, stamp: str | None) -> str:
    try:
        layout.root.mkdir(parents=True, exist_ok=True)
        return layout.reserve_stamp(stamp_time(stamp) if stamp else None)
    except OSError as exc:
        raise atomic.WriteError(exc.errno or 0, f"cannot write a model pair in {layout.root}: "
                                f"{atomic.describe_os_error(exc)}") from exc


def write_pair(layout: ModelsLayout, model: Any, metrics: dict[str, Any], *, stamp: str | None = None) -> PairInfo:
    """Write ``model`` and ``metrics`` as a committed pair and return its :class:`PairInfo`.

    ``stamp`` (``YYYYMMDD_HHMMSS``) is the wished-for id; the next free second
    is used when it is taken (default: now). The metrics file gains
    ``schema_version``, ``model_id``, ``model_file``, ``model_sha256`` and
    ``created_at``; ``metrics`` itself is not changed.

    Raises :class:`atomic.WriteError` naming the path and the cause
    (permission denied, disk full). After any failure no metrics file exists
    for the stamp and the model file is removed: there is never a partial pair.
    """
    import joblib  # here, not at the top: readers of this module (the registry, `cla models`) never need it

    model_id = _reserve(layout, stamp)
    model_path, metrics_path = layout.model_path(model_id), layout.metrics_path(model_id)
    committed = False
    try:
        atomic.write_with(model_path, lambda tmp: joblib.dump(model, tmp, compress=COMPRESS))
        digest = atomic.sha256_file(model_path)
        record = dict(metrics)
        record.update({
            "schema_version": SCHEMA_VERSION, "model_id": model_id, "model_file": model_path.name,
            "model_sha256": digest,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        })
        atomic.write_bytes(metrics_path, metrics_text(record).encode("utf-8"))
        committed = True
    except OSError as exc:
        if isinstance(exc, atomic.WriteError):
            raise
        raise atomic.WriteError(exc.errno or 0, f"cannot write {model_path}: {atomic.describe_os_error(exc)}") from exc
    finally:
        if not committed:
            try:
                model_path.unlink()
            except OSError:
                pass
        layout.release_stamp(model_id)
    return PairInfo(model_id, model_path, metrics_path, digest)
