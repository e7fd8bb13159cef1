"""``cla dashboard`` on a port that is taken says who holds it and how to pick another, instead of Streamlit's error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from helpers.serving import free_port, serve

CLA = [sys.executable, "-m", "trainer"]


def dashboard(port: int, models_dir, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CLA, "--models-dir", str(models_dir), "dashboard", "--port", str(port)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_a_second_dashboard_on_the_same_port_names_the_first_and_another_port(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLA_")}
    with serve([*CLA, "--models-dir", str(models), "dashboard", "--port", str(port)], f"http://127.0.0.1:{port}",
               cwd=tmp_path, env=env, log_file=tmp_path / "first.log") as first:
        again = dashboard(port, models, tmp_path)
        assert again.returncode == 0, "the same folder already served is not a failure for `make run`"
        assert f"a CLA dashboard (pid {first.pid}) already serves {models.resolve()}" in again.stderr
        assert f"`cla dashboard --port {port + 1}` or `make run PORT={port + 1}`" in again.stderr
        elsewhere = dashboard(port, tmp_path / "other", tmp_path)
        assert elsewhere.returncode == 1
        assert f"port {port} is already used by a CLA dashboard (pid {first.pid}) for {models.resolve()}" \
            in elsewhere.stderr
        assert "Port" not in elsewhere.stderr and "Traceback" not in elsewhere.stderr


def test_a_port_held_by_another_program_is_named_with_its_pid(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        taken = dashboard(port, tmp_path / "models", tmp_path)
    assert taken.returncode == 1
    assert f"port {port} is already used by another program (pid {os.getpid()}); pick another port" in taken.stderr


def test_a_port_whose_last_connection_lingers_in_time_wait_is_free():
    """A dashboard stopped a moment ago leaves its port's connections in TIME_WAIT: restarting on that port
    said "already used by another program" while nothing listened (seen restarting `cla dashboard`)."""
    import socket

    from trainer.cli.dashboard import port_holder

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    client.close()
    server.close()
    plain = socket.socket()
    with pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # without SO_REUSEADDR the port still looks taken
    plain.close()
    assert port_holder("127.0.0.1", port) is None
