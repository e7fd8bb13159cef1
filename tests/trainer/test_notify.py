"""Webhook notifications against a real HTTP receiver on 127.0.0.1: payload, signature, retries, `cla notify test`."""

from __future__ import annotations

import json

import pytest

from trainer.cli import main
from trainer.config import ConfigError, load_config
from trainer.contract.layout import ModelsLayout
from trainer.folder.events import read_events
from trainer.notify.sender import Sender
from trainer.notify.webhook import Notice
from helpers.waiting import wait_until
from helpers.webhooks import Receiver, closed_port_url

SECRET = "s3cret-for-tests"


def notify_config(url: str, **more):
    overrides = {"notify.webhook_url": url, "notify.secret": SECRET, "notify.backoff_seconds": 0.01}
    overrides.update(more)
    return load_config(overrides=overrides)


def deliveries_recorded(config, kind: str) -> list[dict]:
    events, _ = read_events(ModelsLayout.of(config.models_dir).events)
    return [e for e in events if e["event"] == kind]


def test_a_notice_arrives_signed_with_what_an_on_call_person_needs(workdir):
    with Receiver(secret=SECRET) as hook:
        config = notify_config(hook.url)
        sender = Sender(config, ModelsLayout.of(config.models_dir))
        sender.submit(Notice("training_failed", "training failed: disk full", "20261129_010203"))
        [delivery] = hook.wait_for(1)
        sender.close()
    assert delivery["signed"] and delivery["event"] == "training_failed"
    doc = delivery["json"]
    assert doc["event"] == "training_failed" and doc["reason"] == "training failed: disk full"
    assert doc["model_id"] == "20261129_010203"
    assert doc["models_folder"] == str(config.layout.root)
    assert doc["dashboard"] == "http://127.0.0.1:8503/activity"
    [sent] = deliveries_recorded(config, "notification_sent")
    assert sent["details"]["status"] == 200 and sent["details"]["notification"] == "training_failed"
    assert "cla-secret-token" not in json.dumps(sent), "a webhook URL's path is its secret: never logged"


def test_a_wrong_secret_does_not_verify(workdir):
    with Receiver(secret="another secret") as hook:
        config = notify_config(hook.url)
        sender = Sender(config, ModelsLayout.of(config.models_dir))
        sender.submit(Notice("learning_degraded", "the newest model is not useful"))
        [delivery] = hook.wait_for(1)
        sender.close()
    assert not delivery["signed"]


def test_slack_format_is_one_text_message_with_the_link(workdir):
    with Receiver(secret=SECRET) as hook:
        config = notify_config(hook.url, **{"notify.format": "slack",
                                            "notify.dashboard_url": "https://cla.soc.example/"})
        sender = Sender(config, ModelsLayout.of(config.models_dir))
        sender.submit(Notice("champion_untrusted", "the champion m1 is tampered", "m1"))
        [delivery] = hook.wait_for(1)
        sender.close()
    assert set(delivery["json"]) == {"text"}
    assert "champion untrusted" in delivery["json"]["text"] and "https://cla.soc.example/models" in delivery["json"]["text"]


def test_a_failing_receiver_is_retried_with_backoff_and_the_attempts_recorded(workdir):
    with Receiver(secret=SECRET, answers=[503, 503]) as hook:
        config = notify_config(hook.url, **{"notify.retries": 3})
        sender = Sender(config, ModelsLayout.of(config.models_dir))
        sender.submit(Notice("training_failed", "training failed: boom"))
        hook.wait_for(1)
        assert wait_until(lambda: deliveries_recorded(config, "notification_sent"))
        sender.close()
    assert hook.requests == 3
    [sent] = deliveries_recorded(config, "notification_sent")
    assert sent["details"]["attempts"] == 3 and "after 3 attempts" in sent["message"]


