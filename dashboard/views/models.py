"""Models page: the registry as a table, the files that are not models, and the champion actions.

The table comes from :mod:`dashboard.tables` (filter, sort, page) over the
registry snapshot (:mod:`dashboard.snapshot`); incomplete and unreadable
files are listed apart, never as models. Promote, roll back and pin/unpin
call ``trainer.folder.registry.Registry`` with ``actor=context.current_user()``,
each behind a confirmation checkbox, and are disabled with the reason when
``context.can_control()`` says no; each is checked again when it runs
(``context.authorize``), and a refusal is shown and recorded. The page reruns when the watcher saw a
change (:func:`dashboard.snapshot.rerun_on_change`), so a new model shows
without reloading.
"""

from __future__ import annotations

import streamlit as st

from dashboard import context, tables
from dashboard.markdown import literal
from dashboard.snapshot import Snapshot, models_frame, rerun_on_change, snapshot

config = context.get_config()
RESULT_KEY = "models_action_result"
PAGE_SIZES = [10, 25, 50, 100, 200]
ACTION_OPTIONS = 200
ROW_PX = 35
SORTABLE = ["trained (UTC)", "model", *tables.NUMERIC_COLUMNS, "useful", "promotion"]
#: what fits from 1024 px up (a model id is its UTC training time); the rest behind "More columns"
MAIN_COLUMNS = ["mark", "model", "useful", "PR-AUC", "F1", "precision", "recall", "accuracy", "warnings", "promotion"]
MORE_COLUMNS = ["trained (UTC)", "ROC-AUC", "threshold", "training rows", "test rows"]

st.title("Models")
st.caption("Every model pair in the models folder. ★ marks the champion (the model used for scoring), "
           "⚑ a pinned model (never pruned). A missing value reads \"unknown\".")


def styled(page):
    """The page of the table with numbers formatted; the grid still sorts by the numbers underneath."""
    formats = {column: "{:.3f}" for column in tables.NUMERIC_COLUMNS}
    formats.update({"training rows": "{:,.0f}", "test rows": "{:,.0f}",
                    "trained (UTC)": lambda t: f"{t:%Y-%m-%d %H:%M}"})
    return page.style.format(formats, na_rep="unknown")


def show_table(current: Snapshot) -> list[dict]:
    """Filters, sort, pagination and the table; returns the models the filters keep (as records)."""
    frame = models_frame(current)
    text_col, useful_col, date_col = st.columns([3, 1, 2])
    text = text_col.text_input("Filter", key="models_text", placeholder="model id, warning, promotion decision")
    useful_only = useful_col.checkbox("Useful only", key="models_useful")
    start = end = None
    if date_col.checkbox("Trained between", key="models_by_date") and len(frame):
        picked = date_col.date_input("Dates (UTC)", key="models_dates", label_visibility="collapsed",
                                     value=(frame["trained (UTC)"].min().date(), frame["trained (UTC)"].max().date()))
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked
    kept = tables.filter_models(frame, text=text, useful_only=useful_only, start=start, end=end)

    sort_col, order_col, size_col, page_col = st.columns([2, 1, 1, 1])
    sort_by = sort_col.selectbox("Sort by", SORTABLE, key="models_sort")
    descending = order_col.toggle("Descending", value=True, key="models_desc")
    page_size = size_col.selectbox("Page size", PAGE_SIZES, index=1, key="models_page_size")
    pages = tables.page_count(len(kept), page_size)
    page = min(int(page_col.number_input("Page", min_value=1, value=1, step=1, key="models_page")), pages)
    ordered = tables.sort_models(kept, sort_by, descending=descending)
    page_rows = tables.page_of(ordered, page=page, page_size=page_size)
    more = st.toggle("More columns", key="models_more",
                     help=f"Also {', '.join(MORE_COLUMNS)}; the table then scrolls sideways on narrow screens.")
    st.dataframe(styled(page_rows), hide_index=True, width="stretch", height=ROW_PX * (len(page_rows) + 1) + 3,
                 placeholder="unknown", column_order=[*MAIN_COLUMNS, *(MORE_COLUMNS if more else [])],
                 key="models_table", column_config={
                     "mark": st.column_config.TextColumn(width=95),
                     "model": st.column_config.TextColumn(width=125),
                     "trained (UTC)": st.column_config.Column(width=118),
                     "useful": st.column_config.TextColumn(width=55),
                     **{name: st.column_config.NumberColumn(width=62) for name in tables.NUMERIC_COLUMNS},
                     "warnings": st.column_config.TextColumn(width="medium"),
                     "promotion": st.column_config.TextColumn(width="medium")})
    st.caption(f"Page {page} of {pages}: {len(kept)} of {len(frame)} models match the filters.")
    wanted = set(kept["model"])
    return [row for row in current.models if str(row["model_id"]) in wanted]


def show_problems(current: Snapshot) -> None:
    problems = current.derive("problems", lambda: tables.problem_frame(current.broken, current.problems))
    if problems.empty:
        return
    st.subheader("Files that are not models")
    st.caption("Incomplete pairs and unreadable files are never listed as models; they do not stop the dashboard.")
    st.dataframe(problems, hide_index=True, width="stretch", key="models_problems")


