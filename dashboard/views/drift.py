"""Drift page: have the alerts moved since the champion was trained, and how is it doing on new verdicts?

Lays out the drift report the trainer service writes (``drift_report.json``,
read by :func:`dashboard.drift_summary.current_report`; nothing is computed
here): the features ranked by drift, the training and recent distributions of
a chosen feature side by side, the champion's score distribution, the
true-positive share per day, and the champion's live precision and recall per
day against its test-slice figures (:mod:`dashboard.drift_charts`). A
``run_every`` fragment reruns the page when the watcher counts a new report.
"""

from __future__ import annotations

import streamlit as st

from dashboard import context, drift_charts
from dashboard.drift_summary import current_report, drift_history, drift_retrains, num, share, staleness, summary
from dashboard.markdown import literal
from trainer.contract.drift_report import DriftReport, DriftWindow, Prevalence

config = context.get_config()
report = current_report(config.layout)
watcher = context.get_watcher()
shown_generation = watcher.generation_of("drift", "champion") if watcher.check() else None

st.title("Drift")
st.caption("The alerts since the champion was trained against its training window, and the champion scored on "
           "every verdict that arrived since. Levels come from the population stability index (PSI "
           f"{config.drift.psi_moderate:g}: moderate, {config.drift.psi_major:g}: major); the KS or chi-squared test "
           "only keeps a handful of alerts from raising a level. See docs/DRIFT.md.")


SOURCE_KEY = repr(sorted(vars(config.source).items()))


@st.cache_data(ttl=30, show_spinner=False, max_entries=4)
def source_fingerprint(source_key: str) -> str | None:
    """The feedback source's ``latest_change()`` (one cheap query), at most every 30 s per source."""
    from trainer.monitoring import data_fingerprint

    return data_fingerprint(config)


def compute_fresh() -> None:
    """Button callback: what `cla drift --refresh` does, checked where it runs."""
    allowed, reason = context.authorize("compute the drift report")
    if not allowed:
        st.session_state["drift_refresh_result"] = ("error", f"Computing the drift report refused: {reason}")
        return
    from trainer.monitoring import refresh

    try:
        fresh = DriftReport.from_json(refresh(config))
    except OSError as exc:
        st.session_state["drift_refresh_result"] = ("error", f"The drift report could not be written: {exc}")
        return
    source_fingerprint.clear()
    st.session_state["drift_refresh_result"] = (
        "success", f"Fresh report computed at {str(fresh.computed_at)[:19].replace('T', ' ')} UTC.")


def stale_notice() -> None:
    """Say when the report is older than the champion or the feedback, and offer a fresh one."""
    champion = context.get_registry().champion()
    stale = staleness(report, champion.model_id if champion is not None else None, source_fingerprint(SOURCE_KEY))
    outcome = st.session_state.pop("drift_refresh_result", None)
    if outcome:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    if not stale:
        return
    st.warning(f"Stale: {stale}.", icon=":material/history:")
    allowed, reason = context.can_control()
    st.button("Compute a fresh report now", key="drift_refresh", on_click=compute_fresh, disabled=not allowed,
              help=reason if not allowed else "Reads the feedback and scores the recent alerts, as `cla drift "
                                              "--refresh` does; a few seconds on a large store.")


def no_report() -> None:
    if report is None:
        st.info("No drift report yet. The trainer service writes one as soon as there is a champion, then every "
                f"{config.drift.interval_minutes:g} min when feedback arrived; `cla drift` computes one now.")
    else:
        st.warning(f"Drift and live performance unknown: {report.error}")


def header() -> None:
    line, warning = summary(report)
    if warning:  # the summary's pointer to this page is not repeated on it
        st.warning(warning.removesuffix(" See the Drift page."), icon=":material/warning:")
    st.markdown(line)
    window = report.window or DriftWindow()
    st.caption(f"Champion {report.champion_id} · report computed "
               f"{str(report.computed_at or 'unknown').replace('T', ' ')[:19]} UTC from {report.source}")
    left, middle, right = st.columns(3)
    left.metric("Recent alerts", f"{window.recent_rows or 0:,}", help=f"fired after {window.recent_after}")
    middle.metric("New verdicts", f"{window.recent_labelled or 0:,}", help="recent alerts with a verdict")
    right.metric("Training window", f"{window.reference_rows or 0:,}",
                 help=f"verdicts from {window.training_start} to {window.training_end}")


