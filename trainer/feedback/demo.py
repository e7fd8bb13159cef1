"""Synthetic SOC feedback: a deterministic history (`cla demo seed`) and a live trickle (`cla demo feed`).

:func:`generate_history` draws a realistic triage history with a numpy
``Generator``; :func:`generate_live` draws rows that continue it, stamped now.
:mod:`trainer.feedback.store` writes both into the embedded SQLite store, and
:func:`feed` paces live rows into it so the continuous loop can be watched.
Every assumption the generator makes is listed in ``docs/DATA.md``; the
model behind it is a logistic score per alert whose ingredients are the
attributes known when the alert fired, plus unobserved noise, so the signal is
learnable but far from perfect.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from trainer.feedback import store
from trainer.feedback.demo_soc import RULES, SEVERITIES, SEVERITY_LOGIT, alert_hours, post_triage
from trainer.feedback.shifts import apply_shift

TARGET_POSITIVE_RATE = 0.05
LABEL_NOISE = 0.015
DUPLICATE_SHARE = 0.004
CAMPAIGN_START = 2 / 3      # share of the history after which the campaign runs
TUNING_DATE = 1 / 2         # share of the history after which the noisy rule is tuned
UNOBSERVED_NOISE_SD = 1.1   # what no attribute explains: keeps PR-AUC well below 1
TRUTH_COLUMN = "_truth"     # the analyst's verdict for every generated row; never written to the feedback table


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for(logit: np.ndarray, rate: float) -> float:
    """The constant that makes the mean probability equal ``rate`` (bisection)."""
    lo, hi = -20.0, 20.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if _sigmoid(logit + mid).mean() > rate:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def _rule_weights(late: bool, after_tuning: bool) -> np.ndarray:
    """Rule probabilities in one period: campaign rules grow late, the tuned rule shrinks half-way."""
    weights = np.array([r.volume for r in RULES], dtype=float)
    if late:
        weights *= np.where([r.campaign for r in RULES], 1.8, 1.0)
    if after_tuning:
        weights *= np.where([r.tuned for r in RULES], 0.3, 1.0)
    return weights / weights.sum()


def _pick_rules(rng: np.random.Generator, day_share: np.ndarray) -> np.ndarray:
    """One rule index per row, drawn from the weights of the row's period (vectorised)."""
    draws = rng.random(len(day_share))
    picked = np.empty(len(day_share), dtype=np.int64)
    late = day_share >= CAMPAIGN_START
    after_tuning = day_share >= TUNING_DATE
    for is_late in (False, True):
        for is_tuned in (False, True):
            rows = (late == is_late) & (after_tuning == is_tuned)
            cumulative = np.cumsum(_rule_weights(is_late, is_tuned))
            picked[rows] = np.minimum(np.searchsorted(cumulative, draws[rows], side="right"), len(RULES) - 1)
    return picked