def run_action(action: str, confirm_key: str, call) -> None:
    """Button callback: check access, run ``call(actor)``, keep its outcome for display, clear the confirmation."""
    st.session_state[confirm_key] = False
    allowed, reason = context.authorize(action)
    if not allowed:
        st.session_state[RESULT_KEY] = ("error", f"{action} refused: {reason}")
        return
    actor = context.current_user()
    try:
        call(actor)
    except Exception as exc:  # noqa: BLE001 - the registry's message says what went wrong; shown, never fatal
        st.session_state[RESULT_KEY] = ("error", f"{action} failed: {exc}")
    else:
        st.session_state[RESULT_KEY] = ("success", f"{action}: done, recorded as {literal(actor)}.")


def show_actions(current: Snapshot, candidates: list[dict]) -> None:
    """Promote, roll back, pin/unpin, each with a confirmation; disabled with the reason when not allowed."""
    st.subheader("Actions")
    allowed, reason = context.can_control()
    if not allowed:
        st.info(reason)
    # Kept for the session: the change the action makes reruns the page, which must not wipe the outcome.
    outcome = st.session_state.get(RESULT_KEY)
    if outcome:
        (st.success if outcome[0] == "success" else st.error)(f"Last action: {outcome[1]}")
    if not current.models:
        st.caption("No model yet: nothing to promote, roll back or pin.")
        return
    registry = context.get_registry()
    by_id = {str(row["model_id"]): row for row in candidates or current.models}
    # the newest of the filtered models (the filter finds older ones): every option is sent to the browser
    options = sorted(by_id, reverse=True)[:ACTION_OPTIONS]
    promote_col, rollback_col, pin_col = st.columns(3)

    with promote_col:
        st.markdown("**Promote**")
        challengers = [m for m in options if m != current.champion_id]
        target = st.selectbox("Model to promote", options, key="models_promote_target",
                              index=options.index(challengers[0]) if challengers else 0,
                              format_func=lambda m: tables.model_label(by_id[m]))
        why = st.text_input("Reason", value="manual promotion from the dashboard", key="models_promote_reason")
        already = target == current.champion_id
        if by_id[target].get("useful") is False:
            st.warning(f"{target} is not useful (it carries a blocking warning).")
        if not already and tables.decision_of(by_id[target]) == "rejected":
            why_not = tables.rejection_reason(target, current.events) or "its reasons are on Model detail"
            st.warning(f"The trainer did not promote {target}: {why_not}. Promoting it by hand overrides that "
                       "decision; the Models table will show both.")
        confirmed = st.checkbox(f"Yes, make {target} the champion", key="models_promote_confirm",
                                disabled=not allowed or already)
        st.button("Promote", key="models_promote", disabled=not (allowed and confirmed) or already,
                  help=reason if not allowed else ("already the champion" if already else None),
                  on_click=run_action, args=(f"promote {target}", "models_promote_confirm",
                                             lambda actor: registry.promote(target, actor=actor, reason=why)))

    with rollback_col:
        st.markdown("**Roll back**")
        back_to = current.rollback_target
        then = current.history[1] if len(current.history) > 1 else None
        st.caption(f"Current champion: {current.champion_id or 'none'}. "
                   + (f"Rolling back makes {back_to}, the previous champion, the champion again; "
                      + (f"a rollback after that goes to {then}." if then else "it is the oldest champion on record.")
                      if back_to else "There is no previous champion to roll back to."))
        confirmed = st.checkbox(f"Yes, roll back to {back_to}" if back_to else "Yes, roll back",
                                key="models_rollback_confirm", disabled=not allowed or back_to is None)
        st.button("Roll back", key="models_rollback", disabled=not (allowed and confirmed),
                  help=reason if not allowed else None,
                  on_click=run_action, args=("roll back", "models_rollback_confirm",
                                             lambda actor: registry.rollback(actor=actor)))

    with pin_col:
        st.markdown("**Pin / unpin**")
        pin_target = st.selectbox("Model", options, key="models_pin_target",
                                  format_func=lambda m: tables.model_label(by_id[m]))
        pinned = bool(by_id[pin_target].get("pinned"))
        verb = "Unpin" if pinned else "Pin"
        confirmed = st.checkbox(f"Yes, {verb.lower()} {pin_target}", key="models_pin_confirm", disabled=not allowed)
        call = registry.unpin if pinned else registry.pin
        st.button(verb, key="models_pin", disabled=not (allowed and confirmed), help=reason if not allowed else None,
                  on_click=run_action, args=(f"{verb.lower()} {pin_target}", "models_pin_confirm",
                                             lambda actor: call(pin_target, actor=actor)))
        st.caption("A pinned model is never pruned by retention.")


def show_models(current: Snapshot) -> None:
    """The table, the problem files and the actions, redrawn from the current snapshot."""
    if not current.models:
        st.info("No model yet. Start the trainer or press Retrain now on the Overview page; models appear here "
                "as soon as their pair is written.")
    candidates = show_table(current) if current.models else []
    show_problems(current)
    show_actions(current, candidates)


shown = snapshot()
show_models(shown)
rerun_on_change(shown)
