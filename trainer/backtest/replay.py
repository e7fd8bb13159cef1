"""Replay a labelled history through CLA's own cycle, step by step, beside three contenders.

:func:`run_backtest` walks the steps of `trainer.backtest.steps`. At the start of
each step, with only what was known then (`trainer.backtest.history`):

1. CLA's policy decides as the trainer service does: the drift and live-performance
   report is built for the current champion on the known rows
   (`trainer.monitoring.report.build_report`, its clock set to the step), its
   signals respect ``drift.cooldown_hours`` on the replay's clock, and
   `trainer.service.triggers.should_train` weighs them with the new labelled rows
   since the last training and its age. A training is the product's own cycle
   (`trainer.service.cycle.run_cycle`: cleaning, training, the promotion gates,
   the threshold policy) writing pairs, events and the champion pointer into the
   backtest's models folder; a failed training is recorded and the champion in
   place keeps scoring, as in the service;
2. the contenders (`trainer.backtest.contenders`) learn what is known;
3. every contender scores the step's alerts before any of their verdicts is seen.

The report (:func:`summarise`) holds per step and per contender the PR-AUC, the
recall and the share of alerts skipped at the contender's threshold, the alerts
skippable at the recall target, the missed true positives and the seconds spent,
plus CLA's trainings (with their triggers) and promotions. It is written as
``backtest.json`` beside the pairs, so ``cla dashboard --models-dir OUT`` shows
the replay. Deterministic for a given ``training.random_state``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from trainer.atomic import write_json
from trainer.backtest.contenders import CONTENDERS, OldRecipe, Online, Static, triage_scores
from trainer.backtest.history import History, ReplaySource
from trainer.backtest.report import BacktestError
from trainer.backtest.steps import Step, describe_length, plan_steps
from trainer.config import Config
from trainer.contract.drift_report import DriftEvidence, PerformanceEvidence, Signals
from trainer.folder.events import append_event
from trainer.learning.evaluation import workload_saved_at_recall

__all__ = ["BacktestOptions", "run_backtest", "step_metrics", "summarise", "REPORT_VERSION"]

REPORT_VERSION = 1
ACTOR = "backtest"
#: the per-contender numbers of the summary, each in every contender's block
SUMMARY_KEYS = ("pr_auc", "recall", "skipped", "skippable_at_target", "missed", "seconds")


@dataclass(frozen=True)
class BacktestOptions:
    """How to replay: step length, first scored step (default: after three steps), verdict delay, contenders."""

    every: timedelta
    start: pd.Timestamp | None = None
    verdict_delay: timedelta = timedelta(0)
    contenders: tuple[str, ...] = CONTENDERS

    def __post_init__(self):
        unknown = [c for c in self.contenders if c not in CONTENDERS]
        if unknown or "cla" not in self.contenders:
            raise BacktestError(f"contenders {', '.join(self.contenders)}: choose among {', '.join(CONTENDERS)}, "
                                "cla included")
        if self.verdict_delay < timedelta(0):
            raise BacktestError("the verdict delay cannot be negative")


def step_metrics(labels: np.ndarray, scores: np.ndarray | None, threshold: float | None, target: float) -> dict:
    """One contender's numbers on one step's labelled alerts (``None`` where a number cannot be known).

    A step without positives keeps its row: PR-AUC, recall and skippable are
    unknown there, the alerts skipped are still counted.
    """
    y = np.asarray(labels, dtype=float)
    labelled = ~np.isnan(y)
    y = y[labelled].astype(int)
    positives = int(y.sum())
    out: dict[str, Any] = {"rows": int(len(y)), "positives": positives, "scored": scores is not None}
    if scores is None or threshold is None:
        return {**out, "pr_auc": None, "recall": None, "skipped": None, "skippable": None, "missed": None,
                "flagged": None, "threshold": None}
    s = np.asarray(scores, dtype=float)[labelled]
    flagged = s >= threshold
    return {**out, "threshold": float(threshold),
            "pr_auc": float(average_precision_score(y, s)) if 0 < positives < len(y) else None,
            "recall": float(flagged[y == 1].mean()) if positives else None,
            "skipped": float(1 - flagged.mean()) if len(y) else None,
            "skippable": workload_saved_at_recall(y, s, target) if positives else None,
            "missed": int((~flagged & (y == 1)).sum()), "flagged": int(flagged.sum())}


class _ClaPolicy:
    """CLA as the trainer service runs it, on the replay's clock (see the module docstring, step 1)."""

    def __init__(self, config: Config):
        self.config = config
        self.layout = config.layout
        self.last_training: pd.Timestamp | None = None
        self.labelled_at_last = 0
        self.last_monitoring: pd.Timestamp | None = None
        self.champion_id: str | None = None
        self.model = None

    def _signals(self, source: ReplaySource,
                 moment: pd.Timestamp) -> tuple[DriftEvidence | None, PerformanceEvidence | None]:
        from trainer.monitoring.report import build_report
        from trainer.monitoring.signals import signals

        options = self.config.drift
        if self.model is None or not options.enabled or not (options.drift_trigger or options.performance_trigger):
            return None, None
        if self.last_monitoring is not None and \
                moment - self.last_monitoring < pd.Timedelta(hours=options.cooldown_hours):
            return None, None
        report = build_report(self.config, source=source, now=moment.to_pydatetime())
        if report.get("error"):
            return None, None
        found = Signals.from_json(signals(report, options))
        return (found.drift if options.drift_trigger else None,
                found.performance if options.performance_trigger else None)

    def step(self, source: ReplaySource, moment: pd.Timestamp) -> dict:
        from trainer.folder.scoring import ModelLoadError, champion_id, load_model
        from trainer.service.cycle import run_cycle
        from trainer.service.triggers import TriggerFacts, should_train

        labelled = source.count_labelled()
        drift, performance = self._signals(source, moment)
        facts = TriggerFacts(now=moment.to_pydatetime(), last_training=None if self.last_training is None
                             else self.last_training.to_pydatetime(), new_rows=labelled - self.labelled_at_last,
                             force=self.model is None, drift=drift, performance=performance)
        decision = should_train(self.config.service, facts)
        record: dict[str, Any] = {"trained": False, "trigger": None, "decision": decision.message,
                                  "outcome": None, "promotion": None, "known_labelled": labelled}
        if not decision.train:
            return record
        details = {"replay_time": moment.isoformat()}
        if decision.evidence is not None:
            details["evidence"] = decision.evidence.to_json()
        append_event(self.layout.events, "trigger", actor=ACTOR, trigger=decision.trigger,
                     message=decision.message, **details)
        if decision.trigger in ("drift", "performance"):
            self.last_monitoring = moment
        outcome = run_cycle(self.config, trigger=decision.trigger or "schedule", actor=ACTOR, source=source)
        record.update({"trained": True, "trigger": decision.trigger, "outcome": outcome.outcome,
                       "message": outcome.message, "model_id": outcome.model_id,
                       "promotion": (outcome.metrics.get("promotion") or {}).get("decision")})
        if outcome.outcome != "failed":
            self.last_training, self.labelled_at_last = moment, labelled
        try:
            current = champion_id(self.layout.root)
        except ModelLoadError:
            current = None
        if current is not None and current != self.champion_id:
            self.model = load_model(self.layout.root, current, key_file=self.config.model_key_path)
            self.champion_id = current
        return record


