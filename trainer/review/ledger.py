"""What the review queue remembers in the models folder: the verdict ledger, the outbox, the audit population.

The ledger (``review/verdicts.jsonl``, :meth:`ModelsLayout.review_ledger`) is
append-only, one JSON object a line (:func:`trainer.atomic.append_json_line`):
``verdict`` (alert, label, actor, time, the queue it came from, the
champion's score and threshold, whether the source took it), ``skip`` and
``undo``. From it come the alerts an analyst has already seen, the verdicts
given today and the audit counts. The outbox (``review/outbox.jsonl``) holds
verdicts the source could not take yet, with the reason; it is rewritten
atomically after each retry. The audit population (``audit_population.json``)
records how many alerts the champion scored above and below its threshold when
an audit queue was drawn. After every change :func:`refresh_summary` rewrites
``review/summary.json`` (verdicts today, the recall estimate), which the
Overview page reads instead of computing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer.atomic import append_json_line, write_json, write_with
from trainer.config import Config
from trainer.contract.layout import ModelsLayout
from trainer.contract.review_summary import ReviewSummary, ReviewSummaryError
from trainer.review.audit import estimate
from trainer.timestamps import now_iso
from trainer.reading import JSON_MAX_BYTES, LOG_MAX_BYTES, read_regular


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        raw = read_regular(path, LOG_MAX_BYTES).splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in raw:
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # a torn last line; the next append starts a new one
        if isinstance(obj, dict):
            out.append(obj)
    return out


@dataclass
class Ledger:
    """The review records of one models folder."""

    layout: ModelsLayout

    @classmethod
    def of(cls, config: Config) -> "Ledger":
        return cls(config.layout)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one record (``ts`` added); raises OSError when the folder cannot be written."""
        entry = {"ts": now_iso(), **entry}
        append_json_line(self.layout.review_ledger, entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return _read_lines(self.layout.review_ledger)

    def verdicts(self) -> list[dict[str, Any]]:
        """Verdicts not undone, oldest first."""
        entries = self.entries()
        undone = {(e.get("alert_id"), e.get("triaged_at")) for e in entries if e.get("action") == "undo"}
        return [e for e in entries if e.get("action") == "verdict"
                and (e.get("alert_id"), e.get("triaged_at")) not in undone]

    def seen_by(self, actor: str) -> set[str]:
        """Alert ids ``actor`` gave a verdict on or skipped: each alert is shown once per analyst."""
        skipped = {str(e["alert_id"]) for e in self.entries() if e.get("action") == "skip" and e.get("actor") == actor}
        return skipped | {str(e["alert_id"]) for e in self.verdicts() if e.get("actor") == actor}

    def given(self) -> set[str]:
        """Alert ids with a verdict (written or waiting in the outbox): they leave the queue for everyone."""
        return {str(e["alert_id"]) for e in self.verdicts()}

    # the outbox

    def outbox(self) -> list[dict[str, Any]]:
        return _read_lines(self.layout.review_outbox)

    def keep(self, verdict: dict[str, Any]) -> None:
        """Add a verdict the source could not take to the outbox."""
        append_json_line(self.layout.review_outbox, verdict)

    def set_outbox(self, verdicts: list[dict[str, Any]]) -> None:
        """Replace the outbox (after a retry) atomically."""
        text = "".join(json.dumps(v, default=str) + "\n" for v in verdicts)
        self.layout.review_dir.mkdir(parents=True, exist_ok=True)
        write_with(self.layout.review_outbox, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    # the audit population and the summary the Overview reads

    def record_population(self, model_id: str, threshold: float, n_above: int, n_below: int) -> None:
        self.layout.review_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.layout.review_population, {"model_id": model_id, "threshold": threshold,
                                                   "n_above": n_above, "n_below": n_below, "drawn_at": now_iso()})

    def population(self) -> dict[str, Any] | None:
        try:
            value = json.loads(read_regular(self.layout.review_population, JSON_MAX_BYTES))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None


def recall_estimate(ledger: Ledger, config: Config, verdicts: list[dict[str, Any]] | None = None):
    """The audit estimate for the model of the latest audit population, or None before any audit draw."""
    population = ledger.population()
    if not population:
        return None
    model_id = str(population["model_id"])
    verdicts = ledger.verdicts() if verdicts is None else verdicts
    mine = [v for v in verdicts if v.get("model_id") == model_id and v.get("score") is not None]
    audit = [v for v in mine if v.get("policy") == "audit" and v["score"] < v["threshold"]]
    flagged = [v for v in mine if v["score"] >= v["threshold"]]
    return estimate(model_id=model_id, n_above=int(population["n_above"]), n_below=int(population["n_below"]),
                    flagged=(sum(v["label"] == "tp" for v in flagged), len(flagged)),
                    audited=(sum(v["label"] == "tp" for v in audit), len(audit)),
                    level=config.review.interval, min_audit=config.review.min_audit_verdicts)


def refresh_summary(ledger: Ledger, config: Config) -> ReviewSummary:
    """Rewrite ``review/summary.json``: verdicts given today (UTC) and the recall estimate. Returns it."""
    verdicts = ledger.verdicts()
    today = datetime.now(timezone.utc).date().isoformat()
    summary = ReviewSummary(date=today, verdicts_today=sum(str(v.get("ts", "")).startswith(today) for v in verdicts),
                            verdicts_total=len(verdicts), waiting_in_outbox=len(ledger.outbox()),
                            recall_estimate=recall_estimate(ledger, config, verdicts), written_at=now_iso())
    ledger.layout.review_dir.mkdir(parents=True, exist_ok=True)
    write_json(ledger.layout.review_summary, summary.to_json())
    return summary


def read_summary(layout: ModelsLayout) -> ReviewSummary | None:
    """The summary file, or None when no verdict was ever given here (or it cannot be read)."""
    try:
        return ReviewSummary.from_json(json.loads(read_regular(layout.review_summary, JSON_MAX_BYTES)))
    except (OSError, ValueError, ReviewSummaryError):
        return None
