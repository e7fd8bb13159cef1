"""Model detail page (url ``model``, ``?model=<id>``): everything one metrics file says about one model.

The model shown is the ``?model=`` query parameter, else the champion, else
the newest model, written back to the URL so the view can be shared; a picker
in an expander (run once opened) changes it. Below the scores, each section
is a tab run only while open (the confusion matrix as a table; the curves: PR
curve with the operating point, threshold trade-off and reliability; feature
importance and data quality), and the promotion decision against the champion follows. All
are built by :mod:`dashboard.charts` and :mod:`dashboard.detail_charts` from
``Registry.get`` (:mod:`dashboard.snapshot`). A section the file does not
record says so; a legacy file is flagged as having no PR-AUC. The model
file's signature is checked (``Registry.verify``: hashed, never unpickled,
cached by size and mtime) and a failure is shown above everything else.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, context, detail_charts, formatting
from dashboard.explanations import findings, is_legacy, threshold_origin
from dashboard.imbalance import recipe_line
from dashboard.markdown import literal
from dashboard.snapshot import Snapshot, full_metrics, problem_notice, rerun_on_change, snapshot
from dashboard.tables import model_label

config = context.get_config()
PICK_KEY = "detail_model"
PICKER_OPEN_KEY = "detail_picker"
PICKER_MODELS = 200
SECTION_KEY = "detail_section"
SECTIONS = ["Test set", "Curves", "Features and data quality"]

st.title("Model detail")


def absent(what: str, metrics: dict) -> None:
    """Say that the file records no ``what``; why (a legacy file) is said once, at the top of the page."""
    st.info(f"unknown: this metrics file records no {what}.")


def follow_pick() -> None:
    """The picker's choice goes to the address, which says which model the page shows."""
    st.query_params["model"] = st.session_state[PICK_KEY]


def pick_model(current) -> str | None:
    """The model to show: ``?model=``, else the champion, else the newest; the address is written back.

    The picker sits in an expander run only once opened: most visits arrive by a
    link naming the model, and a closed picker costs a new tab nothing, where a
    drawn select box cost it about a tenth of its load time.
    """
    by_id = current.derive("models_by_id", lambda: {str(row["model_id"]): row for row in current.models})
    if not by_id:
        return None
    newest = current.derive("newest_ids", lambda: sorted(by_id, reverse=True)[:PICKER_MODELS])
    wanted = st.query_params.get("model")
    if wanted and wanted not in by_id:
        st.warning(f"Model {literal(wanted)} (from the address) is not in the models folder; showing another one.")
    chosen = next(m for m in (wanted, current.champion_id, newest[0]) if m in by_id)
    if wanted != chosen:
        st.query_params["model"] = chosen
    picker = st.expander("Pick another model", key=PICKER_OPEN_KEY, on_change="rerun")
    if picker.open:
        # the newest few, plus the champion and the model shown: ten thousand options would each be sent to the browser
        options = list(dict.fromkeys([*newest, *(m for m in (current.champion_id, chosen) if m in by_id)]))
        st.session_state[PICK_KEY] = chosen
        picker.selectbox("Model", options, key=PICK_KEY, format_func=lambda m: model_label(by_id[m]), on_change=follow_pick,
                         help=f"The newest {PICKER_MODELS} models and the champion; any other model opens from "
                              "its link on the Overview or the Models page, or with ?model=<id> in the address.")
    return chosen


def test_set_section(metrics: dict) -> None:
    """The confusion matrix on the model's test set: what the model lets through, in rows and shares."""
    st.subheader("Confusion matrix (test set)")
    confusion = detail_charts.confusion_frame(metrics)
    if confusion.isna().all().all():
        absent("confusion counts", metrics)
        return
    table, guide = st.columns([3, 2])
    table.table(detail_charts.confusion_table(confusion))
    guide.caption("Each cell: test alerts and their share of the actual class (each row sums to 100%), coloured by "
                  "that share. Outlined: the attacks the model let through as benign, the cell to watch. The "
                  "curves behind these counts are in the Curves tab.")