def test_a_receiver_that_is_down_costs_the_retries_and_one_event_line(workdir):
    config = notify_config(closed_port_url(), **{"notify.retries": 2})
    sender = Sender(config, ModelsLayout.of(config.models_dir))
    sender.submit(Notice("training_failed", "training failed: boom"))
    assert wait_until(lambda: deliveries_recorded(config, "notification_failed"), 10)
    sender.close()
    [failed] = deliveries_recorded(config, "notification_failed")
    assert failed["details"]["attempts"] == 3
    assert "cannot be reached: Connection refused" in failed["message"]


def test_cla_notify_test_prints_the_receivers_answer(workdir, capsys):
    with Receiver(secret=SECRET) as hook:
        (workdir / "cla.toml").write_text(f'[notify]\nwebhook_url = ["{hook.url}"]\nsecret = "{SECRET}"\n')
        code = main(["notify", "test"])
        out = capsys.readouterr().out
        [delivery] = hook.wait_for(1)
    assert code == 0
    assert "HTTP 200" in out and '"receiver": "test hook"' in out
    assert delivery["event"] == "test" and delivery["signed"]


def test_cla_notify_test_against_a_closed_port_fails_with_a_clear_message(workdir, capsys):
    (workdir / "cla.toml").write_text(f'[notify]\nwebhook_url = "{closed_port_url()}"\n')
    code = main(["notify", "test"])
    err = capsys.readouterr().err
    assert code != 0
    assert "test notification not delivered" in err and "cannot be reached: Connection refused" in err
    assert deliveries_recorded(load_config(), "notification_failed")


def test_cla_notify_test_with_a_url_that_is_not_http_says_so(workdir, capsys):
    assert main(["notify", "test", "--url", "hooks.example.org/cla"]) == 2
    assert "--url: 'hooks.example.org/cla' is not an http:// or https:// URL" in capsys.readouterr().err


def test_cla_notify_test_without_a_webhook_says_what_to_set(workdir, capsys):
    assert main(["notify", "test"]) != 0
    assert "set notify.webhook_url" in capsys.readouterr().err


@pytest.mark.parametrize("key, value, words", [
    ("notify.events", "training_failed,drift_party", "'drift_party' not allowed"),
    ("notify.webhook_url", "ftp://hooks.example/x", "is not an http:// or https:// URL"),
    ("notify.format", "teams", "choose one of json, slack"),
    ("service.metrics_address", "9308", "expected host:port"),
])
def test_bad_notify_and_metrics_settings_name_their_key(workdir, key, value, words):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as caught:
        load_config(overrides={key: value})
    assert words in str(caught.value)


def test_the_secret_and_the_webhook_path_never_reach_a_metrics_file(workdir, monkeypatch):
    monkeypatch.setenv("CLA_NOTIFY_SECRET", "from-the-environment")
    config = load_config(overrides={"notify.webhook_url": "https://hooks.slack.com/services/T0/B0/tok"})
    assert config.notify.secret == "from-the-environment"
    recorded = json.dumps(config.to_dict())
    assert "from-the-environment" not in recorded and "tok" not in recorded
    assert config.to_dict()["notify"]["webhook_url"] == ["https://hooks.slack.com/…"]


def test_a_condition_is_announced_when_it_starts_and_again_only_after_it_ended(workdir):
    from trainer.service.ops_notices import OpsNotices

    with Receiver(secret=SECRET) as hook:
        config = notify_config(hook.url)
        layout = ModelsLayout.of(config.models_dir)
        layout.ensure()                                       # as the service does before anything else
        sender = Sender(config, layout)
        alerts = OpsNotices(config, layout, sender)
        assert alerts.observe("learning_degraded", "degraded", "the newest model is not useful")
        assert not alerts.observe("learning_degraded", "degraded", "the newest model is not useful")
        restarted = OpsNotices(config, layout, sender)          # a new service reads runtime/alerts.json
        assert not restarted.observe("learning_degraded", "degraded", "still not useful")
        assert not restarted.observe("learning_degraded", None)
        assert restarted.observe("learning_degraded", "degraded", "not useful again")
        hook.wait_for(2)
        sender.close()
    assert hook.events() == ["learning_degraded", "learning_degraded"]


