"""The drift and live-performance report: built by the trainer service, read by the dashboard and the CLI.

:func:`build_report` puts the parts together for the current champion:
the samples (:mod:`trainer.monitoring.windows`), each input feature's drift
(:mod:`trainer.monitoring.drift`; the hour and weekday derived from the time
column are left out: recent alerts are recent by construction), the
champion's score distribution on recent alerts against its test slice, the
prevalence (:mod:`trainer.monitoring.prevalence`), the live performance
(:mod:`trainer.monitoring.live`) and the retraining signals
(:mod:`trainer.monitoring.signals`). It never raises for an expected problem
(no champion, no time window, an unreadable source): the report then holds
``error`` with the reason, and every number is missing, not zero.

:func:`write_report` replaces ``drift_report.json`` atomically;
:func:`read_report` is the one reader (the dashboard, ``cla drift``, other
notifiers); :func:`current_report` returns a fresh report, computing and
writing one when the file is missing, about another champion, or older than
the feedback (the source's ``latest_change()``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from trainer.atomic import write_json
from trainer.config import Config
from trainer.contract.drift_report import VERDICT_LEVELS, DriftReport, DriftVerdict
from trainer.contract.layout import ModelsLayout
from trainer.monitoring import drift
from trainer.monitoring.live import live_performance
from trainer.monitoring.prevalence import prevalence, utc_instants
from trainer.monitoring import history
from trainer.monitoring.signals import importance_shares, signals
from trainer.monitoring.windows import LABEL, TIME, WindowError, split_windows
from trainer.reading import JSON_MAX_BYTES, read_regular

log = logging.getLogger("cla.monitoring")

SCHEMA_VERSION = 1
LEVEL_RANK = {"major": 2, "moderate": 1, "none": 0}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _empty(config: Config, error: str, champion_id: str | None = None) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "computed_at": _now().isoformat(timespec="milliseconds"),
            "champion_id": champion_id, "error": error, "features": [], "score": None, "prevalence": None,
            "live": None, "enough_data": False, "summary": {"level": "unknown", "drifted": [], "major": []},
            "signals": {"drift": None, "performance": None}, "thresholds": _thresholds(config)}


def _thresholds(config: Config) -> dict[str, Any]:
    d = config.drift
    return {"psi_moderate": d.psi_moderate, "psi_major": d.psi_major, "p_value": d.p_value, "min_rows": d.min_rows,
            "bins": d.bins, "last_n": d.last_n, "min_importance_share": d.min_importance_share}


def _champion(config: Config) -> tuple[str, dict[str, Any]]:
    """The champion's id and metrics; raises WindowError when there is none or it cannot be read."""
    from trainer.folder.scoring import ModelLoadError, champion_id, read_metrics

    try:
        model_id = champion_id(config.models_dir)
        return model_id, read_metrics(config.models_dir, model_id)
    except ModelLoadError as exc:
        raise WindowError(str(exc)) from exc


