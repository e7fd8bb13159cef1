"""The Models page under AppTest: the table in every state, filters and pages, and the champion actions."""

from __future__ import annotations

from datetime import date

import pytest
from helpers.pagetext import no_exception, page_text, table_with

from trainer.folder.registry import Registry

PAGE = "views/models.py"


@pytest.mark.parametrize("scenario, models, expected", [
    ("empty", 0, ["No model yet. Start the trainer", "nothing to promote, roll back or pin"]),
    ("legacy", 3, ["3 of 3 models match"]),
    ("degenerate", 5, ["5 of 5 models match"]),
    ("healthy", 4, ["4 of 4 models match", "Current champion: 20261120_110000"]),
    ("crashed", 4, ["4 of 4 models match"]),
    ("unreadable", 4, ["4 of 4 models match", "Files that are not models"]),
], indirect=["scenario"])
def test_models_table_in_every_state(scenario, models, expected, build):
    app = build.run_app(PAGE)
    no_exception(app)
    text = page_text(app)
    for phrase in expected:
        assert phrase in text
    if models:
        table = table_with(app, "PR-AUC")
        assert len(table) == models
        assert "unreadable" not in set(table["useful"])


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_champion_marked_and_unreadable_file_listed_apart(scenario, build):
    build.write_champion(scenario.models_dir, build.stamp(3), previous=[build.stamp(2)], pinned=[build.stamp(0)])
    scenario.layout.metrics_path(build.stamp(6)).write_text("{broken", encoding="utf-8")
    app = build.run_app(PAGE)
    table = table_with(app, "PR-AUC").set_index("model")
    assert table.loc[build.stamp(3), "mark"] == "★ champion"
    assert table.loc[build.stamp(0), "mark"] == "⚑ pinned"
    assert build.stamp(6) not in table.index
    problems = table_with(app, "problem")
    assert problems["file"].tolist() == [f"model_metrics_{build.stamp(6)}.json"]
    assert "not valid JSON" in problems["problem"].iloc[0]


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_legacy_models_are_flagged_and_missing_numbers_stay_missing(scenario, build):
    app = build.run_app(PAGE)
    table = table_with(app, "PR-AUC")
    assert table["warnings"].str.startswith("no PR-AUC (legacy)").all()
    assert table["PR-AUC"].isna().all()  # shown as "unknown" by the page's formatting, never as 0


