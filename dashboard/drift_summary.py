"""The drift report as the dashboard reads it, and the one Overview line about it.

:func:`current_report` reads ``drift_report.json`` through
:func:`trainer.monitoring.report.read_report`, cached per file identity
(modification time and size), so pages never compute drift and re-read the
file only after the trainer service replaced it. :func:`summary` boils the
report down to one sentence and, when drift reaches a level or the live
recall falls below what the champion is held to, a warning (plain Python,
tested directly); :func:`render_overview_line` draws both on the Overview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import streamlit as st

from dashboard.formatting import ago
from trainer.contract.drift_report import DriftEvidence, DriftReport, HistoryEntry
from trainer.contract.events import TRAINING_OUTCOMES
from trainer.contract.layout import ModelsLayout
from trainer.monitoring import history, load_report, verdict


@st.cache_data(show_spinner=False, max_entries=8)
def _read(path: str, identity: tuple[int, int]) -> DriftReport | None:
    return load_report(ModelsLayout.of(path))


def current_report(layout: ModelsLayout) -> DriftReport | None:
    """The report in ``layout``'s models folder; None when there is none."""
    try:
        stat = layout.drift_report.stat()
    except OSError:
        return None
    return _read(str(layout.root), (stat.st_mtime_ns, stat.st_size))


@st.cache_data(show_spinner=False, max_entries=8)
def _read_history(path: str, identity: tuple[int, int]) -> list[HistoryEntry]:
    return history.read(ModelsLayout.of(path))


def drift_history(layout: ModelsLayout) -> list[HistoryEntry]:
    """Every drift report's line in ``layout``'s history, oldest first; empty when there is none."""
    try:
        stat = layout.drift_history.stat()
    except OSError:
        return []
    return _read_history(str(layout.root), (stat.st_mtime_ns, stat.st_size))


@dataclass(frozen=True)
class DriftRetrain:
    """A training the drift signal started: when (``at``), why, and how it ended (``outcome``, its model,
    its message as ``result``)."""

    at: Any
    message: str
    champion_id: str | None
    features: tuple[str, ...]
    outcome: str
    model_id: str | None
    result: str | None


def drift_retrains(events: list[dict[str, Any]]) -> list[DriftRetrain]:
    """Each training the drift signal started: when, why (the trigger's evidence) and what came of it.

    From the event log: a ``trigger`` event with trigger ``drift`` and the
    first training ending after it (finished, skipped or failed)."""
    out = []
    for i, event in enumerate(events):
        if event.get("event") != "trigger" or event.get("trigger") != "drift":
            continue
        ended = next((e for e in events[i + 1:] if e.get("event") in TRAINING_OUTCOMES), None) or {}
        evidence = DriftEvidence.from_json((event.get("details") or {}).get("evidence"))
        out.append(DriftRetrain(event.get("ts"), event.get("message") or evidence.message,
                                evidence.champion_id, tuple(f.feature for f in evidence.features),
                                str(ended.get("event", "")).removeprefix("training_") or "running",
                                ended.get("model_id"), ended.get("message")))
    return out


def num(value: Any, digits: int = 3) -> str:
    """A number for display, "unknown" when the report does not hold it."""
    return "unknown" if value is None else f"{value:.{digits}f}"


def share(value: Any) -> str:
    return "unknown" if value is None else f"{value:.1%}"


def summary(report: DriftReport | None, now: datetime | None = None) -> tuple[str, str | None]:
    """(one line about drift and live performance, a warning or None)."""
    if report is None:
        return ("Drift and live performance: unknown — no drift report yet (the trainer service writes one once a "
                "champion exists; `cla drift` computes one now)."), None
    try:
        when = datetime.fromisoformat(str(report.computed_at))
    except ValueError:
        when = None
    age = f"report {ago(when, now or datetime.now(timezone.utc))}" if when else "report time unknown"
    if report.error:
        return f"Drift and live performance: unknown — {report.error} ({age}).", None
    features = report.features
    top = features[0] if features else None
    said = verdict(report)
    flagged = [r for r in features if r.feature in said.flagged]
    if said.level == "unreliable":
        drift_text = (f"unreliable, too few recent alerts to judge ({said.recent_rows}, "
                      f"need {said.min_rows})")
    elif flagged:
        drift_text = ", ".join(f"{r.level} on {r.feature} (PSI {num(r.psi, 2)})" for r in flagged[:3])
    else:
        drift_text = f"none (largest PSI {num(top.psi, 2)} on {top.feature})" if top else "no features"
    live = report.live
    if live and live.overall.recall is not None:
        overall = live.overall
        low, high = overall.recall_interval
        live_text = (f"live recall {num(overall.recall)} [{num(low)}, {num(high)}] on {overall.verdicts} new "
                     f"verdicts (held to {num(live.recall_reference)})")
    else:
        live_text = "live recall unknown (no true positive among new verdicts yet)"
    line = f"Drift: {drift_text} · {live_text} · {age}, champion {report.champion_id}."
    warnings = []
    for level in ("major", "moderate"):
        names = [r.feature for r in flagged if r.level == level]
        if names:
            more = " and more" if len(names) > 3 else ""
            warnings.append(f"{level.capitalize()} drift on {', '.join(names[:3])}{more}")
    below = report.signals.performance
    if below:
        warnings.append(below.message)
    return line, (". ".join(warnings) + ". See the Drift page.") if warnings else None


def staleness(report: DriftReport | None, champion_id: str | None, fingerprint: str | None) -> str | None:
    """Why ``report`` no longer describes now, or None: another champion since, or feedback arrived since.

    ``champion_id`` is the champion the models folder names now (None: none);
    ``fingerprint`` the source's ``latest_change()`` now (None: unknown, not judged)."""
    if report is None or report.unreadable:
        return None
    computed = str(report.computed_at or "an unknown time").replace("T", " ")[:19]
    about = report.champion_id
    if about != champion_id and champion_id is not None:
        before = f"champion {about}" if about else "no champion"
        return (f"this report (computed {computed} UTC) is about {before}; the champion is now {champion_id}. "
                "The trainer service computes a new one at its next check")
    if fingerprint is not None and report.data_fingerprint not in (None, fingerprint) \
            and not report.error:
        return (f"feedback arrived since this report was computed ({computed} UTC): its recent alerts and verdicts "
                "are not the newest. The trainer service computes a new one every drift.interval_minutes while it "
                "runs")
    return None


def render_overview_line(layout: ModelsLayout, champion_id: str | None) -> None:
    """The Overview's drift line, and its warning when drift or live recall crosses its threshold.

    A report about another champion than the one in service is not shown as
    the champion's drift: the line says whose it is (issue 25: "no champion"
    beside a Champion tile naming one)."""
    report = current_report(layout)
    stale = staleness(report, champion_id, None)
    if stale:
        st.caption(f"Drift and live performance of champion {champion_id}: not known yet — {stale}.")
        return
    line, warning = summary(report)
    st.caption(line)
    if warning:
        st.warning(warning, icon=":material/warning:")
