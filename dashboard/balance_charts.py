"""The Class balance page's frames and figures: the positive rate over time and the class counts of one model.

Builders take model records or one full metrics dict and return a frame or a
Plotly figure built from it (see :mod:`dashboard.charts`); no Streamlit here.
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import CLASS_COLORS, CLASS_NAMES, CLASS_SETS, MAX_MARKED_POINTS, trend_frame
from dashboard.formatting import UNKNOWN, fmt, number


def balance_frame(records: Iterable[dict]) -> pd.DataFrame:
    """Positive rate of each training's feedback over time: ``created_at``, ``model_id``, ``positive_rate``, ``legacy``.

    The rate is the test slice's (the newest feedback at that training), from
    the stored ``positive_rate`` or, for legacy pairs, the confusion counts.
    """
    frame = trend_frame(records)
    return frame[["created_at", "model_id", "positive_rate", "legacy"]]


def balance_figure(frame: pd.DataFrame, warn_share: float) -> go.Figure:
    """The positive rate over time with the severe-imbalance threshold as a line."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame["created_at"], y=frame["positive_rate"],
                                mode="lines+markers" if len(frame) <= MAX_MARKED_POINTS else "lines",
                                name="positive rate", text=frame["model_id"],
                                hovertemplate="%{text}<br>%{y:.2%} true positives<extra></extra>"))
    figure.add_hline(y=warn_share, line_dash="dash", line_color="orange",
                     annotation_text=f"severe imbalance below {warn_share:.0%}", annotation_position="top left")
    top = max([warn_share * 2, *frame["positive_rate"].dropna().tolist()]) * 1.1 if len(frame) else 1.0
    figure.update_yaxes(title_text="share of true positives", tickformat=".0%", range=[0, min(1.0, top)])
    figure.update_layout(height=340, margin={"t": 20, "b": 10, "l": 10, "r": 10}, showlegend=False)
    return figure


def class_counts_frame(metrics: dict) -> pd.DataFrame:
    """Class counts per set: ``set`` (label), ``class``, ``count`` (NaN when the file does not say).

    Always lists the training set, the final fit (the rows the model was fitted on, after any resampling;
    the whole window when it was refitted on training + validation) and the test set, so a missing block shows as unknown instead of disappearing; the
    validation slice is added when present. A legacy file's test set comes
    from its confusion counts.
    """
    stored = metrics.get("class_counts") if isinstance(metrics.get("class_counts"), dict) else {}
    keys = ["train", "train_resampled", *(["validation"] if "validation" in stored else []), "test"]
    rows = []
    for key in keys:
        counts = stored.get(key) if isinstance(stored.get(key), dict) else None
        if counts is None and key == "test":
            counts = _test_counts_from_confusion(metrics)
        for label, name in CLASS_NAMES.items():
            value = number(counts.get(label, counts.get(int(label)))) if counts is not None else math.nan
            rows.append({"set": CLASS_SETS[key], "class": name, "count": value})
    return pd.DataFrame(rows, columns=["set", "class", "count"])


def fit_caption(metrics: dict) -> str:
    """What the "final fit" row counts, from the model block's ``fitted_on`` (unknown for older files)."""
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    fitted_on = model.get("fitted_on")
    if fitted_on == "window":
        where = ("every row of the training window (too few positives for one validation slice: the candidate and "
                 "the threshold were chosen on out-of-fold scores, rows each fold's model never saw)")
    elif fitted_on == "train+validation":
        where = "the training set plus the validation slice (the model was refitted on the whole window)"
    elif fitted_on == "train":
        where = "the training set"
    else:
        where = "rows this file does not name"
    return (f"Final fit: the rows the saved model was fitted on, {where}, after any resampling. "
            "The trainer's imbalance warning counts these rows.")


def _test_counts_from_confusion(metrics: dict) -> dict | None:
    tp, fn, tn, fp = (number(metrics.get(k)) for k in
                      ("true_positives", "false_negatives", "true_negatives", "false_positives"))
    if any(math.isnan(v) for v in (tp, fn, tn, fp)):
        return None
    return {"1": tp + fn, "0": tn + fp}


def class_counts_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`class_counts_frame` as text, one row per set: each class's count and the true-positive share."""
    wide = frame.pivot(index="set", columns="class", values="count").reindex(frame["set"].unique())
    share = wide[CLASS_NAMES["1"]] / wide.sum(axis=1, skipna=False)
    table = wide.map(lambda v: fmt(v, 0))
    table["true-positive share"] = [UNKNOWN if math.isnan(v) else f"{v:.1%}" for v in share]
    table.columns.name = None
    return table


def class_counts_figure(frame: pd.DataFrame) -> go.Figure:
    """Grouped bars: one group per set, one bar per class, the count written on each bar."""
    figure = go.Figure()
    for name in CLASS_NAMES.values():
        part = frame[frame["class"] == name]
        figure.add_trace(go.Bar(x=part["set"], y=part["count"], name=name, marker_color=CLASS_COLORS[name],
                                text=[fmt(v, 0) for v in part["count"]], textposition="outside"))
    figure.update_layout(barmode="group", height=340, margin={"t": 20, "b": 10, "l": 10, "r": 10},
                         yaxis_title="rows", legend={"orientation": "h", "y": -0.15})
    return figure


def imbalance(frame: pd.DataFrame, set_label: str) -> dict:
    """Minority share and majority-to-minority ratio of one set in a :func:`class_counts_frame`.

    Returns ``{"minority": class name | None, "share": float, "ratio": float}``;
    NaN values when the counts are unknown, ``ratio`` infinite for one class.
    """
    part = frame[frame["set"] == set_label].set_index("class")["count"]
    if part.isna().any() or part.empty or part.sum() == 0:
        return {"minority": None, "share": math.nan, "ratio": math.nan}
    minority = part.idxmin()
    share = float(part.min() / part.sum())
    ratio = math.inf if part.min() == 0 else float(part.max() / part.min())
    return {"minority": minority, "share": share, "ratio": ratio}
