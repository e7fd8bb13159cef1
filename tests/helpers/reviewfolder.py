"""A store with alerts pending triage and a trained champion, for the review-queue tests.

``review_template`` builds it once per test module: a demo history of 3,000
verdicts plus 150 live alerts all pending (their truth in the demo's truth
table), and a champion trained by ``cla train`` with the fast legacy recipe.
``review_folder(workdir, review_template)`` copies it into a test's working
directory and returns the loaded configuration.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

CONFIG = """
[training]
preset = "legacy"
permutation_repeats = 0
min_test_positives = 1
"""
PENDING = 150


@pytest.fixture(scope="module")
def review_template(tmp_path_factory):
    from trainer.cli import main
    from trainer.feedback import demo, demo_analyst

    root = tmp_path_factory.mktemp("review")
    (root / "cla.toml").write_text(CONFIG)
    store_path = root / "data" / "feedback.db"
    demo_analyst.insert_with_truth(store_path, demo.generate_history(rows=3000, seed=11, keep_truth=True))
    rng = np.random.default_rng(5)
    live = demo_analyst.make_pending(demo.generate_live(PENDING, rng=rng), 1.0, rng)
    demo_analyst.insert_with_truth(store_path, live)
    before = os.getcwd()
    os.chdir(root)  # the config's paths are relative, as a user's are
    try:
        code = main(["train", "--config", "cla.toml"])
    finally:
        os.chdir(before)
    assert code == 0, "the review template's champion did not train"
    return root


def review_folder(workdir, template):
    """Copy the template's store, models folder and config into ``workdir``; return the loaded config."""
    from trainer.config import load_config

    for name in ("data", "models"):
        shutil.copytree(template / name, workdir / name)
    shutil.copy(template / "cla.toml", workdir / "cla.toml")
    return load_config()
