"""The backtest report (``backtest.json``), typed: what ``cla backtest`` replayed and what each contender did.

`trainer.backtest.replay` writes it; the dashboard's Backtest page reads it
through `trainer.backtest.read_report`, which gives a :class:`BacktestReport`
(:meth:`BacktestReport.from_json`). :meth:`BacktestReport.to_json` gives back
the object the replay writes today, key for key and in the same order. Per
step, each contender's numbers are a :class:`StepScore`; CLA's own step also
holds what its policy did (:class:`PolicyStep`). Over the replay, each
contender's totals are a :class:`ContenderSummary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer.errors import CLAError

__all__ = ["BacktestError", "PolicyStep", "StepScore", "BacktestStep", "ContenderSummary", "BacktestReport", "CLA"]

#: CLA's own contender's name, in the report's blocks
CLA = "cla"


class BacktestError(CLAError, ValueError):
    """The history, an option or a report cannot be used; the message names it and what to do."""


def _block(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class PolicyStep:
    """What CLA's policy did at the start of a step: whether it trained, on which trigger, and how that ended."""

    trained: bool = False
    trigger: str | None = None
    decision: str | None = None
    outcome: str | None = None
    promotion: str | None = None
    known_labelled: int | None = None
    message: str | None = None
    model_id: str | None = None
    champion: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> PolicyStep:
        block = _block(obj)
        return cls(
            trained=bool(block.get("trained")),
            trigger=block.get("trigger"),
            decision=block.get("decision"),
            outcome=block.get("outcome"),
            promotion=block.get("promotion"),
            known_labelled=block.get("known_labelled"),
            message=block.get("message"),
            model_id=block.get("model_id"),
            champion=block.get("champion"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "trained": self.trained,
            "trigger": self.trigger,
            "decision": self.decision,
            "outcome": self.outcome,
            "promotion": self.promotion,
            "known_labelled": self.known_labelled,
        }
        if self.trained:
            out.update(message=self.message, model_id=self.model_id)
        out["champion"] = self.champion
        return out


@dataclass(frozen=True)
class StepScore:
    """One contender on one step's labelled alerts (None where a number cannot be known: no model yet, no positive).

    ``error``: why a contender kept its last model; ``policy``: CLA's own step only.
    """

    rows: int | None = None
    positives: int | None = None
    scored: bool = False
    threshold: float | None = None
    pr_auc: float | None = None
    recall: float | None = None
    skipped: float | None = None
    skippable: float | None = None
    missed: int | None = None
    flagged: int | None = None
    error: str | None = None
    policy: PolicyStep | None = None
    seconds: float | None = None

    @classmethod
    def from_json(cls, obj: Any) -> StepScore:
        block = _block(obj)
        return cls(
            rows=block.get("rows"),
            positives=block.get("positives"),
            scored=bool(block.get("scored")),
            threshold=block.get("threshold"),
            pr_auc=block.get("pr_auc"),
            recall=block.get("recall"),
            skipped=block.get("skipped"),
            skippable=block.get("skippable"),
            missed=block.get("missed"),
            flagged=block.get("flagged"),
            error=block.get("error"),
            policy=PolicyStep.from_json(block) if "trained" in block else None,
            seconds=block.get("seconds"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rows": self.rows, "positives": self.positives, "scored": self.scored}
        if self.threshold is not None:  # a contender with a model writes its threshold first
            out["threshold"] = self.threshold
        out.update(
            pr_auc=self.pr_auc,
            recall=self.recall,
            skipped=self.skipped,
            skippable=self.skippable,
            missed=self.missed,
            flagged=self.flagged,
        )
        if self.threshold is None:
            out["threshold"] = None
        if self.error is not None:
            out["error"] = self.error
        if self.policy is not None:
            out.update(self.policy.to_json())
        out["seconds"] = self.seconds
        return out


@dataclass(frozen=True)
class BacktestStep:
    """One scored step: its bounds, its alerts, and each contender's :class:`StepScore` by name."""

    step: int | None = None
    start: str | None = None
    end: str | None = None
    alerts: int | None = None
    labelled: int | None = None
    positives: int | None = None
    contenders: Mapping[str, StepScore] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Any) -> BacktestStep:
        block = _block(obj)
        return cls(
            step=block.get("step"),
            start=block.get("start"),
            end=block.get("end"),
            alerts=block.get("alerts"),
            labelled=block.get("labelled"),
            positives=block.get("positives"),
            contenders={str(k): StepScore.from_json(v) for k, v in block.items() if isinstance(v, Mapping)},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.step,
            "start": self.start,
            "end": self.end,
            "alerts": self.alerts,
            "labelled": self.labelled,
            "positives": self.positives,
        }
        out.update((name, score.to_json()) for name, score in self.contenders.items())
        return out

    @property
    def cla(self) -> StepScore | None:
        """CLA's own score and policy on this step (None in a step it did not reach)."""
        return self.contenders.get(CLA)


@dataclass(frozen=True)
class ContenderSummary:
    """One contender over the replay: mean step PR-AUC, pooled recall and alerts skipped, the rest summed.

    ``trainings``, ``promotions`` and ``failed_trainings`` are CLA's only.
    """

    pr_auc: float | None = None
    recall: float | None = None
    skipped: float | None = None
    skippable_at_target: float | None = None
    missed: int | None = None
    seconds: float | None = None
    steps_scored: int | None = None
    steps_at_target: int | None = None
    trainings: int | None = None
    promotions: int | None = None
    failed_trainings: int | None = None

    @classmethod
    def from_json(cls, obj: Any) -> ContenderSummary:
        block = _block(obj)
        return cls(
            pr_auc=block.get("pr_auc"),
            recall=block.get("recall"),
            skipped=block.get("skipped"),
            skippable_at_target=block.get("skippable_at_target"),
            missed=block.get("missed"),
            seconds=block.get("seconds"),
            steps_scored=block.get("steps_scored"),
            steps_at_target=block.get("steps_at_target"),
            trainings=block.get("trainings"),
            promotions=block.get("promotions"),
            failed_trainings=block.get("failed_trainings"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pr_auc": self.pr_auc,
            "recall": self.recall,
            "skipped": self.skipped,
            "skippable_at_target": self.skippable_at_target,
            "missed": self.missed,
            "seconds": self.seconds,
            "steps_scored": self.steps_scored,
            "steps_at_target": self.steps_at_target,
        }
        if self.trainings is not None:
            out.update(trainings=self.trainings, promotions=self.promotions, failed_trainings=self.failed_trainings)
        return out


@dataclass(frozen=True)
class BacktestReport:
    """``backtest.json`` (see the module docstring)."""

    version: int | None = None
    steps: int | None = None
    recall_target: float | None = None
    contenders: Mapping[str, ContenderSummary] = field(default_factory=dict)
    per_step: tuple[BacktestStep, ...] = ()
    source: str | None = None
    rows: int | None = None
    every: str | None = None
    verdict_delay: str | None = None
    random_state: int | None = None
    seconds: float | None = None

    @classmethod
    def from_json(cls, obj: Any) -> BacktestReport:
        """The report in ``obj`` (a parsed ``backtest.json``); raises :class:`BacktestError` for a non-object."""
        if not isinstance(obj, Mapping):
            raise BacktestError(f"the backtest report is not a JSON object (found {type(obj).__name__})")
        steps = obj.get("per_step")
        return cls(
            version=obj.get("version"),
            steps=obj.get("steps"),
            recall_target=obj.get("recall_target"),
            contenders={str(k): ContenderSummary.from_json(v) for k, v in _block(obj.get("contenders")).items()},
            per_step=tuple(BacktestStep.from_json(s) for s in steps if isinstance(s, Mapping))
            if isinstance(steps, list)
            else (),
            source=obj.get("source"),
            rows=obj.get("rows"),
            every=obj.get("every"),
            verdict_delay=obj.get("verdict_delay"),
            random_state=obj.get("random_state"),
            seconds=obj.get("seconds"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "steps": self.steps,
            "recall_target": self.recall_target,
            "contenders": {name: block.to_json() for name, block in self.contenders.items()},
            "per_step": [step.to_json() for step in self.per_step],
            "source": self.source,
            "rows": self.rows,
            "every": self.every,
            "verdict_delay": self.verdict_delay,
            "random_state": self.random_state,
            "seconds": self.seconds,
        }

    @property
    def cla(self) -> ContenderSummary | None:
        """CLA's own totals (None in a report without them)."""
        return self.contenders.get(CLA)
