"""Model detail page (url ``model``, ``?model=<id>``): everything one metrics file says about one model.

The picker defaults to the ``?model=`` query parameter, then the champion,
then the newest model, and writes the choice back to the URL so the view can
be shared. The sections (confusion matrix, PR curve with the operating point,
reliability, threshold trade-off, feature importance, data quality, the
promotion decision against the champion) are built by :mod:`dashboard.charts`
from ``Registry.get`` (:mod:`dashboard.snapshot`). A section the file does not
record says so; a legacy file is flagged as having no PR-AUC. The model
file's signature is checked (``Registry.verify``: hashed, never unpickled,
cached by size and mtime) and a failure is shown above everything else.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, context
from dashboard.explanations import findings, is_legacy, threshold_origin
from dashboard.markdown import literal
from dashboard.snapshot import Snapshot, full_metrics, problem_notice, rerun_on_change, snapshot
from dashboard.tables import LEGACY_FLAG, model_label
from trainer.folder.signing import UNSIGNED

config = context.get_config()
PICK_KEY = "detail_model"

st.title("Model detail")


def absent(what: str, metrics: dict) -> None:
    """Say that the file records no ``what`` (and why, for a legacy file)."""
    reason = f" It is a legacy file: {LEGACY_FLAG}." if is_legacy(metrics) else ""
    st.info(f"unknown: this metrics file records no {what}.{reason}")


def pick_model(current) -> str | None:
    """The model to show: the picker's choice, initialised from ``?model=``, the champion or the newest."""
    by_id = {str(row["model_id"]): row for row in current.models}
    if not by_id:
        return None
    options = sorted(by_id, reverse=True)
    wanted = st.query_params.get("model")
    if st.session_state.get(PICK_KEY) not in by_id:
        if wanted and wanted not in by_id:
            st.warning(f"Model {literal(wanted)} (from the address) is not in the models folder; showing another one.")
        for candidate in (wanted, current.champion_id, options[0]):
            if candidate in by_id:
                st.session_state[PICK_KEY] = candidate
                break
    chosen = st.selectbox("Model", options, key=PICK_KEY, format_func=lambda m: model_label(by_id[m]))
    if st.query_params.get("model") != chosen:
        st.query_params["model"] = chosen
    return chosen


