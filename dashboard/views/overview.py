"""Overview page: is the model learning, is it useful, and the buttons to run it.

One ``run_every`` fragment redraws the learning-mode banner
(:func:`dashboard.banner.derive_banner`), the tiles, the controls
(:mod:`dashboard.controls`) and the warnings panel from three reads: the
trainer status (:func:`dashboard.controls.read_status`, a small file and two lock
probes), the registry facts (:func:`read_facts`: the shared snapshot
(:func:`dashboard.snapshot.snapshot`) boiled down by
:func:`dashboard.banner.registry_facts` once per pair, champion or event change
the watcher saw, for every session, so a new session with ten thousand models
pays milliseconds) and the feedback counts
(:func:`feedback_counts`, cached for a few seconds so a remote source is not
queried on every refresh). Whatever cannot be read is shown as
"unknown" with the reason; nothing is filled in.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import access, context, controls
from dashboard.banner import RegistryFacts, derive_banner, registry_facts
from dashboard.drift_summary import render_overview_line
from dashboard.formatting import absolute, ago, fmt, model_time, parse_iso
from dashboard.snapshot import full_metrics, snapshot
from dashboard.tables import decision_of, warning_codes
from trainer.contract import states
from trainer.contract.status import ServiceStatus
from trainer.folder import METRIC_NAMES, champion_slide
from trainer.learning import shown
from dashboard.review_panel import ReviewFacts, review_facts
from trainer.feedback import count_feedback, start_of_day
from trainer.service import last_training_time, when

FEEDBACK_TTL_SECONDS = 10
LEGACY_CODE = "legacy_metrics"
#: Material icons are drawn by Streamlit's own font; emoji such as ⛔ show as empty boxes without an emoji font
SEVERITY_ICONS = {"blocking": ":material/block:", "warning": ":material/warning:", "info": ":material/info:"}
SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}
BANNER_BOXES = {"success": st.success, "warning": st.warning, "error": st.error, "info": st.info}

config = context.get_config()


@st.cache_data(ttl=FEEDBACK_TTL_SECONDS, show_spinner=False)
def feedback_counts(source_key: str, since_iso: str | None, today_iso: str) -> dict[str, Any]:
    """Labelled rows, positives, rows new since ``since_iso`` and rows added since ``today_iso`` (UTC midnight).

    ``since_iso`` is :func:`last_training_read`, the moment the trainer's own
    new-row count starts from, and the count is the source's
    ``count_labelled(since)``, the same call the trainer makes: the tile and
    the trainer's status sentence differ only by what arrived between its
    check and this refresh.

    A source with nothing to read yet (``unavailable()``, e.g. a store not
    created) gives ``{"missing": sentence}``, not zeros.
    ``source_key`` (the source options as JSON) keys the cache; failures are
    returned as ``{"error": ...}`` and cached too, so a broken source is not
    asked again on every refresh.
    """
    try:
        counted = count_feedback(context.get_config(), since=parse_iso(since_iso) if since_iso else None,
                                 today=parse_iso(today_iso))
        return {"error": None, **counted}
    except Exception as exc:  # noqa: BLE001 - any source failure is shown as "unknown" with its message
        return {"error": f"{type(exc).__name__}: {exc}"}


def read_facts() -> RegistryFacts:
    """The registry facts of the shared snapshot, derived once per watcher-counted change for every session."""
    current = snapshot()
    return current.derive("overview_facts", lambda: registry_facts(current.rows, current.problems))


def last_training_read() -> datetime | None:
    """When the last training read its data: `trainer.service.triggers.last_training_time`, the trainer's own
    answer, once per snapshot (it reads the event log and checks signatures)."""
    current = snapshot()
    return current.derive("last_training_read", lambda: last_training_time(
        config.layout, key_file=config.model_key_path))


def latest_time(facts: RegistryFacts) -> datetime | None:
    if facts.latest is None:
        return None
    stamp = model_time(facts.latest)
    return None if pd.isna(stamp) else stamp.to_pydatetime()


def last_decision(status: ServiceStatus, facts: RegistryFacts) -> str | None:
    """The promotion decision stored with the model the last training wrote; None when it is not among the newest."""
    wanted = (status.last_result.model_id if status.last_result is not None else None) or ""
    for record in facts.newest if wanted else []:
        if str(record.get("model_id")) == wanted:
            return decision_of(record)
    return None


def tile(label: str, value: str, caption: str, *, help: str | None = None) -> None:
    with st.container(border=True):
        st.metric(label, value, help=help)
        st.caption(caption)


def draw_tiles(status: ServiceStatus, facts: RegistryFacts, feedback: dict) -> None:
    champion = facts.champion
    last = latest_time(facts)
    row_one = st.columns(3)
    row_two = st.columns(3)
    with row_one[0]:
        broken = len(facts.broken)
        tile("Models trained", f"{facts.count:,}",
             f"{broken} file(s) unreadable or incomplete" if broken else "readable model pairs in the folder")
    with row_one[1]:
        if facts.latest is None:
            tile("Last training", "never", "no readable model in this folder")
        else:
            tile("Last training", ago(last), absolute(last))
    with row_one[2]:
        state = status.state or "unknown"
        stage = status.stage
        value = f"{state} · {stage}" if state == states.TRAINING and stage and stage != state else state
        pid = status.service_pid or status.pid
        tile("Trainer", value, (f"pid {pid} · " if status.running and pid else "") + (status.message or ""))
    with row_two[0]:
        next_check = parse_iso(status.next_check) if status.running else None
        if next_check:
            due = next_check <= datetime.now(timezone.utc)
            tile("Next scheduled check", "due now" if due else ago(next_check), absolute(next_check))
        elif status.state == states.TRAINING:
            tile("Next scheduled check", "none", "a training is running")
        elif not status.running:
            tile("Next scheduled check", "none", "the trainer is not running")
        else:
            tile("Next scheduled check", "none", "not scheduled yet")
    with row_two[1]:
        integrity = champion.get("integrity") if champion else "unreadable"
        if facts.champion_problem and integrity != "unsigned":
            tile("Champion", str(integrity), facts.champion_problem)
        elif champion:
            value = f"PR-AUC {fmt(champion.get('pr_auc'))}"
            legacy = " · legacy file: no PR-AUC recorded" if champion.get("legacy") else ""
            legacy += " · unsigned: not loaded without --allow-unsigned" if integrity == "unsigned" else ""
            tile("Champion", value,
                 f"F1 {fmt(champion.get('f1_score'))} · recall {fmt(champion.get('recall'))} "
                 f"at threshold {fmt(champion.get('threshold'))} · {champion.get('model_id')}{legacy}")
        else:
            tile("Champion", "none", "no model has been promoted")
    with row_two[2]:
        if feedback.get("error"):
            tile("Feedback available", "unknown", f"the feedback source cannot be read: {feedback['error']}")
        elif feedback.get("missing"):
            tile("Feedback available", "no store", feedback["missing"])
        else:
            positives, labelled = feedback["positives"], feedback["labelled"]
            days = config.source.window_days
            window = f"in the last {days} days, the window the trainer reads" if days else "no time window"
            why = (" The window moves with the clock, so old rows drop out without new data; `cla feedback stats` "
                   "counts the whole store." if days else "")
            since = last_training_read()
            since_text = (f"{feedback['new']:,} new since the last training read its data ({when(since)}), "
                          "counted now" if since else f"{feedback['new']:,} new (no training has read any yet)")
            tile("Feedback available", f"{labelled:,} labelled",
                 f"{window} · " + (f"{positives:,} {feedback['positives_note']}" if positives is not None
                  else f"true positives unknown ({feedback['positives_note']})") + " · "
                 f"{since_text}{used_by_last_training(facts)}{source_mismatch(facts, feedback['source'])}",
                 help=f"{feedback['source']}; positives: {feedback['positives_note']}.{why}")


def latest_block(facts: RegistryFacts, key: str) -> Any:
    """One key of the newest model's metrics file; None when there is no model or its file cannot be read."""
    if facts.latest is None:
        return None
    try:
        return full_metrics(str(facts.latest.get("model_id"))).get(key)
    except Exception:  # noqa: BLE001 - an unreadable file is reported in the warnings panel
        return None


