"""The learning-mode banner: every state, derived from status, champion and the newest models."""

from __future__ import annotations

import pytest

from trainer.contract.status import ServiceStatus
from dashboard.banner import (ACTIVE, CRASHED, DEGRADED, NEWEST_MODELS, NO_MODEL, STOPPED, derive_banner,
                             registry_facts)


def model(model_id: str, useful: bool | None = True, codes: tuple[str, ...] = (), **extra) -> dict:
    return {"model_id": model_id, "status": "ok", "useful": useful, "pr_auc": 0.8, "f1_score": 0.7, "recall": 0.95,
            "warnings": list(codes), **extra}


def status(state: str = "idle", **extra) -> ServiceStatus:
    return ServiceStatus.from_json({"state": state, "stage": "idle", "message": f"the trainer is {state}",
                                    "running": state != "stopped", **extra})


FINISHED = {"outcome": "finished", "model_id": "20261123_100000", "message": "model written"}
HEALTHY = [model("20261123_090000"), model("20261123_100000")]
CHAMPION = HEALTHY[-1]
DEGENERATE = [model(f"20261123_1{i}0000", useful=False, codes=("predicts_one_class", "majority_accuracy"))
              for i in range(5)]


@pytest.mark.parametrize("run_state", ["idle", "training", "starting"])
def test_active_needs_running_service_success_and_useful_champion(run_state):
    banner = derive_banner(status(run_state, stage="evaluating", last_result=FINISHED), CHAMPION, HEALTHY)
    assert banner.state == ACTIVE
    assert banner.level == "success"
    assert "champion 20261123_100000, PR-AUC 0.800, F1 0.700, recall 0.950" in banner.reason


def test_training_shows_its_stage_while_active():
    banner = derive_banner(status("training", stage="evaluating", last_result=FINISHED), CHAMPION, HEALTHY)
    assert "training now (evaluating)" in banner.reason


def test_degenerate_models_are_degraded_with_the_reason_not_active():
    banner = derive_banner(status(last_result=FINISHED), None, HEALTHY[:1] + DEGENERATE)
    assert banner.state == DEGRADED
    assert "the last 5 models predict one class" in banner.reason
    assert "no useful champion" in banner.reason


def test_one_degenerate_model_after_a_useful_champion_names_the_champion_still_serving():
    latest = HEALTHY + [model("20261123_110000", useful=False, codes=("single_class",))]
    banner = derive_banner(status(last_result=FINISHED), CHAMPION, latest)
    assert banner.state == DEGRADED
    assert "the last model was trained on one class only" in banner.reason
    assert "champion 20261123_100000" in banner.reason and "still serves" in banner.reason


@pytest.mark.parametrize("models", [HEALTHY, DEGENERATE], ids=["useful models", "useless models"])
def test_failed_last_run_is_degraded_with_its_message(models):
    failed = {"outcome": "failed", "message": "cannot write model: disk full"}
    banner = derive_banner(status(last_result=failed), CHAMPION, models)
    assert banner.state == DEGRADED
    assert "the last training failed: cannot write model: disk full" in banner.reason


@pytest.mark.parametrize("champion, expected", [
    (None, "no model has been promoted"),
    (model("20261123_100000", useful=False, codes=("majority_accuracy",)), "majority_accuracy"),
    ({"model_id": "20261123_100000", "status": "ok", "useful": None, "legacy": True}, "no PR-AUC"),
])
def test_running_without_a_useful_champion_is_degraded(champion, expected):
    latest = [model("20261123_100000", useful=None)]
    banner = derive_banner(status(last_result=FINISHED), champion, latest)
    assert banner.state == DEGRADED
    assert expected in banner.reason


def test_stale_heartbeat_is_degraded():
    stale = status(last_result=FINISHED, stale=True, message="no heartbeat for 40 s from the trainer process 12")
    assert derive_banner(stale, CHAMPION, HEALTHY).state == DEGRADED


def test_stopped_says_nothing_learns_and_what_to_press():
    banner = derive_banner(status("stopped"), CHAMPION, HEALTHY)
    assert banner.state == STOPPED
    assert "Press Start" in banner.reason


def test_stopped_also_says_the_newest_models_are_useless():
    banner = derive_banner(status("stopped"), None, DEGENERATE)
    assert banner.state == STOPPED
    assert "all 5 models predict one class" in banner.reason
    assert "Press Start" in banner.reason


def test_crashed_shows_the_last_error():
    crashed = status("crashed", message="the trainer process 4000000 is gone (it was idle); start it again",
                     last_error={"message": "MemoryError while fitting"})
    banner = derive_banner(crashed, CHAMPION, HEALTHY)
    assert banner.state == CRASHED
    assert banner.level == "error"
    assert "Last error: MemoryError while fitting" in banner.reason


@pytest.mark.parametrize("state_name, store_empty, todo", [
    ("stopped", True, "run `cla demo seed`"),
    ("stopped", False, "press Start, then Retrain now"),
    ("stopped", None, "press Start, then Retrain now"),
    ("idle", False, "press Retrain now"),
    ("training", False, "the first training is running"),
])
def test_no_model_yet_says_what_to_do(state_name, store_empty, todo):
    banner = derive_banner(status(state_name, stage="training"), None, [], store_empty=store_empty)
    assert banner.state == NO_MODEL
    assert todo in banner.reason


def test_unreadable_files_do_not_count_as_models():
    broken = [{"model_id": "20261123_100000", "status": "unreadable", "useful": None}]
    assert derive_banner(status("stopped"), None, broken).state == NO_MODEL


def test_registry_facts_count_readable_models_and_keep_the_newest_first():
    summaries = [model(f"20261123_{i:06d}", is_champion=(i == 3)) for i in range(120)]
    summaries.append({"model_id": "20261124_000000", "status": "unreadable", "error": "bad JSON"})
    facts = registry_facts(reversed(summaries), ["champion.json names a missing model"], newest=50)
    assert facts.count == 120
    assert len(facts.newest) == 50 and facts.latest["model_id"] == "20261123_000119"
    assert [m["model_id"] for m in facts.newest] == sorted((m["model_id"] for m in facts.newest), reverse=True)
    assert facts.champion["model_id"] == "20261123_000003"
    assert [b["model_id"] for b in facts.broken] == ["20261124_000000"]
    assert facts.problems == ["champion.json names a missing model"]


def test_registry_facts_of_an_empty_folder():
    facts = registry_facts([], [])
    assert (facts.count, facts.latest, facts.champion, facts.broken) == (0, None, None, [])


def test_a_streak_longer_than_the_models_looked_at_is_counted_whole():
    old = [model(f"20261123_{i:06d}", useful=False, codes=("predicts_one_class",)) for i in range(66)]
    facts = registry_facts(old)
    assert len(facts.newest) == NEWEST_MODELS and facts.useless_streak == 66
    banner = derive_banner(status(last_result=FINISHED), None, facts.newest, facts=facts)
    assert "all 66 models predict one class" in banner.reason and "or more" not in banner.reason
    useful_first = [model(f"20261122_{i:06d}") for i in range(6)] + old[:60]
    facts = registry_facts(useful_first)
    banner = derive_banner(status(last_result=FINISHED), None, facts.newest, facts=facts)
    assert "the last 60 models predict one class" in banner.reason
