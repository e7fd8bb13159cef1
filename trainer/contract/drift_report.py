"""The drift report (``drift_report.json``) and its history (``drift_history.jsonl``), typed.

`trainer.monitoring.report` builds the report and writes it; the dashboard's
Drift page, the Overview line and ``cla drift`` read it through
:meth:`DriftReport.from_json`, which takes every report the product has ever
written (a key an older version did not write is None or empty) and ignores
keys it does not know. :meth:`DriftReport.to_json` gives back the object the
trainer writes today, key for key and in the same order. A report that failed
(no champion, no time window, an unreadable source) holds ``error`` and no
window; one whose file could not be read holds ``unreadable`` as well.
:class:`DriftVerdict` is the one answer to "how much drift?"
(`trainer.monitoring.report.verdict` gives it) and :class:`HistoryEntry` one
line of the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer.errors import CLAError

__all__ = [
    "DriftReportError",
    "Distribution",
    "DriftRow",
    "Share",
    "Prevalence",
    "Performance",
    "TestSlice",
    "Live",
    "DriftWindow",
    "DriftSummary",
    "Thresholds",
    "FeatureEvidence",
    "DriftEvidence",
    "PerformanceEvidence",
    "Signals",
    "DriftReport",
    "DriftVerdict",
    "HistoryEntry",
    "VERDICT_LEVELS",
]

#: the drift verdict's words, in the order of alarm
VERDICT_LEVELS = ("unknown", "unreliable", "none", "moderate", "major")

Interval = tuple[float | None, float | None]


class DriftReportError(CLAError, ValueError):
    """A drift report or history line is not a JSON object; the message names what was found."""


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DriftReportError(f"the {what} is not a JSON object (found {type(value).__name__})")
    return value


def _block(value: Any) -> Mapping[str, Any]:
    """A nested block as a mapping; what is missing or not an object reads as empty."""
    return value if isinstance(value, Mapping) else {}


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _pair(value: Any) -> tuple[Any, Any]:
    """The first two items of a JSON list (an interval, a history's ``[psi, level]``); (None, None) otherwise."""
    if isinstance(value, (list, tuple)) and len(value) >= 2:
        return value[0], value[1]
    return None, None


def _interval(value: Any) -> Interval:
    if isinstance(value, (list, tuple)) and len(value) >= 2:
        return value[0], value[1]
    return None, None


@dataclass(frozen=True)
class Distribution:
    """The bins (or categories) of one feature with the training and recent share in each."""

    bins: tuple[str, ...] = ()
    training: tuple[float, ...] = ()
    recent: tuple[float, ...] = ()

    @classmethod
    def from_json(cls, obj: Any) -> Distribution:
        block = _block(obj)
        training, recent = block.get("training"), block.get("recent")
        return cls(
            _texts(block.get("bins")),
            tuple(training) if isinstance(training, list) else (),
            tuple(recent) if isinstance(recent, list) else (),
        )

    def to_json(self) -> dict[str, Any]:
        return {"bins": list(self.bins), "training": list(self.training), "recent": list(self.recent)}


@dataclass(frozen=True)
class DriftRow:
    """One feature's drift (or the champion score's): PSI, the test, the level and the shares behind them.

    ``importance_share`` is the feature's share of the champion's permutation
    importance (a score row writes it as ``importance``, always None).
    """

    feature: str
    kind: str | None = None
    psi: float | None = None
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    level: str | None = None
    importance_share: float | None = None
    unseen_categories: tuple[str, ...] = ()
    reference_rows: int | None = None
    recent_rows: int | None = None
    distribution: Distribution = field(default_factory=Distribution)

    @classmethod
    def from_json(cls, obj: Any) -> DriftRow:
        row = _object(obj, "drift row")
        share = row.get("importance_share", row.get("importance"))
        return cls(
            feature=str(row.get("feature")),
            kind=row.get("kind"),
            psi=row.get("psi"),
            test=row.get("test"),
            statistic=row.get("statistic"),
            p_value=row.get("p_value"),
            level=row.get("level"),
            importance_share=share,
            unseen_categories=_texts(row.get("unseen_categories")),
            reference_rows=row.get("reference_rows"),
            recent_rows=row.get("recent_rows"),
            distribution=Distribution.from_json(row.get("distribution")),
        )

    def _head(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "kind": self.kind,
            "psi": self.psi,
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "level": self.level,
        }

    def _tail(self) -> dict[str, Any]:
        return {
            "unseen_categories": list(self.unseen_categories),
            "reference_rows": self.reference_rows,
            "recent_rows": self.recent_rows,
            "distribution": self.distribution.to_json(),
        }

    def to_json(self) -> dict[str, Any]:
        """A feature row as the report holds it (``importance_share`` last)."""
        return {**self._head(), **self._tail(), "importance_share": self.importance_share}

    def to_score_json(self) -> dict[str, Any]:
        """The champion score's row as the report holds it (``importance`` in place of the share)."""
        return {**self._head(), "importance": self.importance_share, **self._tail()}

    @property
    def flagged(self) -> bool:
        """Whether the row's level is moderate or major."""
        return self.level in ("moderate", "major")


@dataclass(frozen=True)
class Share:
    """A true-positive share with its 95% interval; ``day`` (UTC, ``YYYY-MM-DD``) for a daily point."""

    share: float | None = None
    low: float | None = None
    high: float | None = None
    positives: int | None = None
    verdicts: int | None = None
    day: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Share:
        block = _block(obj)
        return cls(
            block.get("share"),
            block.get("low"),
            block.get("high"),
            block.get("positives"),
            block.get("verdicts"),
            block.get("day"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.day is None else {"day": self.day}
        out.update(share=self.share, low=self.low, high=self.high, positives=self.positives, verdicts=self.verdicts)
        return out


@dataclass(frozen=True)
class Prevalence:
    """The true-positive share of the training window and of the recent verdicts, per day, and whether it moved."""

    training: Share = field(default_factory=Share)
    recent: Share = field(default_factory=Share)
    daily: tuple[Share, ...] = ()
    flagged: bool = False
    p_value: float | None = None
    ratio: float | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Prevalence:
        block = _block(obj)
        return cls(
            Share.from_json(block.get("training")),
            Share.from_json(block.get("recent")),
            tuple(Share.from_json(p) for p in _rows(block.get("daily"))),
            bool(block.get("flagged")),
            block.get("p_value"),
            block.get("ratio"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "training": self.training.to_json(),
            "recent": self.recent.to_json(),
            "daily": [p.to_json() for p in self.daily],
            "flagged": self.flagged,
            "p_value": self.p_value,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class Performance:
    """The champion on a set of verdicts at its threshold, each score with its interval.

    ``n`` is set on the last-N block, ``day`` on a daily point.
    """

    verdicts: int | None = None
    positives: int | None = None
    true_positives: int | None = None
    false_positives: int | None = None
    false_negatives: int | None = None
    precision: float | None = None
    precision_interval: Interval = (None, None)
    recall: float | None = None
    recall_interval: Interval = (None, None)
    f1_score: float | None = None
    pr_auc: float | None = None
    f1_score_interval: Interval = (None, None)
    pr_auc_interval: Interval = (None, None)
    n: int | None = None
    day: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Performance:
        block = _block(obj)
        return cls(
            verdicts=block.get("verdicts"),
            positives=block.get("positives"),
            true_positives=block.get("true_positives"),
            false_positives=block.get("false_positives"),
            false_negatives=block.get("false_negatives"),
            precision=block.get("precision"),
            precision_interval=_interval(block.get("precision_interval")),
            recall=block.get("recall"),
            recall_interval=_interval(block.get("recall_interval")),
            f1_score=block.get("f1_score"),
            pr_auc=block.get("pr_auc"),
            f1_score_interval=_interval(block.get("f1_score_interval")),
            pr_auc_interval=_interval(block.get("pr_auc_interval")),
            n=block.get("n"),
            day=block.get("day"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.day is not None:
            out["day"] = self.day
        if self.n is not None:
            out["n"] = self.n
        out.update(
            verdicts=self.verdicts,
            positives=self.positives,
            true_positives=self.true_positives,
            false_positives=self.false_positives,
            false_negatives=self.false_negatives,
            precision=self.precision,
            precision_interval=list(self.precision_interval),
            recall=self.recall,
            recall_interval=list(self.recall_interval),
            f1_score=self.f1_score,
            pr_auc=self.pr_auc,
            f1_score_interval=list(self.f1_score_interval),
            pr_auc_interval=list(self.pr_auc_interval),
        )
        return out


@dataclass(frozen=True)
class TestSlice:
    """The champion's test-slice figures, as its metrics file recorded them at training."""

    precision: float | None = None
    recall: float | None = None
    f1_score: float | None = None
    pr_auc: float | None = None
    test_samples: int | None = None

    @classmethod
    def from_json(cls, obj: Any) -> TestSlice:
        block = _block(obj)
        return cls(
            block.get("precision"),
            block.get("recall"),
            block.get("f1_score"),
            block.get("pr_auc"),
            block.get("test_samples"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1_score": self.f1_score,
            "pr_auc": self.pr_auc,
            "test_samples": self.test_samples,
        }


@dataclass(frozen=True)
class Live:
    """The champion scored on the verdicts that arrived since it was trained (the report's ``live`` block).

    ``sampled_from``: the count of new verdicts when only a uniform sample of them was scored.
    """

    threshold: float | None = None
    overall: Performance = field(default_factory=Performance)
    last_n: Performance = field(default_factory=Performance)
    daily: tuple[Performance, ...] = ()
    test_slice: TestSlice = field(default_factory=TestSlice)
    recall_reference: float | None = None
    sampled_from: int | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Live:
        block = _block(obj)
        return cls(
            block.get("threshold"),
            Performance.from_json(block.get("overall")),
            Performance.from_json(block.get("last_n")),
            tuple(Performance.from_json(p) for p in _rows(block.get("daily"))),
            TestSlice.from_json(block.get("test_slice")),
            block.get("recall_reference"),
            block.get("sampled_from"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "overall": self.overall.to_json(),
            "last_n": self.last_n.to_json(),
            "daily": [p.to_json() for p in self.daily],
            "test_slice": self.test_slice.to_json(),
            "recall_reference": self.recall_reference,
            "sampled_from": self.sampled_from,
        }


@dataclass(frozen=True)
class DriftWindow:
    """The samples compared: the champion's training window and the recent alerts (counts and bounds)."""

    training_start: str | None = None
    training_end: str | None = None
    test_start: str | None = None
    recent_after: str | None = None
    reference_rows: int | None = None
    test_rows: int | None = None
    recent_rows: int | None = None
    recent_labelled: int | None = None
    future_rows: int | None = None
    negative_sample_rate: float | None = None

    @classmethod
    def from_json(cls, obj: Any) -> DriftWindow:
        block = _block(obj)
        return cls(
            block.get("training_start"),
            block.get("training_end"),
            block.get("test_start"),
            block.get("recent_after"),
            block.get("reference_rows"),
            block.get("test_rows"),
            block.get("recent_rows"),
            block.get("recent_labelled"),
            block.get("future_rows"),
            block.get("negative_sample_rate"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "training_start": self.training_start,
            "training_end": self.training_end,
            "test_start": self.test_start,
            "recent_after": self.recent_after,
            "reference_rows": self.reference_rows,
            "test_rows": self.test_rows,
            "recent_rows": self.recent_rows,
            "recent_labelled": self.recent_labelled,
            "future_rows": self.future_rows,
            "negative_sample_rate": self.negative_sample_rate,
        }


@dataclass(frozen=True)
class DriftSummary:
    """The report's ``summary``; ``score_level`` and ``prevalence_flagged`` only in a report that was computed."""

    level: str = "unknown"
    drifted: tuple[str, ...] = ()
    major: tuple[str, ...] = ()
    score_level: str | None = None
    prevalence_flagged: bool | None = None

    @classmethod
    def from_json(cls, obj: Any) -> DriftSummary:
        block = _block(obj)
        flagged = block.get("prevalence_flagged")
        return cls(
            str(block.get("level") or "unknown"),
            _texts(block.get("drifted")),
            _texts(block.get("major")),
            block.get("score_level"),
            None if flagged is None else bool(flagged),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level, "drifted": list(self.drifted), "major": list(self.major)}
        if self.prevalence_flagged is not None:
            out.update(score_level=self.score_level, prevalence_flagged=self.prevalence_flagged)
        return out


@dataclass(frozen=True)
class Thresholds:
    """The ``[drift]`` options the report was computed with."""

    psi_moderate: float | None = None
    psi_major: float | None = None
    p_value: float | None = None
    min_rows: int | None = None
    bins: int | None = None
    last_n: int | None = None
    min_importance_share: float | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Thresholds:
        block = _block(obj)
        return cls(
            block.get("psi_moderate"),
            block.get("psi_major"),
            block.get("p_value"),
            block.get("min_rows"),
            block.get("bins"),
            block.get("last_n"),
            block.get("min_importance_share"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "psi_moderate": self.psi_moderate,
            "psi_major": self.psi_major,
            "p_value": self.p_value,
            "min_rows": self.min_rows,
            "bins": self.bins,
            "last_n": self.last_n,
            "min_importance_share": self.min_importance_share,
        }


@dataclass(frozen=True)
class FeatureEvidence:
    """A feature named by the drift signal's evidence."""

    feature: str
    psi: float | None = None
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    importance_share: float | None = None
    unseen_categories: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: Any) -> FeatureEvidence:
        block = _block(obj)
        return cls(
            str(block.get("feature")),
            block.get("psi"),
            block.get("test"),
            block.get("statistic"),
            block.get("p_value"),
            block.get("importance_share"),
            _texts(block.get("unseen_categories")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "psi": self.psi,
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "importance_share": self.importance_share,
            "unseen_categories": list(self.unseen_categories),
        }


@dataclass(frozen=True)
class DriftEvidence:
    """Why the ``drift`` trigger fires (also what a ``trigger`` event records in ``details.evidence``)."""

    message: str = ""
    champion_id: str | None = None
    report_computed_at: str | None = None
    features: tuple[FeatureEvidence, ...] = ()

    @classmethod
    def from_json(cls, obj: Any) -> DriftEvidence:
        block = _block(obj)
        return cls(
            str(block.get("message") or ""),
            block.get("champion_id"),
            block.get("report_computed_at"),
            tuple(FeatureEvidence.from_json(f) for f in _rows(block.get("features"))),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "champion_id": self.champion_id,
            "report_computed_at": self.report_computed_at,
            "features": [f.to_json() for f in self.features],
        }


@dataclass(frozen=True)
class PerformanceEvidence:
    """Why the ``performance`` trigger fires: live recall clearly below what the champion is held to."""

    message: str = ""
    champion_id: str | None = None
    report_computed_at: str | None = None
    recall: float | None = None
    recall_interval: Interval = (None, None)
    recall_reference: float | None = None
    verdicts: int | None = None
    positives: int | None = None

    @classmethod
    def from_json(cls, obj: Any) -> PerformanceEvidence:
        block = _block(obj)
        return cls(
            str(block.get("message") or ""),
            block.get("champion_id"),
            block.get("report_computed_at"),
            block.get("recall"),
            _interval(block.get("recall_interval")),
            block.get("recall_reference"),
            block.get("verdicts"),
            block.get("positives"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "champion_id": self.champion_id,
            "report_computed_at": self.report_computed_at,
            "recall": self.recall,
            "recall_interval": list(self.recall_interval),
            "recall_reference": self.recall_reference,
            "verdicts": self.verdicts,
            "positives": self.positives,
        }


@dataclass(frozen=True)
class Signals:
    """The retraining signals of a report: each None, or its evidence."""

    drift: DriftEvidence | None = None
    performance: PerformanceEvidence | None = None

    @classmethod
    def from_json(cls, obj: Any) -> Signals:
        block = _block(obj)
        drift, performance = block.get("drift"), block.get("performance")
        return cls(
            DriftEvidence.from_json(drift) if isinstance(drift, Mapping) else None,
            PerformanceEvidence.from_json(performance) if isinstance(performance, Mapping) else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "drift": None if self.drift is None else self.drift.to_json(),
            "performance": None if self.performance is None else self.performance.to_json(),
        }


@dataclass(frozen=True)
class DriftReport:
    """``drift_report.json`` (see the module docstring)."""

    schema_version: int | None = None
    computed_at: str | None = None
    champion_id: str | None = None
    error: str | None = None
    features: tuple[DriftRow, ...] = ()
    score: DriftRow | None = None
    prevalence: Prevalence | None = None
    live: Live | None = None
    enough_data: bool = False
    summary: DriftSummary = field(default_factory=DriftSummary)
    signals: Signals = field(default_factory=Signals)
    thresholds: Thresholds = field(default_factory=Thresholds)
    champion_created_at: str | None = None
    source: str | None = None
    data_fingerprint: str | None = None
    window: DriftWindow | None = None
    score_error: str | None = None
    timings: Mapping[str, float] | None = None
    unreadable: bool = False

    @classmethod
    def from_json(cls, obj: Any) -> DriftReport:
        """The report in ``obj`` (a parsed ``drift_report.json``); raises :class:`DriftReportError` for a non-object."""
        report = _object(obj, "drift report")
        score, prevalence, live = report.get("score"), report.get("prevalence"), report.get("live")
        window, timings, error = report.get("window"), report.get("timings"), report.get("error")
        return cls(
            schema_version=report.get("schema_version"),
            computed_at=report.get("computed_at"),
            champion_id=report.get("champion_id"),
            error=None if error is None else str(error),
            features=tuple(
                DriftRow.from_json(r) for r in _rows(report.get("features")) if r.get("feature") is not None
            ),
            score=DriftRow.from_json(score) if isinstance(score, Mapping) else None,
            prevalence=Prevalence.from_json(prevalence) if isinstance(prevalence, Mapping) else None,
            live=Live.from_json(live) if isinstance(live, Mapping) else None,
            enough_data=bool(report.get("enough_data")),
            summary=DriftSummary.from_json(report.get("summary")),
            signals=Signals.from_json(report.get("signals")),
            thresholds=Thresholds.from_json(report.get("thresholds")),
            champion_created_at=report.get("champion_created_at"),
            source=report.get("source"),
            data_fingerprint=report.get("data_fingerprint"),
            window=DriftWindow.from_json(window) if isinstance(window, Mapping) else None,
            score_error=report.get("score_error"),
            timings=dict(timings) if isinstance(timings, Mapping) else None,
            unreadable=bool(report.get("unreadable")),
        )

    def to_json(self) -> dict[str, Any]:
        """The object the trainer writes: a failed report without the window's keys, an unreadable one as the
        reader gives it."""
        features = [r.to_json() for r in self.features]
        if self.unreadable:
            return {"error": self.error, "unreadable": True, "features": features, "signals": {}}
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "computed_at": self.computed_at,
            "champion_id": self.champion_id,
        }
        if self.error is not None:
            out["error"] = self.error
        out.update(
            features=features,
            score=None if self.score is None else self.score.to_score_json(),
            prevalence=None if self.prevalence is None else self.prevalence.to_json(),
            live=None if self.live is None else self.live.to_json(),
            enough_data=self.enough_data,
            summary=self.summary.to_json(),
            signals=self.signals.to_json(),
            thresholds=self.thresholds.to_json(),
        )
        if self.error is None:
            out.update(
                champion_created_at=self.champion_created_at,
                source=self.source,
                data_fingerprint=self.data_fingerprint,
                window=None if self.window is None else self.window.to_json(),
                score_error=self.score_error,
            )
            if self.timings is not None:
                out["timings"] = dict(self.timings)
        return out

    @property
    def failed(self) -> bool:
        """Whether the report holds an error (could not be computed, or its file could not be read)."""
        return bool(self.error) or self.unreadable

    @property
    def recent_rows(self) -> int | None:
        """Recent alerts the report compared (None when it holds no window)."""
        return None if self.window is None else self.window.recent_rows

    def feature(self, name: str) -> DriftRow | None:
        """The row of the feature called ``name``, or None."""
        return next((r for r in self.features if r.feature == name), None)


@dataclass(frozen=True)
class DriftVerdict:
    """How much drift a report shows: ``unknown`` (no report, or one that failed), ``unreliable`` (fewer recent
    alerts than the floor), else the highest feature level; ``flagged`` names the features at moderate or major."""

    level: str
    flagged: tuple[str, ...] = ()
    recent_rows: int | None = None
    min_rows: int | None = None
    champion_id: str | None = None
    computed_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        """What ``cla drift --summary --json`` prints."""
        return {
            "level": self.level,
            "flagged": list(self.flagged),
            "recent_rows": self.recent_rows,
            "min_rows": self.min_rows,
            "champion_id": self.champion_id,
            "computed_at": self.computed_at,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One line of ``drift_history.jsonl``: a report's time, champion, sample and each feature's (PSI, level)."""

    computed_at: str
    champion_id: str | None = None
    recent_rows: int | None = None
    min_rows: int | None = None
    enough_data: bool = False
    features: Mapping[str, tuple[float | None, str | None]] = field(default_factory=dict)
    score: tuple[float | None, str | None] | None = None
    drift_signal: bool = False

    @classmethod
    def from_json(cls, obj: Any) -> HistoryEntry:
        """One parsed line; raises :class:`DriftReportError` for a non-object or a line without ``computed_at``."""
        line = _object(obj, "drift history line")
        if not line.get("computed_at"):
            raise DriftReportError("the drift history line has no computed_at")
        features = {str(name): _pair(pair) for name, pair in _block(line.get("features")).items()}
        score = line.get("score")
        return cls(
            computed_at=str(line.get("computed_at")),
            champion_id=line.get("champion_id"),
            recent_rows=line.get("recent_rows"),
            min_rows=line.get("min_rows"),
            enough_data=bool(line.get("enough_data")),
            features=features,
            score=_pair(score) if isinstance(score, list) else None,
            drift_signal=bool(line.get("drift_signal")),
        )

    @classmethod
    def of(cls, report: DriftReport) -> HistoryEntry | None:
        """The line of ``report``; None for a report that holds only an error."""
        if report.error or not report.computed_at:
            return None
        score = report.score
        return cls(
            computed_at=report.computed_at,
            champion_id=report.champion_id,
            recent_rows=report.recent_rows,
            min_rows=report.thresholds.min_rows,
            enough_data=report.enough_data,
            features={r.feature: (r.psi, r.level) for r in report.features},
            score=None if score is None else (score.psi, score.level),
            drift_signal=report.signals.drift is not None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "computed_at": self.computed_at,
            "champion_id": self.champion_id,
            "recent_rows": self.recent_rows,
            "min_rows": self.min_rows,
            "enough_data": self.enough_data,
            "features": {name: list(pair) for name, pair in self.features.items()},
            "score": None if self.score is None else list(self.score),
            "drift_signal": self.drift_signal,
        }
