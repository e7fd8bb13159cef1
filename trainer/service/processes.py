"""The trainer's child processes as :mod:`trainer.service.control` starts, watches and stops them.

:func:`spawn_detached` starts a ``cla`` command in its own session with its
output appended to the trainer log and a report pipe for its one-line
failure; :func:`signal_group` and :func:`wait_ended` stop it; :func:`log_tail`
quotes the trainer log in an error. Nothing here knows what the child does.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import psutil

from trainer.contract.layout import ModelsLayout
from trainer.locking import who_holds
from trainer.reading import LOG_MAX_BYTES, read_regular

__all__ = ["log_tail", "spawn_detached", "read_report", "signal_group", "exited", "wait_ended"]


def log_tail(layout: ModelsLayout, lines: int = 15) -> str:
    try:
        text = read_regular(layout.log, LOG_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return "(no trainer log)"
    return "\n".join(text.splitlines()[-lines:]) or "(the trainer log is empty)"


def spawn_detached(command: list[str], layout: ModelsLayout, *, reap: bool = True) -> tuple[subprocess.Popen, int]:
    """Start the ``cla`` ``command`` detached: own session, no stdin, output appended to the trainer log.

    Returns the process and the read end of its report pipe: the child gets
    ``--report-fd N`` (the only descriptor it inherits) and writes its
    ``cla:`` failure line there as well as to its stderr, the trainer log,
    which a full disk swallows. The caller reads it once the child exited
    (:func:`read_report`) and closes it. With ``reap`` a thread waits on the
    child, so a long-lived caller (the dashboard) never collects zombies;
    without it the caller must wait.
    """
    report, child_end = os.pipe()
    try:
        with open(layout.log, "ab") as log_file:
            proc = subprocess.Popen([*command, "--report-fd", str(child_end)], stdin=subprocess.DEVNULL,
                                    stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                    close_fds=True, pass_fds=(child_end,), cwd=os.getcwd())
    except BaseException:  # close the pipe whatever ended the call, then re-raise
        os.close(report)
        raise
    finally:
        os.close(child_end)
    if reap:
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc, report


def read_report(report: int) -> str:
    """What the exited child wrote on its report pipe, as one line ('' when nothing)."""
    chunks = []
    while chunk := os.read(report, 65536):
        chunks.append(chunk)
    return " ".join(b"".join(chunks).decode("utf-8", errors="replace").split())


def signal_group(pid: int, sig: int) -> None:
    """Signal the service's process group when it leads one (as :func:`spawn_detached` makes it), else the pid."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def exited(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_ended(pid: int, lock_path, timeout: float) -> bool:
    """Whether, within ``timeout``, the lock is free and the process has exited (a zombie counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if who_holds(lock_path) is None and exited(pid):
            return True
        time.sleep(0.05)
    return who_holds(lock_path) is None and exited(pid)
