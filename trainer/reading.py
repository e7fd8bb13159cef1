"""Reading the files CLA shares as hostile input: regular files only, never blocking, never too large.

Anyone who can write the models folder can put a FIFO, a device, a symlink
to ``/dev/zero`` or a sparse file of many gigabytes where a metrics file, a
model or the event log is expected. A plain ``open`` then blocks for ever
(a FIFO without a writer) or reads until memory runs out. :func:`open_regular`
opens without following a symlink in the last path component and without
blocking, checks on the open descriptor that it is a regular file within the
size cap, and only then hands it over; :func:`read_regular` reads it whole,
:func:`read_json_object` and :func:`json_object_or_none` read a shared JSON
object (a pointer, a status, a report). :func:`file_stamp` is the one change
stamp every cache of a shared file compares (the change time always in it).
Anything else raises :class:`UnsafeFile` (an ``OSError``, so every caller
that already reports an unreadable file reports this one too, by name).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

from trainer.errors import CLAError

__all__ = ["UnsafeFile", "NotAnObject", "open_fd", "open_regular", "read_regular", "read_json_object",
           "json_object_or_none", "FileStamp", "stat_stamp", "file_stamp", "kind_of", "JSON_MAX_BYTES",
           "MODEL_MAX_BYTES", "LOG_MAX_BYTES"]

JSON_MAX_BYTES = 64 << 20
"""A metrics file, pointer, status or report: far below this (a metrics file with curves is ~100 kB)."""

MODEL_MAX_BYTES = 1 << 30
"""A pickled model: a 1M-row forest is a few hundred MB."""

LOG_MAX_BYTES = 1 << 30
"""The event log, read from its end when only the newest events are wanted."""


class UnsafeFile(CLAError, OSError):
    """A path that is not a regular file within its size cap; the message names it and what it is."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def kind_of(mode: int) -> str:
    """What a file mode describes, in words (``"a FIFO"``, ``"a directory"``, ...)."""
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def open_fd(path: str | os.PathLike, flags: int, mode: int = 0o644) -> int:
    """A descriptor on ``path`` opened with ``flags`` plus no-follow, non-blocking and close-on-exec, once it is
    known to be a regular file; else :class:`UnsafeFile` (the descriptor closed). For writers too: an append
    to a FIFO or through a link must fail as a read does."""
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(errno.ELOOP, f"{path} is a symbolic link; CLA uses only regular files there "
                                          "(remove the link, or copy the file it points to in its place)") from None
        if exc.errno == errno.ENXIO:  # a FIFO without a reader, opened for writing without blocking
            raise UnsafeFile(errno.ENXIO, f"{path} is a FIFO, not a regular file: remove it from the folder") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafeFile(errno.EINVAL, f"{path} is {kind_of(info.st_mode)}, not a regular file: it was skipped; "
                                       "remove it from the folder")
    return fd


@contextmanager
def open_regular(path: str | os.PathLike, max_bytes: int) -> Iterator[BinaryIO]:
    """The open file at ``path`` when it is a regular file of at most ``max_bytes``; else :class:`UnsafeFile`.

    ``FileNotFoundError`` and permission errors pass through as they are.
    """
    handle = os.fdopen(open_fd(path, os.O_RDONLY), "rb")
    try:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise UnsafeFile(errno.EFBIG, f"{path} holds {size:,} bytes, more than the {max_bytes:,} such a "
                                          "file may hold: it was skipped; remove it from the folder")
        yield handle
    finally:
        handle.close()


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``max_bytes`` (see :func:`open_regular`)."""
    with open_regular(path, max_bytes) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew between the check and the read
        raise UnsafeFile(errno.EFBIG, f"{path} grew past {max_bytes:,} bytes while it was read: it was skipped")
    return data


class NotAnObject(CLAError, ValueError):
    """A file or a field that must hold a JSON object holds something else; the message names it."""


def read_json_object(path: str | os.PathLike, max_bytes: int = JSON_MAX_BYTES) -> dict[str, Any]:
    """The JSON object in the regular file at ``path`` (see :func:`read_regular`).

    Raises ``OSError`` when the file cannot be read (``FileNotFoundError``
    when it is missing, :class:`UnsafeFile` when it is no regular file or too
    large) and ``ValueError`` when it is not JSON or not an object
    (:class:`NotAnObject`): every reader of a shared JSON file catches those two.
    """
    value = json.loads(read_regular(path, max_bytes))
    if not isinstance(value, dict):
        raise NotAnObject(f"{path} holds JSON {type(value).__name__}, not an object")
    return value


def json_object_or_none(path: str | os.PathLike, max_bytes: int = JSON_MAX_BYTES) -> dict[str, Any] | None:
    """The JSON object at ``path``, or None when it is missing, unreadable, not JSON or not an object."""
    try:
        return read_json_object(path, max_bytes)
    except (OSError, ValueError):
        return None


#: what a change stamp holds: (modification time, change time, size, inode), all from one ``stat``
FileStamp = tuple[int, int, int, int]


def stat_stamp(info: os.stat_result) -> FileStamp:
    """The change stamp of a ``stat`` result.

    The change time is always part of it: a file rewritten at its old size
    whose modification time was set back (``touch -d``, ``os.utime``, a copy
    that keeps times) still gets a new change time, which only the kernel sets.
    """
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino


def file_stamp(path: str | os.PathLike) -> FileStamp | None:
    """The change stamp of the file at ``path`` (following links), None when it cannot be stat-ed."""
    try:
        return stat_stamp(os.stat(path))
    except OSError:
        return None
