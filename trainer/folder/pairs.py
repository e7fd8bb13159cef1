"""The model/metrics pair: how a trained model lands in the models folder.

:func:`write_pair` reserves a unique stamp (`trainer.contract.layout`), dumps the model
with joblib to a temporary file and renames it (`trainer.atomic`), records the
model file's SHA-256 and its signature (`trainer.folder.signing`: an HMAC under a key
kept outside the models folder), and only then writes the metrics file, the
pair's commit marker, the same way (the pickle is zlib-compressed: forests
shrink about 3x). A reader (`trainer.folder.registry`, `trainer.folder.scoring`) that sees a
metrics file therefore knows the model beside it is complete.

The metrics file is one JSON object whose *first line* holds the summary keys
(:data:`trainer.contract.metrics.SUMMARY_KEYS`, including ``promotion_decision``, a copy of
``promotion.decision``) in compact form and whose remaining lines hold the rest
(curves, config, ...) indented. Any JSON reader reads it whole. The first line
also records ``body_crc32``, a CRC-32 of the remaining lines, so
:func:`read_summary` (the registry's reader) knows the whole file is intact
(not truncated, not damaged) while parsing only the first line: listing
10,000 pairs does not parse 10,000 sets of curves, and a cut-off file is never
listed as a healthy model.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer import atomic
from trainer.folder import signing
from trainer.contract.layout import ModelsLayout, stamp_time
from trainer.contract.metrics import SCHEMA_VERSION, SUMMARY_KEYS
from trainer.reading import JSON_MAX_BYTES, read_regular


#: joblib compression: a random forest shrinks about 3x for about 0.1 s more per write (docs/REGISTRY.md)
COMPRESS = ("zlib", 3)


@dataclass(frozen=True)
class PairInfo:
    """A committed pair: its id (the stamp), both paths, the model file's SHA-256 and its signature."""

    model_id: str
    model_path: Path
    metrics_path: Path
    sha256: str
    hmac: str


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
    """The metrics file's text: summary keys compact on line one (with ``body_crc32``), the rest indented below."""
    plain = _plain(metrics)
    if isinstance(plain.get("promotion"), dict) and plain["promotion"].get("decision"):
        # The decision alone is what a listing shows; the block (reasons, gates, scores) stays below.
        plain["promotion_decision"] = plain["promotion"]["decision"]
    rest = {key: value for key, value in plain.items() if key not in SUMMARY_KEYS}
    body = json.dumps(rest, indent=2, allow_nan=False)[1:].lstrip("\n") + "\n" if rest else ""
    plain["body_crc32"] = zlib.crc32(body.encode("utf-8"))
    head_text = json.dumps({key: plain[key] for key in SUMMARY_KEYS if key in plain}, allow_nan=False)
    if not rest:
        return head_text + "\n"
    return head_text[:-1] + ",\n" + body


def _head(line: bytes) -> dict[str, Any] | None:
    """The summary keys on a metrics file's first line, or None when it is not a summary head."""
    if not line.startswith(b"{"):
        return None
    text = line.rstrip()
    if text.endswith(b","):
        text = text[:-1] + b"}"
    try:
        head = json.loads(text)
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("schema_version") != SCHEMA_VERSION or "body_crc32" not in head:
        return None
    return head


def read_summary(path: str | os.PathLike) -> Any:
    """The summary of the metrics file at ``path``, once the whole file is known to be intact.

    When the first line is a summary head and the rest of the file matches
    its ``body_crc32``, that head is returned and the rest is not parsed.
    Otherwise (a legacy, hand-edited or older file, or one whose rest does not
    match) the whole file is parsed and returned. Raises ValueError when the
    file does not parse (truncated or damaged) and OSError when it cannot be read.
    """
    data = read_regular(path, JSON_MAX_BYTES)
    end = data.find(b"\n")
    head = _head(data[:end]) if end >= 0 else None
    if head is not None and head["body_crc32"] == zlib.crc32(memoryview(data)[end + 1:]):
        return head
    return json.loads(data)


def _reserve(layout: ModelsLayout, stamp: str | None) -> str:
    try:
        layout.root.mkdir(parents=True, exist_ok=True)
        return layout.reserve_stamp(stamp_time(stamp) if stamp else None)
    except OSError as exc:
        raise atomic.WriteError(exc.errno or 0, f"cannot write a model pair in {layout.root}: "
                                f"{atomic.describe_os_error(exc)}") from exc


def write_pair(layout: ModelsLayout, model: Any, metrics: dict[str, Any], *, stamp: str | None = None,
               key_file: str | os.PathLike | None = None, trained_at: datetime | None = None) -> PairInfo:
    """Write ``model`` and ``metrics`` as a committed pair and return its :class:`PairInfo`.

    ``stamp`` (``YYYYMMDD_HHMMSS``) is the wished-for id; the next free second
    is used when it is taken (default: now). The metrics file gains
    ``schema_version``, ``model_id``, ``model_file``, ``model_sha256``,
    ``model_hmac``, ``model_key_id`` and ``created_at``; ``metrics`` itself is
    not changed. ``created_at`` is ``trained_at`` (default: now), to the
    millisecond. The model key is ``key_file`` (default: ``CLA_MODEL_KEY`` or the default place,
    see `trainer.folder.signing`), created on first use.

    Raises :class:`atomic.WriteError` naming the path and the cause
    (permission denied, disk full), and :class:`signing.KeyUnavailable` when
    there is no usable key (nothing is written then). After any failure no
    metrics file exists for the stamp and the model file is removed: there is
    never a partial pair.
    """
    import joblib  # here, not at the top: readers of this module (the registry, `cla models`) never need it

    key = signing.load_key(key_file, models_dir=layout.root, create=True)
    model_id = _reserve(layout, stamp)
    model_path, metrics_path = layout.model_path(model_id), layout.metrics_path(model_id)
    committed = False
    try:
        atomic.write_with(model_path, lambda tmp: joblib.dump(model, tmp, compress=COMPRESS))
        digest = atomic.sha256_file(model_path)
        signature = key.signature_fields(model_id, model_path)
        record = dict(metrics)
        record.update(signature)
        record.update({
            "schema_version": SCHEMA_VERSION, "model_id": model_id, "model_file": model_path.name,
            "model_sha256": digest,
            "created_at": (trained_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
            .isoformat(timespec="milliseconds"),
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
    return PairInfo(model_id, model_path, metrics_path, digest, signature[signing.SIGNATURE_FIELD])
