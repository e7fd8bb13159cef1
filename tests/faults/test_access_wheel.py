"""``cla dashboard`` from an installed wheel, run in a folder that has no ``.streamlit/``.

The Streamlit options used to be read from the checkout's ``.streamlit/config.toml``; an
installed package has no checkout around it, and the command crashed with an
``AttributeError`` before serving anything. The test builds the wheel, unpacks it
(what ``pip install`` puts in site-packages), and serves the dashboard from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers.serving import free_port, serve

REPO = Path(__file__).resolve().parents[2]


def build_wheel(tmp_path: Path) -> Path:
    """The project's wheel, built from a copy of the sources (the checkout is left untouched)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in ("trainer", "dashboard"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    return next((tmp_path / "dist").glob("cla-*.whl"))


def test_cla_dashboard_serves_from_an_installed_wheel_outside_a_checkout(tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        wheel.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    env["PYTHONPATH"] = str(site)  # ahead of the editable checkout on sys.path
    log_file = tmp_path / "dashboard.log"
    argv = [sys.executable, "-m", "trainer", "dashboard", "--port", str(port), "--models-dir", str(tmp_path / "models")]
    with serve(argv, f"http://127.0.0.1:{port}", cwd=elsewhere, env=env, log_file=log_file) as proc:
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    assert str(site / "dashboard" / "app.py").encode() in command, "the server must run the installed app"
    assert b"--theme.base" in command and b"--browser.gatherUsageStats" in command
    assert not (elsewhere / ".streamlit").exists()
    assert (site / "dashboard" / "streamlit_config.toml").is_file(), "the wheel ships the Streamlit options"
    assert "Traceback" not in log_file.read_text(errors="replace")
