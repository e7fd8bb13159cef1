"""The registry as tables: plain pandas shaping for the Models page and the model pickers.

:func:`records` turns ``Registry.list_models()`` summaries into dicts;
:func:`models_frame` makes one row per readable model (numbers stay numbers,
missing stays NaN, so sorting works), :func:`problem_frame` lists the files
that are not models (incomplete or unreadable); :func:`filter_models`,
:func:`sort_models` and :func:`page_of` do what the Models page's controls ask.
No Streamlit here: the page renders what these return.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Any, Iterable

import pandas as pd

from dashboard.formatting import model_times, number
from trainer.learning import SEVERITY_WORDS, shown

LEGACY_FLAG = "no PR-AUC (legacy)"
UNSIGNED_FLAG = "unsigned: not loaded without --allow-unsigned"
NUMERIC_COLUMNS = {"PR-AUC": "pr_auc", "F1": "f1_score", "precision": "precision", "recall": "recall",
                   "accuracy": "accuracy", "ROC-AUC": "roc_auc", "threshold": "threshold",
                   "training rows": "training_samples", "test rows": "test_samples"}
COLUMNS = ["mark", "model", "trained (UTC)", "useful", "PR-AUC", "F1", "precision", "recall", "warnings", "promotion",
           "accuracy", "ROC-AUC", "threshold", "training rows", "test rows"]


def records(summaries: Iterable[Any]) -> list[dict]:
    """Each summary as a plain dict (summaries may be dicts or dataclasses).

    A shallow copy: ``dataclasses.asdict`` deep-copies every field, which took
    most of a second for 10,000 summaries on each registry change.
    """
    out = []
    for summary in summaries:
        if dataclasses.is_dataclass(summary):
            out.append({f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)})
        else:
            out.append(dict(summary))
    return out


def is_model(record: dict) -> bool:
    """True for a readable pair; incomplete and unreadable files are listed apart, never as models."""
    return record.get("status", "ok") == "ok"


def warning_codes(record: dict) -> list[str]:
    """The warning codes of a summary or a metrics dict (warnings may be codes or ``{"code": ...}`` dicts)."""
    codes = []
    for item in record.get("warnings") or record.get("warning_codes") or []:
        code = item.get("code") if isinstance(item, dict) else item
        if code:
            codes.append(str(code))
    return codes


def decision_of(record: dict) -> str | None:
    """The stored promotion decision ("promoted", "rejected", ...) or None."""
    decision = record.get("promotion")
    if isinstance(decision, dict):
        decision = decision.get("decision")
    return decision or record.get("promotion_decision") or None


def useful_text(value: Any) -> str:
    if value is None:
        return "unknown"
    return "yes" if value else "no"


def champion_history(events: Iterable[dict]) -> dict[str, list[str]]:
    """What people did to each model's champion status after the trainer decided, oldest first.

    A ``promoted`` event without a ``decision`` in its details is a promotion
    by hand ("promoted by ann"); ``rolled_back`` restores its model ("restored
    by rollback (bob)") and removes the champion it replaced ("rolled back by
    bob"). The trainer's own promotions are its stored decision, not repeated.
    """
    history: dict[str, list[str]] = {}
    for event in events:
        kind, model_id = event.get("event"), event.get("model_id")
        details = event.get("details") if isinstance(event.get("details"), dict) else {}
        actor = event.get("actor") or "unknown"
        if kind == "promoted" and model_id and not details.get("decision"):
            history.setdefault(str(model_id), []).append(f"promoted by {actor}")
        elif kind == "rolled_back" and model_id:
            history.setdefault(str(model_id), []).append(f"restored by rollback ({actor})")
            if details.get("previous"):
                history.setdefault(str(details["previous"]), []).append(f"rolled back by {actor}")
    return history


def rejection_reason(model_id: str, events: Iterable[dict]) -> str | None:
    """Why the trainer kept ``model_id`` out (its newest ``rejected`` event's message), or None."""
    reasons = [e.get("message") for e in events if e.get("event") == "rejected" and str(e.get("model_id")) == model_id]
    return str(reasons[-1]) if reasons and reasons[-1] else None


def promotion_text(record: dict, history: dict[str, list[str]]) -> str:
    """The trainer's decision, then what people did since: "rejected → promoted by ann"."""
    steps = [(decision_of(record) or "unknown").replace("_", " ")]
    return " → ".join(steps + history.get(str(record.get("model_id")), []))


def models_frame(rows: Iterable[dict], events: Iterable[dict] = ()) -> pd.DataFrame:
    """One row per readable model, newest first, with the columns in :data:`COLUMNS`.

    ``mark`` is "★ champion", "⚑ pinned", both, or empty, with the verdict
    when a checked model fails its signature check ("★ champion ⚠ tampered");
    ``warnings`` joins the codes, blocking ones first, and flags legacy pairs
    with :data:`LEGACY_FLAG` and other unsigned ones with :data:`UNSIGNED_FLAG`;
    ``promotion`` is :func:`promotion_text` with the event log's ``events``.
    """
    rows = [record for record in rows if is_model(record)]
    history = champion_history(events)
    table = []
    for record in rows:
        marks = (["★ champion"] if record.get("is_champion") else []) + (["⚑ pinned"] if record.get("pinned") else [])
        if record.get("integrity_reason"):
            marks.append(f"⚠ {record.get('integrity')}")
        order = {word: rank for rank, word in enumerate(SEVERITY_WORDS)}
        shown_warnings = sorted((shown(c, useful=record.get("useful")) for c in warning_codes(record)
                                 if c != "legacy_metrics"), key=lambda w: order[w["severity"]])
        codes = [w["title"] if w["severity"] == "warning" else f"{w['title']} ({w['severity']})"
                 for w in shown_warnings]
        if record.get("legacy"):
            codes.insert(0, LEGACY_FLAG)
        elif record.get("signed") is False:
            codes.insert(0, UNSIGNED_FLAG)
        row = {"mark": " ".join(marks), "model": str(record.get("model_id"))}
        row.update({column: number(record.get(key)) for column, key in NUMERIC_COLUMNS.items()})
        row.update({"useful": useful_text(record.get("useful")), "warnings": ", ".join(codes),
                    "promotion": promotion_text(record, history)})
        table.append(row)
    frame = pd.DataFrame(table, columns=[c for c in COLUMNS if c != "trained (UTC)"])
    frame.insert(2, "trained (UTC)", model_times(rows) if rows else pd.Series(dtype="datetime64[ns, UTC]"))
    frame = frame[COLUMNS]
    return frame.sort_values(["trained (UTC)", "model"], ascending=False, kind="stable").reset_index(drop=True)


def problem_frame(rows: Iterable[dict], problems: Iterable[str] = ()) -> pd.DataFrame:
    """Files that are not usable models: ``file``, ``status``, ``problem``.

    Built from summaries whose status is not ``ok`` and from the registry's
    free-text ``problems()`` (an unreadable champion pointer, a bad event
    line); a problem that repeats a listed file's error is not repeated.
    """
    table = []
    for record in rows:
        if is_model(record):
            continue
        table.append({"file": str(record.get("file") or record.get("model_id")), "status": str(record.get("status")),
                      "problem": str(record.get("error") or "unknown")})
    listed = {row["problem"] for row in table}
    table += [{"file": "", "status": "problem", "problem": str(text)} for text in problems if str(text) not in listed]
    return pd.DataFrame(table, columns=["file", "status", "problem"])


def filter_models(frame: pd.DataFrame, *, text: str = "", useful_only: bool = False, start: date | None = None,
                  end: date | None = None) -> pd.DataFrame:
    """Rows matching every filter: ``text`` (case-insensitive, in id, marks, warnings or promotion; a warning's
    code as the CLI's JSON spells it, ``predicts_one_class``, finds its words too), ``useful_only``, and the
    inclusive UTC date range ``start``..``end``."""
    keep = pd.Series(True, index=frame.index)
    needle = text.strip().lower()
    if needle:
        haystack = (frame["model"] + " " + frame["mark"] + " " + frame["warnings"] + " " + frame["promotion"]).str.lower()
        keep &= (haystack.str.contains(needle, regex=False)
                 | haystack.str.contains(needle.replace("_", " "), regex=False))
    if useful_only:
        keep &= frame["useful"] == "yes"
    if start is not None:
        keep &= frame["trained (UTC)"] >= pd.Timestamp(start, tz="UTC")
    if end is not None:
        keep &= frame["trained (UTC)"] < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    return frame[keep].reset_index(drop=True)


def sort_models(frame: pd.DataFrame, column: str, *, descending: bool = True) -> pd.DataFrame:
    """The frame sorted by ``column``; missing values always last. Raises KeyError for an unknown column."""
    if column not in frame.columns:
        raise KeyError(f"cannot sort by {column!r}; columns: {', '.join(frame.columns)}")
    return frame.sort_values(column, ascending=not descending, na_position="last", kind="stable").reset_index(drop=True)


def page_count(rows: int, page_size: int) -> int:
    """How many pages ``rows`` fill (at least one, so an empty table still has page 1)."""
    return max(1, math.ceil(rows / page_size))


def page_of(frame: pd.DataFrame, *, page: int, page_size: int) -> pd.DataFrame:
    """Rows of the 1-based ``page`` (clamped to the last page)."""
    page = min(max(1, page), page_count(len(frame), page_size))
    return frame.iloc[(page - 1) * page_size: page * page_size]


def model_label(record: dict) -> str:
    """How a model is named in pickers: its id, then champion / legacy / not useful marks."""
    marks = []
    if record.get("is_champion"):
        marks.append("champion")
    if record.get("pinned"):
        marks.append("pinned")
    if record.get("legacy"):
        marks.append("legacy")
    elif record.get("useful") is False:
        marks.append("not useful")
    return f"{record.get('model_id')}" + (f" ({', '.join(marks)})" if marks else "")
