"""Models folders for dashboard tests, written as the trainer writes them (docs/CONTRACTS.md).

Builders (plain functions; tests reach them through the ``build`` fixture,
``build.write_pair(env.models_dir, build.healthy_metrics(build.stamp(0)))``):

* :func:`healthy_metrics`, :func:`degenerate_metrics`, :func:`legacy_metrics`:
  metrics dicts in the schema-2 / old-CLA formats;
* :func:`write_pair`: a pair, through the trainer's own pair writer (legacy files as the old CLA wrote them);
* :func:`write_champion`, :func:`write_status`, :func:`add_event`: through the champion pointer, the
  service's status writer and the event log's appender, so these files cannot drift from the real formats;
* :func:`running_service`: hold the service lock in this process, so
  ``trainer.service.status.read_status`` sees a live trainer;
* :func:`build_scenario`: a whole folder for one of :data:`SCENARIOS`.

Fixtures: ``build`` (this module), ``dash_env`` (a temp models folder + config file named by
``CLA_MODELS_DIR`` / ``CLA_CONFIG``, Streamlit caches cleared before and
after, Streamlit's ``server.address`` set to 127.0.0.1 as ``cla dashboard``
sets it; :func:`serve_on` changes it for one test), ``scenario``
(``dash_env`` filled by :func:`build_scenario`, via
``pytest.mark.parametrize("scenario", [...], indirect=True)``) and
``login_clock`` (the failed-login throttle on a clock the test moves:
``login_clock.advance(2)``); ``build.run_app`` (:func:`run_app`: an
``AppTest`` of ``dashboard/app.py``, run, then switched to a page).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import streamlit as st
from streamlit import config as streamlit_config

from trainer.atomic import write_bytes, write_json
from trainer.contract import states
from trainer.contract.layout import ModelsLayout, stamp_of, stamp_time
from trainer.folder import pairs
from trainer.contract.champion import ChampionRecord
from trainer.contract.events import Event
from trainer.contract.status import StatusFile
from trainer.folder.champion import ChampionPointer, shift_champion
from trainer.folder.events import append_event
from trainer.locking import FileLock
from trainer.service.status import StatusWriter
from trainer.timestamps import iso, now_utc

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"
SCENARIOS = ("empty", "legacy", "degenerate", "healthy", "crashed", "unreadable")
#: scenarios whose trainer service is alive while the test runs (the ``scenario`` fixture holds its lock)
LIVE_SCENARIOS = ("degenerate", "healthy", "unreadable")
FIRST_STAMP = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
GONE_PID = 4_000_000  # above pid_max: never a live process


def stamp(index: int) -> str:
    """The model id of the ``index``-th model of a scenario (one hour apart)."""
    return stamp_of(FIRST_STAMP + timedelta(hours=index))


def _confusion(test_samples: int, positive_rate: float, recall: float, precision: float) -> dict[str, int]:
    positives = round(test_samples * positive_rate)
    tp = round(positives * recall)
    fp = round(tp / precision - tp) if precision > 0 else 0
    return {"true_positives": tp, "false_negatives": positives - tp, "false_positives": fp,
            "true_negatives": test_samples - positives - fp}


def healthy_metrics(model_id: str, *, pr_auc: float = 0.81, f1_score: float = 0.74, recall: float = 0.95,
                    precision: float = 0.61, threshold: float = 0.18, decision: str = "promoted",
                    warnings: list[dict] | None = None, **extra: Any) -> dict:
    """A schema-2 metrics dict of a useful model."""
    test_samples, training_samples, rate = 800, 3200, 0.06
    counts = _confusion(test_samples, rate, recall, precision)
    accuracy = (counts["true_positives"] + counts["true_negatives"]) / test_samples
    created = datetime.strptime(model_id, "%Y%m%d_%H%M%S").replace(tzinfo=timezone.utc)
    metrics = {
        "schema_version": 2, "model_id": model_id, "model_file": f"trained_model_{model_id}.pkl",
        "created_at": created.isoformat(timespec="milliseconds"),
        "precision": precision, "recall": recall, "f1_score": f1_score, "accuracy": round(accuracy, 4),
        **counts, "training_samples": training_samples, "test_samples": test_samples,
        "balanced_accuracy": 0.9, "mcc": 0.6, "pr_auc": pr_auc, "roc_auc": 0.96, "brier_score": 0.04,
        "threshold": threshold, "workload_saved": 0.78, "positive_rate": rate, "useful": True,
        "warnings": warnings or [],
        "class_counts": {"train": {"0": 2900, "1": 300}, "train_resampled": {"0": 2900, "1": 300},
                         "validation": {"0": 700, "1": 50}, "test": {"0": 752, "1": 48}},
        "model": {"preset": "auto", "family": "random_forest", "imbalance": "class_weight",
                  "objective": "recall", "target": 0.95, "calibration": "none", "params": {}, "selection": []},
        "feature_importance": [{"feature": "rule_name", "importance": 0.12, "std": 0.01},
                               {"feature": "severity", "importance": 0.08, "std": 0.01}],
        "curves": {"pr": {"precision": [0.06, 0.61, 1.0], "recall": [1.0, 0.95, 0.0], "threshold": [0.0, 0.18, 1.0]},
                   "reliability": {"mean_predicted": [0.1, 0.5, 0.9], "fraction_positive": [0.05, 0.5, 0.85],
                                   "count": [700, 60, 40]},
                   "threshold_tradeoff": {"threshold": [0.1, 0.18, 0.5], "precision": [0.4, 0.61, 0.8],
                                          "recall": [0.98, 0.95, 0.6], "alerts_skipped": [0.6, 0.78, 0.93]}},
        "features": {"numeric": ["src_reputation"], "boolean": [], "categorical": ["rule_name", "detector_id"],
                     "time_derived": ["timestamp_hour", "timestamp_weekday"], "many_values": ["detector_id"],
                     "typed": {"src_reputation": "number", "rule_name": "category: text",
                               "detector_id": "category: integers in a column named like an id; 412 values, "
                                              "target-encoded"},
                     "excluded_post_triage": ["analyst_comments"], "excluded_other": ["alert_id", "incident_no"],
                     "excluded_reasons": {"alert_id": "id column",
                                          "incident_no": "grows with time (rank correlation 0.99 with the time "
                                                         "column): a sequence number"}},
        "data_quality": {"rows_read": 4100, "unlabelled": 50, "duplicates_removed": 30, "quarantined": 20,
                         "quarantine_reasons": {"invalid label": 20}, "below_min_confidence": 0, "rows_used": 4000},
        "trigger": "manual", "actor": "tester",
        "source": {"kind": "sqlite", "description": "data/feedback.db:feedback"},
        "promotion": {"decision": decision, "reasons": ["PR-AUC within the allowed change"], "metric": "pr_auc"},
    }
    metrics.update(extra)
    return metrics


def degenerate_metrics(model_id: str, **extra: Any) -> dict:
    """A model that calls every alert benign: accuracy 0.94, precision/recall/F1 0, blocked."""
    metrics = healthy_metrics(model_id, pr_auc=0.07, f1_score=0.0, recall=0.0, precision=0.0, threshold=0.5,
                              decision="rejected")
    metrics.update({
        "accuracy": 0.94, "true_positives": 0, "false_positives": 0, "false_negatives": 48, "true_negatives": 752,
        "useful": False, "workload_saved": 1.0,
        "warnings": [
            {"code": "predicts_one_class", "severity": "blocking",
             "message": "the model predicts one class (benign) for every test alert"},
            {"code": "majority_accuracy", "severity": "blocking",
             "message": "accuracy 0.94 but F1 0.00: the model calls every alert benign"},
            {"code": "severe_imbalance", "severity": "warning",
             "message": "only 1.0% of the training alerts are true positives"},
        ],
        "promotion": {"decision": "rejected", "reasons": ["blocking warnings: predicts_one_class"], "metric": "pr_auc"},
    })
    metrics.update(extra)
    return metrics


def legacy_metrics(model_id: str, *, accuracy: float = 0.93, f1_score: float = 0.41) -> dict:
    """An old CLA metrics file: only the old top-level keys and a timestamp."""
    return {"precision": 0.35, "recall": 0.5, "f1_score": f1_score, "accuracy": accuracy,
            "true_positives": 20, "false_positives": 37, "true_negatives": 723, "false_negatives": 20,
            "training_samples": 3200, "test_samples": 800,
            "timestamp": datetime.strptime(model_id, "%Y%m%d_%H%M%S").isoformat()}


def write_pair(models_dir: Path, metrics: dict, *, model_id: str | None = None) -> Path:
    """Write one pair and return its metrics path.

    A schema-2 dict goes through the trainer's own writer
    (:func:`trainer.folder.pairs.write_pair`: signed, first-line summary,
    ``created_at`` the stamp's time); a legacy dict is written as the old CLA
    wrote it (a model file, then plain JSON), which no current writer produces.
    """
    layout = ModelsLayout.of(models_dir)
    model_id = model_id or metrics["model_id"]
    model = f"stand-in model {model_id}"
    if metrics.get("schema_version"):
        info = pairs.write_pair(layout, model, metrics, stamp=model_id, trained_at=stamp_time(model_id))
        assert info.model_id == model_id, f"stamp {model_id} was taken; the pair went to {info.model_id}"
        return info.metrics_path
    write_bytes(layout.model_path(model_id), model.encode())
    write_json(layout.metrics_path(model_id), metrics)
    return layout.metrics_path(model_id)


def write_champion(models_dir: Path, model_id: str, *, previous: list[str] | None = None,
                   pinned: list[str] | None = None) -> None:
    """Point the champion pointer at ``model_id`` through the registry's pointer, as promotions one by one would."""
    def change(pointer: ChampionRecord) -> ChampionRecord:
        for promoted in [*reversed(previous or []), model_id]:
            pointer = shift_champion(pointer, promoted, actor="tester", reason="test")
        return pointer.with_(pinned=tuple(pinned or ()))

    ChampionPointer(ModelsLayout.of(models_dir)).change(change)


def write_status(models_dir: Path, **fields: Any) -> StatusFile:
    """Write the status file with the service's own writer (idle, this pid, fresh heartbeat), ``fields`` merged."""
    layout = ModelsLayout.of(models_dir)
    layout.runtime.mkdir(parents=True, exist_ok=True)
    next_check = iso(now_utc() + timedelta(minutes=1))
    typed = StatusFile.from_json(fields)  # fields as the file spells them (last_result as a dict ...)
    return StatusWriter(layout).update(**{"state": states.IDLE, "stage": states.STAGE_IDLE, "next_check": next_check,
                                          "message": "waiting for new feedback",
                                          **{name: getattr(typed, name) for name in fields}})


def serve_on(address: str | None) -> None:
    """Make the dashboard believe its server binds ``address`` (None: unset, every interface)."""
    streamlit_config.set_option("server.address", address)


def add_event(models_dir: Path, kind: str, **fields: Any) -> Event:
    return append_event(ModelsLayout.of(models_dir).events, kind, **fields)


@contextmanager
def service_lock_held(models_dir: Path) -> Iterator[FileLock]:
    """Hold the trainer's service lock in this process, as a live service would."""
    lock = FileLock(ModelsLayout.of(models_dir).service_lock).acquire()
    try:
        yield lock
    finally:
        lock.release()


@contextmanager
def running_service(models_dir: Path, **status: Any) -> Iterator[FileLock]:
    """Pretend a trainer service runs: hold its lock and write a live status with ``status`` merged."""
    with service_lock_held(models_dir) as lock:
        write_status(models_dir, **status)
        yield lock


def succeeded(model_id: str) -> dict:
    """A status ``last_result`` for a finished training that wrote ``model_id``."""
    return {"outcome": "finished", "model_id": model_id, "message": f"model {model_id} written",
            "finished_at": datetime.now(timezone.utc).isoformat(), "trigger": "force", "actor": "tester",
            "duration_s": 12.5, "requests": []}


@dataclass
class DashEnv:
    """A dashboard test's folders: the root, its models folder and its config file."""

    root: Path
    models_dir: Path
    config_file: Path
    name: str = "empty"

    @property
    def layout(self) -> ModelsLayout:
        return ModelsLayout.of(self.models_dir)


def build_scenario(env: DashEnv, name: str) -> None:
    """Fill ``env.models_dir`` for scenario ``name`` (one of :data:`SCENARIOS`).

    Files only: for :data:`LIVE_SCENARIOS` the status file says idle, and the
    trainer looks alive only while :func:`service_lock_held` holds its lock
    (the ``scenario`` fixture does that).
    """
    models = env.models_dir
    if name == "empty":
        return
    if name == "legacy":
        for i in range(3):
            write_pair(models, legacy_metrics(stamp(i)), model_id=stamp(i))
        return
    if name == "degenerate":
        for i in range(5):
            write_pair(models, degenerate_metrics(stamp(i)))
            add_event(models, "training_finished", actor="service", trigger="new_rows", model_id=stamp(i),
                      message="model written; not useful: predicts_one_class")
            add_event(models, "rejected", actor="service", model_id=stamp(i), message="blocking warnings")
        write_status(models, last_result=succeeded(stamp(4)))
        return
    if name in ("healthy", "unreadable", "crashed"):
        for i in range(4):
            write_pair(models, healthy_metrics(stamp(i), pr_auc=0.7 + 0.03 * i))
            add_event(models, "training_finished", actor="alice", trigger="force", model_id=stamp(i),
                      message="model written")
            add_event(models, "promoted", actor="alice", model_id=stamp(i), message="challenger beats champion")
        write_champion(models, stamp(3), previous=[stamp(2), stamp(1), stamp(0)])
        write_status(models, last_result=succeeded(stamp(3)))
    if name == "unreadable":
        env.layout.metrics_path(stamp(5)).write_text('{"precision": 0.5, "recall": ', encoding="utf-8")
    if name == "crashed":
        write_status(models, state="idle", pid=GONE_PID, last_result=succeeded(stamp(3)),
                     last_error={"message": "MemoryError while fitting random_forest", "at": "2026-11-23T11:00:00+00:00",
                                 "trigger": "new_rows", "consecutive_failures": 1})
        add_event(models, "training_failed", actor="service", trigger="new_rows",
                  message="MemoryError while fitting random_forest")


@pytest.fixture
def build():
    """This module's builders: ``build.write_pair``, ``build.healthy_metrics``, ``build.running_service``..."""
    return BUILDERS


@pytest.fixture
def dash_env(tmp_path, monkeypatch) -> Iterator[DashEnv]:
    """A temp models folder and config file, named in the environment; Streamlit caches cleared around the test."""
    monkeypatch.chdir(tmp_path)
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    config_file = tmp_path / "cla.toml"
    config_file.write_text(f'models_dir = "{models_dir}"\n\n[source]\npath = "{tmp_path / "data" / "feedback.db"}"\n'
                           '\n[dashboard]\nrefresh_seconds = 1.0\n', encoding="utf-8")
    monkeypatch.setenv("CLA_CONFIG", str(config_file))
    monkeypatch.setenv("CLA_MODELS_DIR", str(models_dir))
    st.cache_resource.clear()
    st.cache_data.clear()
    served = streamlit_config.get_option("server.address")
    serve_on("127.0.0.1")
    yield DashEnv(tmp_path, models_dir, config_file)
    serve_on(served)
    st.cache_resource.clear()
    st.cache_data.clear()


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def login_clock(monkeypatch) -> FakeClock:
    """Give the dashboard's failed-login throttle a clock the test moves, so no test sleeps through a wait."""
    from dashboard import access
    from dashboard.throttle import LoginThrottle

    clock = FakeClock()
    throttle = LoginThrottle(clock=clock)
    monkeypatch.setattr(access, "login_throttle", lambda: throttle)
    return clock


@pytest.fixture
def scenario(request, dash_env) -> Iterator[DashEnv]:
    """``dash_env`` filled with the scenario named by the test's indirect parameter (trainer alive for live ones)."""
    build_scenario(dash_env, request.param)
    dash_env.name = request.param
    if request.param in LIVE_SCENARIOS:
        with service_lock_held(dash_env.models_dir):
            yield dash_env
    else:
        yield dash_env


def run_app(page: str | None = None, *, timeout: float = 30):
    """An AppTest of ``dashboard/app.py`` run once, then switched to ``page`` (e.g. "views/activity.py")."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(APP), default_timeout=timeout)
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    return app


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


#: This module, captured at import: every tests/ folder has a ``conftest``, so sys.modules["conftest"] may be another one.
BUILDERS = sys.modules[__name__]
