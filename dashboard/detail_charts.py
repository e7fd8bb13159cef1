"""Model detail's frames, tables and figures: confusion matrix, curves, threshold trade-off, importance, columns,
data quality.

Each builder takes one full metrics dict (``Registry.get()``) and returns a
frame or a Plotly figure built from it; a curve the file lacks is an empty
frame, a missing number stays NaN. No Streamlit here.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.charts import METRIC_COLORS, METRIC_LABELS, positive_rate_of
from dashboard.formatting import fmt, number

if TYPE_CHECKING:  # pandas imports its styler (and jinja2) only when a table is styled
    from pandas.io.formats.style import Styler

#: a chosen threshold below this is drawn on a log scale (on a linear one it hugs the axis)
LOG_BELOW = 0.1


def confusion_frame(metrics: dict) -> pd.DataFrame:
    """The 2x2 confusion matrix: index "actual ...", columns "predicted ..."; NaN where unknown."""
    cells = [["true_negatives", "false_positives"], ["false_negatives", "true_positives"]]
    return pd.DataFrame(
        [[number(metrics.get(key)) for key in row] for row in cells],
        index=["actual benign", "actual true positive"], columns=["predicted benign", "predicted true positive"])


def confusion_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Each cell as the share of its actual class (its row): what fraction of the real attacks were missed."""
    return frame.div(frame.sum(axis=1, skipna=False), axis=0)


#: the missed attacks' cell (actual true positive, predicted benign): outlined, the cell a SOC cares most about
MISSED = ("actual true positive", "predicted benign")
MISSED_COLOUR = "#D55E00"


def confusion_table(frame: pd.DataFrame) -> Styler:
    """The matrix as a table: each cell's count and its share of the row, coloured by that share.

    Colour by share, not count: the rare class's row would otherwise stay
    pale whatever happens to it. The missed attacks (actual true positives
    predicted benign) are outlined and named. One table, not a heatmap beside
    a table of the same counts: every number once, and no chart for a new tab
    to draw.
    """
    shares = confusion_shares(frame)
    known = [share for share in shares.to_numpy().ravel() if not math.isnan(share)]
    colours = dict(zip(known, sample_colorscale("Blues", known))) if known else {}
    text = frame.copy().astype(object)
    styles = frame.copy().astype(object)
    for row in frame.index:
        for column in frame.columns:
            count, share = number(frame.at[row, column]), number(shares.at[row, column])
            label = f"{fmt(count, 0)} · {'unknown share' if math.isnan(share) else f'{share:.1%}'} of the row"
            missed = (row, column) == MISSED
            text.at[row, column] = f"{label} (missed attacks)" if missed else label
            css = "text-align: center"
            if not math.isnan(share):
                css += f"; background-color: {colours[share]}; color: {'white' if share > 0.5 else 'black'}"
            styles.at[row, column] = css + (f"; border: 3px solid {MISSED_COLOUR}; font-weight: bold" if missed else "")
    return text.style.apply(lambda _: styles, axis=None)


def curve_frame(metrics: dict, curve: str, columns: Iterable[str]) -> pd.DataFrame:
    """One stored curve (``curves.<curve>``) as a frame; empty when the file has none or it is malformed."""
    columns = list(columns)
    block = (metrics.get("curves") or {}).get(curve) if isinstance(metrics.get("curves"), dict) else None
    if not isinstance(block, dict):
        return pd.DataFrame(columns=columns)
    series = {c: block.get(c) for c in columns}
    lengths = {len(v) for v in series.values() if isinstance(v, list)}
    if len(lengths) != 1 or any(not isinstance(v, list) for v in series.values()):
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({c: [number(v) for v in series[c]] for c in columns})


def operating_point(metrics: dict) -> dict:
    """The model's decision point: ``threshold``, ``precision``, ``recall`` (NaN when unknown)."""
    return {key: number(metrics.get(key)) for key in ("threshold", "precision", "recall")}