def run_backtest(history: History, config: Config, options: BacktestOptions, *,
                 progress: Callable[[dict], None] | None = None) -> dict:
    """Replay ``history`` (see the module docstring) into ``config.models_dir``; returns the report.

    Raises :class:`BacktestError` for a history or option that cannot be replayed.
    """
    started = time.perf_counter()
    config.layout.ensure()
    try:
        steps = plan_steps(history.times, options.every, options.start)
    except ValueError as exc:
        raise BacktestError(str(exc)) from None
    target = float(config.training.target) if config.training.objective == "recall" else 0.95
    position = pd.Series(np.arange(len(history.frame)), index=history.frame.index)
    cla = _ClaPolicy(config)
    static = Static()
    old = OldRecipe(config) if "old_recipe" in options.contenders else None
    online = Online(config, seed=config.training.random_state) if "online" in options.contenders else None
    per_step = []
    for step in steps:
        row = _replay_step(step, history, config, options, cla, static, old, online, position, target)
        per_step.append(row)
        if progress is not None:
            progress(row)
    report = summarise(per_step, options, target)
    report.update({"source": history.description, "rows": int(len(history.frame)),
                   "every": describe_length(options.every), "verdict_delay": describe_length(options.verdict_delay),
                   "random_state": config.training.random_state, "seconds": round(time.perf_counter() - started, 3)})
    write_json(config.layout.backtest_report, report)
    return report


