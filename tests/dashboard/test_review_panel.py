"""The Overview's review tiles, from models/review/summary.json as trainer.review writes it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dashboard.review_panel import review_facts
from trainer.review.ledger import Ledger, refresh_summary

CHAMPION = {"model_id": "20261129_050000", "recall": 0.95}


def audit_verdicts(ledger: Ledger, *, audited: int, positives: int, flagged: int = 40, flagged_positives: int = 20):
    ledger.record_population(CHAMPION["model_id"], 0.3, n_above=flagged, n_below=4_000)
    for i in range(flagged):
        ledger.append({"action": "verdict", "alert_id": f"F{i}", "label": "tp" if i < flagged_positives else "fp",
                       "actor": "ana", "triaged_at": f"t{i}", "policy": "risk", "score": 0.9, "threshold": 0.3,
                       "model_id": CHAMPION["model_id"], "written": True})
    for i in range(audited):
        ledger.append({"action": "verdict", "alert_id": f"A{i}", "label": "tp" if i < positives else "fp",
                       "actor": "ana", "triaged_at": f"a{i}", "policy": "audit", "score": 0.1, "threshold": 0.3,
                       "model_id": CHAMPION["model_id"], "written": True})


def test_nothing_reviewed_yet_says_so(config):
    facts = review_facts(config, CHAMPION)
    assert facts.verdicts_today == "0" and "no verdict given" in facts.verdicts_caption
    assert facts.recall_value == "unknown" and "no audit sample" in facts.recall_caption
    assert facts.below_target is None


def test_too_few_audit_verdicts_show_no_estimate(config):
    ledger = Ledger.of(config)
    audit_verdicts(ledger, audited=10, positives=1)
    refresh_summary(ledger, config)
    facts = review_facts(config, CHAMPION)
    assert facts.verdicts_today == "50"
    assert facts.recall_value == "unknown" and "10 of 30 audit verdicts needed" in facts.recall_caption


def test_an_estimate_below_target_is_shown_with_its_interval_and_warned(config):
    ledger = Ledger.of(config)
    audit_verdicts(ledger, audited=60, positives=3)   # 5% of 4,000 skipped alerts are attacks: ~200 missed
    refresh_summary(ledger, config)
    facts = review_facts(config, CHAMPION)
    assert facts.recall_value == "0.09"  # 20 caught / (20 + 200)
    assert "90% interval" in facts.recall_caption and "test-slice recall 0.95" in facts.recall_caption
    assert facts.below_target.startswith("Estimated production recall 0.09") and "0.95" in facts.below_target
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    assert review_facts(config, CHAMPION, now=tomorrow).verdicts_today == "0"
    other = {**CHAMPION, "model_id": "20261130_050000"}
    assert review_facts(config, other).recall_value == "unknown", "the estimate belongs to another champion"