def feature_rows(windows, champion: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    """One drift row per input feature of the champion, most drifted first."""
    features = champion.get("features") or {}
    shares = importance_shares(champion)
    rows = []
    for kind, names in (("numeric", features.get("numeric") or []),
                        ("categorical", (features.get("boolean") or []) + (features.get("categorical") or []))):
        for name in names:
            if name not in windows.reference.columns:
                continue
            ref, cur = windows.reference[name], windows.recent[name]
            result = (drift.numeric_drift(name, ref, cur, bins=config.drift.bins) if kind == "numeric"
                      else drift.categorical_drift(name, ref, cur))
            if len(cur) >= config.drift.min_rows:
                result.level = drift.drift_level(result.psi, result.p_value, moderate=config.drift.psi_moderate,
                                                 major=config.drift.psi_major, alpha=config.drift.p_value)
            result.importance = shares.get(name) if shares else None
            row = result.to_dict()
            row["importance_share"] = row.pop("importance")
            rows.append(row)
    rows.sort(key=lambda r: (-LEVEL_RANK[r["level"]], -(r["psi"] if r["psi"] is not None else -1.0)))
    return rows


def stored_reference(champion: dict[str, Any]) -> np.ndarray | None:
    """The test-slice scores a refitted champion's metrics file keeps (``score_reference.scores``), else None."""
    block = champion.get("score_reference")
    values = block.get("scores") if isinstance(block, dict) else None
    if not isinstance(values, list) or not values:
        return None
    scores = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return scores[np.isfinite(scores)] if np.isfinite(scores).any() else None


def _scores(config: Config, champion_id: str, windows, champion: dict[str, Any]
            ) -> tuple[Any, dict[str, Any] | None, Any, np.ndarray | None, str | None]:
    """(model, score drift row, the recent rows scored, their scores, error); the model is signature-checked first.

    A champion refitted on its own test slice (``model.fitted_on`` ``"all"``)
    would score those rows as rows it learned, more sharply than new alerts:
    its metrics file's ``score_reference`` (the scores of the model measured
    on the slice) is the reference then.

    At most ``drift.max_score_rows`` recent alerts (and as many test-slice
    rows) are scored: a uniform sample of them beyond that, so a million new
    alerts cost one bounded prediction.
    """
    from trainer.folder.scoring import ModelLoadError, load_model

    try:
        model = load_model(config.models_dir, champion_id, key_file=config.model_key_path)
    except ModelLoadError as exc:
        return None, None, None, None, str(exc)
    cap = config.drift.max_score_rows
    test = windows.test.sample(cap, random_state=0) if len(windows.test) > cap else windows.test
    recent = windows.recent.sample(cap, random_state=0) if len(windows.recent) > cap else windows.recent
    try:
        scores = model.predict_proba(recent)[:, 1] if len(recent) else np.empty(0)
        if len(test) == 0 or len(recent) == 0:
            return model, None, recent, scores, None
        reference = stored_reference(champion)
        if reference is None:
            reference = model.predict_proba(test)[:, 1]
        row = drift.score_drift(reference, scores, bins=config.drift.bins)
    except ValueError as exc:
        return model, None, None, None, f"the champion cannot score the feedback: {exc}"
    if len(recent) >= config.drift.min_rows:
        row.level = drift.drift_level(row.psi, row.p_value, moderate=config.drift.psi_moderate,
                                      major=config.drift.psi_major, alpha=config.drift.p_value)
    return model, row.to_dict(), recent, scores, None


def build_report(config: Config, *, source=None, now: datetime | None = None) -> dict[str, Any]:
    """The report for the current champion (see the module docstring); never raises for an expected problem.

    ``source`` and ``now`` replace the configured source and the clock (a
    backtest replays the report as it would have been computed at each step).
    """
    started = time.perf_counter()
    try:
        champion_id, champion = _champion(config)
    except WindowError as exc:
        return _empty(config, str(exc))
    features = champion.get("features") or {}
    inputs = [c for key in ("numeric", "boolean", "categorical") for c in features.get(key) or []]
    time_column = (champion.get("data_window") or {}).get("time_column") or config.schema.time_column
    try:
        windows = split_windows(config, champion, inputs + [time_column], source=source, now=now)
    except WindowError as exc:
        return _empty(config, str(exc), champion_id)
    loaded_s = time.perf_counter() - started
    report = _empty(config, "", champion_id)
    report.pop("error")
    report.update({
        "champion_created_at": champion.get("created_at"), "source": windows.source,
        "data_fingerprint": windows.fingerprint,
        "window": {"training_start": (champion.get("data_window") or {}).get("start"),
                   "training_end": (champion.get("data_window") or {}).get("train_end"),
                   "test_start": (champion.get("data_window") or {}).get("test_start"),
                   "recent_after": windows.recent_after.isoformat(), "reference_rows": int(len(windows.reference)),
                   "test_rows": int(len(windows.test)), "recent_rows": int(len(windows.recent)),
                   "recent_labelled": int(len(windows.labelled)), "future_rows": windows.future_rows,
                   "negative_sample_rate": windows.negative_sample_rate},
        "enough_data": len(windows.recent) >= config.drift.min_rows,
    })
    t0 = time.perf_counter()
    report["features"] = feature_rows(windows, champion, config)
    features_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model, score_row, scored, scores, score_error = _scores(config, champion_id, windows, champion)
    report["score"], report["score_error"] = score_row, score_error
    labels, times = (windows.recent[column].iloc[windows.labelled] for column in (LABEL, TIME))
    report["prevalence"] = prevalence(windows.reference[LABEL], labels, times,
                                      alpha=config.drift.p_value, min_rows=config.drift.min_rows)
    if model is not None and scored is not None:
        has_label = scored[LABEL].notna().to_numpy()
        if has_label.any():
            newest = None
            if len(scored) < len(windows.recent):  # a sample: score the truly newest verdicts too
                newest_rows = windows.labelled[np.argsort(utc_instants(times), kind="stable")[-config.drift.last_n:]]
                tail = windows.recent.iloc[newest_rows]
                newest = (tail[LABEL].to_numpy(dtype=int), model.predict_proba(tail)[:, 1])
            report["live"] = live_performance(scored.loc[has_label, LABEL].astype(int), scores[has_label],
                                              scored.loc[has_label, TIME], model.threshold, champion,
                                              last_n=config.drift.last_n, newest=newest)
            report["live"]["sampled_from"] = int(len(labels)) if newest is not None else None
    scoring_s = time.perf_counter() - t0
    levels = [r["level"] for r in report["features"]]
    report["summary"] = {
        "level": max(levels, key=LEVEL_RANK.get) if levels and report["enough_data"] else "none",
        "drifted": [r["feature"] for r in report["features"] if r["level"] != "none"],
        "major": [r["feature"] for r in report["features"] if r["level"] == "major"],
        "score_level": (score_row or {}).get("level"),
        "prevalence_flagged": bool(report["prevalence"]["flagged"]),
    }
    report["computed_at"] = (now or _now()).isoformat(timespec="milliseconds")
    report["signals"] = signals(report, config.drift)
    report["timings"] = {"load_s": round(loaded_s, 3), "features_s": round(features_s, 3),
                         "scoring_s": round(scoring_s, 3), "total_s": round(time.perf_counter() - started, 3)}
    return report


def verdict(report: DriftReport | None) -> DriftVerdict:
    """The one answer to "how much drift?" that the Overview, the Drift page and `cla drift --summary` give.

    ``level``: ``unknown`` (no report, or one that failed), ``unreliable``
    (fewer recent alerts than the floor: no level is claimed from them),
    else the highest feature level (``none``, ``moderate``, ``major``); with
    ``flagged`` (features at moderate or major, most drifted first),
    ``recent_rows``, ``min_rows``, ``champion_id`` and ``computed_at``.
    """
    if report is None:
        return DriftVerdict("unknown")
    flagged = [r for r in report.features if r.flagged]
    if report.failed:
        level = "unknown"
    elif not report.enough_data:
        level = "unreliable"
    else:
        level = max((str(r.level) for r in flagged), key=VERDICT_LEVELS.index, default="none")
    return DriftVerdict(level, tuple(r.feature for r in flagged) if level not in ("unknown", "unreliable") else (),
                        report.recent_rows, report.thresholds.min_rows, report.champion_id, report.computed_at)


def write_report(layout: ModelsLayout, report: dict[str, Any]) -> None:
    """Replace the report file atomically (raises ``atomic.WriteError``)."""
    write_json(layout.drift_report, report)


def read_report(layout: ModelsLayout) -> dict[str, Any] | None:
    """The last report written to ``layout``'s models folder; None when there is none.

    A file that cannot be read or parsed gives a report holding only
    ``error`` (naming the file and what to do) and ``unreadable: true``, so
    readers show why instead of "no report".
    """
    path = layout.drift_report
    try:
        report = json.loads(read_regular(path, JSON_MAX_BYTES))
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"error": f"{path} cannot be read ({exc}); the trainer service replaces it at its next report, or run "
                         "`cla drift --refresh`", "unreadable": True, "features": [], "signals": {}}
    return report