def used_by_last_training(facts: RegistryFacts) -> str:
    """A caption tail: how many of the rows it read the newest model was trained on, and where the rest went.

    The tile counts labelled rows; the trainer keeps one verdict per alert (the
    latest) and quarantines malformed rows, so the two numbers differ; the
    metrics file's ``data_quality`` block says by how much.
    """
    quality = latest_block(facts, "data_quality")
    if not isinstance(quality, dict) or quality.get("rows_used") is None:
        return ""
    read = int(quality.get("rows_read") or 0) - int(quality.get("unlabelled") or 0)
    dropped = [f"{int(quality.get(key) or 0):,} {words}" for key, words in (
        ("duplicates_removed", "older verdicts on a re-graded alert"), ("quarantined", "quarantined"),
        ("below_min_confidence", "below the minimum confidence")) if int(quality.get(key) or 0)]
    return (f" · the newest model trained on {int(quality['rows_used']):,} of the {read:,} labelled rows it read"
            + (f" ({', '.join(dropped)} left out)" if dropped else ""))


def source_mismatch(facts: RegistryFacts, configured: str) -> str:
    """A caption tail when the folder's newest model was not trained on the configured source (empty when it was).

    The tile counts the configured source; a folder of models from elsewhere
    (old CLA pairs, another store) must not read as if those counts fed them.
    """
    if facts.latest is None:
        return ""
    source = latest_block(facts, "source")
    trained_on = source.get("description") if isinstance(source, dict) else None
    if not trained_on:
        return f" · {configured}: this folder's newest model does not record which feedback it was trained on"
    if trained_on != configured:
        return f" · {configured}: this folder's newest model was trained on {trained_on} instead"
    return ""


