"""The Class balance page's frames and figure: the positive rate over time and the class counts of one model.

Builders take model records or one full metrics dict and return a frame or a
Plotly figure built from it (see :mod:`dashboard.charts`); no Streamlit here.
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import CLASS_COLORS, CLASS_NAMES, CLASS_SETS, MAX_MARKED_POINTS, readable_span, trend_frame
from dashboard.formatting import UNKNOWN, fmt, number
from dashboard.imbalance import WINDOW, WINDOW_NOTE, fit_label, share_of, window_share


#: the newest models Class balance's headline chart draws: more points only slow the page
CHART_MODELS = 200


def balance_frame(records: Iterable[dict]) -> pd.DataFrame:
    """Per model, oldest first: ``created_at``, ``model_id``, ``window_share``, ``positive_rate``, ``legacy``.

    ``window_share`` is the share the severe-imbalance warning checks (true
    positives in the training window, :func:`dashboard.imbalance.share_of`;
    NaN for files written before it was stored); ``positive_rate`` is the test
    set's, from the stored value or, for legacy pairs, the confusion counts.
    """
    records = [record for record in records if record.get("status", "ok") == "ok"]
    frame = trend_frame(records)
    shares = {str(record.get("model_id")): share_of(record) for record in records}
    frame["window_share"] = frame["model_id"].map(shares).astype(float)
    return frame[["created_at", "model_id", "window_share", "positive_rate", "legacy"]]


def balance_figure(frame: pd.DataFrame, warn_share: float) -> go.Figure:
    """Each model's training-window share of true positives against the warning threshold; the test set's, dotted."""
    figure = go.Figure()
    mode = "lines+markers" if len(frame) <= MAX_MARKED_POINTS else "lines"
    below = frame["window_share"] < warn_share
    figure.add_trace(go.Scatter(x=frame["created_at"], y=frame["window_share"], mode=mode,
                                name=f"{WINDOW} (the warning's set)", text=frame["model_id"],
                                line={"color": CLASS_COLORS["true positive"], "width": 3},
                                marker={"color": [("#D55E00" if low else CLASS_COLORS["true positive"]) for low in below]
                                        if len(frame) <= MAX_MARKED_POINTS else CLASS_COLORS["true positive"], "size": 8},
                                hovertemplate="%{text}<br>%{y:.1%} true positives in the " + WINDOW
                                              + "<extra></extra>"))
    figure.add_trace(go.Scatter(x=frame["created_at"], y=frame["positive_rate"], mode=mode, name="test set",
                                marker={"color": "gray", "size": 6},
                                text=frame["model_id"], line={"color": "gray", "dash": "dot"},
                                hovertemplate="%{text}<br>%{y:.1%} true positives in the test set<extra></extra>"))
    figure.add_hline(y=warn_share, line_dash="dash", line_color="#D55E00",
                     annotation_text=f"severe-imbalance warning below {warn_share:.0%}", annotation_position="top left")
    values = [*frame["window_share"].dropna().tolist(), *frame["positive_rate"].dropna().tolist()]
    top = max([warn_share * 2, *values]) * 1.1 if len(frame) else 1.0
    figure.update_yaxes(title_text="share of true positives", tickformat=".0%", range=[0, min(1.0, top)])
    span = readable_span(frame["created_at"])
    if span is not None:  # one model (or a burst): a day around it, not a sub-second axis
        figure.update_xaxes(range=list(span))
    figure.update_layout(height=340, margin={"t": 20, "b": 10, "l": 10, "r": 10},
                         legend={"orientation": "h", "y": -0.15})
    return figure


def class_counts_frame(metrics: dict) -> pd.DataFrame:
    """Class counts per set: ``set`` (label), ``class``, ``count`` (NaN when the file does not say).

    Always lists the training window (training set + validation slice: the
    rows the severe-imbalance warning counts), the training set, the final fit
    (labelled by what happened to its rows, :func:`dashboard.imbalance.fit_label`) (the rows the model was fitted on, after any resampling;
    the whole window when it was refitted on training + validation) and the test set, so a missing block shows as unknown instead of disappearing; the
    validation slice is added when present. A legacy file's test set comes
    from its confusion counts.
    """
    stored = metrics.get("class_counts") if isinstance(metrics.get("class_counts"), dict) else {}
    keys = ["window", "train", "train_resampled", *(["validation"] if "validation" in stored else []), "test"]
    window = window_share(metrics)
    labels = {**CLASS_SETS, "window": WINDOW, "train_resampled": fit_label(metrics)}
    rows = []
    for key in keys:
        counts = stored.get(key) if isinstance(stored.get(key), dict) else None
        if key == "window" and not math.isnan(window["rows"]):
            counts = {"1": window["positives"], "0": window["rows"] - window["positives"]}
        if counts is None and key == "test":
            counts = _test_counts_from_confusion(metrics)
        for label, name in CLASS_NAMES.items():
            value = number(counts.get(label, counts.get(int(label)))) if counts is not None else math.nan
            rows.append({"set": labels[key], "class": name, "count": value})
    return pd.DataFrame(rows, columns=["set", "class", "count"])


def fit_caption(metrics: dict) -> str:
    """What the "final fit" row counts, from the model block's ``fitted_on`` (unknown for older files)."""
    model = metrics.get("model") if isinstance(metrics.get("model"), dict) else {}
    fitted_on = model.get("fitted_on")
    if fitted_on == "all":
        where = ("every labelled row, the test slice included (after passing the gates, the recipe measured on the "
                 "test slice was refitted on all rows, keeping its threshold)")
    elif fitted_on == "window":
        where = ("every row of the training window (too few positives for one validation slice: the candidate and "
                 "the threshold were chosen on out-of-fold scores, rows each fold's model never saw)")
    elif fitted_on == "train+validation":
        where = "the training set plus the validation slice (the model was refitted on the whole window)"
    elif fitted_on == "train":
        where = "the training set"
    else:
        where = "rows this file does not name"
    return (f"Final fit: the rows the saved model was fitted on, {where}, after any resampling. "
            f"The severe-imbalance warning counts the {WINDOW} ({WINDOW_NOTE}).")


