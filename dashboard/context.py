"""The process-wide objects every dashboard page shares: configuration, registry, watcher, user.

``cla dashboard`` passes ``--config`` / ``--models-dir`` to the Streamlit
process as ``CLA_CONFIG`` / ``CLA_MODELS_DIR``; :func:`get_config` loads the
configuration from them once per distinct pair of values
(``st.cache_resource``), so tests may change the environment and the next
call sees the new folder. :func:`get_registry` and :func:`get_watcher` keep
one :class:`trainer.folder.registry.Registry` and one
:class:`dashboard.watcher.ModelsWatcher` per models folder for the whole
process; the registry checks the champion's signature with the configured
model key, which this process must be able to read. :func:`current_user`,
:func:`can_control` and :func:`authorize` delegate to :mod:`dashboard.access`.
Tests reset everything with
``st.cache_resource.clear()`` (which also stops the watchers).
"""

from __future__ import annotations

import os

import streamlit as st

from dashboard import access
from dashboard.watcher import ModelsWatcher
from trainer.config import Config, load_config
from trainer.folder import UNSIGNED, Registry


@st.cache_resource(show_spinner=False)
def _config_for(config_file: str, models_dir: str) -> Config:
    return load_config(config_file or None, models_dir=models_dir or None)


def get_config() -> Config:
    """The configuration named by ``CLA_CONFIG`` / ``CLA_MODELS_DIR``; raises ConfigError when it is bad."""
    return _config_for(os.environ.get("CLA_CONFIG", ""), os.environ.get("CLA_MODELS_DIR", ""))


@st.cache_resource(show_spinner=False)
def _registry_for(models_dir: str, key_file: str) -> Registry:
    return Registry(models_dir, key_file=key_file)


def get_registry() -> Registry:
    """The shared :class:`trainer.folder.registry.Registry` of the configured models folder."""
    config = get_config()
    return _registry_for(str(config.layout.root), str(config.model_key_path))


def _stop_watcher(watcher: ModelsWatcher) -> None:
    watcher.stop()


@st.cache_resource(show_spinner=False, on_release=_stop_watcher)
def _watcher_for(models_dir: str, watch: str) -> ModelsWatcher:
    return ModelsWatcher(models_dir, watch)


def get_watcher() -> ModelsWatcher:
    """The one :class:`ModelsWatcher` of the configured models folder in this process."""
    config = get_config()
    return _watcher_for(str(config.layout.root), config.dashboard.watcher)


def current_user() -> str:
    """Who is acting in this session: the logged-in name, else the OS user running the dashboard."""
    return access.current_user(get_config())


def can_control() -> tuple[bool, str]:
    """(allowed, reason): whether this session may press Start, Stop, Retrain and the model actions."""
    return access.can_control(get_config())


def authorize(action: str) -> tuple[bool, str]:
    """(allowed, reason) checked where ``action`` runs; a refusal is recorded in the event log."""
    return access.authorize(get_config(), action)


def unsigned(verdict) -> bool:
    """Whether a ``Registry.verify`` verdict is "unsigned" (the old CLA's normal state) rather than a failed check."""
    return verdict.state == UNSIGNED