def pr_figure(metrics: dict) -> go.Figure:
    """The PR curve, the random-ranker baseline and the operating point at the model's threshold."""
    curve = curve_frame(metrics, "pr", ["precision", "recall", "threshold"])
    point = operating_point(metrics)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=curve["recall"], y=curve["precision"], mode="lines", name="PR curve",
                                customdata=curve["threshold"],
                                hovertemplate="recall %{x:.3f}<br>precision %{y:.3f}<br>threshold %{customdata:.3f}"
                                              "<extra></extra>"))
    baseline = positive_rate_of(metrics)
    if not math.isnan(baseline):
        figure.add_hline(y=baseline, line_dash="dot", line_color="gray",
                         annotation_text=f"random ranker ({baseline:.1%})", annotation_position="bottom right")
    if not (math.isnan(point["precision"]) or math.isnan(point["recall"])):
        figure.add_trace(go.Scatter(x=[point["recall"]], y=[point["precision"]], mode="markers",
                                    name=f"operating point (threshold {fmt(point['threshold'])})",
                                    marker={"size": 14, "symbol": "x", "color": "red"}))
    figure.update_xaxes(title_text="recall", range=[0, 1.02])
    figure.update_yaxes(title_text="precision", range=[0, 1.02])
    figure.update_layout(height=360, margin={"t": 10, "b": 10, "l": 10, "r": 10}, legend={"orientation": "h", "y": -0.2})
    return figure


def reliability_figure(metrics: dict) -> go.Figure:
    """Fraction of true positives against the mean predicted probability per bin, with the diagonal."""
    curve = curve_frame(metrics, "reliability", ["mean_predicted", "fraction_positive", "count"])
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                line={"dash": "dot", "color": "gray"}))
    figure.add_trace(go.Scatter(x=curve["mean_predicted"], y=curve["fraction_positive"], mode="lines+markers",
                                name="this model", customdata=curve["count"],
                                hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{customdata} alerts"
                                              "<extra></extra>"))
    figure.update_xaxes(title_text="mean predicted probability", range=[0, 1])
    figure.update_yaxes(title_text="fraction that were true positives", range=[0, 1])
    figure.update_layout(height=360, margin={"t": 10, "b": 10, "l": 10, "r": 10}, legend={"orientation": "h", "y": -0.2})
    return figure


def tradeoff_figure(metrics: dict) -> go.Figure:
    """Precision, recall and the share of alerts skipped at each threshold, the chosen threshold marked."""
    curve = curve_frame(metrics, "threshold_tradeoff", ["threshold", "precision", "recall", "alerts_skipped"])
    figure = go.Figure()
    for column, name in (("precision", "precision"), ("recall", "recall"), ("alerts_skipped", "alerts skipped")):
        figure.add_trace(go.Scatter(x=curve["threshold"], y=curve[column], mode="lines", name=name,
                                    line={"color": METRIC_COLORS[column]}))
    threshold = number(metrics.get("threshold"))
    if not math.isnan(threshold):
        figure.add_vline(x=threshold, line_dash="dash", line_color="red",
                         annotation_text=f"threshold {threshold:.3f}", annotation_position="top")
    lowest = curve["threshold"][curve["threshold"] > 0].min() if len(curve) else math.nan
    if not math.isnan(threshold) and 0 < threshold < LOG_BELOW and not math.isnan(lowest):
        # a threshold near 0 would sit on the axis of a linear scale: spread the low end out
        low = math.log10(min(lowest, threshold / 2))
        figure.update_xaxes(title_text="threshold (log scale)", type="log", range=[low, 0])
    else:
        figure.update_xaxes(title_text="threshold", range=[0, 1])
    figure.update_yaxes(title_text="share", range=[0, 1.05], tickformat=".0%")
    figure.update_layout(height=360, margin={"t": 20, "b": 10, "l": 10, "r": 10}, legend={"orientation": "h", "y": -0.2})
    return figure


