"""The trainer service's status file (``runtime/status.json``) and what ``cla trainer status`` adds to it.

:class:`StatusFile` is the file as the service writes it
(``trainer.service.status.StatusWriter``): its state and stage
(`trainer.contract.states`), pid, start, heartbeat and next check (ISO
times, as written), the training running now (:class:`CurrentTraining`), the
last training's result (:class:`LastResult`) and error (:class:`LastError`),
a sentence for people, and ``stopped_at`` once it stopped.
:class:`ServiceStatus` is the file read as the truth
(``trainer.service.status.read_status``: whether a process holds the service
lock, the heartbeat's age, whether it is stale) plus what
``trainer.service.control.status`` adds (queued requests, a stand-alone
training, the log file); its :meth:`ServiceStatus.to_json` is what
``cla trainer status --json`` prints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Mapping

from trainer.contract.json_record import (
    JsonRecord,
    Parser,
    flag,
    integer,
    number,
    record_or_none,
    text,
    texts,
)
from trainer.contract.metrics import RESULT_KEYS

__all__ = ["ResultMetrics", "LastResult", "LastError", "CurrentTraining", "StatusFile", "ServiceStatus"]


def _codes(warnings: Any) -> tuple[str, ...]:
    """The codes of a metrics record's ``warnings`` (objects with a ``code``)."""
    if not isinstance(warnings, list):
        return ()
    return tuple(code for item in warnings if isinstance(item, dict) and isinstance(code := item.get("code"), str))


@dataclass(frozen=True)
class ResultMetrics(JsonRecord):
    """The scores a finished training reports with its result (:data:`~trainer.contract.metrics.RESULT_KEYS`)."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "precision": number,
        "recall": number,
        "f1_score": number,
        "pr_auc": number,
        "threshold": number,
        "useful": flag,
        "training_samples": integer,
        "test_samples": integer,
    }
    WHAT: ClassVar[str] = "a result's metrics"

    precision: float | None = None
    recall: float | None = None
    f1_score: float | None = None
    pr_auc: float | None = None
    threshold: float | None = None
    useful: bool | None = None
    training_samples: int | None = None
    test_samples: int | None = None

    @classmethod
    def of_metrics(cls, metrics: Mapping[str, Any]) -> "ResultMetrics":
        """The result's scores out of a training's whole metrics record (the keys it has, in RESULT_KEYS order)."""
        return cls.from_json({key: metrics[key] for key in RESULT_KEYS if key in metrics})


@dataclass(frozen=True)
class LastResult(JsonRecord):
    """How a training ended: ``outcome`` finished, skipped, failed, abandoned (or busy, from ``cla train``'s code).

    Which keys a result has depends on who recorded it: the service
    (``requests`` it answered), the event log (``pid``; ``started_at`` for an
    abandoned one), a stand-alone ``cla train`` (``exit_code``), or a cycle
    (``metrics``, ``warnings``, ``promotion``, for ``cla train --json``).
    """

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "outcome": text,
        "model_id": text,
        "message": text,
        "finished_at": text,
        "started_at": text,
        "trigger": text,
        "actor": text,
        "duration_s": number,
        "pid": integer,
        "requests": texts,
        "exit_code": integer,
        "metrics": record_or_none(ResultMetrics),
        "warnings": texts,
        "promotion": text,
    }
    WHAT: ClassVar[str] = "last_result"

    outcome: str | None = None
    model_id: str | None = None
    message: str | None = None
    finished_at: str | None = None
    started_at: str | None = None
    trigger: str | None = None
    actor: str | None = None
    duration_s: float | None = None
    pid: int | None = None
    requests: tuple[str, ...] = ()
    exit_code: int | None = None
    metrics: ResultMetrics | None = None
    warnings: tuple[str, ...] = ()
    promotion: str | None = None

    @classmethod
    def of_cycle(
        cls, outcome: str, message: str, model_id: str | None, duration_s: float, metrics: Mapping[str, Any]
    ) -> "LastResult":
        """A training cycle's result, with the scores, warning codes and promotion decision of its metrics record."""
        promotion = metrics.get("promotion")
        return cls.of(
            outcome=outcome,
            message=message,
            model_id=model_id,
            duration_s=round(duration_s, 3),
            metrics=ResultMetrics.of_metrics(metrics),
            warnings=_codes(metrics.get("warnings")),
            promotion=text(promotion.get("decision")) if isinstance(promotion, dict) else None,
        )


@dataclass(frozen=True)
class LastError(JsonRecord):
    """The last failed training: its message, when, what triggered it, and how many failed in a row."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "message": text,
        "at": text,
        "trigger": text,
        "consecutive_failures": integer,
    }
    WHAT: ClassVar[str] = "last_error"

    message: str | None = None
    at: str | None = None
    trigger: str | None = None
    consecutive_failures: int | None = None


@dataclass(frozen=True)
class CurrentTraining(JsonRecord):
    """The training running now: its trigger, who asked, when it started and the requests it answers."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "trigger": text,
        "actor": text,
        "started_at": text,
        "requests": texts,
    }
    WHAT: ClassVar[str] = "current"

    trigger: str | None = None
    actor: str | None = None
    started_at: str | None = None
    requests: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusFile(JsonRecord):
    """``runtime/status.json`` as written (see the module docstring); times are ISO text as in the file."""

    PARSERS: ClassVar[Mapping[str, Parser]] = {
        "state": text,
        "stage": text,
        "pid": integer,
        "started_at": text,
        "heartbeat": text,
        "next_check": text,
        "last_result": record_or_none(LastResult),
        "last_error": record_or_none(LastError),
        "current": record_or_none(CurrentTraining),
        "message": text,
        "models_dir": text,
        "stopped_at": text,
    }
    WHAT: ClassVar[str] = "the status file"

    state: str | None = None
    stage: str | None = None
    pid: int | None = None
    started_at: str | None = None
    heartbeat: str | None = None
    next_check: str | None = None
    last_result: LastResult | None = None
    last_error: LastError | None = None
    current: CurrentTraining | None = None
    message: str | None = None
    models_dir: str | None = None
    stopped_at: str | None = None


