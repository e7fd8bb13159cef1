"""When the service trains: the trigger rules, and the last training time read from disk."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trainer.config import ServiceConfig
from trainer.folder.events import append_event
from trainer.service.triggers import TriggerFacts, should_train, last_training_time

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def facts(**overrides) -> TriggerFacts:
    values = {"now": NOW, "last_training": NOW - timedelta(hours=1), "new_rows": 0}
    values.update(overrides)
    return TriggerFacts(**values)


@pytest.mark.parametrize("service, given, trigger", [
    ({}, {"force": True, "new_rows": 0}, "force"),
    ({"min_interval_minutes": 120}, {"force": True}, "force"),
    ({}, {"force": True, "backoff_until": NOW + timedelta(minutes=5)}, "force"),
    ({}, {"new_rows": 100}, "new_data"),
    ({}, {"last_training": None, "new_rows": 3000}, "new_data"),
    ({}, {"last_training": NOW - timedelta(hours=7)}, "max_age"),
    ({"override_rate": 0.2}, {"override_share": 0.3}, "override_rate"),
])
def test_these_facts_train(service, given, trigger):
    decision = should_train(ServiceConfig(**service), facts(**given))
    assert decision.train and decision.trigger == trigger


@pytest.mark.parametrize("service, given, says", [
    ({}, {"new_rows": 12}, "no new data: 12 new labelled rows since 11:00:00 UTC, need 100"),
    ({}, {"new_rows": 12}, "; next retrain by age at 17:00:00 UTC"),
    ({}, {"new_rows": 0}, "no new data: no new labelled rows"),
    ({}, {"last_training": None, "new_rows": 50}, "50 new labelled rows in total (no training yet), need 100"),
    ({"min_interval_minutes": 120}, {"new_rows": 500}, "allows the next at 13:00:00 UTC"),
    ({}, {"new_rows": 500, "backoff_until": NOW + timedelta(minutes=5)}, "backed off until 12:05:00 UTC"),
    ({"max_age_hours": 0}, {"last_training": NOW - timedelta(days=30)}, "no new data"),
    ({"override_rate": 0.2}, {"override_share": 0.1}, "no new data"),
    ({}, {"new_rows": None, "source_error": "data/feedback.db does not exist"}, "cannot count new feedback"),
])
def test_these_facts_do_not_train_and_the_message_says_why(service, given, says):
    decision = should_train(ServiceConfig(**service), facts(**given))
    assert not decision.train and decision.trigger is None
    assert says in decision.message


def test_an_idle_check_names_the_next_check():
    decision = should_train(ServiceConfig(check_interval_seconds=300), facts(new_rows=12))
    assert decision.next_check == NOW + timedelta(minutes=5)
    assert decision.message.endswith("next check 12:05:00 UTC")


def test_no_pairs_and_no_events_means_never_trained(layout):
    assert last_training_time(layout) is None


def signed_pair(layout, stamp: str) -> None:
    from trainer.contract.layout import stamp_time
    from trainer.folder.pairs import write_pair

    assert write_pair(layout, {"weights": [1]}, {"pr_auc": 0.5}, stamp=stamp,
                      trained_at=stamp_time(stamp)).model_id == stamp


def test_the_last_finishing_event_gives_the_time_its_training_read_the_data(layout):
    for stamp in ("20261120_080000", "20261122_093000"):
        signed_pair(layout, stamp)
    assert last_training_time(layout) == datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    # an unsigned file named like a newer pair is no evidence of a training (issue 26, item 2)
    layout.metrics_path("20261123_000000").write_text("{}")
    assert last_training_time(layout) == datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    append_event(layout.events, "training_failed", actor="t", message="disk full")
    assert last_training_time(layout) == datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    event = append_event(layout.events, "training_skipped", actor="t", message="no positives", duration_s=12.0)
    assert last_training_time(layout) == datetime.fromisoformat(event.ts) - timedelta(seconds=12)


def test_a_restart_with_no_new_data_does_not_retrain(layout):
    signed_pair(layout, "20261123_113000")
    restarted = should_train(ServiceConfig(), TriggerFacts(now=NOW, last_training=last_training_time(layout), new_rows=0))
    assert not restarted.train
    assert "since 11:30:00 UTC" in restarted.message


def test_gather_counts_rows_that_arrived_after_the_last_training(config, layout):
    from datetime import datetime as dt

    from trainer.feedback import store
    from trainer.feedback.demo import generate_history
    from trainer.service.triggers import gather

    history = generate_history(rows=150, seed=2)
    store.insert_frame(config.source_path, history)
    first = should_train(config.service, gather(config, layout, now=dt.now(timezone.utc)))
    labelled = int(history["is_true_positive"].notna().sum())
    assert first.train and first.trigger == "new_data"
    assert first.message.startswith(f"{labelled} new labelled rows in total")

    append_event(layout.events, "training_finished", actor="t", message="ok", duration_s=0.0)
    restarted = should_train(config.service, gather(config, layout, now=dt.now(timezone.utc)))
    assert not restarted.train and restarted.message.startswith("no new data: no new labelled rows since")

    more = generate_history(rows=130, seed=3).assign(alert_id=lambda f: "n" + f.alert_id)
    store.insert_frame(config.source_path, more)
    later = should_train(config.service, gather(config, layout, now=dt.now(timezone.utc)))
    assert later.train and later.message.startswith(f"{int(more['is_true_positive'].notna().sum())} new labelled")


def test_the_override_rate_trains_when_analysts_contradict_the_champion(workdir):
    from datetime import datetime as dt

    from trainer.feedback import store
    from trainer.cli import main
    from trainer.config import load_config
    from trainer.feedback.demo import generate_history
    from trainer.service.triggers import gather

    (workdir / "cla.toml").write_text('[training]\npreset = "legacy"\npermutation_repeats = 0\n'
                                      "min_test_positives = 1\n[service]\noverride_rate = 0.3\nmin_new_rows = 1000\n")
    config = load_config()
    layout = config.layout
    store.insert_frame(config.source_path, generate_history(rows=3000, seed=5))
    assert main(["train"]) == 0
    agreeing = generate_history(rows=60, seed=9).assign(alert_id=lambda f: "a" + f.alert_id)
    store.insert_frame(config.source_path, agreeing)
    calm = gather(config, layout, now=dt.now(timezone.utc))
    assert calm.override_share is not None and calm.override_share < 0.3
    assert not should_train(config.service, calm).train

    flipped = generate_history(rows=60, seed=10).assign(alert_id=lambda f: "f" + f.alert_id)
    flipped["is_true_positive"] = ~flipped["is_true_positive"].astype("boolean")
    store.insert_frame(config.source_path, flipped)
    decision = should_train(config.service, gather(config, layout, now=dt.now(timezone.utc)))
    assert decision.train and decision.trigger == "override_rate"
    assert "analysts overrode the champion" in decision.message
