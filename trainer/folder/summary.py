"""What the registry hands its readers: one listing row per metrics file, and the errors it raises.

:class:`ModelSummary` is a row of :meth:`trainer.folder.registry.Registry.list_models`;
:func:`read_fields` reads one metrics file into the row's indexed fields (the
part :mod:`trainer.folder.listing` keeps in ``runtime/index.json``), turning a
file that does not parse into an ``unreadable`` row rather than an error.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from trainer.contract.metrics import NUMBER_KEYS
from trainer.contract.layout import stamp_time
from trainer.folder import signing
from trainer.folder.legacy import is_legacy, legacy_warnings, number, usefulness
from trainer.folder.pairs import read_summary
from trainer.errors import CLAError

__all__ = ["RegistryError", "ModelNotFound", "ModelSummary", "INDEXED_FIELDS", "INTERRUPTED", "INTERRUPTED_REASON",
           "read_fields", "row_values"]

#: the promotion decision readers show for a model whose promotion was never carried out
INTERRUPTED = "interrupted"
INTERRUPTED_REASON = ("interrupted: the training was killed after writing this model and before moving the "
                      "champion pointer, so it never became champion; promote it by hand if it should be")


class RegistryError(CLAError):
    """A registry action cannot be done; the message says why and what to do."""


class ModelNotFound(RegistryError, LookupError):
    """No readable pair with that id."""


@dataclass(slots=True)
class ModelSummary:
    """One row of :meth:`Registry.list_models`.

    ``status`` is ``ok`` (a readable pair), ``incomplete`` (a model file with
    no metrics file: an interrupted write, never a model) or ``unreadable``
    (``error`` says why). ``warnings`` holds warning codes; ``legacy`` is true
    for a metrics file without PR-AUC (the old CLA's keys only), whose
    ``created_at`` then comes from the stamp. ``promotion`` is the stored
    promotion decision, or ``interrupted`` when the pointer says it was never
    carried out. ``signed`` says the metrics file records a signature;
    ``integrity`` is the verdict of :meth:`Registry.verify` (``verified``,
    ``unsigned``, ``tampered``, ``unverifiable``) on the champion's row, None
    on rows that were not checked, with ``integrity_reason`` when it is not
    ``verified``. Rows are shared between callers: read them, do not change them.
    """

    model_id: str
    status: str = "ok"
    file: str = ""
    error: str | None = None
    created_at: str | None = None
    precision: float | None = None
    recall: float | None = None
    f1_score: float | None = None
    accuracy: float | None = None
    pr_auc: float | None = None
    roc_auc: float | None = None
    threshold: float | None = None
    positive_rate: float | None = None
    #: true positives in the training window (the severe-imbalance warning's set); None before it was stored
    training_positive_rate: float | None = None
    training_samples: int | None = None
    test_samples: int | None = None
    true_positives: int | None = None
    false_positives: int | None = None
    true_negatives: int | None = None
    false_negatives: int | None = None
    useful: bool | None = None
    warnings: tuple[str, ...] = ()
    legacy: bool = False
    promotion: str | None = None
    has_checksum: bool = False
    signed: bool = False
    is_champion: bool = False
    pinned: bool = False
    integrity: str | None = None
    integrity_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["warnings"] = list(self.warnings)
        return out


#: the fields the index stores per metrics file (the rest depend on the champion pointer and the folder)
INDEXED_FIELDS = tuple(f.name for f in dataclasses.fields(ModelSummary)
                       if f.name not in ("model_id", "is_champion", "pinned", "integrity", "integrity_reason"))
WARNINGS_AT = INDEXED_FIELDS.index("warnings")


def _summary_fields(stamp: str, name: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """The indexed fields of one readable metrics file."""
    legacy = is_legacy(metrics)
    warnings = metrics.get("warnings")
    if legacy and not isinstance(warnings, list):
        warnings = legacy_warnings(metrics)
    codes = []
    for item in warnings if isinstance(warnings, list) else []:
        code = item.get("code") if isinstance(item, dict) else item
        if code:
            codes.append(str(code))
    promotion = metrics.get("promotion")
    decision = metrics.get("promotion_decision") or (promotion.get("decision") if isinstance(promotion, dict)
                                                     else promotion)
    fields: dict[str, Any] = {
        "status": "ok", "file": name, "error": None,
        "created_at": str(metrics.get("created_at") or metrics.get("timestamp") or stamp_time(stamp).isoformat()),
        "useful": usefulness(metrics.get("useful"), warnings), "warnings": codes, "legacy": legacy,
        "promotion": str(decision) if decision else None,
        "has_checksum": bool(metrics.get("model_sha256")),
        "signed": bool(metrics.get(signing.SIGNATURE_FIELD)),
    }
    fields.update({key: number(metrics.get(key)) for key in NUMBER_KEYS})
    return fields


def row_values(fields: dict[str, Any] | list) -> tuple:
    """Indexed fields as a tuple in :data:`INDEXED_FIELDS` order (warnings as a tuple)."""
    values = [fields.get(k) for k in INDEXED_FIELDS] if isinstance(fields, dict) else list(fields)
    values[WARNINGS_AT] = tuple(values[WARNINGS_AT] or ())
    return tuple(values)


def _unreadable(name: str, stamp: str, error: str) -> dict[str, Any]:
    fields = {f.name: f.default for f in dataclasses.fields(ModelSummary) if f.name in INDEXED_FIELDS}
    fields.update({"status": "unreadable", "file": name, "error": error, "warnings": [],
                   "created_at": stamp_time(stamp).isoformat()})
    return fields


def read_fields(path: str, stamp: str) -> dict[str, Any]:
    """Indexed fields of the metrics file at ``path``; unreadable files become ``status="unreadable"``."""
    name = os.path.basename(path)
    try:
        metrics = read_summary(path)
    except ValueError as exc:
        return _unreadable(name, stamp, f"{name} is not valid JSON as a whole ({exc}): it is truncated or damaged, "
                                        "so none of its numbers are shown; restore it from a copy or remove the pair")
    except OSError as exc:
        return _unreadable(name, stamp, f"{name} cannot be read ({exc.strerror or exc})")
    if not isinstance(metrics, dict):
        return _unreadable(name, stamp, f"{name} is not a JSON object")
    return _summary_fields(stamp, name, metrics)