def importance_frame(metrics: dict) -> pd.DataFrame:
    """Feature importance, most important first: ``feature``, ``importance``, ``std`` (NaN when absent)."""
    rows = [{"feature": str(item.get("feature")), "importance": number(item.get("importance")),
             "std": number(item.get("std"))}
            for item in metrics.get("feature_importance") or [] if isinstance(item, dict) and item.get("feature")]
    frame = pd.DataFrame(rows, columns=["feature", "importance", "std"])
    return frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def importance_figure(frame: pd.DataFrame) -> go.Figure:
    ordered = frame.iloc[::-1]
    # feature names are the data's column names: escaped, never live markup in the chart
    figure = go.Figure(go.Bar(x=ordered["importance"], y=[html.escape(f) for f in ordered["feature"]], orientation="h",
                              error_x={"type": "data", "array": ordered["std"]}, marker_color="steelblue"))
    figure.update_xaxes(title_text="drop in PR-AUC when the feature is shuffled")
    figure.update_layout(height=max(240, 26 * len(frame) + 60), margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return figure


def feature_columns_frame(metrics: dict) -> pd.DataFrame:
    """Every input column and what the model did with it: ``column``, ``used``, ``why`` (text).

    Features first (with the reason for their type: a category named in the
    schema, an id stored as integers, target-encoded past the value cap), then
    the columns left out with their reason (written after triage, identifies
    rows, grows with time, constant). Empty when the file records no
    ``features`` block; older files that record no type reasons say ``unknown``.
    """
    block = metrics.get("features") if isinstance(metrics.get("features"), dict) else {}
    typed = block.get("typed") if isinstance(block.get("typed"), dict) else {}
    reasons = block.get("excluded_reasons") if isinstance(block.get("excluded_reasons"), dict) else {}
    rows = []
    for kind in ("numeric", "boolean", "categorical"):
        for column in block.get(kind) or []:
            rows.append({"column": str(column), "used": "yes", "why": str(typed.get(column, f"{kind} (reason unknown)"))})
    for column in block.get("time_derived") or []:
        rows.append({"column": str(column), "used": "yes", "why": "derived from the time column"})
    for column in block.get("excluded_post_triage") or []:
        rows.append({"column": str(column), "used": "no", "why": "written after triage (schema.post_triage)"})
    for column in block.get("excluded_other") or []:
        rows.append({"column": str(column), "used": "no", "why": str(reasons.get(column, "unknown"))})
    return pd.DataFrame(rows, columns=["column", "used", "why"])


def data_quality_frame(metrics: dict) -> pd.DataFrame:
    """The data-quality counts as ``step`` / ``rows`` (text; "unknown" when the file lacks the block)."""
    block = metrics.get("data_quality") if isinstance(metrics.get("data_quality"), dict) else {}
    steps = [("rows read", "rows_read"), ("unlabelled (dropped)", "unlabelled"),
             ("duplicates removed", "duplicates_removed"), ("quarantined", "quarantined"),
             ("below minimum confidence", "below_min_confidence"), ("rows used", "rows_used")]
    rows = [{"step": label, "rows": fmt(block.get(key), 0)} for label, key in steps]
    reasons = block.get("quarantine_reasons") if isinstance(block.get("quarantine_reasons"), dict) else {}
    rows += [{"step": f"quarantined: {reason}", "rows": fmt(count, 0)} for reason, count in reasons.items()]
    return pd.DataFrame(rows, columns=["step", "rows"])


def promotion_comparison_frame(metrics: dict) -> pd.DataFrame:
    """Challenger and champion scores on the same holdout: ``metric``, ``this model``, ``champion`` (text)."""
    block = metrics.get("promotion") if isinstance(metrics.get("promotion"), dict) else {}
    challenger = block.get("challenger") if isinstance(block.get("challenger"), dict) else {}
    champion = block.get("champion") if isinstance(block.get("champion"), dict) else {}
    keys = list(dict.fromkeys([*challenger, *champion]))
    return pd.DataFrame([{"metric": METRIC_LABELS.get(k, k), "this model": fmt(challenger.get(k)),
                          "champion": fmt(champion.get(k))} for k in keys],
                        columns=["metric", "this model", "champion"])