def load_report(layout: ModelsLayout) -> DriftReport | None:
    """:func:`read_report`'s report, typed: what the dashboard and ``cla drift`` read."""
    report = read_report(layout)
    return None if report is None else DriftReport.from_json(report)


def data_fingerprint(config: Config) -> str | None:
    """The source's ``latest_change()`` (changes when feedback arrives); None when it cannot be read."""
    from trainer.feedback.sources import SourceError, open_source

    try:
        return str(open_source(config).latest_change())
    except SourceError:
        return None


def about_current_champion(report: dict[str, Any] | None, config: Config) -> bool:
    """Whether ``report`` was read whole and is about the champion the models folder names now."""
    from trainer.folder.scoring import ModelLoadError, champion_id

    if not report or report.get("unreadable"):
        return False
    try:
        current = champion_id(config.models_dir)
    except ModelLoadError:
        current = None
    return report.get("champion_id") == current


def age(report: dict[str, Any], now: datetime | None = None) -> timedelta | None:
    """How long ago ``report`` was computed; None when its time cannot be read."""
    try:
        computed = datetime.fromisoformat(str(report.get("computed_at")))
    except ValueError:
        return None
    return (now or _now()) - computed


def refresh(config: Config) -> dict[str, Any]:
    """Build the report and write it to the models folder; returns it (raises ``atomic.WriteError``).

    A models folder that does not exist is not created: the report is returned, not written.
    """
    report = build_report(config)
    layout = config.layout
    if layout.root.is_dir():
        write_report(layout, report)
        log.info("drift report for champion %s written: %s", report.get("champion_id"),
                 report.get("error") or report["summary"])
        try:
            history.append(layout, DriftReport.from_json(report))
        except OSError as exc:  # the report itself is written; the page's history misses one point
            log.error("cannot add the drift report to %s: %s", layout.drift_history, exc)
    return report


def current_report(config: Config, *, force: bool = False) -> tuple[dict[str, Any], bool]:
    """(a fresh report, whether it was computed now): the file's when it is about the current champion and no
    feedback arrived since it was computed, else built and written."""
    report = read_report(config.layout)
    if not force and about_current_champion(report, config) \
            and report.get("data_fingerprint") == data_fingerprint(config):
        return report, False
    return refresh(config), True
