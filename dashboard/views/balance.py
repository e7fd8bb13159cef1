"""Class balance page: how rare are true positives, and what does that do to the models?

Lays out, from the registry (:mod:`dashboard.snapshot`) through
:mod:`dashboard.charts` and :mod:`dashboard.explanations`: each model's share
of true positives in its training window (the set the severe-imbalance
warning checks) against the warning's threshold, with the test set's dotted,
the latest model's class counts per named set, its imbalance ratio, what the
trainer did about it and what would help (:mod:`dashboard.imbalance`), and every
warning of that model in plain words (computed from the confusion counts for
a legacy file). The page reruns when the watcher saw a change
(:func:`dashboard.snapshot.rerun_on_change`).
"""

from __future__ import annotations

import math
import re

import streamlit as st

from dashboard import balance_charts, charts, context
from dashboard.explanations import findings, warning_tally
from dashboard.imbalance import WINDOW, WINDOW_NOTE, advice, setting_help
from dashboard.snapshot import (Snapshot, balance_figure, balance_frame, full_metrics, problem_notice, rerun_on_change,
                                snapshot)

config = context.get_config()
THRESHOLD_SETTING = "training.severe_imbalance_share"
TALLY_KEY = "balance_tally_open"
FINDINGS_KEY = "balance_findings_open"
warn_share = config.training.severe_imbalance_share
#: how far the newest feedback's true-positive share may be from the training window's before the page says so
SHIFT_FACTOR = 1.5

st.title("Class balance")
st.caption(f"True positives are usually rare. Below {warn_share:.0%} of the {WINDOW} ({WINDOW_NOTE}) the trainer "
           "warns of severe imbalance: accuracy stops meaning anything there, a model that calls every alert benign "
           "still scores high.", help=setting_help(THRESHOLD_SETTING))


def without_pointer_here(message: str) -> str:
    """A stored sentence without its "see the Class balance page" tail: the reader is on that page."""
    return re.sub(r"[;:,]?\s*(the Class balance page says[^.;]*|see [^.;]*Class balance page)", "", message)


def finding_text(finding: dict) -> str:
    """One warning in plain words: its name, severity and meaning, and where it was derived when not stored."""
    text = f"**{finding['title']}** ({finding['severity']}): {without_pointer_here(finding['message'])}"
    return text + (f" _({finding['source']})_" if finding["source"] != "stored" else "")


def prevalence_shift(counts) -> str | None:
    """A sentence when the newest feedback (the test set) holds a share of true positives far from the window's.

    "Far" is a factor of :data:`SHIFT_FACTOR` either way: the threshold was
    chosen on the window's mix, so a model meets a different base rate than
    the one it learned.
    """
    window = balance_charts.true_positive_share(counts, WINDOW)
    newest = balance_charts.true_positive_share(counts, charts.CLASS_SETS["test"])
    if math.isnan(window) or math.isnan(newest) or window == 0 or newest == 0:
        return None
    factor = newest / window
    if 1 / SHIFT_FACTOR < factor < SHIFT_FACTOR:
        return None
    direction = "more" if factor > 1 else "less"
    return (f"The newest feedback (the test set) holds {newest:.1%} true positives, {max(factor, 1 / factor):.1f} "
            f"times {'the' if factor > 1 else 'fewer than the'} {window:.1%} of the {WINDOW}: attacks are {direction} "
            "frequent now than in what the model learned from, and its threshold was chosen on the older mix. "
            "Watch recall and precision on the Drift page's live performance.")


