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
