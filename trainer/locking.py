"""OS file locks that make "one trainer per models folder" true across processes.

:class:`FileLock` wraps ``fcntl.flock`` on a file in ``models/runtime/``; once
held, the file records the owner's pid and start time so others can say *who*
holds it (:func:`who_holds`). Liveness comes from the lock, never from the
file's content: the kernel releases a flock when its process dies, even by
SIGKILL, so a stale lock file left behind is harmless and is simply re-used.

Two locks per models folder, both spelled by :class:`~trainer.contract.layout.ModelsLayout`:

* :func:`service_lock` (``runtime/service.lock``): held by ``cla trainer run``
  for its whole life;
* :func:`training_lock` (``runtime/training.lock``): held for one training,
  by the service around ``run_cycle`` and by a stand-alone ``cla train``.

The champion pointer (`trainer.folder.champion`) takes a :class:`FileLock` of
its own while it changes. The module sits with the other foundations (it needs
only the contract's layout and the OS), below the models folder and the
service that both use it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from trainer.atomic import WriteError, describe_os_error
from trainer.contract.layout import ModelsLayout
from trainer.errors import CLAError

#: how long a busy lock's record is re-read until it names a live owner (the owner writes it just after locking)
HOLDER_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock: the pid and start time the owner wrote (None while it is still writing)."""

    pid: int | None
    started_at: str | None = None


class LockBusy(CLAError, RuntimeError):
    """The lock is held by another process; ``holder`` says which one, when known."""

    def __init__(self, path: Path, holder: LockHolder | None):
        self.path = path
        self.holder = holder
        owner = f"pid {holder.pid}" if holder and holder.pid else "another process"
        super().__init__(f"{path} is held by {owner}")

    @property
    def pid(self) -> int | None:
        return self.holder.pid if self.holder else None


def _read_holder(fd: int) -> LockHolder | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        return None
    return LockHolder(pid=data["pid"], started_at=data.get("started_at"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _current_holder(fd: int, wait: float = HOLDER_WAIT_SECONDS) -> LockHolder:
    """Who holds the lock behind ``fd``, read while someone holds it.

    A new holder takes the lock first and writes its pid a moment later; until
    then the file is empty or still names the previous, dead, holder. So the
    record is re-read for up to ``wait`` seconds until it names a live
    process; after that the record is returned as it is (a process this one
    cannot see, in another pid namespace), or ``LockHolder(pid=None)``.
    """
    deadline = time.monotonic() + wait
    while True:
        holder = _read_holder(fd)
        if holder is not None and _alive(holder.pid):
            return holder
        if time.monotonic() >= deadline:
            return holder or LockHolder(pid=None)
        time.sleep(0.02)


def _write_error(path: Path, exc: OSError) -> WriteError:
    return WriteError(exc.errno or 0, f"cannot write the lock file {path}: {describe_os_error(exc)}")


class FileLock:
    """An exclusive ``flock`` on ``path``; re-usable after :meth:`release`.

    The file is never truncated before the lock is held, so a waiting
    process never erases the owner's pid.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool = False, timeout: float | None = None) -> "FileLock":
        """Take the lock and write this process's pid into the file; returns self.

        Raises :class:`LockBusy` when another process holds it (immediately
        unless ``blocking``; with ``timeout``, after that many seconds), and
        :class:`~trainer.atomic.WriteError` (an OSError naming the lock file and
        the cause, e.g. a full disk) when the lock file cannot be created or
        its record written.
        """
        if self._fd is not None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _write_error(self.path, exc) from exc
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                        raise
                    if not blocking or (deadline is not None and time.monotonic() >= deadline):
                        raise LockBusy(self.path, _current_holder(fd)) from None
                    time.sleep(0.05)
            record = {"pid": os.getpid(), "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(record) + "\n").encode("utf-8"), 0)
            except OSError as exc:
                raise _write_error(self.path, exc) from exc
        except BaseException:  # close the descriptor whatever ended the call, then re-raise
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock up; the file stays, emptied, so the next owner's record is never mistaken for ours."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass  # the record stays stale until the next owner rewrites it, as it does at once
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> "FileLock":
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()


def who_holds(path: str | os.PathLike) -> LockHolder | None:
    """The holder of the lock at ``path``, or None when nobody holds it.

    Probes with a non-blocking shared lock, so it never waits and never
    disturbs the owner. A holder that has just taken the lock gets a moment
    to write its pid; ``LockHolder(pid=None)`` when it does not.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            return _current_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def _held(path: Path, blocking: bool) -> Iterator[FileLock]:
    lock = FileLock(path).acquire(blocking=blocking)
    try:
        yield lock
    finally:
        lock.release()


def service_lock(layout: ModelsLayout, blocking: bool = False) -> AbstractContextManager[FileLock]:
    """Hold the service lock of ``layout`` for the ``with`` block; raises :class:`LockBusy`."""
    return _held(layout.service_lock, blocking)


def training_lock(layout: ModelsLayout, blocking: bool = False) -> AbstractContextManager[FileLock]:
    """Hold the training lock of ``layout`` for one training; raises :class:`LockBusy`."""
    return _held(layout.training_lock, blocking)
