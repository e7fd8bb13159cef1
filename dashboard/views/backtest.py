"""Backtest page (url ``backtest``): what CLA would have done on a replayed history, beside its contenders.

Shown in the navigation when the models folder holds ``backtest.json`` (a
folder ``cla backtest`` wrote; ``cla dashboard --models-dir OUT``). It reads
that report (``trainer.backtest.read_report``) and lays out what
:mod:`dashboard.backtest_charts` builds: one row per contender, then per step
the true positives each let through and the alerts each let analysts skip,
added up, and each step's PR-AUC with CLA's trainings marked by trigger.
"""

from __future__ import annotations

import streamlit as st

from dashboard import backtest_charts, context
from dashboard.markdown import literal
from trainer.backtest import BacktestError, read_report
from trainer.contract.backtest_report import ContenderSummary

config = context.get_config()
st.title("Backtest")


def _or(value: object, missing: object) -> object:
    """``value``, or what the page says when the report does not hold it."""
    return missing if value is None else value


try:
    report = read_report(config.layout.backtest_report)
except FileNotFoundError:
    st.info(f"No backtest in {literal(str(config.layout.root))}. Replay a labelled history with "
            "`cla backtest FILE --out DIR`, then `cla dashboard --models-dir DIR`.")
    st.stop()
except (BacktestError, OSError) as exc:
    st.error(f"The backtest report cannot be read: {exc}")
    st.stop()

delay = str(report.verdict_delay)
st.caption(f"{report.steps} steps of {literal(str(report.every))} over "
           f"{literal(str(report.source))}; "
           + ("verdicts known as soon as the alert fired" if delay == "none" else f"verdicts known {literal(delay)} "
              "after their alert")
           + f"; recall target {report.recall_target}. At each step every contender scored the step's "
             "alerts before any of their verdicts was known.")
st.markdown("\n".join(f"- {line}" for line in backtest_charts.headline(report)))
st.dataframe(backtest_charts.summary_frame(report), hide_index=True, width="stretch")
cla = report.cla or ContenderSummary()
st.caption(f"CLA trained {_or(cla.trainings, 'unknown')} times ({_or(cla.failed_trainings, 0)} failed) and "
           f"promoted {_or(cla.promotions, 'unknown')} models. Recall and alerts skipped are pooled over every "
           "scored alert; PR-AUC is the mean over steps whose alerts hold both classes.")

steps = backtest_charts.step_frame(report)
trainings = backtest_charts.training_frame(report)
left, right = st.columns(2)
with left:
    st.subheader("True positives missed")
    st.plotly_chart(backtest_charts.missed_figure(steps), width="stretch", key="backtest_missed")
with right:
    st.subheader("Alerts skipped")
    st.plotly_chart(backtest_charts.skipped_figure(steps), width="stretch", key="backtest_skipped")
st.subheader("PR-AUC per step, and CLA's trainings")
st.plotly_chart(backtest_charts.pr_auc_figure(steps, trainings), width="stretch", key="backtest_pr_auc")
if not trainings.empty:
    with st.expander("CLA's trainings"):
        st.dataframe(trainings.assign(start=trainings["start"].dt.strftime("%Y-%m-%d %H:%M")), hide_index=True,
                     width="stretch")
