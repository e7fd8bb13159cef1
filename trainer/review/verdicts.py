"""Verdicts from the review queue back to the feedback source, with who and when; nothing is lost.

:func:`give` checks the label (``tp`` / ``fp``), finds the alert in the
source (an unknown id is an error, and nothing is written), builds the
verdict row (the alert's attributes, the label, the analyst in ``analyst``,
the time in ``triaged_at``, the comment) and appends it with the source's
``write_verdicts``. When the source cannot take it (a read-only file, a
locked store, BigQuery refusing), the verdict goes to the outbox with the
reason and the result says so; every later :func:`give` and every queue
drawn (:func:`retry`) tries the outbox again. Each verdict is recorded in the
ledger (:mod:`trainer.review.ledger`) with the champion's score, so the audit
estimate and the Overview's count follow. :func:`undo_last` takes back the
analyst's last verdict; :func:`skip` hides an alert from one analyst. Each of
the three is also an event in the models folder's event log
(``verdict_given``, ``verdict_undone``, ``alert_skipped``, with the analyst as
the actor), so the Activity page lists it beside trainings and promotions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from trainer.config import Config
from trainer.columns import is_standard_positive
from trainer.folder.events import append_event
from trainer.feedback.sources import (ANALYST_COLUMN, COMMENT_COLUMN, TRIAGED_AT_COLUMN, FeedbackSource,
                                      SourceError, open_source, unsupported)
from trainer.review.ledger import Ledger, refresh_summary
from trainer.review.queue import ReviewError, champion, score
from trainer.timestamps import now_iso

LABELS = {"tp": "true positive", "fp": "false positive"}
log = logging.getLogger("cla.review")
#: columns of the alert's row that describe the earlier triage, cleared in a new verdict row
CLEARED = ("confidence", "processed")


def _record(config: Config, kind: str, actor: str, message: str, alert_id: str, model_id: str | None = None,
            **details: Any) -> None:
    """Append a review action to the event log; a log that cannot take it is logged, the action stands."""
    try:
        append_event(config.layout.events, kind, actor=actor, trigger="review", message=message, model_id=model_id,
                     alert_id=alert_id, **{name: value for name, value in details.items() if value is not None})
    except OSError as exc:
        log.warning("cannot append %s to %s: %s", kind, config.layout.events, exc)


def _queue_words(policy: str | None) -> str:
    return f" from the {policy} queue" if policy else ""


@dataclass
class VerdictResult:
    written: bool            # the source holds it; False: kept in the outbox, ``message`` says why
    message: str
    entry: dict[str, Any]
    retried: int = 0         # outbox verdicts written on the way


def check_label(label: str) -> str:
    value = str(label).strip().lower()
    if value not in LABELS:
        raise ValueError(f"verdict {label!r} is not tp or fp: give tp (true positive) or fp (false positive)")
    return value


def label_value(config: Config, label: str) -> Any:
    """The value the source's label column stores for ``label``."""
    positive = config.schema.positive_value
    if is_standard_positive(positive):
        return 1 if label == "tp" else 0
    return positive if label == "tp" else "fp"


def verdict_row(config: Config, alert: pd.Series, verdict: dict[str, Any]) -> pd.DataFrame:
    """The row a verdict appends: the alert's attributes, then the label, analyst, triage time and comment."""
    row = alert.to_dict()
    for name in CLEARED:
        if name in row:
            row[name] = None
    row[config.schema.label] = label_value(config, verdict["label"])
    row[ANALYST_COLUMN] = verdict["actor"]
    row[TRIAGED_AT_COLUMN] = pd.Timestamp(verdict["triaged_at"])
    row[COMMENT_COLUMN] = verdict.get("comment") or None
    frame = pd.DataFrame([row])
    frame[TRIAGED_AT_COLUMN] = pd.to_datetime(frame[TRIAGED_AT_COLUMN], utc=True)
    if config.schema.label in frame.columns and is_standard_positive(config.schema.positive_value):
        frame[config.schema.label] = frame[config.schema.label].astype("int64")
    return frame


def _writable_source(config: Config) -> FeedbackSource:
    source = open_source(config)
    if not source.capabilities.verdicts:
        raise unsupported(source, "take verdicts")
    return source


def _write(config: Config, source: FeedbackSource, verdict: dict[str, Any]) -> None:
    """Find the alert and append its verdict row; SourceError when the source cannot, ReviewError for an unknown id."""
    found = source.find_alerts([verdict["alert_id"]])
    if found.empty:
        raise ReviewError(f"alert {verdict['alert_id']!r} is not in {source.describe()}: check the id "
                          "(`cla review next` lists pending alerts)")
    source.write_verdicts(verdict_row(config, found.iloc[-1], verdict))


