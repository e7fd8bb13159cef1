"""What a killed training left unsaid, recorded before the next one starts.

A training appends ``training_started`` and, when it ends, one ending event
(:data:`ENDING_EVENTS`). A training killed with SIGKILL, by the out-of-memory
killer or a power cut never appends its ending, and when it dies between
writing its pair and moving the champion pointer, its metrics file says
``promoted`` although the champion pointer never named it.

:func:`open_trainings` finds trainings without an ending in the event log.
:func:`reconcile` runs while its caller holds the training lock (the service
at start, in :func:`trainer.service.runner.recover`, and every
:func:`trainer.service.cycle.run_cycle`), so none of them can still be running: it
appends ``training_abandoned`` with the cause for each one, and marks a pair it
wrote whose promotion was decided but not carried out as interrupted
(:meth:`trainer.folder.registry.Registry.mark_interrupted`, which appends
``promotion_interrupted``). :func:`latest_result` gives the status readers
(:func:`trainer.service.control.status`) the newest training that ended, however it
was started (by the service, or by ``cla train`` in its own process while the
service was off), and says when it was abandoned until another training ends.
"""

from __future__ import annotations

import logging

from trainer.contract.events import Event
from trainer.contract.status import LastResult, StatusFile
from trainer.folder.events import append_event, read_event_rows
from trainer.folder.listing import NOT_APPLIED
from trainer.contract.layout import ModelsLayout
from trainer.service.status import LIVE_STATES, load_status_file
from trainer.timestamps import parse_iso

log = logging.getLogger("cla.reconcile")

ENDING_EVENTS = ("training_finished", "training_skipped", "training_failed", "training_abandoned")
#: decisions that move the champion pointer (`trainer.folder.promotion.PROMOTING`, spelled here to avoid importing numpy)
PROMOTING = ("promoted", "first_champion")
RECOVERY_ACTOR = "trainer recovery"
#: how many of the newest events a status read looks through for the last training
STATUS_EVENTS = 500


def _training_pid(event: Event) -> int | None:
    """The pid of the training an event is about: an abandonment recorded by another process names it in details."""
    if event.details is not None and event.details.training_pid is not None:
        return event.details.training_pid
    return event.pid


def open_trainings(events: list[Event]) -> list[Event]:
    """``training_started`` events with no ending event of the same process after them, oldest first."""
    started: list[Event] = []
    for event in events:
        if event.event == "training_started":
            started.append(event)
        elif event.event in ENDING_EVENTS:
            pid = _training_pid(event)
            began = event.details.started_at if event.details is not None else None
            for index in range(len(started) - 1, -1, -1):
                candidate = started[index]
                if candidate.pid == pid and (began or candidate.ts) == candidate.ts:
                    del started[index]
                    break
    return started


def _written_during(rows: list, start: Event, until: str | None) -> list:
    """Readable pairs created after ``start`` and before ``until`` (the next training's start), oldest first."""
    begin, end = parse_iso(start.ts), parse_iso(until)
    found = []
    for row in rows:
        created = parse_iso(row.created_at)
        if row.status == "ok" and begin is not None and created is not None and created >= begin \
                and (end is None or created < end):
            found.append(row)
    return sorted(found, key=lambda row: row.model_id)


def _cause(start: Event, status: StatusFile | None) -> tuple[str, str | None]:
    """(sentence, stage) saying how the training at ``start`` ended, from the status file when it was the service's."""
    pid = start.pid
    stage = None
    if status is not None and status.pid == pid and status.state in LIVE_STATES and status.current is not None:
        stage = status.stage
    where = f" during the stage '{stage}'" if stage else ""
    return (f"the training started at {start.ts} ended{where} without recording an outcome: its process "
            f"(pid {pid}) was killed (SIGKILL, out of memory) or the machine stopped", stage)