#: what ``read_status`` adds to the file, in the order it is written after the file's keys
READ_KEYS = ("running", "service_pid", "heartbeat_age_s", "stale")
#: what ``control.status`` adds after those (``models_dir`` only when the file lacks it)
CONTROL_KEYS = ("models_dir", "queued_requests", "training_pid", "log_file")


@dataclass(frozen=True)
class ServiceStatus(StatusFile):
    """The status as the truth (``read_status``), and with ``control.status``'s additions once it set them.

    ``file_state`` is what the file said when it was overruled (a dead
    service's ``training`` read as ``crashed``); ``log_file`` is set by
    ``control.status`` only, and with it ``queued_requests`` and ``training_pid``.
    """

    running: bool = False
    service_pid: int | None = None
    heartbeat_age_s: float | None = None
    stale: bool = False
    file_state: str | None = None
    queued_requests: int | None = None
    training_pid: int | None = None
    log_file: str | None = None

    #: a parser per field the readers add (the file's own fields parse as in :class:`StatusFile`)
    VIEW_PARSERS: ClassVar[Mapping[str, Parser]] = {
        "running": flag,
        "service_pid": integer,
        "heartbeat_age_s": number,
        "stale": flag,
        "file_state": text,
        "queued_requests": integer,
        "training_pid": integer,
        "log_file": text,
    }

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return StatusFile.field_names()

    @classmethod
    def from_json(cls, obj: Any) -> "ServiceStatus":
        """A status as ``cla trainer status --json`` prints it (the file's keys and the readers')."""
        file = StatusFile.from_json(obj)
        view = {key: parse(obj[key]) for key, parse in cls.VIEW_PARSERS.items() if key in obj}
        view = {key: value for key, value in view.items() if value is not None}
        extra = {key: value for key, value in file.extra.items() if key not in cls.VIEW_PARSERS}
        order = list(obj)
        # models_dir after the readers' keys is control.status's, for a file that lacked it
        late = "running" in obj and "models_dir" in obj and order.index("models_dir") > order.index("running")
        keys = tuple(key for key in file.keys if key not in cls.VIEW_PARSERS and not (late and key == "models_dir"))
        return cls.of_file(dataclasses.replace(file, extra=extra, keys=keys), **view)

    @classmethod
    def of_file(cls, file: StatusFile, **view: Any) -> "ServiceStatus":
        """The file's fields (and keys) with the reader's ``view`` fields."""
        values = {f.name: getattr(file, f.name) for f in fields(StatusFile)}
        return cls(**values, **view)

    @property
    def is_control_view(self) -> bool:
        """Whether ``control.status`` filled in its fields."""
        return self.log_file is not None

    def to_json(self) -> dict[str, Any]:
        """The file's keys in their order, then ``running`` ... ``stale`` (and ``file_state``), then the control's."""
        data = super().to_json()
        data.update(
            running=self.running, service_pid=self.service_pid, heartbeat_age_s=self.heartbeat_age_s, stale=self.stale
        )
        if self.file_state is not None:
            data["file_state"] = self.file_state
        if self.is_control_view:
            data["models_dir"] = self.models_dir
            data.update(queued_requests=self.queued_requests, training_pid=self.training_pid, log_file=self.log_file)
        return data
