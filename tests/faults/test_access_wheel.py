"""``cla dashboard`` from an installed wheel, run in a folder that has no ``.streamlit/``.

The Streamlit options used to be read from the checkout's ``.streamlit/config.toml``; an
installed package has no checkout around it, and the command crashed with an
``AttributeError`` before serving anything. The test builds the wheel, unpacks it
(what ``pip install`` puts in site-packages), and serves the dashboard from it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

from waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


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
    with open(log_file, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "dashboard", "--port", str(port),
                                 "--models-dir", str(tmp_path / "models")],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=elsewhere, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        up = wait_until(lambda: proc.poll() is not None or healthy(url), timeout=60, interval=0.2)
        output = log_file.read_text(errors="replace")
        assert up and proc.poll() is None, f"cla dashboard exited ({proc.returncode}):\n{output}"
        assert healthy(url), output
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert str(site / "dashboard" / "app.py").encode() in command, "the server must run the installed app"
        assert b"--theme.base" in command and b"--browser.gatherUsageStats" in command
        assert not (elsewhere / ".streamlit").exists()
        assert (site / "dashboard" / "streamlit_config.toml").is_file(), "the wheel ships the Streamlit options"
        assert "Traceback" not in output
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