def _replay_step(step: Step, history: History, config: Config, options: BacktestOptions, cla: _ClaPolicy,
                 static: Static, old: OldRecipe | None, online: Online | None, position: pd.Series,
                 target: float) -> dict:
    moment = step.start
    known = history.known(moment, options.verdict_delay, config.source.window_days)
    source = ReplaySource(known, history.label, history.description, moment.to_pydatetime())
    in_step = (history.times >= step.start).to_numpy() & (history.times < step.end).to_numpy()
    rows = history.frame[in_step]
    labels = history.labels[in_step].to_numpy(dtype=float)
    out: dict[str, Any] = {"step": step.index, "start": step.start.isoformat(), "end": step.end.isoformat(),
                           "alerts": int(in_step.sum()), "labelled": int(np.sum(~np.isnan(labels))),
                           "positives": int(np.nansum(labels))}

    t0 = time.perf_counter()
    policy = cla.step(source, moment)
    static.adopt(cla.model)
    scores = triage_scores(cla.model, rows)
    out["cla"] = {**step_metrics(labels, scores, None if cla.model is None else cla.model.threshold, target),
                  **policy, "champion": cla.champion_id, "seconds": round(time.perf_counter() - t0, 3)}
    if "static" in options.contenders:
        t0 = time.perf_counter()
        out["static"] = {**step_metrics(labels, static.score(rows), static.threshold, target),
                         "seconds": round(time.perf_counter() - t0, 3)}
    for contender in (old, online):
        if contender is None:
            continue
        t0 = time.perf_counter()
        if contender is online:
            contender.update(known, position)
        else:
            contender.update(known)
        block = step_metrics(labels, contender.score(rows), contender.threshold, target)
        if contender.error:
            block["error"] = contender.error
        out[contender.name] = {**block, "seconds": round(time.perf_counter() - t0, 3)}
    return out


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None


def summarise(per_step: list[dict], options: BacktestOptions, target: float) -> dict:
    """The stable summary: ``{"steps", "contenders": {name: {pr_auc, recall, skipped, skippable_at_target,
    missed, seconds, ...}}, "per_step"}``; recall and skipped are pooled over every scored alert."""
    contenders: dict[str, dict] = {}
    for name in options.contenders:
        blocks = [s[name] for s in per_step if name in s]
        scored = [b for b in blocks if b["scored"]]
        positives = sum(b["positives"] for b in scored)
        rows = sum(b["rows"] for b in scored)
        missed = sum(b["missed"] or 0 for b in scored)
        flagged = sum(b["flagged"] or 0 for b in scored)
        summary = {"pr_auc": _mean(b["pr_auc"] for b in blocks),
                   "recall": round(1 - missed / positives, 4) if positives else None,
                   "skipped": round(1 - flagged / rows, 4) if rows else None,
                   "skippable_at_target": _mean(b["skippable"] for b in blocks),
                   "missed": int(missed), "seconds": round(sum(b["seconds"] for b in blocks), 3),
                   "steps_scored": len(scored),
                   "steps_at_target": sum(1 for b in scored if b["recall"] is not None and b["recall"] >= target)}
        if name == "cla":
            summary["trainings"] = sum(1 for b in blocks if b.get("trained"))
            summary["promotions"] = sum(1 for b in blocks if b.get("promotion") == "promoted")
            summary["failed_trainings"] = sum(1 for b in blocks if b.get("outcome") == "failed")
        contenders[name] = summary
    return {"version": REPORT_VERSION, "steps": len(per_step), "recall_target": target,
            "contenders": contenders, "per_step": per_step}
