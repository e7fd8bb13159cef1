"""The request-file protocol between ``cla trainer`` / the dashboard and a running trainer service.

A retrain request is a JSON file ``runtime/requests/<id>.json`` holding
``id``, ``actor`` and ``requested_at``, written atomically by
:func:`write_request` (:mod:`trainer.service.control`); the service lists
them with :func:`pending_requests`, reads them with :func:`read_request` and
deletes them once a cycle consumed them. Requests already queued coalesce:
a second caller joins the first request instead of writing its own. A stop
request (``runtime/stop_request.json``, :func:`write_stop_request`) says who
asked the service to stop before SIGTERM arrives.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer.atomic import write_json
from trainer.contract.layout import REQUEST_SUFFIX, ModelsLayout
from trainer.reading import json_object_or_none

__all__ = [
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


def read_request(path: Path) -> dict[str, Any]:
    """A request's content (``id``, ``actor``, ``requested_at``); an unreadable one still counts as a request."""
    data = json_object_or_none(path) or {}
    data.setdefault("id", path.stem)
    return data


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


def read_stop_request(layout: ModelsLayout) -> dict[str, Any] | None:
    """The stop request's content, or None when there is none (or it cannot be read)."""
    return json_object_or_none(layout.stop_request)
