"""Fixtures shared by every test: an isolated working directory and models folder, and a model key of their own.

``pytest_plugins`` shares the fixtures of the helper modules with every test
module (``seeded_store`` and ``service`` of `helpers.servicefolder`,
``review_template`` of `helpers.reviewfolder`), so no test imports a fixture;
`helpers.pageerrors` fails any test whose AppTest run left an exception on the page.
"""

from __future__ import annotations

import pytest

from trainer.config import load_config

pytest_plugins = ["helpers.servicefolder", "helpers.reviewfolder", "helpers.pageerrors"]


@pytest.fixture(scope="session", autouse=True)
def model_key(tmp_path_factory):
    """The model key every test (and every process it starts) signs and verifies with, never the home directory's.

    ``CLA_MODEL_KEY`` names a file in the session's temporary folder; the
    first write creates it there. Tests that start processes with a cleaned
    environment write ``model_key_file`` into their configuration instead.
    """
    path = tmp_path_factory.mktemp("model-key") / "model.key"
    patch = pytest.MonkeyPatch()
    patch.setenv("CLA_MODEL_KEY", str(path))
    yield path
    patch.undo()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run the test in an empty folder with no CLA environment variables set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLA_CONFIG", raising=False)
    monkeypatch.delenv("CLA_MODELS_DIR", raising=False)
    return tmp_path


@pytest.fixture
def config(workdir):
    """Default configuration rooted in ``workdir`` (models/ and data/feedback.db there)."""
    return load_config()


@pytest.fixture
def layout(config):
    lay = config.layout
    lay.ensure()
    return lay


@pytest.fixture
def readonly_dir(tmp_path):
    """A real folder nobody can write to: a read-only tmpfs as root, a 0555 folder otherwise."""
    import os
    import subprocess

    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