def draw_review_tiles(review: ReviewFacts, feedback: dict) -> None:
    """Verdicts that reached the source today and the audit estimate of production recall (dashboard.review_panel)."""
    left, right, _ = st.columns(3)
    with left:
        today = feedback.get("today")
        known = today is not None and not feedback.get("error") and not feedback.get("missing")
        tile("Verdicts today", f"{today:,}" if known else "unknown",
             ("labelled rows added to the feedback source since 00:00 UTC, from any path (analysts' tools, an import, "
              "a demo feed) · " if known else "the feedback source cannot be counted · ")
             + f"{review.verdicts_today} of them through the review queue · {review.verdicts_caption}")
    with right:
        tile("Production recall (audit)", review.recall_value, review.recall_caption)


def model_warnings(record: dict | None, role: str) -> list[tuple[str, str]]:
    """(severity, sentence) for one model's stored warnings; codes only when its file cannot be re-read."""
    if not record:
        return []
    model_id = record.get("model_id")
    out = []
    if record.get("legacy"):
        out.append(("info", f"{role} {model_id}: old CLA metrics file, no PR-AUC recorded; "
                            "judged on F1 and recall only"))
    try:
        stored = full_metrics(str(model_id)).get("warnings") or []
    except Exception as exc:  # noqa: BLE001 - fall back to the summary's codes, and say the file failed
        return out + [("warning", f"{role} {model_id}: its metrics file cannot be re-read ({exc}); "
                                  f"warning codes: {', '.join(warning_codes(record)) or 'none'}")]
    for item in stored:
        if isinstance(item, dict) and item.get("code") == LEGACY_CODE:
            continue
        warning = shown(item, useful=record.get("useful"))
        out.append((warning["severity"], f"{role} {model_id}: {warning['message']}"))
    return out