@pytest.mark.parametrize("scenario", ["empty"], indirect=True)
def test_filter_sort_and_paginate(scenario, build):
    for i in range(12):
        metrics = build.degenerate_metrics(build.stamp(i)) if i % 3 == 0 else build.healthy_metrics(
            build.stamp(i), pr_auc=0.5 + i / 100)
        build.write_pair(scenario.models_dir, metrics)
    app = build.run_app(PAGE)
    app.selectbox(key="models_page_size").set_value(10).run()
    assert "Page 1 of 2: 12 of 12 models match" in page_text(app)
    app.number_input(key="models_page").set_value(2).run()
    assert len(table_with(app, "PR-AUC")) == 2
    app.checkbox(key="models_useful").check().run()
    assert "Page 1 of 1: 8 of 12 models match" in page_text(app)
    app.selectbox(key="models_sort").set_value("PR-AUC").run()
    assert table_with(app, "PR-AUC")["model"].iloc[0] == build.stamp(11)
    app.checkbox(key="models_useful").uncheck().run()
    app.text_input(key="models_text").set_value("predicts_one_class").run()
    assert "4 of 12 models match" in page_text(app)
    app.text_input(key="models_text").set_value("").run()
    app.checkbox(key="models_by_date").check().run()
    assert "12 of 12 models match" in page_text(app)  # the default range spans every model
    app.date_input(key="models_dates").set_value((date(2026, 11, 19), date(2026, 11, 19))).run()
    assert "0 of 12 models match" in page_text(app)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_promote_needs_confirmation_and_records_the_actor(scenario, build, monkeypatch):
    monkeypatch.setattr("dashboard.context.current_user", lambda: "carol")
    app = build.run_app(PAGE)
    app.selectbox(key="models_promote_target").set_value(build.stamp(1)).run()
    assert app.button(key="models_promote").disabled
    app.checkbox(key="models_promote_confirm").check().run()
    app.button(key="models_promote").click().run()
    no_exception(app)
    assert f"promote {build.stamp(1)}: done, recorded as `carol`." in page_text(app)
    assert Registry(scenario.models_dir).champion().model_id == build.stamp(1)
    promoted = [e for e in build.json_lines(scenario.layout.events) if e["event"] == "promoted"][-1]
    assert promoted["actor"] == "carol" and promoted["model_id"] == build.stamp(1)
    assert not app.checkbox(key="models_promote_confirm").value  # the confirmation is used up


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_promoting_a_rejected_model_warns_first_and_the_table_shows_both_decisions(scenario, build, monkeypatch):
    monkeypatch.setattr("dashboard.context.current_user", lambda: "carol")
    kept_out = build.stamp(4)
    reason = "PR-AUC 0.640 vs champion 0.790 on the same test slice: change -0.150 (at least +0.000 required)"
    build.write_pair(scenario.models_dir, build.healthy_metrics(kept_out, pr_auc=0.64, decision="rejected"))
    build.add_event(scenario.models_dir, "rejected", actor="trainer service", model_id=kept_out, message=reason)
    app = build.run_app(PAGE)
    app.selectbox(key="models_promote_target").set_value(kept_out).run()
    assert f"The trainer did not promote {kept_out}: {reason}." in page_text(app)
    app.checkbox(key="models_promote_confirm").check().run()
    app.button(key="models_promote").click().run()
    no_exception(app)
    row = table_with(app, "PR-AUC").set_index("model").loc[kept_out]
    assert row["mark"].startswith("★ champion")
    assert row["promotion"] == "rejected → promoted by carol"


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_rollback_and_pin(scenario, build):
    app = build.run_app(PAGE)
    assert f"Rolling back makes {build.stamp(2)}, the previous champion, the champion again; a rollback after that " \
        f"goes to {build.stamp(1)}." in page_text(app)
    assert app.checkbox(key="models_rollback_confirm").label == f"Yes, roll back to {build.stamp(2)}"
    app.checkbox(key="models_rollback_confirm").check().run()
    app.button(key="models_rollback").click().run()
    assert Registry(scenario.models_dir).champion().model_id == build.stamp(2)
    assert f"Rolling back makes {build.stamp(1)}, the previous champion" in page_text(app), \
        "the next rollback walks further back, not forward to the model just removed"
    app.selectbox(key="models_pin_target").set_value(build.stamp(0)).run()
    app.checkbox(key="models_pin_confirm").check().run()
    app.button(key="models_pin").click().run()
    assert Registry(scenario.models_dir).pinned() == [build.stamp(0)]
    assert app.button(key="models_pin").label == "Unpin"
    app.checkbox(key="models_pin_confirm").check().run()
    app.button(key="models_pin").click().run()
    assert Registry(scenario.models_dir).pinned() == []


@pytest.mark.parametrize("scenario", ["legacy"], indirect=True)
def test_a_refused_action_shows_the_registry_reason(scenario, build):
    app = build.run_app(PAGE)
    app.checkbox(key="models_promote_confirm").check().run()
    app.button(key="models_promote").click().run()
    no_exception(app)
    assert "failed: model 20261120_100000 cannot be champion" in page_text(app) and "is unsigned" in page_text(app)
    assert Registry(scenario.models_dir).champion() is None
    assert "There is no previous champion to roll back to." in page_text(app)
    assert app.checkbox(key="models_rollback_confirm").disabled


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_read_only_disables_every_action_and_says_why(scenario, build):
    with scenario.config_file.open("a", encoding="utf-8") as fh:
        fh.write("require_login = true\n")
    app = build.run_app(PAGE)
    assert "Read-only" in page_text(app) and "dashboard.require_login is set" in page_text(app)
    for key in ("models_promote", "models_rollback", "models_pin"):
        assert app.button(key=key).disabled
    assert app.checkbox(key="models_promote_confirm").disabled


