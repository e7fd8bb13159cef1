"""Frames and plotly figures for the Drift page, built from the drift report (``trainer.monitoring.report``).

Plain functions, no Streamlit: :func:`ranking_frame` is the table of
features most drifted first, :func:`distribution_frame` and
:func:`distribution_figure` the training and recent shares of one feature (or
of the champion's score) side by side, :func:`prevalence_frame` /
:func:`prevalence_figure` the true-positive share per day against the training
window's, :func:`live_frame` / :func:`live_figure` the champion's daily
precision and recall with their intervals against its test-slice figures.
What the report does not hold stays missing (NaN, "unknown").
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from trainer.contract.drift_report import DriftReport, DriftRow, HistoryEntry, Live, Performance, TestSlice

if TYPE_CHECKING:
    from dashboard.drift_summary import DriftRetrain

TRAINING_COLOUR = "#6c8ebf"
RECENT_COLOUR = "#d6734b"
LIVE_COLOURS = {"recall": "#2a9d8f", "precision": "#e76f51"}
DAY_MS = 86_400_000


def level_text(report: DriftReport, level: Any) -> str:
    """A drift level as the page shows it: on fewer recent alerts than the report's floor (``enough_data``
    false) no level is claimed, and it reads "unreliable" with the sample and the floor."""
    if not report.enough_data:
        recent = report.recent_rows
        floor = report.thresholds.min_rows
        return f"unreliable: {recent if recent is not None else 'unknown'} of {floor or 'unknown'} recent alerts"
    return str(level) if level is not None else "unknown"


def ranking_frame(report: DriftReport) -> pd.DataFrame:
    """One row per feature, in the report's order (most drifted first), each level through :func:`level_text`."""
    rows = [{"feature": r.feature, "level": level_text(report, r.level), "PSI": r.psi, "test": r.test,
             "statistic": r.statistic, "p-value": r.p_value, "importance share": r.importance_share,
             "new categories": ", ".join(r.unseen_categories),
             "recent alerts": r.recent_rows, "training rows": r.reference_rows}
            for r in report.features]
    columns = ["feature", "level", "PSI", "test", "statistic", "p-value", "importance share", "new categories",
               "recent alerts", "training rows"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["test"] = frame["test"].astype(object).where(frame["test"].notna(), "unknown")  # never the word "None"
    for column in ("PSI", "statistic", "p-value", "importance share"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")  # None -> NaN, which reads "unknown"
    return frame


def distribution_frame(row: DriftRow | None) -> pd.DataFrame:
    """Bins (or categories) with the share of training and of recent alerts in each."""
    if row is None:
        return pd.DataFrame({"bin": [], "training": [], "recent": []})
    shown = row.distribution
    return pd.DataFrame({"bin": list(shown.bins), "training": list(shown.training), "recent": list(shown.recent)})


def distribution_figure(frame: pd.DataFrame, title: str, *, reference: str = "training window",
                        recent_rows: int | None = None, floor: int | None = None) -> go.Figure:
    """The reference sample's and the recent alerts' share per bin; ``reference`` names the first (the champion's
    scores are compared with its test slice, a feature with the training window).

    Recent alerts fewer than the report's ``floor`` (``min_rows``) are drawn as
    outlines only and named with their count and the floor: one alert makes a
    100% bar, which is not a distribution.
    """
    figure = go.Figure()
    # bins of a categorical feature are values from the feedback: escaped, never live markup in the chart
    bins = [html.escape(str(b)) for b in frame["bin"]]
    figure.add_bar(x=bins, y=frame["training"], name=reference, marker_color=TRAINING_COLOUR)
    thin = recent_rows is not None and floor is not None and recent_rows < floor
    counted = f" ({recent_rows:,})" if recent_rows is not None else ""
    name = (f"recent alerts ({recent_rows:,}, below the floor of {floor:,}: unreliable)" if thin
            else f"recent alerts{counted}")
    marker = ({"color": "rgba(0,0,0,0)", "line": {"color": RECENT_COLOUR, "width": 1.5}} if thin
              else {"color": RECENT_COLOUR})
    figure.add_bar(x=bins, y=frame["recent"], name=name, marker=marker)
    figure.update_layout(barmode="group", title=title, yaxis_title="share of alerts", yaxis_tickformat=".0%",
                         height=360, margin={"t": 50, "b": 10}, legend={"orientation": "h", "y": 1.1})
    return figure


def prevalence_frame(report: DriftReport) -> pd.DataFrame:
    """Per day: true-positive share of recent verdicts, its interval, verdicts."""
    columns = ["day", "share", "low", "high", "verdicts"]
    points = report.prevalence.daily if report.prevalence else ()
    if not points:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame([{"day": p.day, "share": p.share, "low": p.low, "high": p.high, "verdicts": p.verdicts}
                          for p in points], columns=columns)
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def prevalence_figure(frame: pd.DataFrame, training_share: float | None) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(x=frame["day"], y=frame["share"], mode="lines+markers", name="recent verdicts",
                       marker_color=RECENT_COLOUR,
                       error_y={"type": "data", "symmetric": False, "array": frame["high"] - frame["share"],
                                "arrayminus": frame["share"] - frame["low"]})
    if training_share is not None:
        figure.add_hline(y=training_share, line_dash="dot", line_color=TRAINING_COLOUR,
                         annotation_text=f"training window {training_share:.1%}")
    figure.update_layout(title="True-positive share per day (95% interval)", yaxis_tickformat=".0%", height=320,
                         margin={"t": 50, "b": 10})
    figure.update_xaxes(tickformat="%Y-%m-%d", dtick=DAY_MS)
    return figure


def live_frame(report: DriftReport) -> pd.DataFrame:
    """Per day: the champion's precision and recall on that day's verdicts, with intervals, and F1 / PR-AUC."""
    rows = []
    for point in report.live.daily if report.live else ():
        rows.append({"day": point.day, "verdicts": point.verdicts, "positives": point.positives,
                     "recall": point.recall, "recall_low": point.recall_interval[0],
                     "recall_high": point.recall_interval[1], "precision": point.precision,
                     "precision_low": point.precision_interval[0], "precision_high": point.precision_interval[1],
                     "f1_score": point.f1_score, "pr_auc": point.pr_auc})
    frame = pd.DataFrame(rows, columns=["day", "verdicts", "positives", "recall", "recall_low", "recall_high",
                                        "precision", "precision_low", "precision_high", "f1_score", "pr_auc"])
    frame["day"] = pd.to_datetime(frame["day"])
    for column in frame.columns[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def live_table(report: DriftReport) -> pd.DataFrame:
    """All new verdicts, the last N and the test slice, one row each; intervals as text, missing as "unknown"."""
    block = report.live or Live()
    rows = []
    part: Performance
    for name, part in (("all new verdicts", block.overall), (f"last {block.last_n.n}", block.last_n)):
        rows.append({"over": name, "verdicts": part.verdicts, "recall": part.recall,
                     "recall 95%": _interval(part.recall_interval), "precision": part.precision,
                     "precision 95%": _interval(part.precision_interval), "F1": part.f1_score,
                     "F1 95%": _interval(part.f1_score_interval), "PR-AUC": part.pr_auc,
                     "PR-AUC 95%": _interval(part.pr_auc_interval)})
    test = block.test_slice
    rows.append({"over": "test slice (at training)", "verdicts": test.test_samples, "recall": test.recall,
                 "recall 95%": "not recorded", "precision": test.precision, "precision 95%": "not recorded",
                 "F1": test.f1_score, "F1 95%": "not recorded", "PR-AUC": test.pr_auc,
                 "PR-AUC 95%": "not recorded"})
    frame = pd.DataFrame(rows)
    frame["verdicts"] = pd.array(frame["verdicts"], dtype="Int64")
    for column in ("recall", "precision", "F1", "PR-AUC"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _interval(values: tuple[float | None, float | None]) -> str:
    low, high = values
    return "unknown" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def live_figure(frame: pd.DataFrame, test_slice: TestSlice) -> go.Figure:
    figure = go.Figure()
    references = {"recall": test_slice.recall, "precision": test_slice.precision}
    for metric, colour in LIVE_COLOURS.items():
        figure.add_scatter(x=frame["day"], y=frame[metric], mode="lines+markers", name=f"live {metric}",
                           marker_color=colour,
                           error_y={"type": "data", "symmetric": False, "array": frame[f"{metric}_high"] - frame[metric],
                                    "arrayminus": frame[metric] - frame[f"{metric}_low"]})
        reference = references[metric]
        if reference is not None:
            figure.add_hline(y=reference, line_dash="dot", line_color=colour,
                             annotation_text=f"test slice {metric} {reference:.3f}")
    figure.update_layout(title="Champion on new verdicts, per day (95% interval)", yaxis_range=[0, 1.05], height=360,
                         margin={"t": 50, "b": 10}, legend={"orientation": "h", "y": 1.1})
    figure.update_xaxes(tickformat="%Y-%m-%d", dtick=DAY_MS)
    return figure


#: where a PSI of 0 is drawn on the history's log axis
PSI_FLOOR = 0.001
HISTORY_FEATURES = 6
"""At most this many features are drawn over time: those that drifted most."""


def history_frame(entries: list[HistoryEntry]) -> pd.DataFrame:
    """One row per report and feature: ``computed_at``, ``feature``, ``psi``, ``level``, ``reliable``.

    ``reliable`` is False for a report computed on fewer recent alerts than
    its floor: its PSI is drawn, but no level is claimed from it."""
    rows = []
    for entry in entries:
        at = pd.to_datetime(entry.computed_at, utc=True, errors="coerce")
        if pd.isna(at):
            continue
        for feature, (psi, level) in entry.features.items():
            rows.append({"computed_at": at, "feature": feature, "psi": psi, "level": level,
                         "reliable": entry.enough_data, "recent_rows": entry.recent_rows,
                         "min_rows": entry.min_rows, "champion_id": entry.champion_id})
    frame = pd.DataFrame(rows, columns=["computed_at", "feature", "psi", "level", "reliable", "recent_rows",
                                        "min_rows", "champion_id"])
    if frame.empty:
        return frame
    top = frame[frame["reliable"]].groupby("feature")["psi"].max().sort_values(ascending=False)
    keep = list(top.index[:HISTORY_FEATURES]) or list(frame.groupby("feature")["psi"].max()
                                                      .sort_values(ascending=False).index[:HISTORY_FEATURES])
    return frame[frame["feature"].isin(keep)].reset_index(drop=True)


def history_figure(frame: pd.DataFrame, retrains: list[DriftRetrain], *, moderate: float,
                   major: float) -> go.Figure:
    """PSI per feature over time (hollow markers: below the sample floor), the level lines, and a dashed
    vertical line at each training the drift signal started."""
    figure = go.Figure()
    for feature, part in frame.groupby("feature", sort=False):
        text = [f"PSI {psi:.3f}; {lvl if ok else 'unreliable: ' + str(n) + ' of ' + str(m) + ' alerts'}; champion {c}"
                if psi is not None and not pd.isna(psi) else f"PSI unknown; champion {c}"
                for psi, lvl, ok, n, m, c in zip(part["psi"], part["level"], part["reliable"], part["recent_rows"],
                                                 part["min_rows"], part["champion_id"])]
        # a log axis: PSI runs from 0.01 to 10 and the level lines (0.1, 0.25) must stay apart; 0 sits at the floor
        shown = pd.to_numeric(part["psi"], errors="coerce").clip(lower=PSI_FLOOR)
        # a feature is a column name from the data: escaped, so markup in it is never live in the chart
        figure.add_scatter(x=part["computed_at"].tolist(), y=shown.tolist(), mode="lines+markers",
                           name=html.escape(str(feature)),
                           text=text, hovertemplate="%{x}<br>%{text}<extra>%{fullData.name}</extra>",
                           marker={"symbol": ["circle" if ok else "circle-open" for ok in part["reliable"]]})
    # the level lines are named in the legend: on a log axis Plotly places a line's own label off the line
    for value, name, dash, colour in ((moderate, "moderate", "dot", "#E69F00"), (major, "major", "dash", "#D55E00")):
        figure.add_hline(y=value, line_dash=dash, line_color=colour)
        figure.add_scatter(x=[None], y=[None], mode="lines", line={"dash": dash, "color": colour},
                           name=f"{name} from PSI {value:g}")
    for retrain in retrains:
        at = pd.to_datetime(retrain.at, utc=True, errors="coerce")
        if not pd.isna(at):
            figure.add_vline(x=at, line_dash="dash", line_color="#0072B2")
    if retrains:
        figure.add_scatter(x=[None], y=[None], mode="lines", line={"dash": "dash", "color": "#0072B2"},
                           name="retrained on drift")
    figure.update_layout(height=340, margin={"t": 20, "b": 10, "l": 10, "r": 10}, yaxis_title="PSI (log scale)",
                         legend={"orientation": "h", "y": -0.2})
    figure.update_yaxes(type="log")
    return figure