def test_a_condition_not_sent_for_want_of_a_webhook_is_announced_once_one_is_set(workdir):
    from trainer.service.ops_notices import OpsNotices

    quiet = load_config()
    layout = ModelsLayout.of(quiet.models_dir)
    layout.ensure()
    assert not OpsNotices(quiet, layout, Sender(quiet, layout)).observe("champion_untrusted", "m1", "tampered")
    with Receiver(secret=SECRET) as hook:
        config = notify_config(hook.url)
        sender = Sender(config, layout)
        assert OpsNotices(config, layout, sender).observe("champion_untrusted", "m1", "tampered", "m1")
        [delivery] = hook.wait_for(1)
        sender.close()
    assert delivery["event"] == "champion_untrusted"


def drift_report(champion_id: str, *, drift: bool, performance: bool) -> dict:
    """A drift report as `monitoring.report` writes it, cut to what the notifications read."""
    evidence = {"message": f"major drift on rule_name (PSI 0.61) since champion {champion_id} was trained",
                "features": [{"feature": "rule_name", "psi": 0.61}]}
    recall = {"message": f"live recall 0.71 on 400 new verdicts is below the 0.95 champion {champion_id} is held to"}
    return {"champion_id": champion_id, "enough_data": True, "computed_at": "2026-11-29T06:00:00+00:00",
            "features": [{"feature": "rule_name", "psi": 0.61, "level": "major"},
                         {"feature": "asset_criticality", "psi": 0.02, "level": "none"}],
            "live": {"overall": {"recall": 0.71}},
            "signals": {"drift": evidence if drift else None, "performance": recall if performance else None}}


def test_drift_and_live_recall_are_announced_once_for_the_champion_the_report_is_about(workdir):
    from trainer.monitoring.report import write_report
    from trainer.service.ops_notices import OpsNotices

    with Receiver(secret=SECRET) as hook:
        config = notify_config(hook.url)
        layout = ModelsLayout.of(config.models_dir)
        layout.ensure()
        sender = Sender(config, layout)
        alerts = OpsNotices(config, layout, sender)
        write_report(layout, drift_report("20261129_050000", drift=True, performance=True))
        alerts.check_drift("20261129_050000")
        alerts.check_drift("20261129_050000")                     # the next check: nothing new to say
        alerts.check_drift("20261129_060000")                     # a new champion: the old report says nothing
        write_report(layout, drift_report("20261129_060000", drift=True, performance=False))
        alerts.check_drift("20261129_060000")
        deliveries = hook.wait_for(3)
        sender.close()
    assert [d["event"] for d in deliveries] == ["major_drift", "live_recall_below_target", "major_drift"]
    assert all(d["signed"] for d in deliveries)
    assert "rule_name" in deliveries[0]["json"]["reason"] and "live recall 0.71" in deliveries[1]["json"]["reason"]
    assert hook.events() == ["major_drift", "live_recall_below_target", "major_drift"]


def test_the_metrics_page_carries_drift_per_feature_and_live_recall_from_the_report(workdir):
    from prometheus_client import CollectorRegistry, generate_latest

    from trainer.monitoring.report import write_report
    from trainer.service.metrics import FolderCollector

    config = load_config()
    layout = ModelsLayout.of(config.models_dir)
    layout.ensure()
    registry = CollectorRegistry()
    registry.register(FolderCollector(config, layout))
    assert b"cla_drift_level" not in generate_latest(registry)           # no report: absent, not 0
    write_report(layout, drift_report("20261129_050000", drift=True, performance=True))
    page = generate_latest(registry).decode()
    assert 'cla_drift_level{feature="rule_name"} 2.0' in page
    assert 'cla_drift_level{feature="asset_criticality"} 0.0' in page
    assert 'cla_drift_psi{feature="rule_name"} 0.61' in page
    assert "cla_live_recall 0.71" in page