def _simulate(rng: np.random.Generator, day_share: np.ndarray, intercept: float | None,
              hour: int | None = None) -> tuple[dict, np.ndarray, float]:
    """Alert attributes and true-positive log-odds for rows at the given history positions.

    Returns (columns, log-odds, intercept). ``columns`` includes ``_hour``
    (drawn from the business-hours pattern unless ``hour`` is given). The
    intercept is calibrated so that recorded labels, after label noise, come
    out near :data:`TARGET_POSITIVE_RATE`; live rows reuse the history's.
    """
    n = len(day_share)
    rule_idx = _pick_rules(rng, day_share)
    scanner_rule = np.array([r.scanner for r in RULES])[rule_idx]
    product = np.array([r.product for r in RULES], dtype=object)[rule_idx]
    # Scheduled internal scans also trip ordinary network rules now and then.
    scanner = scanner_rule | ((product == "IDS") | (product == "firewall")) & (rng.random(n) < 0.06)

    base_sev = np.array([r.severity for r in RULES])[rule_idx]
    jitter = rng.choice([-1, 0, 0, 0, 0, 0, 1], size=n)
    severity = np.clip(base_sev + jitter, 0, 3)

    port_choice = rng.random(n)
    protocol = np.empty(n, dtype=object)
    dest_port = np.empty(n, dtype=np.int64)
    for i, rule in enumerate(RULES):
        rows = rule_idx == i
        if not rows.any():
            continue
        which = np.minimum((port_choice[rows] * len(rule.ports)).astype(int), len(rule.ports) - 1)
        protocol[rows] = np.array([p for p, _ in rule.ports], dtype=object)[which]
        dest_port[rows] = np.array([p for _, p in rule.ports])[which]
    ephemeral = dest_port == 0
    dest_port[ephemeral] = rng.integers(1024, 65535, size=int(ephemeral.sum()))

    asset_criticality = rng.choice(np.arange(1, 6), size=n, p=[0.25, 0.3, 0.25, 0.13, 0.07])
    src_is_internal = scanner | (rng.random(n) < 0.35)
    external_rep = rng.beta(1.6, 4.0, size=n) * 100
    internal_rep = rng.beta(1.2, 8.0, size=n) * 100
    src_reputation = np.where(src_is_internal, internal_rep, external_rep)
    related_events = rng.poisson(np.where(scanner, 180.0, rng.lognormal(1.2, 0.9, size=n)))
    user_is_privileged = rng.random(n) < np.where(product == "cloud audit", 0.35, 0.1)

    late = day_share >= CAMPAIGN_START
    campaign_rule = np.array([r.campaign for r in RULES])[rule_idx]
    in_campaign = late & campaign_rule & ~scanner & (rng.random(n) < 0.45)
    src_reputation = np.where(in_campaign, rng.uniform(60, 85, size=n), src_reputation)
    src_is_internal = src_is_internal & ~in_campaign

    logit = (np.array([r.logit for r in RULES])[rule_idx]
             + SEVERITY_LOGIT[severity]
             + 0.35 * (asset_criticality - 3)
             + 0.03 * (src_reputation - 30)
             + 0.6 * user_is_privileged
             + 0.25 * np.log1p(np.minimum(related_events, 50))
             + 2.6 * in_campaign
             - 6.0 * scanner
             + rng.normal(0.0, UNOBSERVED_NOISE_SD, size=n))
    tuned_rule = np.array([r.tuned for r in RULES])[rule_idx]
    logit = logit + np.where(tuned_rule & (day_share >= TUNING_DATE), 1.4, 0.0)
    hours = alert_hours(rng, scanner) if hour is None else np.full(n, hour)
    # Off-hours alerts are a little more often real.
    logit = logit + 0.4 * ((hours < 7) | (hours > 19))

    columns = {
        "rule_name": np.array([r.name for r in RULES], dtype=object)[rule_idx],
        "alert_type": np.array([r.alert_type for r in RULES], dtype=object)[rule_idx],
        "severity": SEVERITIES[severity],
        "source_product": product,
        "asset_criticality": asset_criticality,
        "protocol": protocol,
        "dest_port": dest_port,
        "related_events": related_events,
        "src_reputation": np.round(src_reputation, 1),
        "src_is_internal": src_is_internal,
        "user_is_privileged": user_is_privileged,
        "_hour": hours,
    }
    if intercept is None:
        true_rate = (TARGET_POSITIVE_RATE - LABEL_NOISE) / (1 - 2 * LABEL_NOISE)
        intercept = _intercept_for(logit, true_rate)
    return columns, logit + intercept, intercept


