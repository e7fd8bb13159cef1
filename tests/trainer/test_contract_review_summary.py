"""trainer.contract.review_summary: the summary the review queue writes is read back typed and written back as it was."""

from __future__ import annotations

import json

import pytest

from trainer.atomic import write_json
from trainer.contract.review_summary import ReviewSummary, ReviewSummaryError
from trainer.review import read_summary
from trainer.review.ledger import Ledger, refresh_summary


def test_the_written_summary_round_trips_byte_for_byte(config):
    ledger = Ledger.of(config)
    ledger.record_population("20261129_050000", 0.3, n_above=2, n_below=100)
    for i, (policy, score) in enumerate((("risk", 0.9), ("risk", 0.8), ("audit", 0.1))):
        ledger.append({"action": "verdict", "alert_id": f"A{i}", "label": "tp", "actor": "ana", "triaged_at": f"t{i}",
                       "policy": policy, "score": score, "threshold": 0.3, "model_id": "20261129_050000"})
    returned = refresh_summary(ledger, config)
    typed = read_summary(config.layout)
    assert typed == returned and typed.verdicts_total == 3 and typed.recall_estimate.audit_verdicts == 1
    written = config.layout.review_summary.read_text(encoding="utf-8")
    write_json(config.layout.review_dir / "again.json", typed.to_json())
    assert (config.layout.review_dir / "again.json").read_text(encoding="utf-8") == written


def test_an_older_summary_without_the_outbox_or_an_estimate_is_read():
    typed = ReviewSummary.from_json({"date": "2026-11-01", "verdicts_today": 4, "verdicts_total": 9,
                                     "recall_estimate": {}})
    assert typed.waiting_in_outbox == 0 and typed.recall_estimate is None and typed.written_at is None


@pytest.mark.parametrize("text", ["[]", '"summary"', "3"])
def test_a_non_object_is_refused_and_the_reader_says_none(config, text):
    with pytest.raises(ReviewSummaryError, match="review summary is not a JSON object"):
        ReviewSummary.from_json(json.loads(text))
    config.layout.review_dir.mkdir(parents=True)
    config.layout.review_summary.write_text(text, encoding="utf-8")
    assert read_summary(config.layout) is None