def reconcile(layout: ModelsLayout) -> list[Event]:
    """Record every abandoned training and interrupted promotion; returns the ``training_abandoned`` events.

    The caller holds the training lock. Raises OSError when the event log or
    the champion pointer cannot be written (the next call tries again).
    """
    from trainer.folder.registry import Registry

    events, _ = read_event_rows(layout.events)
    abandoned = open_trainings(events)
    if not abandoned:
        return []
    registry = Registry(layout.root)
    rows = registry.list_models()
    pointer = registry.champion()
    # carried out: champion now, once (the pointer keeps 20), or so the log says
    carried = {*((pointer.model_id, *pointer.previous) if pointer is not None else ()),
               *(e.model_id for e in events if e.event in ("promoted", "rolled_back")),
               *registry.interrupted()}
    status = load_status_file(layout)
    starts = [e for e in events if e.event == "training_started"]
    recorded = []
    for start in abandoned:
        position = next(i for i, e in enumerate(starts) if e is start)
        until = starts[position + 1].ts if position + 1 < len(starts) else None
        message, stage = _cause(start, status)
        written = _written_during(rows, start, until)
        interrupted = [row.model_id for row in written if row.promotion in (*PROMOTING, NOT_APPLIED) and row.model_id not in carried]
        if written:
            message += f"; it had written model {', '.join(row.model_id for row in written)}"
        if interrupted:
            message += f", whose promotion was never carried out ({', '.join(interrupted)}: promotion interrupted)"
        # The marks first: the ending event closes the training, so a failure before it means a retry next time.
        for model_id in interrupted:
            registry.mark_interrupted(model_id, actor=RECOVERY_ACTOR, message=(
                f"model {model_id} passed the promotion gate, but its training (pid {start.pid}) was killed "
                "before the champion pointer named it: it is not the champion; promote it by hand "
                f"(`cla models promote {model_id}`) if it should be"))
        event = append_event(layout.events, "training_abandoned", actor=start.actor,
                             trigger=start.trigger, message=message,
                             model_id=written[-1].model_id if written else None,
                             training_pid=start.pid, started_at=start.ts, stage=stage)
        log.warning("recovered: %s", message)
        recorded.append(event)
    return recorded


def last_training(layout: ModelsLayout, *, training_running: bool) -> LastResult | None:
    """The newest training that ended, from the event log, as a ``last_result``; None before the first.

    ``outcome`` is the ending's kind without ``training_`` (finished, skipped,
    failed, abandoned). The training that holds the lock now
    (``training_running``) has not ended: the one before it is returned. A
    ``training_started`` with no ending while no training holds the lock was
    killed and not yet reconciled: it is returned as abandoned.
    """
    events, _ = read_event_rows(layout.events, limit=STATUS_EVENTS)
    running = training_running
    for event in reversed(events):
        kind = event.event
        if kind == "training_abandoned":
            return LastResult.of(outcome="abandoned", model_id=event.model_id, message=event.message,
                                 finished_at=event.ts,
                                 started_at=event.details.started_at if event.details is not None else None,
                                 trigger=event.trigger, actor=event.actor)
        if kind in ENDING_EVENTS:
            return LastResult.of(outcome=kind.removeprefix("training_"), model_id=event.model_id,
                                 message=event.message, finished_at=event.ts, duration_s=event.duration_s,
                                 trigger=event.trigger, actor=event.actor, pid=event.pid)
        if kind == "training_started":
            if running:
                running = False  # the training that runs now: its ending is still to come
                continue
            message, _ = _cause(event, load_status_file(layout))
            return LastResult.of(outcome="abandoned", model_id=None, finished_at=None, started_at=event.ts,
                                 message=message + "; the next training or trainer start records it",
                                 trigger=event.trigger, actor=event.actor)
    return None


def latest_result(layout: ModelsLayout, filed: LastResult | None, *, training_running: bool) -> LastResult | None:
    """The ``last_result`` to show: the status file's (``filed``) unless the log holds a later ending.

    A killed training could not write its result, and a stand-alone ``cla
    train`` never writes the service's status file: for both, the event log
    (:func:`last_training`) tells. The service's own record wins for its own
    trainings (it also lists the requests they answered).
    """
    logged = last_training(layout, training_running=training_running)
    if logged is None:
        return filed
    if logged.outcome == "abandoned" or filed is None or not filed.outcome:
        return logged
    logged_at, filed_at = parse_iso(logged.finished_at), parse_iso(filed.finished_at)
    return logged if logged_at is not None and (filed_at is None or logged_at > filed_at) else filed
