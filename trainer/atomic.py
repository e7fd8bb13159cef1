"""Crash-safe file writes: write a temporary file beside the target, fsync, rename.

Every file CLA shares between processes (model pairs, the champion pointer,
the status file, the registry index) is written through :func:`write_bytes`
or :func:`write_json`, so a reader sees either the old complete file or the
new complete file, never half of one. Failures raise :class:`WriteError`,
which names the path and the cause and leaves no temporary file behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from trainer.errors import CLAError

TEMP_SUFFIX = ".partial"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class WriteError(CLAError, OSError):
    """A file could not be written; the message names the path and what to do."""

    def __str__(self) -> str:
        # OSError's own str() prefixes "[Errno N]", which means nothing to the person reading it.
        return self.strerror or super().__str__()


def describe_os_error(exc: OSError) -> str:
    """A short, human cause for an OSError (permission denied, disk full, ...)."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied: make the folder writable by the user running CLA, or point --models-dir elsewhere"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk full: free space or prune old models with `cla models prune`"
    return exc.strerror or str(exc)


def _temp_path(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        # mkstemp creates 0600; shared files must be readable by a dashboard running as another user.
        os.fchmod(fd, 0o666 & ~_UMASK)
    finally:
        os.close(fd)
    return Path(name)


def write_with(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    """Let ``writer`` fill a temporary file, then atomically move it to ``path``."""
    path = Path(path)
    tmp: Path | None = None
    try:
        tmp = _temp_path(path)
        writer(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise WriteError(exc.errno or 0, f"cannot write {path}: {describe_os_error(exc)}") from exc
    finally:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``."""
    write_with(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically replace ``path`` with ``obj`` as indented JSON."""
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n").encode("utf-8"))


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete temporary files left by a killed writer; returns what was removed."""
    removed = []
    for tmp in Path(folder).glob(f".*{TEMP_SUFFIX}"):
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def append_json_line(path: str | os.PathLike, obj: Any) -> None:
    """Append ``obj`` as one JSON line under an exclusive ``fcntl`` lock, in one write.

    Concurrent writers never interleave; a last line left without its newline
    (a writer killed mid-write) is closed first, so only the torn line is
    lost. Raises OSError when the file cannot be written, and
    ``trainer.reading.UnsafeFile`` when it is a FIFO, a device or a link.
    """
    import fcntl

    from trainer.reading import open_fd

    line = (json.dumps(obj, default=str) + "\n").encode("utf-8")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = open_fd(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)
