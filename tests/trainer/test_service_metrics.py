"""The real trainer service with ``service.metrics_address``: /metrics over HTTP before and after a real training."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from trainer.cli import main
from trainer.config import load_config
from trainer.contract.layout import ModelsLayout, stamp_time
from trainer.folder.registry import Registry
from helpers.servicefolder import lay_out, train


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(address: str) -> dict[tuple[str, tuple], float]:
    """Every sample on /metrics as {(name, sorted labels): value}."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name: str, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_show_the_service_and_change_after_a_training(workdir, seeded_store, service):
    lay_out(workdir, seeded_store)
    address = f"127.0.0.1:{free_port()}"
    config = load_config(overrides={"service.metrics_address": address})
    layout = ModelsLayout.of(config.models_dir)
    service(config)

    before = scrape(address)
    assert value(before, "cla_trainer_up") == 1
    assert value(before, "cla_trainer_state", state="idle") == 1
    assert value(before, "cla_trainer_state", state="training") == 0
    assert value(before, "cla_models") == 0
    # Nothing trained yet: unknown values are absent, not 0.
    names = {name for name, _ in before}
    assert not names & {"cla_champion_pr_auc", "cla_last_training_end_timestamp_seconds", "cla_feedback_rows"}
    assert value(before, "cla_training_duration_seconds_count") == 0
    # Issue 26, item 12: every trigger x outcome series exists at 0 before the first training, so increase()
    # over a window holding that training sees it; and no `_created` series doubles them.
    assert value(before, "cla_trainings_total", trigger="force", outcome="failed") == 0
    assert value(before, "cla_trainings_total", trigger="drift", outcome="finished") == 0
    assert not [name for name, _ in before if name.endswith("_created")]

    train(layout, "first", "training_finished")
    after = scrape(address)
    [summary] = Registry(layout.root).list_models()
    assert summary.is_champion
    assert value(after, "cla_models") == 1
    assert value(after, "cla_trainings_total", trigger="force", outcome="finished") == 1
    assert value(after, "cla_training_duration_seconds_count") == 1
    assert value(after, "cla_last_training_outcome", outcome="finished") == 1
    assert value(after, "cla_last_training_end_timestamp_seconds") > 0
    # the champion by its training time, not its id as a label (a new series at every promotion)
    assert value(after, "cla_champion_trained_timestamp_seconds") == stamp_time(summary.model_id).timestamp()
    assert not [name for name, labels in after if name.startswith("cla_champion") and labels]
    assert value(after, "cla_trainer_heartbeat_timestamp_seconds") > 0
    assert value(after, "cla_trainer_next_check_timestamp_seconds") > value(after, "cla_last_training_end_timestamp_seconds") - 1
    assert value(after, "cla_champion_pr_auc") == pytest.approx(summary.pr_auc)
    assert value(after, "cla_champion_recall") == pytest.approx(summary.recall)
    assert value(after, "cla_champion_threshold") == pytest.approx(summary.threshold)
    assert value(after, "cla_champion_useful") == 1
    assert value(after, "cla_champion_trusted") == 1
    metrics = Registry(layout.root).get(summary.model_id)
    assert value(after, "cla_feedback_rows") == metrics["rows"]["used"] > 2900    # 3,000 seeded, a few quarantined
    positives = sum(counts["1"] for part, counts in metrics["class_counts"].items() if part != "train_resampled")
    assert value(after, "cla_feedback_positives") == positives > 0


def test_a_taken_metrics_port_stops_the_start_with_the_option_named(workdir, seeded_store, capsys):
    lay_out(workdir, seeded_store)
    with socket.socket() as taken:     # another program holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with open(workdir / "cla.toml", "a") as fh:
            fh.write(f'metrics_address = "127.0.0.1:{port}"\n')
        code = main(["trainer", "run"])
    assert code != 0
    err = capsys.readouterr().err
    assert f"service.metrics_address 127.0.0.1:{port}: cannot listen there" in err


def test_a_tampered_champion_is_exported_untrusted_and_not_useful(workdir, seeded_store, service):
    """Issue 26, item 11: a champion whose model file fails its signature check was exported as a healthy
    champion (useful 1, its PR-AUC and recall)."""
    lay_out(workdir, seeded_store)
    address = f"127.0.0.1:{free_port()}"
    config = load_config(overrides={"service.metrics_address": address})
    layout = ModelsLayout.of(config.models_dir)
    service(config)
    train(layout, "first", "training_finished")
    champion = Registry(layout.root).champion().model_id
    with open(layout.model_path(champion), "r+b") as handle:
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 1]))
    samples = scrape(address)
    assert value(samples, "cla_champion_trained_timestamp_seconds") == stamp_time(champion).timestamp()
    assert value(samples, "cla_champion_trusted") == 0
    assert value(samples, "cla_champion_useful") == 0
    names = {name for name, _ in samples}
    assert not names & {"cla_champion_pr_auc", "cla_champion_recall", "cla_champion_threshold"}
