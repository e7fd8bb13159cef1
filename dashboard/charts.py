"""Plotly figures for the dashboard, and the data frames behind them.

Every builder takes plain dicts (model summaries from ``Registry.list_models()``
turned into records by :func:`dashboard.tables.records`, or one full metrics
dict from ``Registry.get()``) and returns a ``pandas.DataFrame`` (``*_frame``)
or a ``plotly`` figure built from that frame (``*_figure``). Nothing here
imports Streamlit, so the pages only lay out what these functions return and
the tests check the frames directly.

A value missing from the files stays missing (``NaN`` in a frame, a gap in a
line, "unknown" in text): nothing is filled with zero or invented.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trainer.contract.layout import STAMP_RE, stamp_time
from trainer.contract.metrics import LABELS

METRIC_LABELS = {key: LABELS[key] for key in ("precision", "recall", "f1_score", "pr_auc", "roc_auc", "accuracy")}
#: one colour per score on every chart, far apart on the dark theme (the theme's default blues look alike)
METRIC_COLORS = {"precision": "#56B4E9", "recall": "#E69F00", "f1_score": "#CC79A7", "pr_auc": "#009E73",
                 "roc_auc": "#B4A7FF", "accuracy": "#D55E00", "alerts_skipped": "#F0F0F0"}
DEFAULT_TREND_METRICS = ("precision", "recall", "f1_score", "pr_auc")
ON_DEMAND_METRICS = ("roc_auc", "accuracy")
CLASS_SETS = {"train": "training set", "train_resampled": "final fit (after resampling)",
              "validation": "validation slice", "test": "test set"}
CLASS_NAMES = {"0": "benign (false positive)", "1": "true positive"}
#: the two classes in colours that cannot be mistaken for each other (the theme's two blues could)
CLASS_COLORS = {"benign (false positive)": "#56B4E9", "true positive": "#E69F00"}
PROMOTION_KINDS = ("promoted", "first_champion", "rolled_back")
UNKNOWN = "unknown"
MAX_PROMOTION_LINES = 60
MAX_MARKED_POINTS = 300


def number(value: Any) -> float:
    """``value`` as a float, NaN when it is missing or not a finite number (booleans count as missing)."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def fmt(value: Any, digits: int = 3) -> str:
    """A number for display, or "unknown" when the file does not hold it."""
    out = number(value)
    if math.isnan(out):
        return UNKNOWN
    if float(out).is_integer() and digits == 0:
        return f"{int(out):,}"
    return f"{out:.{digits}f}"


def percent(value: Any) -> str:
    """A share as "74.5%", or "unknown"."""
    out = number(value)
    return UNKNOWN if math.isnan(out) else f"{out:.1%}"


def model_time(record: dict) -> pd.Timestamp:
    """When a model was trained: ``created_at``, else the UTC stamp its id names; NaT when neither parses."""
    created = record.get("created_at") or record.get("timestamp")
    if created:
        stamp = pd.to_datetime(created, utc=True, errors="coerce")
        if not pd.isna(stamp):
            return stamp
    model_id = str(record.get("model_id") or "")
    if STAMP_RE.fullmatch(model_id):
        return pd.Timestamp(stamp_time(model_id))
    return pd.NaT


def model_times(records: list[dict]) -> pd.Series:
    """:func:`model_time` of every record at once (one vectorised parse: thousands of models stay fast)."""
    created = pd.Series([r.get("created_at") or r.get("timestamp") or None for r in records], dtype=object)
    parsed = pd.to_datetime(created, utc=True, errors="coerce", format="ISO8601")
    ids = pd.Series([str(r.get("model_id") or "") for r in records], dtype=object)
    from_stamp = pd.to_datetime(ids, utc=True, errors="coerce", format="%Y%m%d_%H%M%S")
    return parsed.fillna(from_stamp)


def positive_rate_of(record: dict) -> float:
    """The test-slice positive rate: stored, else from the confusion counts, else NaN."""
    stored = number(record.get("positive_rate"))
    if not math.isnan(stored):
        return stored
    counts = [number(record.get(k)) for k in ("true_positives", "false_negatives", "true_negatives", "false_positives")]
    if any(math.isnan(c) for c in counts) or sum(counts) == 0:
        return math.nan
    return (counts[0] + counts[1]) / sum(counts)


# --- trends -----------------------------------------------------------------------------------------