def champion_slide_sentence(facts: RegistryFacts) -> str | None:
    """`trainer.folder.promotion_rules.champion_slide` over the champions in the order they served (pointer history)."""
    if not facts.champion:
        return None
    current = snapshot()
    champion_id = str(facts.champion.get("model_id"))

    def slide() -> str | None:  # once per snapshot: the live fragment reruns every refresh, the models rarely change
        metric = config.promotion.metric
        values = {str(row.get("model_id")): row.get(metric) for row in current.models}
        order = [*reversed(current.history), champion_id]
        lineage = [(model_id, values.get(model_id)) for model_id in order if model_id in values]
        return champion_slide(lineage, bound=config.promotion.min_absolute_change,
                              label=METRIC_NAMES.get(metric, metric))

    return current.derive(f"champion_slide_{champion_id}", slide)


def draw_warnings(status: ServiceStatus, facts: RegistryFacts, feedback: dict) -> None:
    champion, latest = facts.champion, facts.latest
    items = model_warnings(champion, "champion")
    if latest and (not champion or latest.get("model_id") != champion.get("model_id")):
        items += model_warnings(latest, "latest model")
    broken = [str(row.get("error") or row.get("problem") or "cannot be read") for row in facts.broken]
    for row, why in zip(facts.broken, broken):
        name = str(row.get("file") or row.get("model_id"))
        items.append(("warning", why if name in why else f"{name} is {row.get('status')}: {why}"))
    items += [("warning", problem) for problem in facts.problems if problem not in broken]
    slide = champion_slide_sentence(facts)
    if slide:
        items.append(("warning", slide))
    watcher = context.get_watcher()
    if watcher.error:
        items.append(("warning", f"live updates: {watcher.error}" + ("" if watcher.alive else
                                                                   "; pages show what they read at each refresh")))
    if status.stale:
        items.append(("warning", str(status.message)))
    if feedback.get("error"):
        items.append(("warning", f"feedback source: {feedback['error']}"))
    if feedback.get("missing"):
        items.append(("warning", f"feedback source: {feedback['missing']}"))
    items.sort(key=lambda item: SEVERITY_ORDER.get(item[0], 1))  # stable: the most severe first
    alarms = sum(1 for severity, _ in items if severity != "info")
    notes = len(items) - alarms
    # information (a useful model's imbalance, a legacy file) is listed but does not open the panel or count as one
    label = f"Warnings ({alarms})" + (f" · {notes} note{'s' if notes != 1 else ''}" if notes else "")
    with st.expander(label, expanded=bool(alarms)):
        if not items:
            st.caption("No warning on the champion, the latest model, the folder or the feedback source.")
        for severity, sentence in items:
            st.markdown(f"{SEVERITY_ICONS.get(severity, SEVERITY_ICONS['warning'])} **{severity}** · {sentence}")


@st.fragment(run_every=config.dashboard.refresh_seconds)
def live_overview() -> None:
    """Banner, tiles, controls and warnings, from the current status, registry facts and feedback counts."""
    status = controls.read_status()
    facts = read_facts()
    since = last_training_read()
    feedback = feedback_counts(json.dumps(asdict(config.source), sort_keys=True, default=str),
                               since.isoformat() if since else None, start_of_day().isoformat())
    store_empty = None if feedback.get("error") else bool(feedback.get("missing")) or feedback["labelled"] == 0
    banner = derive_banner(status, facts.champion, facts.newest, store_empty=store_empty,
                           champion_problem=facts.champion_problem, facts=facts)
    BANNER_BOXES[banner.level](f"**LEARNING MODE: {banner.state}** — {banner.reason}")
    # the buttons and the last result right under the banner: above the fold at 1280 x 800
    controls.render(status, decision=last_decision(status, facts))
    review = review_facts(config, facts.champion)
    if review.below_target:
        st.warning(review.below_target, icon=":material/troubleshoot:")
    draw_tiles(status, facts, feedback)
    draw_review_tiles(review, feedback)
    render_overview_line(config.layout, (facts.champion or {}).get("model_id"))
    draw_warnings(status, facts, feedback)


st.title("Overview")
access.login_panel(config)
live_overview()