def _verdicts(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    """Recorded labels: a Bernoulli draw of the truth, then a little analyst error."""
    truth = rng.random(len(logit)) < _sigmoid(logit)
    return truth ^ (rng.random(len(logit)) < LABEL_NOISE)


COLUMN_ORDER = ["alert_id", "timestamp", "rule_name", "alert_type", "severity", "source_product",
                "asset_criticality", "protocol", "dest_port", "related_events", "src_reputation",
                "src_is_internal", "user_is_privileged", "is_true_positive", "confidence",
                "analyst_comments", "analyst", "triaged_at", "processed"]


def _frame(columns: dict, order: np.ndarray | None = None) -> pd.DataFrame:
    """The columns as a frame in ``COLUMN_ORDER`` (rows taken in ``order``), text as pandas ``str``."""
    def pick(values):
        return values if order is None else values[order]

    frame = pd.DataFrame({name: pick(columns[name]) for name in COLUMN_ORDER})
    for name in ("rule_name", "alert_type", "severity", "source_product", "protocol", "analyst_comments", "analyst"):
        frame[name] = frame[name].astype("str")
    frame["is_true_positive"] = frame["is_true_positive"].astype("Int64")
    for name in ("timestamp", "triaged_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True).astype("datetime64[ms, UTC]")
    return frame


def generate_history(rows: int = 66_000, days: int = 90, seed: int = 7, end: datetime | None = None,
                     keep_truth: bool = False) -> pd.DataFrame:
    """A synthetic triage history of ``rows`` alerts over the ``days`` before ``end`` (default: now).

    Deterministic for a given (rows, days, seed, end). Returns one row per
    verdict with the columns of the embedded store (``COLUMN_ORDER``), oldest
    alert first; the newest few hours hold some alerts not yet labelled
    (label NA). Columns stay numpy arrays until one frame is built, so 1M
    rows take a few seconds and well under 1 GB. With ``keep_truth`` a
    ``TRUTH_COLUMN`` holds the verdict an analyst would give every row, the
    pending ones too (:mod:`trainer.feedback.demo_analyst` keeps it apart from
    the store). Raises ValueError for rows < 1 or days < 1.
    """
    if rows < 1 or days < 1:
        raise ValueError(f"rows and days must be at least 1 (got rows={rows}, days={days})")
    rng = np.random.default_rng(seed)
    end = (end or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    start = end - timedelta(days=days)
    start64 = np.datetime64(start.replace(tzinfo=None), "s")
    end64 = np.datetime64(end.replace(tzinfo=None), "s")

    n_dup = int(rows * DUPLICATE_SHARE)
    n = rows - n_dup
    # Calendar days from midnight of the start day, so hour-of-day means something.
    weekday_of_day = (np.arange(days + 1) + start.weekday()) % 7
    day_weights = np.where(weekday_of_day >= 5, 0.55, 1.0)
    day = rng.choice(days + 1, size=n, p=day_weights / day_weights.sum())
    columns, logit, _ = _simulate(rng, np.clip(day / days, 0.0, 1.0), None)
    hour = columns.pop("_hour")
    seconds = day.astype(np.int64) * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)
    fired = start64.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    # Fold the partial first and last days into the window, keeping the hour of day.
    fired = np.where(fired >= start64, fired, fired + np.timedelta64(days, "D"))
    fired = np.where(fired < end64, fired, fired - np.timedelta64(1, "D"))

    label = _verdicts(rng, logit)
    columns.update(post_triage(rng, label))
    triaged = fired + (rng.exponential(45 * 60, n).astype(np.int64) + 60).astype("timedelta64[s]")
    age_hours = (end64 - fired).astype(np.int64) / 3_600
    unlabelled = (triaged > end64) | ((age_hours < 12) & (rng.random(n) < 0.5))
    processed = np.where(age_hours > 48, rng.random(n) < 0.98, rng.random(n) < 0.3) & ~unlabelled

    columns["alert_id"] = np.char.add("ALR-", np.char.zfill(np.arange(1, n + 1).astype(str), 8)).astype(object)
    columns["processed"] = processed.astype(np.int64)
    columns["is_true_positive"] = np.where(unlabelled, np.nan, label.astype(float))
    columns["confidence"] = np.where(unlabelled, np.nan, columns["confidence"])
    columns["analyst_comments"] = np.where(unlabelled, None, columns["analyst_comments"])
    columns["analyst"] = np.where(unlabelled, None, columns["analyst"])
    triaged = np.where(unlabelled, np.datetime64("NaT"), triaged)

    picked = np.zeros(0, dtype=np.int64)
    if n_dup:
        # Re-triaged alerts: the first verdict was changed a day later; the later one is right.
        candidates = np.flatnonzero(~unlabelled & (age_hours > 48))
        picked = rng.choice(candidates, size=min(n_dup, len(candidates)), replace=False)
        first_verdict = columns["is_true_positive"].copy()
        first_verdict[picked] = 1 - first_verdict[picked]
        first_comment = columns["analyst_comments"].copy()
        first_comment[picked] = post_triage(rng, first_verdict[picked] == 1)["analyst_comments"]
        columns["analyst_comments"] = np.concatenate([first_comment, columns["analyst_comments"][picked]])
        columns["is_true_positive"] = np.concatenate([first_verdict, columns["is_true_positive"][picked]])
        triaged = np.concatenate([triaged, triaged[picked] + np.timedelta64(1, "D")])
    source_row = np.concatenate([np.arange(n), picked])
    for name in list(columns):
        if name not in ("is_true_positive", "analyst_comments"):
            columns[name] = columns[name][source_row]
    columns["timestamp"] = fired[source_row]
    columns["triaged_at"] = triaged
    order = np.lexsort((source_row, columns["timestamp"]))
    frame = _frame(columns, order)
    if keep_truth:
        frame[TRUTH_COLUMN] = label[source_row][order].astype("int64")
    return frame


@functools.cache
def _history_intercept() -> float:
    """The intercept a history calibrates, so live rows keep its positive rate (campaign aside)."""
    return _simulate(np.random.default_rng(0), np.linspace(0.0, 1.0, 20_000), None)[2]


def generate_live(count: int, *, rng: np.random.Generator, now: datetime | None = None, prefix: str = "LIVE") -> pd.DataFrame:
    """``count`` freshly triaged verdicts that continue the history (campaign on, rule tuned).

    Alerts fire within the last minutes before ``now`` and are labelled now;
    ids are ``<prefix>-<now>-<n>`` so they never collide with the history's.
    """
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    columns, logit, _ = _simulate(rng, np.ones(count), _history_intercept(), hour=now.hour)
    columns.pop("_hour")
    label = _verdicts(rng, logit)
    columns.update(post_triage(rng, label))
    fired = pd.Timestamp(now) - pd.to_timedelta(rng.integers(30, 900, count), unit="s")
    columns["alert_id"] = np.array([f"{prefix}-{now:%Y%m%d%H%M%S%f}-{i:05d}" for i in range(count)], dtype=object)
    columns["timestamp"] = pd.DatetimeIndex(fired).array
    columns["triaged_at"] = pd.DatetimeIndex([pd.Timestamp(now)] * count).array
    columns["processed"] = np.zeros(count, dtype=np.int64)
    return _frame(columns)


#: the columns an alert has when it fires, before anyone triages it: what ``cla score`` reads
ALERT_COLUMNS = COLUMN_ORDER[:COLUMN_ORDER.index("is_true_positive")]
#: ``docs/examples/alerts.csv``: when its alerts fire (it is regenerated to the same bytes by :func:`sample_alerts`)
SAMPLE_TIME = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def sample_alerts(count: int = 25, seed: int = 7) -> pd.DataFrame:
    """``count`` untriaged demo alerts (:data:`ALERT_COLUMNS` only), the same for a given ``count`` and ``seed``.

    ``docs/examples/alerts.csv``, the sample file for ``cla score``, is
    ``sample_alerts().to_csv(index=False)``.
    """
    live = generate_live(count, rng=np.random.default_rng(seed), now=SAMPLE_TIME, prefix="SAMPLE")
    return live[ALERT_COLUMNS].sort_values("timestamp", kind="stable").reset_index(drop=True)


def feed(path: str | Path, *, rate: float, table: str = "feedback", duration: float | None = None,
         count: int | None = None, seed: int | None = None, shift: str | None = None,
         pending_share: float = 0.0,
         on_batch: Callable[[int, int], None] | None = None,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """Insert live alerts into the store at ``rate`` rows a second until ``duration`` or ``count``.

    A ``pending_share`` of them arrive without a verdict (pending triage); their
    truth goes to the demo's truth table (:mod:`trainer.feedback.demo_analyst`).
    With neither limit, runs until interrupted. Returns the number of rows
    written; ``on_batch(written_now, total)`` is called after each commit.
    ``shift`` names a change of the alerts (:mod:`trainer.feedback.shifts`).
    Raises ValueError for a non-positive rate, an unknown shift or a share
    outside 0..1.
    """
    from trainer.feedback import demo_analyst

    if rate <= 0:
        raise ValueError(f"rate must be above 0 rows a second (got {rate})")
    if not 0.0 <= pending_share <= 1.0:
        raise ValueError(f"the pending share must be between 0 and 1 (got {pending_share})")
    rng = np.random.default_rng(seed)
    store.create(path, table)
    started = clock()
    written = 0
    tick = min(1.0, max(0.1, 1.0 / rate))
    while True:
        elapsed = clock() - started
        if duration is not None and elapsed >= duration:
            due = int(rate * duration)
        else:
            due = int(rate * elapsed) + (1 if written == 0 else 0)
        if count is not None:
            due = min(due, count)
        batch = due - written
        if batch > 0:
            rows = generate_live(batch, rng=rng)
            rows = apply_shift(rows, shift, rng) if shift else rows
            demo_analyst.insert_with_truth(path, demo_analyst.make_pending(rows, pending_share, rng), table)
            written += batch
            if on_batch:
                on_batch(batch, written)
        if (count is not None and written >= count) or (duration is not None and elapsed >= duration):
            return written
        sleep(tick)