def retry(config: Config, source: FeedbackSource | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Try every verdict in the outbox again; returns (written now, still waiting). Never raises for the source."""
    ledger = Ledger.of(config)
    waiting = ledger.outbox()
    if not waiting:
        return 0, []
    try:
        source = source or _writable_source(config)
    except SourceError as exc:
        return 0, [{**v, "reason": str(exc)} for v in waiting]
    still, written = [], 0
    for verdict in waiting:
        try:
            _write(config, source, verdict)
            written += 1
        except (SourceError, ReviewError) as exc:
            still.append({**verdict, "reason": str(exc)})
    ledger.set_outbox(still)
    if written:
        refresh_summary(ledger, config)
    return written, still


def _score_of(config: Config, alert_id: str, source: FeedbackSource) -> tuple[float | None, float | None, str | None]:
    """The champion's score, threshold and id for one alert; Nones when either cannot be had."""
    try:
        model = champion(config)
        found = source.find_alerts([alert_id])
        if found.empty:
            return None, None, None
        return float(score(model, found.iloc[[-1]])[0]), float(model.threshold), str(model.metadata.get("model_id"))
    except (ReviewError, SourceError):
        return None, None, None


def give(config: Config, alert_id: str, label: str, *, actor: str, comment: str = "", policy: str | None = None,
         score_info: tuple[float, float, str] | None = None) -> VerdictResult:
    """Record ``actor``'s verdict on ``alert_id``; see the module docstring.

    ``score_info`` (score, threshold, model id) is what the queue showed;
    without it the champion scores the alert now. Raises ValueError for a bad
    label, ReviewError for an unknown alert or a source that takes no
    verdicts, and OSError when the models folder cannot record it.
    """
    label = check_label(label)
    alert_id = str(alert_id).strip()
    if not alert_id:
        raise ValueError("the alert id is empty: give the id `cla review next` lists")
    try:
        source = _writable_source(config)
    except SourceError as exc:
        raise ReviewError(str(exc)) from None
    retried, _ = retry(config, source)
    verdict = {"alert_id": alert_id, "label": label, "actor": actor, "triaged_at": now_iso(),
               "comment": comment or "", "policy": policy}
    try:
        _write(config, source, verdict)
        written, message = True, f"{LABELS[label]} recorded for {alert_id} in {source.describe()} by {actor}"
    except SourceError as exc:
        written = False
        message = (f"{source.describe()} cannot take the verdict on {alert_id} now ({exc}); it is kept in "
                   f"{Ledger.of(config).layout.review_outbox} and retried with the next verdict")
        Ledger.of(config).keep({**verdict, "reason": str(exc)})
    if score_info is None:
        score_info = _score_of(config, alert_id, source)
    entry_score, threshold, model_id = score_info
    ledger = Ledger.of(config)
    entry = ledger.append({"action": "verdict", **verdict, "written": written, "score": entry_score,
                           "threshold": threshold, "model_id": model_id})
    refresh_summary(ledger, config)
    scored = (f"; champion score {entry_score:.6g}, threshold {threshold:.6g}"
              if entry_score is not None and threshold is not None else "")
    where = "" if written else "; kept in the outbox: the source cannot take it now"
    _record(config, "verdict_given", actor, f"{LABELS[label]} on alert {alert_id}{_queue_words(policy)}{scored}{where}",
            alert_id, model_id, label=label, policy=policy, score=entry_score, threshold=threshold, written=written,
            comment=comment or None)
    return VerdictResult(written, message, entry, retried)


def skip(config: Config, alert_id: str, *, actor: str, policy: str | None = None) -> None:
    """Hide ``alert_id`` from ``actor``'s queues without a verdict."""
    Ledger.of(config).append({"action": "skip", "alert_id": str(alert_id), "actor": actor, "policy": policy})
    _record(config, "alert_skipped", actor, f"alert {alert_id} skipped{_queue_words(policy)} without a verdict",
            str(alert_id), policy=policy)


def undo_last(config: Config, *, actor: str) -> dict[str, Any]:
    """Take back ``actor``'s last verdict (from the source, or from the outbox); returns its ledger entry.

    Raises ReviewError when there is nothing to undo or the source cannot take a verdict back.
    """
    ledger = Ledger.of(config)
    mine = [v for v in ledger.verdicts() if v.get("actor") == actor]
    if not mine:
        raise ReviewError(f"{actor} has no verdict to undo")
    last = mine[-1]
    waiting = ledger.outbox()
    in_outbox = [v for v in waiting if (v.get("alert_id"), v.get("triaged_at")) == (last["alert_id"], last["triaged_at"])]
    if in_outbox:
        ledger.set_outbox([v for v in waiting if v not in in_outbox])
    else:
        try:
            source = _writable_source(config)
            if not source.capabilities.retract:
                raise unsupported(source, "take a verdict back")
            source.retract_verdict(last["alert_id"], last["triaged_at"])
        except SourceError as exc:
            raise ReviewError(f"the verdict on {last['alert_id']} cannot be undone: {exc}") from None
    ledger.append({"action": "undo", "alert_id": last["alert_id"], "triaged_at": last["triaged_at"], "actor": actor})
    refresh_summary(ledger, config)
    _record(config, "verdict_undone", actor,
            f"{LABELS.get(last.get('label'), last.get('label'))} verdict on alert {last['alert_id']} taken back "
            f"(given {last['triaged_at']})", str(last["alert_id"]), last.get("model_id"), label=last.get("label"),
            triaged_at=last["triaged_at"])
    return last
