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
from typing import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.formatting import UNKNOWN, model_times, number
from trainer.contract.metrics import LABELS

METRIC_LABELS = {key: LABELS[key] for key in ("precision", "recall", "f1_score", "pr_auc", "roc_auc", "accuracy")}
#: one colour per score on every chart, far apart on the dark theme (the theme's default blues look alike)
METRIC_COLORS = {"precision": "#56B4E9", "recall": "#E69F00", "f1_score": "#CC79A7", "pr_auc": "#009E73",
                 "roc_auc": "#B4A7FF", "accuracy": "#D55E00", "alerts_skipped": "#F0F0F0"}
DEFAULT_TREND_METRICS = ("precision", "recall", "f1_score", "pr_auc")
#: each score its own dash and marker, widest drawn first: scores that coincide (0, 0, 0) all stay visible
METRIC_STYLES = {"precision": ("solid", "circle", 7), "recall": ("dash", "square", 5.5), "f1_score": ("dot", "diamond", 4),
                 "pr_auc": ("solid", "circle", 2.5), "roc_auc": ("dashdot", "triangle-up", 2.5),
                 "accuracy": ("longdash", "x", 2.5)}
ON_DEMAND_METRICS = ("roc_auc", "accuracy")
CLASS_SETS = {"train": "training set", "train_resampled": "final fit",
              "validation": "validation slice", "test": "test set"}
CLASS_NAMES = {"0": "benign (false positive)", "1": "true positive"}
#: the two classes in colours that cannot be mistaken for each other (the theme's two blues could)
CLASS_COLORS = {"benign (false positive)": "#56B4E9", "true positive": "#E69F00"}
PROMOTION_KINDS = ("promoted", "first_champion", "rolled_back")
MAX_PROMOTION_LINES = 60
#: a marker per model up to this many models in view; past it the markers overlap into a band and slow the page
MAX_MARKED_POINTS = 100


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

def default_trend_metrics(records: Iterable[dict]) -> tuple[str, ...]:
    """The scores drawn first: accuracy joins F1 when the history holds legacy files (high accuracy, F1 0 is their telltale)."""
    legacy = any(record.get("legacy") for record in records)
    return (*DEFAULT_TREND_METRICS, "accuracy") if legacy else DEFAULT_TREND_METRICS


#: with more models than this, Trends opens on the newest :data:`DEFAULT_LAST_N` instead of all of them
MANY_MODELS = 500
DEFAULT_LAST_N = 200


def default_last_n(records: list[dict]) -> int | None:
    """How many of the newest models Trends draws first: :data:`DEFAULT_LAST_N` past :data:`MANY_MODELS`, else all."""
    return DEFAULT_LAST_N if len(records) > MANY_MODELS else None


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


#: why a training ran, in words (the ``trigger`` of its ``training_finished`` event)
TRIGGER_WORDS = {"new_data": "new verdicts", "force": "asked for (Retrain now / cla train)", "drift": "drift",
                 "performance": "live recall fell", "max_age": "maximum age", "override_rate": "analysts overrode it",
                 "schedule": "schedule", "manual": "asked for (Retrain now / cla train)"}
#: champion changes: thin light vertical lines, unlike any score's colour and dash
CHANGE_LINE = {"color": "rgba(240, 240, 240, 0.45)", "width": 1.5, "dash": "solid"}


def training_triggers(events: Iterable[dict]) -> dict[str, str]:
    """Why each model's training ran, ``{model_id: words}``, from the event log's finished trainings."""
    out = {}
    for event in events:
        if event.get("event") in ("training_finished", "training_skipped") and event.get("model_id"):
            trigger = str(event.get("trigger") or "unknown")
            out[str(event["model_id"])] = TRIGGER_WORDS.get(trigger, trigger.replace("_", " "))
    return out


