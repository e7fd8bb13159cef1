"""Servers that tests start in their own process group (import as ``from serving import ...``).

:func:`serve` starts a command with its output in a file, waits until
``/_stcore/health`` answers ``ok`` (failing with the output when the process exits
first or never gets there), yields, and stops the whole process group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log_file: Path, timeout: float = 60) -> None:
    """Return once ``/_stcore/health`` answers ``ok``; fail with the server log when it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with code {proc.returncode}:\n{log_file.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not become healthy within {timeout} s:\n{log_file.read_text(errors='replace')}")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group of ``proc``, SIGKILL it if it lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@contextmanager
def serve(argv: list[str], url: str, *, cwd: Path, env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen]:
    """Run ``argv`` in its own session with output in ``log_file``; yield it once ``url`` is healthy."""
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=cwd, env=env)
    try:
        wait_healthy(url, proc, log_file)
        yield proc
    finally:
        stop_group(proc)
