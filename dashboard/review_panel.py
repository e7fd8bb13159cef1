"""What the review queue adds to the Overview: verdicts given today and the audit estimate of recall.

:func:`review_facts` turns ``models/review/summary.json`` (written by
:mod:`trainer.review.ledger` after every verdict; the page never computes it)
into the two tiles' texts and, when the estimated production recall is below
the recall target, the sentence the banner area shows. An estimate is shown
only once ``review.min_audit_verdicts`` audit verdicts exist, and only for the
current champion; before that the tile says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from dashboard.formatting import fmt
from trainer.config import Config
from trainer.review import read_summary


@dataclass(frozen=True)
class ReviewFacts:
    verdicts_today: str
    verdicts_caption: str
    recall_value: str
    recall_caption: str
    below_target: str | None    # the banner's sentence when the estimate is below the recall target


def recall_target(config: Config) -> float | None:
    return config.training.target if config.training.objective == "recall" else None


def review_facts(config: Config, champion: dict | None, now: datetime | None = None) -> ReviewFacts:
    summary = read_summary(config.layout)
    today = (now or datetime.now(timezone.utc)).date().isoformat()
    if summary is None:
        count, caption = "0", "no verdict given in the Review page or `cla review` yet"
    else:
        same_day = summary.get("date") == today
        count = f"{summary.get('verdicts_today', 0) if same_day else 0:,}"
        waiting = int(summary.get("waiting_in_outbox") or 0)
        caption = f"{summary.get('verdicts_total', 0):,} in total through the review queue"
        if waiting:
            caption += f" · {waiting} waiting in the outbox (the source refused them; retried with the next verdict)"
    test_recall = fmt(champion.get("recall"), 2) if champion else "unknown"
    estimate = (summary or {}).get("recall_estimate")
    model_id = champion.get("model_id") if champion else None
    below = None
    if not estimate or estimate.get("model_id") != model_id:
        value, text = "unknown", "no audit sample for the current champion yet: open Review, queue Audit"
    elif not estimate.get("enough") or estimate.get("recall") is None:
        value = "unknown"
        text = (f"{estimate.get('audit_verdicts', 0)} of {config.review.min_audit_verdicts} audit verdicts needed"
                + ("" if estimate.get("flagged_verdicts") else "; and verdicts on flagged alerts"))
    else:
        level = f"{estimate['level']:.0%}"
        value = fmt(estimate["recall"], 2)
        text = (f"{level} interval {fmt(estimate['low'], 2)}–{fmt(estimate['high'], 2)} from "
                f"{estimate['audit_verdicts']} audit verdicts · test-slice recall {test_recall}")
        target = recall_target(config)
        if target is not None and estimate["recall"] < target:
            below = (f"Estimated production recall {value} ({level} interval {fmt(estimate['low'], 2)}–"
                     f"{fmt(estimate['high'], 2)}) is below the recall target {target:.2f}: the champion misses "
                     "more attacks among the alerts it lets analysts skip than its test slice showed.")
    return ReviewFacts(count, caption, value, text, below)