def trends_figure(frame: pd.DataFrame, metrics: Iterable[str], promotions: pd.DataFrame | None = None,
                  triggers: dict[str, str] | None = None) -> go.Figure:
    """Metric lines over time with the PR-AUC baseline, promotion markers and the training-set size below.

    Legacy models (files without PR-AUC) are ticked just below the axis. Champion
    changes are stars at the top, with a vertical line each while there are at
    most :data:`MAX_PROMOTION_LINES` of them in view (more lines hide the data).
    """
    metrics = list(metrics)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.06,
                           subplot_titles=("Scores on each model's test set", "Training-set size (rows)"))
    x = frame["created_at"]
    hover = frame["model_id"] + frame["legacy"].map({True: " (legacy file: no PR-AUC)", False: ""})
    if triggers is not None:
        hover = hover + " · ran for: " + frame["model_id"].astype(str).map(lambda m: triggers.get(m, "unknown"))
    mode = "lines+markers" if len(frame) <= MAX_MARKED_POINTS else "lines"
    for metric in sorted(metrics, key=lambda m: -METRIC_STYLES[m][2]):
        dash, symbol, width = METRIC_STYLES[metric]
        figure.add_trace(go.Scatter(x=x, y=frame[metric], name=METRIC_LABELS[metric], mode=mode,
                                    line={"color": METRIC_COLORS[metric], "dash": dash, "width": width},
                                    marker={"symbol": symbol, "size": 4 + 2 * width}, hovertext=hover,
                                    hovertemplate="%{hovertext}<br>%{y:.3f}<extra>" + METRIC_LABELS[metric]
                                    + "</extra>", connectgaps=False), row=1, col=1)
    span = readable_span(x)
    if "pr_auc" in metrics and frame["pr_auc"].notna().any():
        # the baseline only where there is a PR-AUC to compare with it (not under legacy models)
        baseline = frame["positive_rate"].where(frame["pr_auc"].notna())
        base_x, base_y, base_hover = x, baseline, hover
        if span is not None:  # one model: a line needs two points, so draw its baseline across the day shown
            base_x, base_y, base_hover = list(span), [baseline.iloc[-1]] * 2, [hover.iloc[-1]] * 2
        figure.add_trace(go.Scatter(x=base_x, y=base_y, name="PR-AUC of a random ranker (positive rate)",
                                    mode="lines", line={"dash": "dot", "color": "gray"}, hovertext=base_hover,
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
        labels = shown["kind"].str.replace("_", " ") + ": " + shown["model_id"] + " by " + shown["actor"]
        star_x, star_y = _on_points(shown, frame, metrics)
        if len(shown) <= MAX_PROMOTION_LINES:
            # each line where its star is: at the model's training time when the model is in view
            line_x, line_y = [], []
            for when in star_x:
                line_x += [when, when, None]
                line_y += [0, 1.05, None]
            figure.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", name="champion changes",
                                        line=CHANGE_LINE, hoverinfo="skip"), row=1, col=1)
        figure.add_trace(go.Scatter(x=star_x, y=star_y, mode="markers", name="new champion",
                                    marker={"symbol": "star", "size": 12, "color": "gold"}, hovertext=labels,
                                    hovertemplate="%{hovertext}<extra></extra>", showlegend=False), row=1, col=1)
    figure.add_trace(go.Bar(x=x, y=frame["training_samples"], name="training rows", marker_color="steelblue",
                            hovertext=frame["model_id"], hovertemplate="%{hovertext}<br>%{y:,} rows<extra></extra>",
                            showlegend=False), row=2, col=1)
    if span is not None:
        figure.update_xaxes(range=list(span))
    figure.update_yaxes(range=[-0.04, 1.1], title_text="score", row=1, col=1)
    figure.update_yaxes(title_text="rows", rangemode="tozero", row=2, col=1)
    figure.update_layout(height=600, margin={"t": 40, "b": 10, "l": 10, "r": 10}, hovermode="closest",
                         legend={"orientation": "h", "y": -0.12, "yanchor": "top"})
    return figure


def readable_span(x: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A day around the models when they were all trained within a minute (else None: the data sets the axis).

    Plotly would otherwise stretch one model (or a burst) over a sub-second axis.
    """
    times = x.dropna()
    if times.empty or times.max() - times.min() > pd.Timedelta(minutes=1):
        return None
    middle = times.min() + (times.max() - times.min()) / 2
    return middle - pd.Timedelta(hours=12), middle + pd.Timedelta(hours=12)


def _on_points(promotions: pd.DataFrame, frame: pd.DataFrame, metrics: list[str]) -> tuple[list, list]:
    """Where each champion star goes: on its model's point (time, first drawn score) when the model is in view.

    A promotion is logged just after its model is written, so its own time sits beside the point; a
    champion whose model is not in view keeps its time, at the top of the chart.
    """
    score = next((m for m in ("pr_auc", "f1_score", *metrics) if m in metrics), None)
    points = frame.drop_duplicates("model_id", keep="last").set_index("model_id")
    xs, ys = [], []
    for when, model_id in zip(promotions["time"], promotions["model_id"]):
        value = points[score].get(model_id) if score is not None and model_id in points.index else None
        if value is not None and not pd.isna(value):
            xs.append(points.at[model_id, "created_at"])
            ys.append(value)
        else:
            xs.append(when)
            ys.append(1.05)
    return xs, ys
