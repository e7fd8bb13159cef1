"""Fixtures shared by every test: an isolated working directory and models folder."""

from __future__ import annotations

import pytest

from trainer.config import load_config
from trainer.layout import ModelsLayout


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
    lay = ModelsLayout.of(config.models_dir)
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