def _test_counts_from_confusion(metrics: dict) -> dict | None:
    tp, fn, tn, fp = (number(metrics.get(k)) for k in
                      ("true_positives", "false_negatives", "true_negatives", "false_positives"))
    if any(math.isnan(v) for v in (tp, fn, tn, fp)):
        return None
    return {"1": tp + fn, "0": tn + fp}


def class_counts_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`class_counts_frame` as text, one row per set: each class's count, the true-positive share and
    the imbalance ratio (majority-class rows per minority-class row)."""
    wide = frame.pivot(index="set", columns="class", values="count").reindex(frame["set"].unique())
    share = wide[CLASS_NAMES["1"]] / wide.sum(axis=1, skipna=False)
    table = wide.map(lambda v: fmt(v, 0))
    table["true-positive share"] = [UNKNOWN if math.isnan(v) else f"{v:.1%}" for v in share]
    table["imbalance ratio"] = [ratio_text(imbalance(frame, label)["ratio"]) for label in table.index]
    table.columns.name = None
    return table


def ratio_text(ratio: float) -> str:
    """An imbalance ratio as "1 : 19.0" ("one class only" when the minority is absent, "unknown" when NaN)."""
    if math.isnan(ratio):
        return UNKNOWN
    return "one class only" if math.isinf(ratio) else f"1 : {ratio:,.1f}"


def true_positive_share(frame: pd.DataFrame, set_label: str) -> float:
    """The true-positive share of one set in a :func:`class_counts_frame` (NaN when its counts are unknown)."""
    part = frame[frame["set"] == set_label].set_index("class")["count"]
    if part.isna().any() or part.empty or part.sum() == 0 or CLASS_NAMES["1"] not in part.index:
        return math.nan
    return float(part[CLASS_NAMES["1"]] / part.sum())


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
