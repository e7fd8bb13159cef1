"""Trends page: is the model learning? Scores of every model over time.

Lays out what :mod:`dashboard.charts` builds from the registry
(:mod:`dashboard.snapshot`): precision, recall, F1 and PR-AUC per training
(ROC-AUC and accuracy on demand), PR-AUC against its random-ranker baseline
(the positive rate), champion changes, and the training-set size, with
range and smoothing controls. The page reruns only when the watcher saw a
change (:func:`dashboard.snapshot.rerun_on_change`).
"""

from __future__ import annotations

import streamlit as st

from dashboard import charts, context, formatting, snapshot
from dashboard.snapshot import Snapshot, problem_notice, rerun_on_change, trend_frame

config = context.get_config()
shown = snapshot.snapshot()  # the registry as this run shows it; rerun_on_change compares the folder with it

st.title("Trends")
st.caption("Scores of each model on its own test set (the newest feedback at that training). "
           "A PR-AUC on the dotted line is no better than ranking alerts at random.")

RANGES = ["All models", "Last N models", "Date range"]
labels = {label: key for key, label in charts.METRIC_LABELS.items()}
# Every control sits in one popover: its widgets are drawn only once it is opened, so a new tab loads the
# chart without the widgets' scripts (drawn above the chart, the scores, range and smoothing controls cost the
# page about a tenth of its load time). What is in view is said under the chart.
options = st.popover("Scores, range and smoothing", icon=":material/tune:")
bounds = trend_frame(shown)["created_at"]
last_n = start = end = None
with options:
    picked_scores = st.pills(
        "Scores", list(labels), selection_mode="multi", key="trends_metrics",
        default=[charts.METRIC_LABELS[k] for k in charts.default_trend_metrics(shown.models)],
        help="ROC-AUC and accuracy on demand. Accuracy alone misleads when true positives are rare.")
    range_kind = st.segmented_control(
        "Range", RANGES, required=True, key="trends_range",
        default="Last N models" if charts.default_last_n(shown.models) else "All models",
        help=f"With more than {charts.MANY_MODELS} models the newest {charts.DEFAULT_LAST_N} are shown first.")
    if range_kind == "Last N models":
        last_n = int(st.number_input("N", min_value=1, value=charts.DEFAULT_LAST_N, step=50, key="trends_last_n"))
    elif range_kind == "Date range" and len(bounds):
        picked = st.date_input("Trained between (UTC)", value=(bounds.min().date(), bounds.max().date()),
                               key="trends_dates")
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked
    smoothing = st.toggle("Smooth", key="trends_smooth", help="Rolling statistic over the last few models.")
    if smoothing:
        how = st.selectbox("Statistic", ["median", "mean"], key="trends_how")
        window = st.slider("Window (models)", min_value=2, max_value=30, value=5, key="trends_window")


def why_trained(current: Snapshot, selected) -> str:
    """Why the models in view were trained, tallied ("Why they ran: 5 new verdicts, 1 drift")."""
    triggers = snapshot.training_triggers(current)
    reasons = selected["model_id"].astype(str).map(lambda m: triggers.get(m, "unknown (no training event in the log)"))
    tally = reasons.value_counts()
    return ("Why they ran (hover a point for each): " + ", ".join(f"{count} {reason}" for reason, count in
                                                                 tally.items()) + ".")


TABLE_FORMATS = {"training_samples": st.column_config.NumberColumn("training rows", format="%d"),
                 "created_at": st.column_config.DatetimeColumn("trained (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                 "model_id": st.column_config.TextColumn("model"),
                 "positive_rate": st.column_config.NumberColumn("positive rate", format="%.3f"),
                 "ran for": st.column_config.TextColumn("ran for")}


def show_trends(current: Snapshot) -> None:
    """The chart and its data, redrawn from the current snapshot."""
    frame = trend_frame(current)
    problem_notice(current)
    if frame.empty:
        st.info("No model yet: nothing to draw. Start the trainer or press Retrain now on the Overview page.")
        return
    if not picked_scores:
        st.info("Pick at least one score to draw.")
        return
    selected = charts.select_range(frame, last_n=last_n, start=start, end=end)
    if selected.empty:
        st.info("No model was trained in the selected range.")
        return
    metrics = tuple(labels[label] for label in picked_scores)
    view = {"last_n": last_n, "start": start, "end": end, "smoothing": (how, window) if smoothing else None}
    st.plotly_chart(snapshot.trends_figure(current, metrics, **view), width="stretch", key="trends_chart")

    legacy = int(selected["legacy"].sum())
    first, last = selected["created_at"].iloc[0], selected["created_at"].iloc[-1]
    st.caption(f"{len(selected)} of {len(frame)} models, trained {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
               + (f"; smoothed: rolling {how} over {window} models" if smoothing else "")
               + (f"; {legacy} legacy model(s) (old CLA files, no PR-AUC), ticked below the axis" if legacy else "")
               + ". Stars and thin light lines: a new champion, at its model's training time. "
               + why_trained(current, selected))
    newest = selected.iloc[-1]
    st.markdown(f"**Latest model {newest['model_id']}**"
                + (" (legacy file: no PR-AUC)" if newest["legacy"] else "") + ": "
                + ", ".join(f"{charts.METRIC_LABELS[m]} {formatting.fmt(newest[m])}" for m in charts.METRIC_LABELS)
                + f", positive rate {formatting.fmt(newest['positive_rate'])}, "
                + f"training rows {formatting.fmt(newest['training_samples'], 0)}.")
    # drawn only once opened: a closed expander's table would still load the table scripts into every new tab
    table = st.expander("Data behind the chart (newest 200 models)", key="trends_table", on_change="rerun")
    if table.open:
        drawn = snapshot.trend_view(current, metrics, **view).tail(200).iloc[::-1]
        triggers = snapshot.training_triggers(current)
        drawn = drawn.assign(**{"ran for": drawn["model_id"].astype(str).map(lambda m: triggers.get(m, "unknown"))})
        # the scores drawn, then what the reader needs beside them; flags and unseen scores stay out of the width
        columns = ["model_id", "created_at", *metrics, "positive_rate", "training_samples", "ran for"]
        formats = {**{m: st.column_config.NumberColumn(charts.METRIC_LABELS[m], format="%.3f") for m in metrics},
                   **TABLE_FORMATS}
        table.dataframe(drawn[columns], hide_index=True, width="stretch", placeholder="unknown",
                        column_config=formats)


show_trends(shown)
rerun_on_change(shown)
