"""One training cycle, from the feedback source to a committed pair and a promotion decision.

:func:`run_cycle` is the only place the steps are put in order:

1. read feedback through the configured source (``trainer.feedback.sources``);
2. clean it (``trainer.feedback.quality``): dedupe, quarantine, confidence filter;
3. skip, with the reason recorded, when there is nothing to learn from;
4. train and evaluate on the newest-feedback holdout (``trainer.learning.api``);
5. score the champion on the same holdout and decide promotion (``trainer.folder.promotion``); a model
   that may serve learns the test slice too, where that applies (``TrainingResult.refit_on_all``);
6. write the model/metrics pair atomically (``trainer.folder.pairs``);
7. move the champion pointer, prune old pairs, and log every step to the event log.

The caller holds the training lock (the service, or ``cla train``); so
before it starts, :func:`trainer.service.reconcile.reconcile` records what an earlier,
killed training left unsaid. Every
outcome, including a failure, is an event in the event log and a
:class:`CycleOutcome`; no exception escapes for an expected failure, so the
service loop keeps running and the CLI can print a one-line reason.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Callable

from trainer import __version__
from trainer.atomic import WriteError, describe_os_error
from trainer.config import Config
from trainer.folder.events import append_event
from trainer.contract import states
from trainer.contract.layout import ModelsLayout, stamp_of
from trainer.contract.status import LastResult, ResultMetrics
from trainer.service.reconcile import reconcile
from trainer.errors import CLAError

log = logging.getLogger("cla.cycle")

#: called with each stage as it starts, in the order of ``trainer.contract.states.CYCLE_STAGES``
StatusCallback = Callable[[str], None]
#: tests only: the name of a point where the cycle halts (see :func:`_halt_point`)
HALT_ENV = "CLA_TEST_HALT_AT"


@dataclass
class CycleOutcome:
    """What one cycle did: ``finished`` (a pair was written), ``skipped`` or ``failed``."""

    outcome: str
    message: str
    model_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    def result(self) -> LastResult:
        """What ``cla train --json`` prints and ``training_finished`` records: the scores, warnings and decision."""
        return LastResult.of_cycle(self.outcome, self.message, self.model_id, self.duration_s, self.metrics)

    def to_dict(self) -> dict[str, Any]:
        return self.result().to_json()


class CycleSkipped(CLAError):
    """Nothing to learn from; the message says why."""


def package_versions() -> dict[str, str]:
    versions = {"cla": __version__, "python": platform.python_version()}
    for dist in ("scikit-learn", "imbalanced-learn", "pandas", "numpy", "joblib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


def _noop(stage: str) -> None:
    return None


def run_cycle(config: Config, *, trigger: str = "manual", actor: str | None = None,
              status_cb: StatusCallback | None = None, source=None) -> CycleOutcome:
    """Run one training cycle and record it; see the module docstring for the steps.

    ``source`` replaces the configured feedback source (a backtest's replay of
    the rows known at one moment, `trainer.backtest`). Returns a :class:`CycleOutcome`. Expected failures (unreadable source,
    bad data, unwritable folder) come back as ``outcome="failed"`` with a
    one-line message; the full traceback of an unexpected one goes to the
    ``cla.cycle`` logger.
    """
    stage = status_cb or _noop
    layout = config.layout
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def record(kind: str, message: str, **extra: Any) -> None:
        try:
            append_event(layout.events, kind, actor=actor, trigger=trigger, message=message,
                         duration_s=time.perf_counter() - started, **extra)
        except OSError as exc:
            log.error("cannot append %s to %s: %s", kind, layout.events, exc)

    try:
        layout.ensure()
    except OSError as exc:
        message = f"models folder {layout.root} cannot be used: {describe_os_error(exc)}"
        log.error(message)
        record("training_failed", message, error_type=type(exc).__name__)
        return CycleOutcome("failed", message, duration_s=time.perf_counter() - started)

    try:
        reconcile(layout)
    except OSError as exc:
        log.error("cannot record what an earlier, killed training left unfinished: %s", exc)
    record("training_started", f"training started ({trigger})")
    try:
        outcome = _train(config, layout, trigger=trigger, actor=actor, stage=stage, timings=timings, started=started,
                         source=source)
    except CycleSkipped as exc:
        message = str(exc)
        record("training_skipped", message)
        log.info("training skipped: %s", message)
        return CycleOutcome("skipped", message, duration_s=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - the cycle runs the source, pandas and scikit-learn on
        # user data, which can raise anything; each failure is recorded as training_failed, never a crash
        message = _one_line(exc)
        log.error("training failed: %s\n%s", message, traceback.format_exc())
        record("training_failed", message, error_type=type(exc).__name__)
        return CycleOutcome("failed", message, duration_s=time.perf_counter() - started)
    summary = outcome.result()
    record("training_finished", outcome.message, model_id=outcome.model_id,
           metrics=summary.metrics.to_json() if summary.metrics is not None else {}, warnings=list(summary.warnings))
    return outcome


def _one_line(exc: BaseException) -> str:
    """A failure as one line a person can act on."""
    from trainer.feedback.quality import DataError
    from trainer.feedback.sources import SourceError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (WriteError, DataError, SourceError)):
        return text
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {text}"
    return f"{type(exc).__name__}: {text} (traceback in the trainer log)"


def _train(config: Config, layout: ModelsLayout, *, trigger: str, actor: str | None, stage: StatusCallback,
           timings: dict[str, float], started: float, source=None) -> CycleOutcome:
    from trainer.folder import pairs
    from trainer.folder import promotion
    from trainer.folder import retention
    from trainer.learning.api import train_and_evaluate
    from trainer.feedback.quality import prepare
    from trainer.folder.registry import Registry
    from trainer.feedback.sources import open_source

    stage(states.STAGE_LOADING)
    t0 = time.perf_counter()
    source = source if source is not None else open_source(config)
    loaded = source.load()
    timings["load_s"] = time.perf_counter() - t0

    stage(states.STAGE_FILTERING)
    t0 = time.perf_counter()
    run_stamp = stamp_of(datetime.now(timezone.utc))
    prepared = prepare(loaded.frame, config.schema, quarantine_dir=layout.quarantine_dir, stamp=run_stamp,
                       source=loaded.description, empty_hint=loaded.empty_hint)
    timings["quality_s"] = time.perf_counter() - t0
    label = prepared.frame[config.schema.label]
    positives = int((label == 1).sum())
    negatives = int((label == 0).sum())
    if positives == 0:
        raise CycleSkipped(f"no positive labels among {negatives} labelled rows from {source.describe()}: "
                           "no model written; a model needs confirmed true positives to learn from")
    if negatives == 0:
        raise CycleSkipped(f"only true positives among {positives} labelled rows from {source.describe()}: "
                           "no model written; a model needs false positives too")

    stage(states.STAGE_TRAINING)
    t0 = time.perf_counter()
    result = train_and_evaluate(prepared.frame, config, negative_sample_rate=loaded.negative_sample_rate)
    timings["train_and_evaluate_s"] = time.perf_counter() - t0
    stage(states.STAGE_EVALUATING)
    metrics = result.metrics
    metrics["data_quality"] = prepared.report
    metrics.setdefault("rows", {}).update({"read": int(len(loaded.frame)), "used": int(len(prepared.frame))})
    metrics["sampling"] = {"negative_rate": loaded.negative_sample_rate}
    metrics["source"] = {"kind": config.source.kind, "description": source.describe()}
    metrics["trigger"] = trigger
    metrics["actor"] = actor
    metrics["versions"] = package_versions()
    metrics["config"] = config.to_dict()

    stage(states.STAGE_PROMOTING)
    registry = Registry(layout.root, key_file=config.model_key_path)
    decision = promotion.judge_challenger(result, registry, config)
    metrics["promotion"] = decision
    if decision["decision"] in (*promotion.PROMOTING, "held"):
        t0 = time.perf_counter()
        if result.refit_on_all():
            timings["refit_s"] = time.perf_counter() - t0

    stage(states.STAGE_WRITING)
    t0 = time.perf_counter()
    metrics.setdefault("timings", {}).update(timings)
    # The file cannot hold its own write time: it records the time up to writing.
    metrics["timings"]["until_write_s"] = time.perf_counter() - started
    info = pairs.write_pair(layout, result.model, metrics, key_file=config.model_key_path)
    timings["write_s"] = time.perf_counter() - t0
    _halt_point("pair_written")

    promotion.apply(decision, registry, info.model_id, actor=actor or "trainer")
    prune_failure = ""
    if config.retention.auto_prune:
        try:
            retention.prune(registry, config, actor=actor or "trainer")
        except OSError as exc:
            # The pair is written and the decision applied: the run finished; old pairs stay until a later prune.
            prune_failure = (f"; pruning old models failed ({exc.filename or layout.root}: {describe_os_error(exc)}), "
                             "run `cla models prune` once that is fixed")
            log.error("pruning after training %s failed: %s", info.model_id, exc)

    scores = ResultMetrics.of_metrics(metrics)
    summary = (f"model {info.model_id}: PR-AUC {_fmt(scores.pr_auc)}, recall {_fmt(scores.recall)} "
               f"at threshold {_fmt(scores.threshold)}, precision {_fmt(scores.precision)}; "
               f"{promotion.verdict(decision)}")
    summary += prune_failure
    quarantined = prepared.report.get("quarantined", 0)
    if quarantined:
        summary += (f"; {quarantined} row(s) quarantined, not trained on: see "
                    f"{prepared.report.get('quarantine_path') or 'data_quality in the metrics file'}")
    return CycleOutcome("finished", summary, model_id=info.model_id, metrics=metrics,
                        duration_s=time.perf_counter() - started)


def _halt_point(name: str) -> None:
    """Tests only: stop here for good when ``CLA_TEST_HALT_AT`` names this point, so a test can kill -9 the process there.

    The one fault-injection hook (docs/RELIABILITY.md): ``pair_written`` is
    after the pair is committed and before the champion pointer moves.
    """
    if os.environ.get(HALT_ENV) == name:
        log.warning("halted at %s because %s is set (a test hook: unset it)", name, HALT_ENV)
        threading.Event().wait()


def _fmt(value: Any) -> str:
    return "unknown" if value is None else f"{value:.3f}"
