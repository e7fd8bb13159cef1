"""Impossible feedback times: alerts from the future, and a time column that cannot order the feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trainer.config import Config
from trainer.learning.api import train_and_evaluate
from trainer.feedback.quality import prepare

NOW = pd.Timestamp("2026-11-29 12:00", tz="UTC")


def feedback_frame(rows: int, *, seed: int) -> pd.DataFrame:
    """Verdicts with learnable signal over the 30 days up to ``NOW``, oldest first."""
    rng = np.random.default_rng(seed)
    reputation = rng.normal(50, 15, size=rows)
    rule = rng.choice(["port_scan", "malware_beacon", "phishing"], size=rows)
    logit = (reputation - 50) / 8 + np.where(rule == "malware_beacon", 2.0, -1.0) + rng.logistic(size=rows)
    return pd.DataFrame({
        "alert_id": [f"ALR-{i:05d}" for i in range(rows)],
        "timestamp": NOW - pd.Timedelta(days=30) + pd.to_timedelta(np.sort(rng.uniform(0, 29 * 86400, rows)), unit="s"),
        "rule_name": pd.array(rule, dtype="str"),
        "src_reputation": reputation.round(1),
        "is_true_positive": (logit > np.quantile(logit, 0.85)).astype(int),
    })


def test_alerts_stamped_years_ahead_are_quarantined_not_held_out_as_the_newest(tmp_path):
    frame = feedback_frame(1000, seed=1)
    ahead = frame.index[::50]                            # 20 alerts from a sender whose clock is five years ahead
    frame.loc[ahead, "timestamp"] = frame.loc[ahead, "timestamp"] + pd.DateOffset(years=5)
    frame.loc[frame.index[1], "timestamp"] = NOW + pd.Timedelta(minutes=30)   # a little ahead: within tolerance

    result = prepare(frame, Config().schema, quarantine_dir=tmp_path, stamp="t", now=NOW)

    assert len(result.frame) == 980 and result.frame["timestamp"].max() <= NOW + pd.Timedelta(hours=1)
    assert result.report["quarantine_reasons"] == {"timestamp in the future": 20}
    quarantined = pd.read_csv(tmp_path / "quarantine_t.csv")
    assert len(quarantined) == 20
    assert quarantined["_reason"].str.contains("is in the future .* fix the sender's clock or time zone").all()

    metrics = train_and_evaluate(result.frame, _config()).metrics
    assert pd.Timestamp(metrics["data_window"]["end"]) <= NOW + pd.Timedelta(hours=1)


def test_one_timestamp_on_every_row_gives_a_stratified_split_with_a_warning():
    frame = feedback_frame(1000, seed=2)
    frame["timestamp"] = NOW                             # a batch export stamped at once
    metrics = train_and_evaluate(frame, _config()).metrics
    assert metrics["data_window"]["split"] == "stratified"
    warning = next(w for w in metrics["warnings"] if w["code"] == "time_unordered")
    assert warning["severity"] == "warning"
    assert "holds only 1 distinct time(s)" in warning["message"] and "not the newest alerts" in warning["message"]


def _config() -> Config:
    config = Config()
    config.training.preset, config.training.model = "custom", "logistic_regression"
    config.training.permutation_repeats = 0
    return config


@pytest.mark.parametrize("minutes", [0, 120])
def test_the_future_tolerance_is_the_configured_one(tmp_path, minutes):
    frame = feedback_frame(100, seed=3)
    frame["timestamp"] = NOW - pd.Timedelta(days=1)
    frame.loc[0, "timestamp"] = NOW + pd.Timedelta(minutes=90)
    schema = Config().schema
    schema.max_future_minutes = minutes
    result = prepare(frame, schema, quarantine_dir=None, stamp="t", now=NOW)
    assert len(result.frame) == (99 if minutes < 90 else 100)


def test_one_timestamp_on_every_row_cannot_make_the_first_champion(layout):
    """Issue 26, item 8: the warning alone let such a model become the first champion, trusted on a random slice."""
    from trainer.folder.promotion import judge_challenger
    from trainer.folder.registry import Registry

    frame = feedback_frame(1000, seed=2)
    frame["timestamp"] = NOW
    result = train_and_evaluate(frame, _config())
    block = judge_challenger(result, Registry(layout.root), _config())
    assert block["decision"] == "rejected"
    assert "cannot tell the newest feedback" in block["reasons"][0] and "schema.time_column" in block["reasons"][0]

    ordered = train_and_evaluate(feedback_frame(1000, seed=2), _config())
    assert judge_challenger(ordered, Registry(layout.root), _config())["decision"] == "first_champion"
