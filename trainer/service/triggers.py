"""When the trainer service trains: the trigger rules as pure functions, and the facts they need.

:func:`should_train` is pure: given :class:`TriggerFacts` (now, the time of the last
training, the new labelled rows since then, a force request, the analysts'
override share, a back-off deadline) and the ``[service]`` options, it
returns a :class:`Decision`: train or not, which trigger, and a sentence for
the status file. :func:`gather` collects the facts: the last training time
from the models folder on disk (:func:`last_training_time`, so a restart
never retrains by itself) and the new-row count from the feedback source's
cheap ``count_labelled(since=...)`` (see ``trainer.feedback.sources``).

Order of the rules: a force request always trains; a back-off after a failed
training and the minimum interval hold everything else back; then the
monitoring signals (``drift``, then ``performance``, read from the drift
report by :func:`monitoring_signals`), enough new rows, the maximum age, and
the override rate, in that order. A monitoring signal carries its evidence
into the decision, and from there into the ``trigger`` event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from trainer.config import Config, ServiceConfig
from trainer.contract.drift_report import DriftEvidence, PerformanceEvidence, Signals
from trainer.folder.events import read_event_rows
from trainer.errors import CLAError
from trainer.contract.layout import METRICS_RE, ModelsLayout, stamp_time
from trainer.timestamps import now_utc, parse_iso

CLOCK_SKEW = timedelta(minutes=5)
"""A pair stamped later than now by more than this is not evidence of a training (a clock set wrong, or a forgery)."""

log = logging.getLogger(__name__)

#: event kinds that mean "a training ran to a decision" and restart the clocks
TRAINING_DONE_EVENTS = ("training_finished", "training_skipped")
#: triggers raised by the drift report (``trainer.monitoring``); each starts at most one training per cooldown
MONITORING_TRIGGERS = ("drift", "performance")
#: every trigger a training can have (``schedule``: a cycle the runner started without a decision naming one)
TRAINING_TRIGGERS = ("force", "new_data", "max_age", "override_rate", *MONITORING_TRIGGERS, "schedule")
#: fewest new verdicts over which an override share is trusted
MIN_OVERRIDE_SAMPLE = 20


@dataclass(frozen=True)
class TriggerFacts:
    """Everything a trigger decision depends on."""

    now: datetime
    last_training: datetime | None
    new_rows: int | None = None           # labelled rows since last_training; None when unknown
    force: bool = False
    override_share: float | None = None   # share of new verdicts contradicting the champion
    backoff_until: datetime | None = None
    source_error: str | None = None
    drift: DriftEvidence | None = None              # evidence of a major drift on an important feature
    performance: PerformanceEvidence | None = None  # evidence of live recall below the champion's reference


@dataclass(frozen=True)
class Decision:
    """Train now or not, why (``trigger``: force, drift, performance, new_data, max_age, override_rate), and a sentence.

    ``evidence`` holds what a monitoring trigger saw (the drift report's lines), for the ``trigger`` event.
    """

    train: bool
    trigger: str | None
    message: str
    next_check: datetime
    evidence: DriftEvidence | PerformanceEvidence | None = None


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """A short UTC time for messages: ``12:05:00 UTC``, with the date when it is not today."""
    if moment is None:
        return "never"
    moment = moment.astimezone(timezone.utc)
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    return moment.strftime("%H:%M:%S UTC" if moment.date() == today else "%Y-%m-%d %H:%M UTC")


def should_train(service: ServiceConfig, facts: TriggerFacts) -> Decision:
    """Whether to train now, by the rules in the module docstring; never raises."""
    now = facts.now
    next_check = now + timedelta(seconds=service.check_interval_seconds)
    later = f"next check {when(next_check, now)}"
    if facts.force:
        return Decision(True, "force", "retrain requested", next_check)
    if facts.backoff_until is not None and facts.backoff_until > now:
        return Decision(False, None, f"the last training failed; automatic trainings are backed off until "
                                     f"{when(facts.backoff_until, now)} (a retrain request runs at once)",
                        max(next_check, facts.backoff_until))
    last = facts.last_training
    if last is not None and service.min_interval_minutes > 0:
        allowed = last + timedelta(minutes=service.min_interval_minutes)
        if now < allowed:
            return Decision(False, None, f"the last training was at {when(last, now)}; the minimum interval of "
                                         f"{service.min_interval_minutes:g} min allows the next at {when(allowed, now)}",
                            max(next_check, allowed))
    for kind in MONITORING_TRIGGERS:
        evidence = getattr(facts, kind)
        if evidence:
            return Decision(True, kind, evidence.message or kind, next_check, evidence)
    since = f"since {when(last, now)}" if last else "in total (no training yet)"
    if facts.new_rows is not None and facts.new_rows >= service.min_new_rows:
        return Decision(True, "new_data", f"{facts.new_rows} new labelled rows {since} "
                                          f"(threshold {service.min_new_rows})", next_check)
    if last is not None and service.max_age_hours > 0 and now - last >= timedelta(hours=service.max_age_hours):
        age_h = (now - last).total_seconds() / 3600
        return Decision(True, "max_age", f"the last training is {age_h:.1f} h old "
                                         f"(maximum age {service.max_age_hours:g} h)", next_check)
    if (service.override_rate > 0 and facts.override_share is not None
            and facts.override_share > service.override_rate):
        return Decision(True, "override_rate", f"analysts overrode the champion on {facts.override_share:.0%} of "
                                               f"new verdicts (threshold {service.override_rate:.0%})", next_check)
    if facts.source_error:
        return Decision(False, None, f"cannot count new feedback: {facts.source_error}; {later}", next_check)
    rows = "no" if not facts.new_rows else str(facts.new_rows)
    message = f"no new data: {rows} new labelled rows {since}, need {service.min_new_rows}"
    if last is not None and service.max_age_hours > 0:
        message += f"; next retrain by age at {when(last + timedelta(hours=service.max_age_hours), now)}"
    return Decision(False, None, f"{message}; {later}", next_check)


def last_training_time(layout: ModelsLayout, *, key_file=None, now: datetime | None = None) -> datetime | None:
    """When the last training that ran to a decision *read its data*, from the models folder on disk.

    The newest ``training_finished`` / ``training_skipped`` event gives its
    start (its time minus its duration), so feedback that arrived while it
    trained still counts as new. A newer pair without such an event (written
    by an older CLA, or by hand) counts by its stamp, but only a pair whose
    signature verifies (its metrics file parses, its model file is the one
    signed with ``key_file``) and whose stamp is not after ``now``: an empty
    or forged file named like a pair from 2099 must not switch learning off.
    None when there is neither. Failed trainings do not count: they did not
    use the data.
    """
    events, _ = read_event_rows(layout.events)
    ended_at: datetime | None = None
    ended_at = started_at = None
    for event in reversed(events):
        ended_at = parse_iso(event.ts) if event.event in TRAINING_DONE_EVENTS else None
        if ended_at is not None:
            started_at = ended_at - timedelta(seconds=float(event.duration_s or 0))
            break
    newest_pair = _newest_trusted_pair(layout, after=ended_at, now=now or now_utc(), key_file=key_file)
    return newest_pair if newest_pair is not None else started_at


def _newest_trusted_pair(layout: ModelsLayout, *, after: datetime | None, now: datetime,
                         key_file) -> datetime | None:
    """The stamp of the newest pair after ``after`` and not after ``now`` whose signature verifies, else None."""
    from trainer.folder.registry import Registry, RegistryError

    try:
        names = [p.name for p in layout.root.iterdir()]
    except OSError:
        return None
    stamps = sorted((m.group(1) for m in map(METRICS_RE.fullmatch, names) if m), reverse=True)
    registry = None
    for stamp in stamps:
        when = stamp_time(stamp)
        if when > now + CLOCK_SKEW:
            continue
        if after is not None and when <= after:
            return None
        registry = registry or Registry(layout.root, key_file=key_file)
        try:
            if registry.verify(stamp).trusted:
                return when
        except (OSError, ValueError, RegistryError):  # a pair that cannot be checked is no evidence of a training
            continue
    return None


def override_share(config: Config, source, since: datetime | None) -> float | None:
    """Share of feedback labelled since ``since`` on which the champion's prediction disagrees.

    None when there is no champion or fewer than :data:`MIN_OVERRIDE_SAMPLE`
    new verdicts. Loads the champion and the new rows, so it is only called
    when ``service.override_rate`` is set.
    """
    from trainer.feedback.quality import prepare
    from trainer.folder.scoring import load_champion

    try:
        champion = load_champion(config.models_dir, key_file=config.model_key_path)
    except (CLAError, OSError) as exc:  # no usable champion (or key) simply means no override signal
        log.info("override rate not computed: %s", exc)
        return None
    try:
        frame = source.load(since=since, sample=False).frame  # every new verdict, not a sample
        if len(frame) < MIN_OVERRIDE_SAMPLE:
            return None
        prepared = prepare(frame, config.schema, quarantine_dir=None, stamp="override").frame
        if len(prepared) < MIN_OVERRIDE_SAMPLE:
            return None
        predicted = champion.predict(prepared)
    except Exception as exc:  # noqa: BLE001 - the source and the champion's pickled pipeline can raise
        # anything on new feedback (too little, unusable); there is then no override signal
        log.info("override rate not computed: %s", exc)
        return None
    return float((predicted != prepared[config.schema.label].to_numpy()).mean())


def last_monitoring_trigger(layout: ModelsLayout) -> datetime | None:
    """When the newest ``trigger`` event raised by drift or performance was recorded; None when never."""
    events, _ = read_event_rows(layout.events, limit=2000)
    for event in reversed(events):
        if event.event == "trigger" and event.trigger in MONITORING_TRIGGERS:
            return parse_iso(event.ts)
    return None


def monitoring_signals(config: Config, layout: ModelsLayout, *, now: datetime,
                       last_training: datetime | None) -> Signals:
    """The drift report's signals that may start a training now (each None, or its evidence).

    A signal counts only when its trigger is on, the report is about the
    current champion and was computed after the last training began (older
    evidence was answered by it), and no drift or performance training
    started within ``drift.cooldown_hours``.
    """
    from trainer.folder.scoring import ModelLoadError, champion_id
    from trainer.monitoring.report import load_report

    none = Signals()
    options = config.drift
    if not (options.drift_trigger or options.performance_trigger):
        return none
    report = load_report(layout)
    if report is None or report.error:
        return none
    try:
        if report.champion_id != champion_id(layout.root):
            return none
    except ModelLoadError:
        return none
    computed = parse_iso(report.computed_at)
    if computed is None or (last_training is not None and computed <= last_training):
        return none
    previous = last_monitoring_trigger(layout)
    if previous is not None and now - previous < timedelta(hours=options.cooldown_hours):
        return none
    found = report.signals
    return Signals(found.drift if options.drift_trigger else None,
                   found.performance if options.performance_trigger else None)


def gather(config: Config, layout: ModelsLayout, *, now: datetime, force: bool = False,
           backoff_until: datetime | None = None) -> TriggerFacts:
    """Collect the facts for :func:`should_train`; a source that cannot be read becomes ``source_error``."""
    last = last_training_time(layout, key_file=config.model_key_path, now=now)
    if force:
        return TriggerFacts(now=now, last_training=last, force=True)
    new_rows = share = error = None
    try:
        from trainer.feedback.sources import open_source

        source = open_source(config)
        new_rows = int(source.count_labelled(since=last))
        if config.service.override_rate > 0:
            share = override_share(config, source, last)
    except Exception as exc:  # noqa: BLE001 - any source kind can raise its client's own errors;
        # each is reported in the status, never fatal
        error = " ".join(str(exc).split()) or type(exc).__name__
        log.warning("trigger check could not read the feedback source: %s", error)
    signals = monitoring_signals(config, layout, now=now, last_training=last)
    return TriggerFacts(now=now, last_training=last, new_rows=new_rows, force=False, override_share=share,
                        backoff_until=backoff_until, source_error=error, drift=signals.drift,
                        performance=signals.performance)
