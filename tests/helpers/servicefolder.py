"""A config and a seeded feedback store for tests that run the real trainer service on a folder.

``service`` runs the real service in a thread and ``train`` asks it for one
training and waits for its outcome.

The legacy recipe keeps trainings fast and their outcome fixed; the service checks every second,
beats every 0.3 s and never trains on its own (only when asked), so a test decides every training.
"""

from __future__ import annotations

import threading

import pytest

from trainer.atomic import write_json
from trainer.folder.events import read_events
from trainer.service.status import read_status
from helpers.waiting import wait_until

CONFIG = """
[training]
preset = "legacy"
permutation_repeats = 0
min_test_positives = 1
[service]
check_interval_seconds = 1
heartbeat_seconds = 0.3
stop_timeout_seconds = 3
min_new_rows = 1000000
max_age_hours = 0
"""


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory):
    """A demo store of 3,000 verdicts, written once per test module; copy it into each test's folder."""
    from trainer.feedback import store
    from trainer.feedback.demo import generate_history

    path = tmp_path_factory.mktemp("store") / "feedback.db"
    store.insert_frame(path, generate_history(rows=3000, seed=11))
    return path


def lay_out(workdir, seeded_store):
    """Copy the seeded store into ``workdir/data``, write ``CONFIG`` there and return the loaded config."""
    import shutil

    from trainer.config import load_config

    (workdir / "data").mkdir()
    shutil.copy(seeded_store, workdir / "data" / "feedback.db")
    (workdir / "cla.toml").write_text(CONFIG)
    return load_config()


@pytest.fixture
def service():
    """Start the real service (real trainings) in a thread; stop it at teardown."""
    started = []

    def launch(config):
        from trainer.service.runner import TrainerService

        svc = TrainerService(config, actor="tester")
        thread = threading.Thread(target=svc.run, daemon=True)
        thread.start()
        started.append((svc, thread))
        assert wait_until(lambda: read_status(svc.layout).state == "idle", 20)
        return svc

    yield launch
    for svc, thread in started:
        svc.request_stop()
        thread.join(30)
        assert not thread.is_alive()


def outcomes(layout) -> list[str]:
    kinds = ("training_finished", "training_failed", "training_skipped")
    return [e["event"] for e in read_events(layout.events)[0] if e["event"] in kinds]


def train(layout, name: str, expected: str) -> None:
    """Ask the running service for one training; return once it recorded ``expected`` and went back to waiting.

    Back to waiting (``next_check`` set again) matters: a request that lands
    before the service has looked for late requests is answered by the
    training that just ended, not by a new one.
    """
    write_json(layout.requests_dir / f"{name}.json", {"id": name, "actor": "ann"})

    def served() -> bool:
        status = read_status(layout)
        return status.last_result is not None and name in status.last_result.requests and bool(status.next_check)

    assert wait_until(served, 60), f"request {name} was not served: {read_status(layout)}"
    assert outcomes(layout)[-1] == expected, read_events(layout.events)[0][-1]
