"""A config and a seeded feedback store for tests that run the real trainer service on a folder.

The legacy recipe keeps trainings fast and their outcome fixed; the service checks every second,
beats every 0.3 s and never trains on its own (only when asked), so a test decides every training.
"""

from __future__ import annotations

import pytest

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