def trend_frame(records: Iterable[dict]) -> pd.DataFrame:
    """One row per model, oldest first: time, every trend metric, the baseline and the training-set size.

    Columns: ``model_id``, ``created_at`` (UTC), the keys of :data:`METRIC_LABELS`,
    ``positive_rate``, ``training_samples``, ``legacy``, ``is_champion``.
    Records whose status is not ``ok`` are skipped: they are not models.
    """
    records = [record for record in records if record.get("status", "ok") == "ok"]
    rows = []
    for record in records:
        row = {"model_id": str(record.get("model_id"))}
        row.update({key: number(record.get(key)) for key in METRIC_LABELS})
        row["positive_rate"] = positive_rate_of(record)
        row["training_samples"] = number(record.get("training_samples"))
        row["legacy"] = bool(record.get("legacy"))
        row["is_champion"] = bool(record.get("is_champion"))
        rows.append(row)
    columns = ["model_id", "created_at", *METRIC_LABELS, "positive_rate", "training_samples", "legacy", "is_champion"]
    frame = pd.DataFrame(rows, columns=[c for c in columns if c != "created_at"])
    frame.insert(1, "created_at", model_times(records) if records else pd.Series(dtype="datetime64[ns, UTC]"))
    return frame.sort_values(["created_at", "model_id"], kind="stable").reset_index(drop=True)


def select_range(frame: pd.DataFrame, *, last_n: int | None = None, start: date | None = None,
                 end: date | None = None) -> pd.DataFrame:
    """The rows trained between ``start`` and ``end`` (inclusive UTC dates), then the newest ``last_n``."""
    out = frame
    if start is not None:
        out = out[out["created_at"] >= pd.Timestamp(start, tz="UTC")]
    if end is not None:
        out = out[out["created_at"] < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)]
    if last_n:
        out = out.tail(last_n)
    return out.reset_index(drop=True)


def smooth(frame: pd.DataFrame, columns: Iterable[str], *, window: int, how: str = "median") -> pd.DataFrame:
    """A copy with ``columns`` replaced by their rolling ``how`` ("median" or "mean") over ``window`` models.

    Missing values stay out of the window's statistic and stay missing in the
    result: smoothing never fills a gap. Raises ValueError for another ``how``.
    """
    if how not in ("median", "mean"):
        raise ValueError(f"smoothing {how!r} is not supported; use 'median' or 'mean'")
    out = frame.copy()
    if window <= 1:
        return out
    for column in columns:
        rolling = out[column].rolling(window, min_periods=1)
        rolled = rolling.median() if how == "median" else rolling.mean()
        out[column] = rolled.where(out[column].notna())
    return out


