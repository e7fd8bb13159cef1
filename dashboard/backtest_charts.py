"""The Backtest page's frames and figures, from a backtest report (``trainer.backtest.read_report``).

:func:`summary_frame` is one row per contender; :func:`step_frame` one row per
step and contender with the running totals a person compares at a glance
(true positives missed, alerts skipped); :func:`training_frame` CLA's trainings
with their trigger and promotion. The figures draw those frames; CLA's
trainings are marked on the PR-AUC chart. Text from the report reaches Plotly
escaped. No Streamlit here.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import fmt, number, percent
from trainer.backtest import BacktestReport

CONTENDER_LABELS = {"cla": "CLA (its own policy)", "static": "first champion, never retrained",
                    "old_recipe": "old recipe, retrained every step", "online": "online learner (River)"}
CONTENDER_COLORS = {"cla": "#009E73", "static": "#999999", "old_recipe": "#D55E00", "online": "#56B4E9"}
PROMOTED = ("promoted", "first_champion")


def label_of(name: str) -> str:
    return CONTENDER_LABELS.get(name, name)


def summary_frame(report: BacktestReport) -> pd.DataFrame:
    """One row per contender: mean step PR-AUC, pooled recall and alerts skipped at its own threshold, alerts
    skippable at the recall target, true positives missed, steps at the target, seconds (text)."""
    rows = []
    for name, block in report.contenders.items():
        scored = block.steps_scored
        rows.append({"contender": label_of(name), "PR-AUC (mean of steps)": fmt(block.pr_auc),
                     "recall": fmt(block.recall), "alerts skipped": percent(block.skipped),
                     "skippable at the target": percent(block.skippable_at_target),
                     "true positives missed": fmt(block.missed, 0),
                     "steps at the target": f"{block.steps_at_target or 0} of {scored}" if scored else "unknown",
                     "seconds": fmt(block.seconds, 1)})
    return pd.DataFrame(rows)


def step_frame(report: BacktestReport) -> pd.DataFrame:
    """One row per step and contender: ``start``, ``contender``, ``pr_auc``, ``recall``, ``missed``,
    ``skipped`` (alerts), ``alerts``, and the running ``missed_total`` and ``skipped_share`` (of the alerts
    scored so far). A step a contender could not score yet (no model) has NaN, and adds nothing to its totals."""
    rows = []
    for step in report.per_step:
        for name in report.contenders:
            block = step.contenders.get(name)
            if block is None:
                continue
            rows.append({"start": pd.Timestamp(step.start), "contender": name,
                         "pr_auc": number(block.pr_auc), "recall": number(block.recall),
                         "missed": number(block.missed), "alerts": number(block.rows),
                         "skipped": number(block.rows) - number(block.flagged)})
    frame = pd.DataFrame(rows, columns=["start", "contender", "pr_auc", "recall", "missed", "alerts", "skipped"])
    if frame.empty:
        return frame.assign(missed_total=[], skipped_share=[])
    grouped = frame.groupby("contender", sort=False)
    frame["missed_total"] = grouped["missed"].cumsum()
    scored = frame["alerts"].where(frame["skipped"].notna(), 0.0)
    frame["skipped_share"] = grouped["skipped"].cumsum() / scored.groupby(frame["contender"]).cumsum()
    return frame


def training_frame(report: BacktestReport) -> pd.DataFrame:
    """CLA's trainings: ``start`` (the step), ``trigger``, ``outcome``, ``promotion``, ``pr_auc`` of the step."""
    rows = [{"start": pd.Timestamp(step.start), "trigger": str(policy.trigger or "unknown"),
             "outcome": str(policy.outcome or "unknown"), "promotion": str(policy.promotion or "none"),
             "pr_auc": number(cla.pr_auc)}
            for step in report.per_step
            if (cla := step.cla) is not None and (policy := cla.policy) is not None and policy.trained]
    return pd.DataFrame(rows, columns=["start", "trigger", "outcome", "promotion", "pr_auc"])


def headline(report: BacktestReport) -> list[str]:
    """One line per contender: what it let through and what it saved, pooled over the replay (fixed labels and
    numbers only, so the lines are safe as Markdown)."""
    lines = []
    for name, block in report.contenders.items():
        lines.append(f"{label_of(name) if name in CONTENDER_LABELS else 'another contender'}: missed "
                     f"{fmt(block.missed, 0)} true positives, skipped {percent(block.skipped)} of alerts")
    return lines


def _line_figure(frame: pd.DataFrame, column: str, title: str, *, percent_axis: bool = False) -> go.Figure:
    figure = go.Figure()
    for name, rows in frame.groupby("contender", sort=False):
        figure.add_trace(go.Scatter(x=rows["start"], y=rows[column], mode="lines+markers", name=html.escape(label_of(name)),
                                    line={"color": CONTENDER_COLORS.get(name)}, marker={"size": 5}))
    figure.update_yaxes(title_text=title, tickformat=".0%" if percent_axis else None, rangemode="tozero")
    figure.update_xaxes(title_text="step (scored alerts fired from this time on)")
    # the legend above the plot: below it, on a half-width column it wraps to four rows over the axis title
    figure.update_layout(height=360, margin={"t": 10, "b": 10, "l": 10, "r": 10},
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return figure


def missed_figure(frame: pd.DataFrame) -> go.Figure:
    """True positives each contender let through (below its threshold), added up step by step."""
    return _line_figure(frame, "missed_total", "true positives missed, so far")


def skipped_figure(frame: pd.DataFrame) -> go.Figure:
    """Share of the alerts scored so far that each contender let analysts skip."""
    return _line_figure(frame, "skipped_share", "alerts skipped, so far", percent_axis=True)


def pr_auc_figure(frame: pd.DataFrame, trainings: pd.DataFrame) -> go.Figure:
    """PR-AUC per step per contender, with CLA's trainings marked (trigger and promotion in the hover)."""
    figure = _line_figure(frame, "pr_auc", "PR-AUC of the step")
    if not trainings.empty:
        promoted = trainings["promotion"].isin(PROMOTED)
        text = [html.escape(f"CLA trained ({t}): {p}") for t, p in zip(trainings["trigger"], trainings["promotion"])]
        figure.add_trace(go.Scatter(
            x=trainings["start"], y=trainings["pr_auc"], mode="markers", name="CLA training (star: promoted)",
            hovertext=text, hoverinfo="text+x",
            marker={"symbol": ["star" if p else "circle-open" for p in promoted], "size": 13,
                    "color": CONTENDER_COLORS["cla"], "line": {"width": 1.5, "color": CONTENDER_COLORS["cla"]}}))
    figure.update_yaxes(range=[0, 1.02])
    return figure