def run_until(app, phrase: str, tries: int = 40):
    """Rerun ``app`` until ``phrase`` is on the page: the watcher sees a new file a moment after it is written."""
    import time

    for _ in range(tries):
        if phrase in page_text(app):
            return app
        time.sleep(0.25)
        app.run()
    raise AssertionError(f"{phrase!r} never showed: {page_text(app)[:500]}")


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_pickers_keep_their_model_when_a_model_is_trained_or_promoted_meanwhile(scenario, build):
    """Issue 25 item 13: the Pin selector's default silently switched to a model trained meanwhile.

    The pick is what the user last saw there, by model id: it holds over a new model (listed first), a label
    that changes ("(champion)") and a visit to another page and back (where a select box starts afresh).
    """
    app = build.run_app(PAGE)
    shown_first = app.selectbox(key="models_pin_target").value
    app.selectbox(key="models_promote_target").set_value(build.stamp(1)).run()
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(5)))
    run_until(app, "5 of 5 models match")
    assert build.stamp(5) in app.selectbox(key="models_pin_target").options[0]
    assert app.selectbox(key="models_pin_target").value == shown_first, "the pick never moves to a new model"
    assert app.selectbox(key="models_promote_target").value == build.stamp(1)
    app.switch_page("views/activity.py").run()
    build.write_pair(scenario.models_dir, build.healthy_metrics(build.stamp(6)))
    app.switch_page(PAGE).run()
    run_until(app, "6 of 6 models match")
    assert app.selectbox(key="models_pin_target").value == shown_first, "nor after a visit to another page"
    assert app.selectbox(key="models_promote_target").value == build.stamp(1)
    app.selectbox(key="models_pin_target").set_value(build.stamp(2)).run()
    Registry(scenario.models_dir).promote(build.stamp(2), actor="ann", reason="test")   # its label gains "(champion)"
    run_until(app, f"Current champion: {build.stamp(2)}")
    assert app.selectbox(key="models_pin_target").value == build.stamp(2)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_after_a_promotion_the_form_says_why_it_is_disabled(scenario, build, monkeypatch):
    """Issue 25 item 13: after a promote, the form kept a greyed checkbox without a reason."""
    monkeypatch.setattr("dashboard.context.current_user", lambda: "carol")
    app = build.run_app(PAGE)
    app.selectbox(key="models_promote_target").set_value(build.stamp(1)).run()
    app.checkbox(key="models_promote_confirm").check().run()
    app.button(key="models_promote").click().run()
    run_until(app, f"Current champion: {build.stamp(1)}")
    assert app.selectbox(key="models_promote_target").value == build.stamp(1)
    assert app.checkbox(key="models_promote_confirm").disabled
    said = f"{build.stamp(1)} is the champion already: pick another model to promote it instead."
    assert said in page_text(app)
    assert app.checkbox(key="models_promote_confirm").help == said


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_the_default_columns_are_the_ones_that_fit_and_the_rest_are_one_toggle_away(scenario, build):
    app = build.run_app(PAGE)
    drawn = app.dataframe[0].proto.column_order
    assert list(drawn) == ["mark", "model", "useful", "PR-AUC", "precision", "recall", "promotion"]
    app.toggle(key="models_more").set_value(True).run()
    assert {"F1", "accuracy", "warnings", "trained (UTC)"} <= set(app.dataframe[0].proto.column_order)


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_long_promotion_history_wraps_instead_of_being_cut(scenario, build):
    """Issue 25 item 13: the promotion column was cut off."""
    app = build.run_app(PAGE)
    Registry(scenario.models_dir).promote(build.stamp(1), actor="alice (shared password)", reason="test")
    run_until(app, f"Current champion: {build.stamp(1)}")
    table = app.dataframe[0]
    assert table.proto.row_height > 64, "Streamlit wraps a cell's text only in rows taller than 4 rem"
    history = table.value.set_index("model").loc[build.stamp(1), "promotion"]
    assert history.endswith("promoted by alice (shared password)") and "…" not in history


@pytest.mark.parametrize("scenario", ["healthy"], indirect=True)
def test_a_clicked_row_is_shown_in_full_with_the_rejection_reason_and_a_link_to_model_detail(scenario, build):
    kept_out = build.stamp(4)
    reason = "PR-AUC 0.640 vs champion 0.790 on the same test slice: change -0.150 (at least +0.000 required)"
    build.write_pair(scenario.models_dir, build.healthy_metrics(kept_out, pr_auc=0.64, decision="rejected"))
    build.add_event(scenario.models_dir, "rejected", actor="trainer service", model_id=kept_out, message=reason)
    app = build.run_app(PAGE)
    app.session_state["_models_picked"] = kept_out      # what a click on a cell of its row stores (browser test)
    app.run()
    text = page_text(app)
    assert f"promotion: `rejected` (rejected: `{reason}`)" in text
    assert "PR-AUC 0.640" in text
    link = app.get("page_link")[0].proto
    assert (link.label, link.page) == (f"Open {kept_out} in Model detail", "model")
    assert f"model={kept_out}" in str(link), "the link names the model in ?model="
