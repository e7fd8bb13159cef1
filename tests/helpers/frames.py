"""Small synthetic feedback frames for the trainer-core tests (import as ``from frames import ...``).

``feedback_frame`` builds a cleaned feedback table (label 0/1, UTC timestamps)
whose label depends on a rule, a reputation score and a flag, plus the
post-triage columns the old CLA leaked (comment length follows the label).
``replay_history`` builds the raw, time-stamped alerts a backtest replays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RULES = ["brute_force", "port_scan", "malware_beacon", "phishing_click", "dns_tunnel", "admin_login"]
RULE_LOGIT = {"brute_force": 0.5, "port_scan": -2.0, "malware_beacon": 2.0, "phishing_click": 1.0,
              "dns_tunnel": 0.0, "admin_login": -1.5}


def feedback_frame(rows: int = 2000, *, seed: int = 0, positive_rate: float = 0.12, with_time: bool = True,
                   with_id: bool = True, post_triage: bool = True) -> pd.DataFrame:
    """A cleaned feedback frame with learnable signal, ordered by time when ``with_time``."""
    rng = np.random.default_rng(seed)
    rule = rng.choice(RULES, size=rows)
    reputation = rng.normal(50, 15, size=rows).round(1)
    internal = rng.random(rows) < 0.4
    port = rng.choice([22, 53, 80, 443, 3389], size=rows)
    logit = np.vectorize(RULE_LOGIT.get)(rule) + (reputation - 50) / 8 - 0.8 * internal
    # Shift the intercept so the positive share is about `positive_rate`.
    intercept = np.quantile(logit + rng.logistic(size=rows), 1 - positive_rate)
    label = (logit + rng.logistic(size=rows) > intercept).astype(int)
    frame = pd.DataFrame({
        "rule_name": pd.array(rule, dtype="str"),
        "src_reputation": reputation,
        "src_is_internal": internal,
        "dest_port": port,
        "is_true_positive": label,
    })
    if with_time:
        start = pd.Timestamp("2026-09-01", tz="UTC")
        offsets = np.sort(rng.uniform(0, 30 * 86400, size=rows))
        frame.insert(0, "timestamp", start + pd.to_timedelta(offsets, unit="s"))
    if with_id:
        frame.insert(0, "alert_id", [f"ALR-{i:06d}" for i in range(rows)])
    if post_triage:
        frame["analyst_comments"] = np.where(label == 1, "confirmed malicious, escalated to IR team", "fp")
        frame["processed"] = 1
        frame["confidence"] = np.where(label == 1, 0.95, 0.6)
    return frame


def tiny_table(seed: int = 3) -> pd.DataFrame:
    """300 rows, 12 positives, no time or id column, a constant and a duplicate column, text labels."""
    rng = np.random.default_rng(seed)
    rows = 300
    frame = feedback_frame(rows, seed=seed, with_time=False, with_id=False, post_triage=False)
    score = frame["src_reputation"].to_numpy() + np.where(frame["rule_name"] == "malware_beacon", 25, 0)
    score = score + rng.normal(0, 5, size=rows)
    positive = np.zeros(rows, dtype=bool)
    positive[np.argsort(-score)[:12]] = True
    frame["outcome"] = np.where(positive, "tp", "fp")
    frame = frame.drop(columns="is_true_positive")
    frame["sensor"] = "edge-01"
    frame["reputation_copy"] = frame["src_reputation"]
    return frame


REPLAY_START = pd.Timestamp("2026-10-01", tz="UTC")


def replay_history(days: int = 6, per_day: int = 160, seed: int = 0) -> pd.DataFrame:
    """Raw alerts over ``days`` days from :data:`REPLAY_START` (a backtest's input) whose verdict mostly
    depends on which of 40 detectors fired (8 are real)."""
    rng = np.random.default_rng(seed)
    rows = days * per_day
    detector = rng.integers(0, 40, rows)
    verdict = np.where(detector < 8, rng.random(rows) < 0.85, rng.random(rows) < 0.04)
    times = REPLAY_START + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, rows)), unit="s")
    return pd.DataFrame({"alert_id": [f"A{i}" for i in range(rows)], "timestamp": times,
                         "detector_id": detector, "severity": rng.integers(1, 5, rows),
                         "is_true_positive": verdict})


def cheap_training(config):
    """``config`` with one cheap model and no permutation importance, so a replay or a cycle takes seconds."""
    config.training.preset = "custom"
    config.training.model = "hist_gradient_boosting"
    config.training.imbalance = "none"
    config.training.permutation_repeats = 0
    return config