def show_balance(current: Snapshot) -> None:
    """Every section of the page, redrawn from the current snapshot."""
    problem_notice(current)
    latest = current.latest()
    if latest is None:
        st.info("No model yet: class counts appear after the first training. Start the trainer or press "
                "Retrain now on the Overview page.")
        return

    st.subheader(f"Share of true positives in each model's {WINDOW}")
    rates = balance_frame(current)
    st.plotly_chart(balance_figure(current, warn_share), width="stretch", key="balance_rate_chart")
    known = rates["window_share"].dropna()
    below = int((known < warn_share).sum())
    counted = (f"{below} of {len(known)} models are below it" if len(known) else
               "no model here records it yet (files written before it was stored; the next training will)")
    st.caption(f"The set the warning checks: each model's {WINDOW} ({WINDOW_NOTE}), against the "
               f"{warn_share:.0%} threshold (dashed); {counted}"
               + (f", the latest at {known.iloc[-1]:.1%}" if len(known) else "")
               + (f"; {len(rates) - len(known)} older files do not record it" if len(known) < len(rates) else "")
               + (f"; the newest {balance_charts.CHART_MODELS} of {len(current.models):,} models are drawn"
                  if len(current.models) > balance_charts.CHART_MODELS else "")
               + ". Dotted: the test set (the newest feedback), which the warning does not check.")

    # the champion is the model in service: the page describes it, and names the latest when that is another one
    described = next((row for row in current.models if str(row.get("model_id")) == str(current.champion_id)), None)
    model_id = str((described or latest)["model_id"])
    if described is not None:
        st.subheader(f"Class counts of the champion, {model_id}")
        if str(latest["model_id"]) != model_id:
            st.caption(f"The latest model, {latest['model_id']}, is not the champion; Model detail shows its counts.")
    else:
        st.subheader(f"Class counts of the latest model, {model_id} (there is no champion)")
    try:
        metrics = full_metrics(model_id)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is shown, never fatal
        st.error(f"The metrics file of {model_id} cannot be read: {exc}")
        return
    counts = balance_charts.class_counts_frame(metrics)
    if counts["count"].notna().any():
        st.table(balance_charts.class_counts_table(counts))
        st.caption(balance_charts.fit_caption(metrics))
    else:
        st.info(f"Class counts unknown: the metrics file of {model_id} records no class or confusion counts.")

    window = balance_charts.imbalance(counts, WINDOW)
    test = balance_charts.imbalance(counts, charts.CLASS_SETS["test"])
    measured, basis = (window, WINDOW) if not math.isnan(window["share"]) else (test, "test set")
    # the share and ratio are the table's (one number per named set); this box says which set the warning reads
    ratio = balance_charts.ratio_text(measured["ratio"])
    ratio = ratio if math.isinf(measured["ratio"]) else f"imbalance ratio {ratio}"
    # the newest feedback's shift, when there is one, goes in the same box (amber): one box drawn, not two
    moved = prevalence_shift(counts)
    tail = f"\n\n{moved}" if moved else ""
    if math.isnan(measured["share"]):
        st.info("This file records no class counts, so the imbalance is unknown.")
    elif measured["share"] < warn_share:
        said = advice(metrics, warn_share)
        text = (f"**Severe imbalance**: the minority class ({measured['minority']}) is {measured['share']:.1%} of the "
                f"{basis} ({ratio}), below the {warn_share:.0%} threshold.\n\n{said['did']}\n\n"
                f"{said['useful']}\n\n{said['helps']}")
        # amber only when the model is not (known to be) useful, or the newest feedback moved: a warning that
        # fires on every healthy model is ignored
        (st.info if said["useful_flag"] and not moved else st.warning)(text + tail)
    else:
        (st.warning if moved else st.success)(
            f"The minority class ({measured['minority']}) is {measured['share']:.1%} of the {basis} ({ratio}), at or "
            f"above the {warn_share:.0%} threshold.{tail}")

    st.subheader("What the warnings mean")
    explained = findings(metrics, severe_imbalance_share=warn_share,
                         min_test_positives=config.training.min_test_positives)
    if not explained:
        st.success(f"Model {model_id} carries no warning.")
    # a blocking warning is shown as it is; the others are named here and explained once their expander is
    # opened: a new tab then draws one line, not a box per warning (each box cost it some of its load time)
    blocking = [finding for finding in explained if finding["severity"] == "blocking"]
    others = [finding for finding in explained if finding["severity"] != "blocking"]
    for finding in blocking:
        st.error(finding_text(finding))
    if others:
        named = ", ".join(f"{finding['title']} ({finding['severity']})" for finding in others)
        box = st.expander(f"{'Other warnings' if blocking else 'Warnings'} of {model_id}: {named} (open for what "
                          f"each means)", key=FINDINGS_KEY, on_change="rerun")
        if box.open:
            for finding in others:
                {"warning": box.warning}.get(finding["severity"], box.info)(finding_text(finding))

    # counted over every model only once asked for: the count costs a new tab its time, not just its drawing
    across = st.expander(f"Warnings across all {len(current.models):,} models", key=TALLY_KEY, on_change="rerun")
    if across.open:
        tally = current.derive("warning_tally", lambda: warning_tally(
            current.models, severe_imbalance_share=warn_share, min_test_positives=config.training.min_test_positives))
        if tally.empty:
            across.success("No model carries a warning.")
        else:
            across.table(tally.set_index("warning"))


shown = snapshot()
show_balance(shown)
rerun_on_change(shown)
