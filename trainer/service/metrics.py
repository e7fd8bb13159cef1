"""Prometheus metrics of one trainer service, served at ``/metrics`` when ``service.metrics_address`` is set.

:class:`ServiceMetrics` owns a dedicated ``CollectorRegistry`` (never the
process-wide default) and the HTTP server ``prometheus_client`` starts for it.
Two kinds of values live there:

* counted by this process: ``cla_trainings_total{trigger, outcome}`` and the
  ``cla_training_duration_seconds`` histogram, updated by the service after
  each training (:meth:`ServiceMetrics.observe_training`); they start at zero
  with each service, as Prometheus counters may;
* read at each scrape by :class:`FolderCollector` from the files the service
  writes: the status file (state, last training end time, outcome and
  duration), the registry (models, the champion's PR-AUC, recall, threshold and
  usefulness) and the newest model's metrics file (feedback rows and positives
  it trained on). A value the files do not hold is left out, never reported as 0.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from trainer.addresses import is_loopback, split_host_port
from trainer.config import Config
from trainer.contract.layout import ModelsLayout, stamp_time
from trainer.contract import states
from trainer.contract.events import TRAINING_OUTCOMES
from trainer.contract.status import LastResult, StatusFile
from trainer.service.reconcile import latest_result
from trainer.service.status import load_status_file
from trainer.service.triggers import TRAINING_TRIGGERS
from trainer.timestamps import parse_iso
from trainer.errors import CLAError

log = logging.getLogger("cla.metrics")

#: how a training can end, as the status file's ``last_result.outcome`` spells it
OUTCOMES = tuple(kind.removeprefix("training_") for kind in TRAINING_OUTCOMES)
#: training durations run from seconds (a small store) to an hour (a time-boxed search on a warehouse sample)
DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)


class MetricsUnavailable(CLAError, OSError):
    """The metrics address cannot be listened on; the message names the option."""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


#: the gauge value of each drift level
DRIFT_LEVELS = {"none": 0, "moderate": 1, "major": 2}


class FolderCollector(Collector):
    """The gauges read from the models folder at each scrape."""

    def __init__(self, config: Config, layout: ModelsLayout):
        from trainer.folder.registry import Registry

        self.layout = layout
        self.registry = Registry(layout.root, key_file=config.model_key_path)
        self._feedback: tuple[str, dict[str, float]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("cla_trainer_up", "1 while this trainer service answers.", value=1)
        yield from self._status()
        yield from self._models()
        yield from self._drift()

    def _drift(self) -> Iterator[GaugeMetricFamily]:
        """Drift level and PSI per feature and the champion's live recall, from the last drift report.

        Absent (not 0) when there is no report, it could not be computed, or it had too few recent alerts.
        """
        from trainer.monitoring.report import load_report

        report = load_report(self.layout)
        if report is None or report.error or not report.enough_data:
            return
        level = GaugeMetricFamily("cla_drift_level", "Drift of each champion input since it was trained: "
                                  "0 none, 1 moderate, 2 major (docs/DRIFT.md).", labels=["feature"])
        psi = GaugeMetricFamily("cla_drift_psi", "Population stability index of each champion input.",
                                labels=["feature"])
        for row in report.features:
            if row.level in DRIFT_LEVELS:
                level.add_metric([row.feature], DRIFT_LEVELS[row.level])
            value = _number(row.psi)
            if value is not None:
                psi.add_metric([row.feature], value)
        yield level
        yield psi
        recall = _number(report.live.overall.recall) if report.live is not None else None
        if recall is not None:
            yield GaugeMetricFamily("cla_live_recall", "The champion's recall on verdicts that arrived after it was "
                                    "trained.", value=recall)

    def _status(self) -> Iterator[GaugeMetricFamily]:
        status = load_status_file(self.layout) or StatusFile()
        state = GaugeMetricFamily("cla_trainer_state", "The trainer service's state: 1 for the current one.",
                                  labels=["state"])
        for name in states.STATES:
            state.add_metric([name], 1 if status.state == name else 0)
        yield state
        heartbeat = parse_iso(status.heartbeat)
        if heartbeat is not None:
            yield GaugeMetricFamily("cla_trainer_heartbeat_timestamp_seconds", "When the service last wrote its status "
                                    "file (Unix time; a thread of its own writes it).", value=heartbeat.timestamp())
        next_check = parse_iso(status.next_check)
        if next_check is not None:
            yield GaugeMetricFamily("cla_trainer_next_check_timestamp_seconds", "When the idle service's loop will "
                                    "look for new feedback next (Unix time); past by minutes means the loop is stuck.",
                                    value=next_check.timestamp())
        current = status.current
        started = parse_iso(current.started_at) if current is not None and status.state == states.TRAINING else None
        if started is not None:
            yield GaugeMetricFamily("cla_training_started_timestamp_seconds", "When the training running now "
                                    "started (Unix time); absent while none runs.", value=started.timestamp())
        # the same last result as `cla trainer status`: the status file's, unless the event log holds a later
        # ending (a stand-alone `cla train`, or a training killed before it could write its result)
        last = latest_result(self.layout, status.last_result,
                             training_running=status.state == states.TRAINING) or LastResult()
        ended = parse_iso(last.finished_at)
        if ended is not None:
            yield GaugeMetricFamily("cla_last_training_end_timestamp_seconds",
                                    "When the last training ended (Unix time).", value=ended.timestamp())
            outcome = GaugeMetricFamily("cla_last_training_outcome", "The last training's outcome: 1 for it.",
                                        labels=["outcome"])
            for name in OUTCOMES:
                outcome.add_metric([name], 1 if last.outcome == name else 0)
            yield outcome
        duration = _number(last.duration_s)
        if duration is not None:
            yield GaugeMetricFamily("cla_last_training_duration_seconds", "How long the last training took.",
                                    value=duration)

    def _models(self) -> Iterator[GaugeMetricFamily]:
        try:
            summaries = self.registry.list_models()
        except OSError as exc:
            log.warning("metrics: cannot list %s: %s", self.layout.root, exc)
            return
        readable = [s for s in summaries if s.status == "ok"]
        yield GaugeMetricFamily("cla_models", "Readable model pairs in the models folder.", value=len(readable))
        champion = next((s for s in summaries if s.is_champion and s.status == "ok"), None)
        if champion is not None:
            # Its stamp as a value, not its id as a label: a label would start a new series at every promotion.
            yield GaugeMetricFamily("cla_champion_trained_timestamp_seconds", "When the champion was trained (Unix "
                                    "time of its model id); `cla models show` names it.",
                                    value=stamp_time(champion.model_id).timestamp())
            try:
                trusted = self.registry.verify(champion.model_id).trusted
            except (CLAError, OSError) as exc:  # a champion that cannot be checked is not trusted
                log.info("metrics: cannot verify %s: %s", champion.model_id, exc)
                trusted = False
            yield GaugeMetricFamily("cla_champion_trusted", "1 when the champion's model file passes its signature "
                                    "check, 0 when it does not (it is never loaded then).", value=1 if trusted else 0)
            # An untrusted champion's numbers describe a file nobody can vouch for, and it cannot score: its
            # PR-AUC, recall and threshold are left out and it is not useful.
            for key, name, text in (("pr_auc", "cla_champion_pr_auc", "The champion's PR-AUC on its test slice."),
                                    ("recall", "cla_champion_recall", "The champion's recall at its threshold."),
                                    ("threshold", "cla_champion_threshold", "The champion's decision threshold.")):
                value = _number(getattr(champion, key)) if trusted else None
                if value is not None:
                    yield GaugeMetricFamily(name, text, value=value)
            if champion.useful is not None or not trusted:
                yield GaugeMetricFamily("cla_champion_useful", "1 when the champion is useful, 0 when it is not.",
                                        value=1 if champion.useful and trusted else 0)
        if readable:
            yield from self._feedback_of(max(readable, key=lambda s: s.model_id).model_id)

    def _feedback_of(self, model_id: str) -> Iterator[GaugeMetricFamily]:
        """Rows and positives the newest training used, from its metrics file (read once per model)."""
        if self._feedback is None or self._feedback[0] != model_id:
            try:
                metrics = self.registry.get(model_id)
            except (CLAError, OSError) as exc:  # a file that vanished or broke costs these two gauges only
                log.info("metrics: cannot read %s: %s", model_id, exc)
                return
            values: dict[str, float] = {}
            used = _number((metrics.get("rows") or {}).get("used"))
            if used is not None:
                values["rows"] = used
            counts = metrics.get("class_counts") or {}
            parts = [counts.get(part) for part in ("train", "validation", "test")]
            if parts and all(isinstance(p, dict) for p in parts):
                values["positives"] = float(sum(_number(p.get("1", p.get(1))) or 0 for p in parts))
            self._feedback = (model_id, values)
        values = self._feedback[1]
        if "rows" in values:
            yield GaugeMetricFamily("cla_feedback_rows", "Labelled feedback rows the newest training used.",
                                    value=values["rows"])
        if "positives" in values:
            yield GaugeMetricFamily("cla_feedback_positives", "True positives among them.", value=values["positives"])


class ServiceMetrics:
    """The service's registry, its counters, and the ``/metrics`` server (started by :meth:`start`)."""

    def __init__(self, config: Config, layout: ModelsLayout):
        self.config = config
        # The `_created` series would double every counter and histogram for no alert to use.
        disable_created_metrics()
        self.registry = CollectorRegistry()
        self.trainings = Counter("cla_trainings", "Trainings run by this service, by trigger and outcome.",
                                 ["trigger", "outcome"], registry=self.registry)
        # Every trigger x outcome series exists from the start at 0, so increase() over a window holding the first
        # training after a start sees it (a series born at its first increment shows no increase).
        for trigger in TRAINING_TRIGGERS:
            for outcome in OUTCOMES:
                self.trainings.labels(trigger, outcome)
        self.duration = Histogram("cla_training_duration_seconds", "How long each training took.",
                                  buckets=DURATION_BUCKETS, registry=self.registry)
        self.registry.register(FolderCollector(config, layout))
        self._server = None

    def start(self) -> str:
        """Listen on ``service.metrics_address``; returns the URL. Raises :class:`MetricsUnavailable`."""
        address = self.config.service.metrics_address
        host, port = split_host_port(address, "service.metrics_address")
        if not is_loopback(host):
            log.warning("service.metrics_address %s is not a loopback address: /metrics has no login, so anyone who "
                        "can reach it reads the trainer's state; keep it behind a firewall", address)
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise MetricsUnavailable(f"service.metrics_address {address}: cannot listen there "
                                     f"({exc.strerror or exc}); choose a free port, or leave it empty to serve no "
                                     "metrics") from None
        url = f"http://{address}/metrics"
        log.info("Prometheus metrics at %s", url)
        return url

    def observe_training(self, trigger: str, outcome: str, duration_s: float) -> None:
        """Count one training and its duration."""
        self.trainings.labels(trigger=trigger, outcome=outcome).inc()
        self.duration.observe(duration_s)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
