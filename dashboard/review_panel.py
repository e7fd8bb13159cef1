"""What the review queue says in words: the Overview's verdict and recall tiles, and an alert's pushes.

:func:`review_facts` turns ``models/review/summary.json`` (written by
:mod:`trainer.review.ledger` after every verdict, read typed as
`trainer.contract.review_summary.ReviewSummary`; the page never computes it)
into the two tiles' texts and, when the estimated production recall is below
the recall target, the sentence the banner area shows. An estimate is shown
only once ``review.min_audit_verdicts`` audit verdicts exist, and only for the
current champion; before that the tile says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from dashboard.formatting import fmt
from dashboard.markdown import literal
from trainer.config import Config
from trainer.review import QueueItem, read_summary


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
        same_day = summary.date == today
        count = f"{summary.verdicts_today if same_day else 0:,}"
        waiting = summary.waiting_in_outbox
        caption = f"{summary.verdicts_total:,} in total through the review queue"
        if waiting:
            caption += f" · {waiting} waiting in the outbox (the source refused them; retried with the next verdict)"
    test_recall = fmt(champion.get("recall"), 2) if champion else "unknown"
    estimate = summary.recall_estimate if summary else None
    model_id = champion.get("model_id") if champion else None
    below = None
    if estimate is None or estimate.model_id != model_id:
        value, text = "unknown", "no audit sample for the current champion yet: open Review, queue Audit"
    elif not estimate.enough or estimate.recall is None:
        value = "unknown"
        text = (f"{estimate.audit_verdicts} of {config.review.min_audit_verdicts} audit verdicts needed"
                + ("" if estimate.flagged_verdicts else "; and verdicts on flagged alerts"))
    else:
        level = f"{estimate.level:.0%}"
        value = fmt(estimate.recall, 2)
        text = (f"{level} interval {fmt(estimate.low, 2)}–{fmt(estimate.high, 2)} from "
                f"{estimate.audit_verdicts} audit verdicts · test-slice recall {test_recall}")
        target = recall_target(config)
        if target is not None and estimate.recall < target:
            below = (f"Estimated production recall {value} ({level} interval {fmt(estimate.low, 2)}–"
                     f"{fmt(estimate.high, 2)}) is below the recall target {target:.2f}: the champion misses "
                     "more attacks among the alerts it lets analysts skip than its test slice showed.")
    return ReviewFacts(count, caption, value, text, below)


def reasons_text(item: QueueItem, digits: int = 3) -> list[str]:
    """One line per attribute that moved the score by at least what ``digits`` decimals show, largest first.

    A push is the change in score when that attribute alone takes its most
    common value among the pending alerts (`trainer.review.queue.reasons`); a
    push that rounds to zero is left out rather than shown as "by 0.000".
    """
    lines = []
    for column, push in item.reasons:
        if round(abs(push), digits) == 0:
            continue
        direction = "up" if push > 0 else "down"
        lines.append(f"{literal(column)} = {literal(item.attributes.get(column))} pushed the score "
                     f"{direction} by {abs(push):.{digits}f}")
    return lines


PUSH_NOTE = ("Each push: how much lower or higher the score would be if this attribute alone took its most common "
             "value among the pending alerts. Pushes are measured one at a time, so they do not add up to the score.")