def curve_chart(metrics: dict, title: str, curve: str, columns: list[str], what: str, figure, key: str) -> bool:
    """One stored curve under its subheader, drawn by ``figure(metrics)``, or "unknown" when the file lacks it.

    True when the chart was drawn.
    """
    st.subheader(title)
    if detail_charts.curve_frame(metrics, curve, columns).empty:
        absent(what, metrics)
        return False
    st.plotly_chart(figure(metrics), width="stretch", key=key)
    return True


def curves_section(metrics: dict) -> None:
    """Precision-recall curve with the operating point, what each threshold would trade, and calibration."""
    left, right = st.columns(2)
    with left:
        curve_chart(metrics, "Precision-recall curve", "pr", ["precision", "recall", "threshold"], "PR curve",
                    detail_charts.pr_figure, "detail_pr")
        point = detail_charts.operating_point(metrics)
        st.caption(f"Operating point: precision {formatting.fmt(point['precision'])}, recall {formatting.fmt(point['recall'])} "
                   f"at threshold {formatting.fmt(point['threshold'])}; PR-AUC {formatting.fmt(metrics.get('pr_auc'))}.")
    with right:
        if curve_chart(metrics, "Threshold trade-off", "threshold_tradeoff",
                       ["threshold", "precision", "recall", "alerts_skipped"], "threshold trade-off",
                       detail_charts.tradeoff_figure, "detail_tradeoff"):
            st.caption("Alerts skipped: the share of test alerts scored below the threshold, which an analyst "
                       "would not need to look at first.")
    left, _ = st.columns(2)
    with left:
        curve_chart(metrics, "Reliability", "reliability", ["mean_predicted", "fraction_positive", "count"],
                    "reliability curve", detail_charts.reliability_figure, "detail_reliability")


def features_section(metrics: dict) -> None:
    """Which features the model leans on, and what happened to the rows it was trained on."""
    left, right = st.columns(2)
    with left:
        st.subheader("Feature importance")
        importance = detail_charts.importance_frame(metrics)
        if importance.empty:
            absent("feature importance", metrics)
        else:
            st.plotly_chart(detail_charts.importance_figure(importance), width="stretch", key="detail_importance")
        st.subheader("Columns")
        columns = detail_charts.feature_columns_frame(metrics)
        if columns.empty:
            absent("list of feature columns", metrics)
        else:
            st.caption("What the model learned from, and why every other column was left out.")
            st.dataframe(columns, hide_index=True, width="stretch")
    with right:
        st.subheader("Data quality")
        quality = metrics.get("data_quality") if isinstance(metrics.get("data_quality"), dict) else {}
        if not quality:
            absent("data-quality counts", metrics)
        else:
            # a dataframe, not st.table: quarantine reasons name the data's columns, and st.table renders Markdown
            st.dataframe(detail_charts.data_quality_frame(metrics), hide_index=True, key="detail_data_quality")
            quarantine = quality.get("quarantine_file")
            if quarantine:
                st.caption(f"Quarantined rows, with the reason for each: `{config.layout.root / quarantine}`")


def flag_rates(metrics: dict) -> str:
    """What "useful" does and does not promise, with the share of benign and of all test alerts the model flags.

    "Useful" is the trainer's criterion (`trainer.learning.diagnostics.is_useful`): no blocking warning, so the
    model finds some true positives and does not give every alert one verdict. A model that flags most benign
    alerts passes it; the shares say how much work it leaves.
    """
    tp, fp, tn, fn = (formatting.number(metrics.get(key)) for key in
                      ("true_positives", "false_positives", "true_negatives", "false_negatives"))
    if any(pd.isna(v) for v in (tp, fp, tn, fn)) or tp + fp + tn + fn == 0:
        return ""
    benign = fp / (fp + tn) if fp + tn else float("nan")
    flagged = (tp + fp) / (tp + fp + tn + fn)
    return (f"It flags {formatting.percent(benign)} of the benign test alerts and {formatting.percent(flagged)} of "
            "all test alerts. Useful means no blocking warning: it finds true positives and does not give every "
            "alert one verdict; it does not mean it saves much work.")


