"""The next alerts of a review queue: pending alerts scored by the champion, in the policy's order.

:func:`next_alerts` reads the pending alerts from the source
(``load_pending``, at most ``review.max_pending``), drops those the analyst
has already seen and those with a verdict (in the ledger, or waiting in the
outbox), scores the rest with the champion (signature checked by
:func:`trainer.folder.scoring.load_champion`) and orders them by the policy
(:mod:`trainer.review.policies`). Drawing an audit queue records the audit
population. :func:`reasons` says which attributes pushed one alert's score up
or down: each attribute in turn (the alert time aside) is set to its most
common value among the pending alerts, and the change in score is its push.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trainer.config import Config
from trainer.feedback.sources import SourceError, open_source, unsupported
from trainer.folder.scoring import ModelLoadError, load_champion
from trainer.review import policies
from trainer.review.ledger import Ledger
from trainer.errors import CLAError

#: how many attributes :func:`reasons` reports
TOP_REASONS = 3


class ReviewError(CLAError, RuntimeError):
    """The queue cannot be built or a verdict cannot be taken; the message says what to do."""


@dataclass
class QueueItem:
    alert_id: str
    score: float
    policy: str
    threshold: float
    model_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    reasons: list[tuple[str, float]] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """What the champion says: flag (at or above its threshold) or skip."""
        return self.score >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "score": round(self.score, 6), "policy": self.policy,
                "threshold": round(self.threshold, 6), "model_id": self.model_id,
                "champion_says": "flag" if self.flagged else "skip",
                "attributes": {name: _plain(value) for name, value in self.attributes.items()}}


def _plain(value: Any) -> Any:
    """A JSON-ready attribute value: missing is null, numbers and booleans stay, the rest (times) is text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return str(value)


@dataclass
class Queue:
    policy: str
    items: list[QueueItem]
    pending: int          # pending alerts read
    waiting: int          # of them, not yet seen by this analyst
    model_id: str
    threshold: float


def champion(config: Config):
    """The champion model; ReviewError saying what to do when there is none or it fails its checks."""
    try:
        return load_champion(config.models_dir, key_file=config.model_key_path)
    except ModelLoadError as exc:
        raise ReviewError(f"the review queue needs a champion to score alerts: {exc}") from None


def score(model, frame: pd.DataFrame) -> np.ndarray:
    try:
        return model.predict_proba(frame)[:, 1]
    except ValueError as exc:
        raise ReviewError(f"the champion cannot score the pending alerts: {exc}") from None


def digits_apart(first: Any, second: Any, *, least: int = 3, most: int = 8) -> int:
    """The fewest decimals (at least ``least``, at most ``most``) at which two different numbers print differently.

    A score of 0.01552 beside a threshold of 0.01567 both read 0.016 at three
    decimals while one is flagged and the other not; at four they read 0.0155
    and 0.0157, and the comparison the reader makes is the one the model made.
    """
    try:
        a, b = float(first), float(second)
    except (TypeError, ValueError):
        return least
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return least
    for digits in range(least, most + 1):
        if f"{a:.{digits}f}" != f"{b:.{digits}f}":
            return digits
    return most


def attribute_columns(model, frame: pd.DataFrame) -> list[str]:
    return [c for c in model.feature_columns if c in frame.columns]


def reasons(model, frame: pd.DataFrame, row: int, baseline: dict[str, Any], top: int = TOP_REASONS
            ) -> list[tuple[str, float]]:
    """(attribute, push) for the ``top`` attributes whose value moved row ``row``'s score most, largest first."""
    columns = [c for c in attribute_columns(model, frame) if c in baseline]
    if not columns:
        return []
    variants = pd.concat([frame.iloc[[row]]] * (len(columns) + 1), ignore_index=True)
    for i, column in enumerate(columns, start=1):
        variants.loc[i, column] = baseline[column]
    scores = model.predict_proba(variants)[:, 1]
    pushes = [(column, float(scores[0] - scores[i])) for i, column in enumerate(columns, start=1)]
    pushes = [p for p in pushes if abs(p[1]) > 1e-9]
    return sorted(pushes, key=lambda p: -abs(p[1]))[:top]


def baseline_of(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Each column's most common value among the pending alerts (missing-only columns left out)."""
    out = {}
    for column in columns:
        values = frame[column].dropna()
        if len(values):
            out[column] = values.mode().iloc[0]
    return out


def next_alerts(config: Config, policy: str, *, limit: int = 10, actor: str | None = None,
                with_reasons: bool = False) -> Queue:
    """The next ``limit`` alerts of ``policy`` for ``actor``. Raises ReviewError (no champion, a source that
    cannot list pending alerts or cannot be read) and ValueError for an unknown policy."""
    policies.check(policy)
    try:
        source = open_source(config)
        if not source.capabilities.pending_alerts:
            raise unsupported(source, "list alerts pending a verdict")
        frame = source.load_pending(config.review.max_pending).frame
    except SourceError as exc:
        raise ReviewError(f"cannot read the pending alerts: {exc}") from None
    model = champion(config)
    model_id = str(model.metadata.get("model_id"))
    id_column = config.schema.id_column
    if frame.empty:
        return Queue(policy, [], 0, 0, model_id, model.threshold)
    ledger = Ledger.of(config)
    hidden = ledger.given() | {str(v["alert_id"]) for v in ledger.outbox()}
    if actor:
        hidden |= ledger.seen_by(actor)
    pending = len(frame)
    scores = score(model, frame)
    if policy == "audit":
        # The population the audit sample is drawn from: every pending alert, whoever has seen it.
        above = int((scores >= model.threshold).sum())
        ledger.record_population(model_id, model.threshold, above, pending - above)
    keep = ~frame[id_column].astype("str").isin(hidden).to_numpy()
    frame, scores = frame[keep].reset_index(drop=True), scores[keep]
    positions = policies.order(policy, scores, model.threshold, frame[id_column], model_id)[:limit]
    columns = attribute_columns(model, frame)
    # Alert times are all distinct: "its most common value" means nothing there.
    baseline = baseline_of(frame, [c for c in columns if c != config.schema.time_column]) if with_reasons else {}
    items = []
    for position in positions:
        row = frame.iloc[position]
        items.append(QueueItem(
            alert_id=str(row[id_column]), score=float(scores[position]), policy=policy,
            threshold=float(model.threshold), model_id=model_id,
            attributes={c: row[c] for c in frame.columns if c in columns or c in (config.schema.time_column,)},
            reasons=reasons(model, frame, int(position), baseline) if with_reasons else []))
    return Queue(policy, items, pending, len(frame), model_id, float(model.threshold))