def over_time() -> None:
    """The drift of each feature at every report the trainer wrote, and each retrain the drift started."""
    st.subheader("Drift over time")
    frame = drift_charts.history_frame(drift_history(config.layout))
    retrains = drift_retrains(context.get_registry().events(limit=2000))
    if retrains:
        last = retrains[-1]
        st.markdown(f"**Last retrain on drift**: {str(last.at).replace('T', ' ')[:19]} UTC, "
                    f"{literal(last.message)} → training {last.outcome}"
                    + (f", model `{last.model_id}`" if last.model_id else "") + ".")
    if frame.empty:
        st.info("No history yet: each drift report the trainer writes adds a point here.")
        return
    st.caption("PSI of the most drifted features at each report. A hollow marker is a report on fewer recent "
               f"alerts than drift.min_rows ({config.drift.min_rows:,}): its PSI is shown, no level is claimed "
               "from it. Dashed blue lines: trainings the drift signal started.")
    st.plotly_chart(drift_charts.history_figure(frame, retrains, moderate=config.drift.psi_moderate,
                                                major=config.drift.psi_major), width="stretch", key="drift_history")


def features() -> None:
    st.subheader("Features ranked by drift")
    ranking = drift_charts.ranking_frame(report)
    st.dataframe(ranking.style.format({"PSI": "{:.3f}", "statistic": "{:.3f}", "p-value": "{:.1e}",
                                       "importance share": "{:.1%}"}, na_rep="unknown"),
                 hide_index=True, width="stretch", key="drift_ranking")
    if ranking.empty:
        return
    names = ranking["feature"].tolist()
    picked = st.selectbox("Feature", names, index=0, key="drift_feature",
                          help="Training window and recent alerts, side by side.")
    row = report.feature(picked)
    frame = drift_charts.distribution_frame(row)
    floor = report.thresholds.min_rows
    st.plotly_chart(drift_charts.distribution_figure(frame, f"{picked}: training window vs recent alerts",
                                                     recent_rows=row.recent_rows if row else None, floor=floor),
                    width="stretch", key="drift_distribution")
    if row and row.unseen_categories:
        st.caption("Never seen in training: " + ", ".join(literal(c) for c in row.unseen_categories))


def scores() -> None:
    st.subheader("Champion score distribution")
    score = report.score
    if not score:
        st.info(f"Unknown: {report.score_error or 'no recent alert or no test slice to compare'}.")
        return
    st.caption(f"Scores on recent alerts against scores on its test slice: PSI {num(score.psi)}, "
               f"KS {num(score.statistic)}, level {drift_charts.level_text(report, score.level)}.")
    st.plotly_chart(drift_charts.distribution_figure(drift_charts.distribution_frame(score), "Champion score",
                                                     reference="test slice (at training)",
                                                     recent_rows=score.recent_rows,
                                                     floor=report.thresholds.min_rows),
                    width="stretch", key="drift_scores")


def prevalence() -> None:
    st.subheader("True-positive share")
    block = report.prevalence or Prevalence()
    training, recent = block.training, block.recent
    if not recent.verdicts:
        st.info("Unknown: no verdict has arrived since the champion was trained.")
        return
    st.caption(f"Training window {share(training.share)} of {training.verdicts} verdicts; recent "
               f"{share(recent.share)} [{share(recent.low)}, {share(recent.high)}] of {recent.verdicts}"
               + (" — changed beyond its interval." if block.flagged else "."))
    st.plotly_chart(drift_charts.prevalence_figure(drift_charts.prevalence_frame(report), training.share),
                    width="stretch", key="drift_prevalence")


def live() -> None:
    st.subheader("Live performance")
    block = report.live
    if not block:
        st.info("Unknown: no verdict has arrived since the champion was trained, or it cannot be scored.")
        return
    test = block.test_slice
    if block.sampled_from:
        st.caption(f"A uniform sample of the {block.sampled_from:,} new verdicts was scored "
                   "(drift.max_score_rows); the last N are the newest exactly.")
    st.dataframe(drift_charts.live_table(report).style.format(precision=3, na_rep="unknown"), hide_index=True,
                 width="stretch", key="drift_live_table")
    st.plotly_chart(drift_charts.live_figure(drift_charts.live_frame(report), test), width="stretch",
                    key="drift_live")


if report is None or report.error:
    no_report()
    stale_notice()
    over_time()
else:
    stale_notice()
    header()
    over_time()
    features()
    scores()
    prevalence()
    live()


shown_fingerprint = source_fingerprint(SOURCE_KEY)


@st.fragment(run_every=config.dashboard.refresh_seconds)
def watch_report() -> None:
    """Rerun the page once the trainer service wrote a new report (or the champion changed), or once feedback
    arrived since it was drawn (asked of the source at most every 30 s), so "stale" shows without a reload."""
    now = watcher.generation_of("drift", "champion") if watcher.check() else None
    if shown_generation is None or now != shown_generation:
        if current_report(config.layout) != report:
            st.rerun()
    if source_fingerprint(SOURCE_KEY) != shown_fingerprint:
        st.rerun()


watch_report()
