"""The request-file protocol between ``cla trainer`` / the dashboard and a running trainer service.

A retrain request is a JSON file ``runtime/requests/<id>.json`` holding
``id``, ``actor`` and ``requested_at``, written atomically by
:func:`write_request` (:mod:`trainer.service.control`); the service lists
them with :func:`pending_requests`, reads them with :func:`read_request` and
deletes them once a cycle consumed them. Requests already queued coalesce:
a second caller joins the first request instead of writing its own. A stop
request (``runtime/stop_request.json``, :func:`write_stop_request`) says who
asked the service to stop before SIGTERM arrives. Both read as a :class:`Request`.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Mapping

from trainer.atomic import write_json
from trainer.contract.json_record import JsonRecord, Parser, text
from trainer.contract.layout import REQUEST_SUFFIX, ModelsLayout
from trainer.reading import JSON_MAX_BYTES, read_regular

__all__ = [
    "Request",
    "is_request_name",
    "pending_requests",
    "read_request",
    "new_request_id",
    "write_request",
    "write_stop_request",
    "read_stop_request",
]


def is_request_name(name: str) -> bool:
    """Whether a file name in ``runtime/requests/`` is a committed request (temporaries start with a dot)."""
    return name.endswith(REQUEST_SUFFIX) and not name.startswith(".")


def pending_requests(layout: ModelsLayout) -> list[Path]:
    """Retrain request files waiting in ``runtime/requests/``, oldest first (temporaries excluded)."""
    try:
        files = [p for p in layout.requests_dir.glob(f"*{REQUEST_SUFFIX}") if is_request_name(p.name)]
    except OSError:
        return []
    return sorted(files, key=lambda p: p.name)


@dataclass(frozen=True)
class Request(JsonRecord):
    """A retrain request (``id``, ``actor``, ``requested_at``) or a stop request (``actor``, ``requested_at``)."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {"id": text, "actor": text, "requested_at": text}
    WHAT: ClassVar[str] = "a request"

    id: str | None = None
    actor: str | None = None
    requested_at: str | None = None


def read_request(path: Path) -> Request:
    """A request's content; an unreadable one still counts as a request, and one without an id is its file's stem."""
    try:
        request = Request.from_json(json.loads(read_regular(path, JSON_MAX_BYTES)))
    except (OSError, ValueError):
        request = Request.of()
    return request if request.id is not None else request.with_(id=path.stem)


def new_request_id(now: datetime | None = None) -> str:
    """A sortable, unique request id: the UTC time and a random suffix."""
    return f"{(now or datetime.now(timezone.utc)):%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:8]}"


def write_request(layout: ModelsLayout, request_id: str, actor: str) -> Path:
    """Queue a retrain request; raises :class:`trainer.atomic.WriteError` when it cannot be written."""
    path = layout.request_path(request_id)
    write_json(path, {"id": request_id, "actor": actor, "requested_at": datetime.now(timezone.utc).isoformat()})
    return path


def write_stop_request(layout: ModelsLayout, actor: str) -> None:
    """Say who asks the service to stop; raises :class:`trainer.atomic.WriteError` when it cannot be written."""
    write_json(layout.stop_request, {"actor": actor, "requested_at": datetime.now(timezone.utc).isoformat()})


def read_stop_request(layout: ModelsLayout) -> Request | None:
    """The stop request's content, or None when there is none (or it cannot be read)."""
    try:
        return Request.from_json(json.loads(read_regular(layout.stop_request, JSON_MAX_BYTES)))
    except (OSError, ValueError):
        return None