def show_model(model_id: str, champion_id: str | None) -> None:
    """Every section for one model."""
    try:
        metrics = full_metrics(model_id)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, never fatal
        st.error(f"The metrics file of {model_id} cannot be read: {exc}. It is listed on the Models page.")
        return
    trained = formatting.model_time({**metrics, "model_id": model_id})
    facts = [f"trained {trained:%Y-%m-%d %H:%M:%S} UTC" if not pd.isna(trained) else "training time unknown"]
    facts.append("the current champion" if model_id == champion_id else "not the champion")
    useful = metrics.get("useful")
    facts.append("useful (no blocking warning)" if useful is True else "NOT useful (a blocking warning, below)"
                 if useful is False else "usefulness unknown")
    if is_legacy(metrics):
        facts.append("a legacy file from the old CLA: it records no PR-AUC, curves or class counts, so those "
                     "sections below read unknown")
    try:
        verdict = context.get_registry().verify(model_id)
    except Exception as exc:  # noqa: BLE001 - the check could not run: say so, never hide it
        st.error(f"The model file of {model_id} could not be checked: {exc}.")
    else:
        if verdict.trusted:
            facts.append("signature verified")
        else:  # unsigned is the old CLA's normal state; a failed or impossible check is an error
            (st.warning if context.unsigned(verdict) else st.error)(f"Model file {verdict.state}: {verdict.reason}.")
    st.markdown(f"**{model_id}**: " + "; ".join(facts) + ".")

    keys = ["pr_auc", "f1_score", "precision", "recall", "accuracy", "roc_auc"]
    for column, key in zip(st.columns(len(keys)), keys):
        column.metric(charts.METRIC_LABELS[key], formatting.fmt(metrics.get(key)))
    # one caption, a line per fact: each element drawn costs a new tab some of its load time
    lines = [f"Threshold {formatting.fmt(metrics.get('threshold'))}; test rows {formatting.fmt(metrics.get('test_samples'), 0)}; "
             f"training rows {formatting.fmt(metrics.get('training_samples'), 0)}; share of test alerts scored below "
             f"the threshold (workload saved) {formatting.percent(metrics.get('workload_saved'))}.",
             flag_rates(metrics), threshold_origin(metrics), recipe_line(metrics)]
    st.caption("  \n".join(line for line in lines if line))
    for finding in findings(metrics, severe_imbalance_share=config.training.severe_imbalance_share,
                            min_test_positives=config.training.min_test_positives):
        if finding["severity"] == "blocking":
            st.error(f"{finding['title']}: {finding['message']}")

    # One section at a time, each run only when its tab is open. A new tab shows the test set's counts and draws
    # no chart: the charts' scripts and drawing were a tenth of its load time (above its floor); the curves are
    # one click away.
    test_set, curves, features = st.tabs(SECTIONS, key=SECTION_KEY, on_change="rerun")
    if test_set.open:
        with test_set:
            test_set_section(metrics)
    if curves.open:
        with curves:
            curves_section(metrics)
    if features.open:
        with features:
            features_section(metrics)

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
    comparison = detail_charts.promotion_comparison_frame(metrics)
    if not isinstance(promotion.get("champion"), dict):
        comparison = comparison.drop(columns="champion")
        st.caption("There was no champion to score on this test set" + (
            f" ({against} could not be scored: see the reasons below)." if against else
            ": this model's own scores are shown alone."))
    if not comparison.empty:
        st.table(comparison.set_index("metric"))
    if reasons := promotion.get("reasons"):
        st.markdown("\n".join(f"- {reason}" for reason in reasons))


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