def promotion_frame(records: Iterable[dict], events: Iterable[dict]) -> pd.DataFrame:
    """Champion changes, oldest first: ``time``, ``model_id``, ``kind``, ``actor``, ``reason``.

    Taken from the event log (``promoted``, ``rolled_back``) and from each
    model's stored promotion decision (``promoted``, ``first_champion``) when
    the log has no event for it (an old or pruned log).
    """
    changes = [e for e in events if e.get("event") in ("promoted", "rolled_back") and e.get("model_id")]
    times = pd.to_datetime(pd.Series([e.get("ts") for e in changes], dtype=object), utc=True, errors="coerce",
                           format="ISO8601")
    rows = []
    seen = set()
    for event, when in zip(changes, times):
        if pd.isna(when):
            continue
        rows.append({"time": when, "model_id": str(event["model_id"]), "kind": event["event"],
                     "actor": event.get("actor") or UNKNOWN, "reason": event.get("message") or ""})
        if event["event"] == "promoted":
            seen.add(str(event["model_id"]))
    promoted = []
    for record in records:
        decision = record.get("promotion")
        if isinstance(decision, dict):
            decision = decision.get("decision")
        if decision in ("promoted", "first_champion") and str(record.get("model_id")) not in seen:
            promoted.append((record, decision))
    if promoted:
        times = model_times([record for record, _ in promoted])
        for (record, decision), when in zip(promoted, times):
            model_id = str(record.get("model_id"))
            if not pd.isna(when):
                rows.append({"time": when, "model_id": model_id, "kind": decision, "actor": "trainer",
                             "reason": "first champion" if decision == "first_champion" else "passed the promotion gate"})
    frame = pd.DataFrame(rows, columns=["time", "model_id", "kind", "actor", "reason"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def trends_figure(frame: pd.DataFrame, metrics: Iterable[str], promotions: pd.DataFrame | None = None) -> go.Figure:
    """Metric lines over time with the PR-AUC baseline, promotion markers and the training-set size below.

    Legacy models (files without PR-AUC) are ticked just below the axis. Champion
    changes are stars at the top, with a vertical line each while there are at
    most :data:`MAX_PROMOTION_LINES` of them in view (more lines hide the data).
    """
    metrics = list(metrics)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.06,
                           subplot_titles=("Scores on each model's test set", "Training-set size (rows)"))
    x = frame["created_at"]
    hover = frame["model_id"] + frame["legacy"].map({True: " (legacy: no PR-AUC)", False: ""})
    mode = "lines+markers" if len(frame) <= MAX_MARKED_POINTS else "lines"
    for metric in metrics:
        figure.add_trace(go.Scatter(x=x, y=frame[metric], name=METRIC_LABELS[metric], mode=mode,
                                    line={"color": METRIC_COLORS[metric]}, hovertext=hover,
                                    hovertemplate="%{hovertext}<br>%{y:.3f}<extra>" + METRIC_LABELS[metric]
                                    + "</extra>", connectgaps=False), row=1, col=1)
    if "pr_auc" in metrics and frame["pr_auc"].notna().any():
        # the baseline only where there is a PR-AUC to compare with it (not under legacy models)
        baseline = frame["positive_rate"].where(frame["pr_auc"].notna())
        figure.add_trace(go.Scatter(x=x, y=baseline, name="PR-AUC of a random ranker (positive rate)",
                                    mode="lines", line={"dash": "dot", "color": "gray"}, hovertext=hover,
                                    hovertemplate="%{hovertext}<br>positive rate %{y:.3f}<extra></extra>"), row=1, col=1)
    legacy = frame[frame["legacy"]]
    if len(legacy):
        figure.add_trace(go.Scatter(x=legacy["created_at"], y=[-0.01] * len(legacy), mode="markers",
                                    name="legacy model (no PR-AUC)", hovertext=legacy["model_id"],
                                    marker={"symbol": "line-ns-open", "size": 10, "color": "gray"},
                                    hovertemplate="%{hovertext}: legacy file, no PR-AUC<extra></extra>"), row=1, col=1)
    if promotions is not None and len(promotions):
        # a promotion is logged just after its model is written: keep those of the models in view even when
        # that is after the newest model's time, or the newest champion is never marked
        in_view = (promotions["time"] <= x.max()) | promotions["model_id"].isin(frame["model_id"].astype(str))
        shown = promotions[(promotions["time"] >= x.min()) & in_view] if len(x) else promotions
        if len(shown) <= MAX_PROMOTION_LINES:
            line_x, line_y = [], []
            for when in shown["time"]:
                line_x += [when, when, None]
                line_y += [0, 1.05, None]
            figure.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", name="champion changes",
                                        line={"color": "gold", "width": 1, "dash": "dash"}, hoverinfo="skip"),
                             row=1, col=1)
        labels = shown["kind"].str.replace("_", " ") + ": " + shown["model_id"] + " by " + shown["actor"]
        figure.add_trace(go.Scatter(x=shown["time"], y=[1.05] * len(shown), mode="markers", name="new champion",
                                    marker={"symbol": "star", "size": 12, "color": "gold"}, hovertext=labels,
                                    hovertemplate="%{hovertext}<extra></extra>", showlegend=False), row=1, col=1)
    figure.add_trace(go.Bar(x=x, y=frame["training_samples"], name="training rows", marker_color="steelblue",
                            hovertext=frame["model_id"], hovertemplate="%{hovertext}<br>%{y:,} rows<extra></extra>",
                            showlegend=False), row=2, col=1)
    figure.update_yaxes(range=[-0.04, 1.1], title_text="score", row=1, col=1)
    figure.update_yaxes(title_text="rows", rangemode="tozero", row=2, col=1)
    figure.update_layout(height=600, margin={"t": 40, "b": 10, "l": 10, "r": 10}, hovermode="closest",
                         legend={"orientation": "h", "y": -0.12, "yanchor": "top"})
    return figure


# --- class balance -------------------------------------------------------------------------------------

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


# --- one model ------------------------------------------------------------------------------------------

def confusion_frame(metrics: dict) -> pd.DataFrame:
    """The 2x2 confusion matrix: index "actual ...", columns "predicted ..."; NaN where unknown."""
    cells = [["true_negatives", "false_positives"], ["false_negatives", "true_positives"]]
    return pd.DataFrame(
        [[number(metrics.get(key)) for key in row] for row in cells],
        index=["actual benign", "actual true positive"], columns=["predicted benign", "predicted true positive"])


def confusion_figure(frame: pd.DataFrame) -> go.Figure:
    text = [[fmt(v, 0) for v in row] for row in frame.to_numpy()]
    figure = go.Figure(go.Heatmap(z=frame.to_numpy(), x=list(frame.columns), y=list(frame.index), text=text,
                                  texttemplate="%{text}", colorscale="Blues", showscale=False,
                                  hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=300, margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return figure


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
    figure = go.Figure(go.Bar(x=ordered["importance"], y=ordered["feature"], orientation="h",
                              error_x={"type": "data", "array": ordered["std"]}, marker_color="steelblue"))
    figure.update_xaxes(title_text="drop in PR-AUC when the feature is shuffled")
    figure.update_layout(height=max(240, 26 * len(frame) + 60), margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return figure


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