def show_model(model_id: str, champion_id: str | None) -> None:
    """Every section for one model."""
    try:
        metrics = full_metrics(model_id)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, never fatal
        st.error(f"The metrics file of {model_id} cannot be read: {exc}. It is listed on the Models page.")
        return
    trained = charts.model_time({**metrics, "model_id": model_id})
    facts = [f"trained {trained:%Y-%m-%d %H:%M:%S} UTC" if not pd.isna(trained) else "training time unknown"]
    facts.append("the current champion" if model_id == champion_id else "not the champion")
    useful = metrics.get("useful")
    facts.append("useful" if useful is True else "NOT useful" if useful is False else "usefulness unknown")
    if is_legacy(metrics):
        facts.append(LEGACY_FLAG)
    try:
        verdict = context.get_registry().verify(model_id)
    except Exception as exc:  # noqa: BLE001 - the check could not run: say so, never hide it
        st.error(f"The model file of {model_id} could not be checked: {exc}.")
    else:
        if verdict.trusted:
            facts.append("signature verified")
        else:  # unsigned is the old CLA's normal state; a failed or impossible check is an error
            (st.warning if verdict.state == UNSIGNED else st.error)(f"Model file {verdict.state}: {verdict.reason}.")
    st.markdown(f"**{model_id}**: " + "; ".join(facts) + ".")

    keys = ["pr_auc", "f1_score", "precision", "recall", "accuracy", "roc_auc"]
    for column, key in zip(st.columns(len(keys)), keys):
        column.metric(charts.METRIC_LABELS[key], charts.fmt(metrics.get(key)))
    st.caption(f"Threshold {charts.fmt(metrics.get('threshold'))}; test rows {charts.fmt(metrics.get('test_samples'), 0)}; "
               f"training rows {charts.fmt(metrics.get('training_samples'), 0)}; share of test alerts scored below "
               f"the threshold (workload saved) {charts.percent(metrics.get('workload_saved'))}.")
    if origin := threshold_origin(metrics):
        st.caption(origin)
    for finding in findings(metrics, severe_imbalance_share=config.training.severe_imbalance_share,
                            min_test_positives=config.training.min_test_positives):
        if finding["severity"] == "blocking":
            st.error(f"{finding['code'].replace('_', ' ')}: {finding['message']}")

    left, right = st.columns(2)
    with left:
        st.subheader("Confusion matrix (test set)")
        confusion = charts.confusion_frame(metrics)
        if confusion.isna().all().all():
            absent("confusion counts", metrics)
        else:
            st.plotly_chart(charts.confusion_figure(confusion), width="stretch", key="detail_confusion")
            st.dataframe(confusion.map(lambda v: charts.fmt(v, 0)), width="stretch")
    with right:
        st.subheader("Precision-recall curve")
        if charts.curve_frame(metrics, "pr", ["precision", "recall", "threshold"]).empty:
            absent("PR curve", metrics)
        else:
            st.plotly_chart(charts.pr_figure(metrics), width="stretch", key="detail_pr")
        point = charts.operating_point(metrics)
        st.caption(f"Operating point: precision {charts.fmt(point['precision'])}, recall {charts.fmt(point['recall'])} "
                   f"at threshold {charts.fmt(point['threshold'])}; PR-AUC {charts.fmt(metrics.get('pr_auc'))}.")

    left, right = st.columns(2)
    with left:
        st.subheader("Reliability")
        if charts.curve_frame(metrics, "reliability", ["mean_predicted", "fraction_positive", "count"]).empty:
            absent("reliability curve", metrics)
        else:
            st.plotly_chart(charts.reliability_figure(metrics), width="stretch", key="detail_reliability")
    with right:
        st.subheader("Threshold trade-off")
        tradeoff = charts.curve_frame(metrics, "threshold_tradeoff", ["threshold", "precision", "recall", "alerts_skipped"])
        if tradeoff.empty:
            absent("threshold trade-off", metrics)
        else:
            st.plotly_chart(charts.tradeoff_figure(metrics), width="stretch", key="detail_tradeoff")
            st.caption("Alerts skipped: the share of test alerts scored below the threshold, which an analyst "
                       "would not need to look at first.")

    left, right = st.columns(2)
    with left:
        st.subheader("Feature importance")
        importance = charts.importance_frame(metrics)
        if importance.empty:
            absent("feature importance", metrics)
        else:
            st.plotly_chart(charts.importance_figure(importance), width="stretch", key="detail_importance")
    with right:
        st.subheader("Data quality")
        quality = metrics.get("data_quality") if isinstance(metrics.get("data_quality"), dict) else {}
        if not quality:
            absent("data-quality counts", metrics)
        else:
            st.dataframe(charts.data_quality_frame(metrics), hide_index=True, width="stretch")
            quarantine = quality.get("quarantine_file")
            if quarantine:
                st.caption(f"Quarantined rows, with the reason for each: `{config.layout.root / quarantine}`")

    st.subheader("Promotion decision")
    promotion = metrics.get("promotion") if isinstance(metrics.get("promotion"), dict) else {}
    if not promotion:
        absent("promotion decision", metrics)
        return
    decision = str(promotion.get("decision") or "unknown").replace("_", " ")
    against = promotion.get("champion_id")
    st.markdown(f"**{decision}**" + (f" against champion {against}" if against else "")
                + f", compared on {charts.METRIC_LABELS.get(promotion.get('metric'), promotion.get('metric') or 'unknown')}"
                + " with both models scored on this model's test set.")
    comparison = charts.promotion_comparison_frame(metrics)
    if not comparison.empty:
        st.dataframe(comparison, hide_index=True, width="content")
    for reason in promotion.get("reasons") or []:
        st.markdown(f"- {reason}")


def show_detail(current: Snapshot) -> None:
    """The picker (new models appear in it) and the chosen model."""
    problem_notice(current)
    chosen = pick_model(current)
    if chosen is None:
        st.info("No model yet: nothing to show. Start the trainer or press Retrain now on the Overview page.")
        return
    show_model(chosen, current.champion_id)


shown = snapshot()
show_detail(shown)
rerun_on_change(shown)
