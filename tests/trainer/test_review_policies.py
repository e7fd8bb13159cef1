"""Queue order, the audit estimate of production recall, and what every source declares about itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from trainer.config import SourceConfig
from trainer.feedback import demo, demo_analyst
from trainer.feedback.sources import KINDS, Capabilities, FeedbackSource, open_source
from trainer.review import audit, policies
from trainer.options import allowed_values

SCORES = np.array([0.9, 0.05, 0.31, 0.2, 0.6, 0.01, 0.28])
IDS = pd.Series([f"A{i}" for i in range(len(SCORES))])


def test_uncertain_risk_and_audit_orders():
    assert policies.order("uncertain", SCORES, 0.3, IDS, "m").tolist()[:3] == [2, 6, 3]
    assert policies.order("risk", SCORES, 0.3, IDS, "m").tolist() == [0, 4, 2, 6, 3, 1, 5]
    audit_order = policies.order("audit", SCORES, 0.3, IDS, "m")
    assert sorted(audit_order.tolist()) == [1, 3, 5, 6], "only alerts below the threshold are audited"
    assert policies.order("audit", SCORES, 0.3, IDS, "m").tolist() == audit_order.tolist(), "stable between draws"
    with pytest.raises(ValueError, match="unknown review policy 'newest': choose uncertain, risk, audit"):
        policies.check("newest")


def test_audit_order_is_a_uniform_sample():
    ids = pd.Series([f"ALR-{i}" for i in range(20_000)])
    keys = policies.audit_keys(ids, "20261129_120000")
    counts, _ = np.histogram(keys, bins=10, range=(0, 1))
    assert counts.min() > 1_850 and counts.max() < 2_150
    assert not np.array_equal(keys, policies.audit_keys(ids, "20261130_120000")), "a new champion redraws"


def test_every_policy_is_explained_in_one_sentence():
    assert set(policies.POLICIES) == {"uncertain", "risk", "audit"}
    assert all(text.count(". ") == 0 and text.endswith(".") for text in policies.POLICIES.values())


def test_recall_estimate_and_its_interval():
    # 1,000 flagged alerts all triaged (300 true positives); 9,000 skipped, 100 audited with 2 positives.
    result = audit.estimate(model_id="m", n_above=1000, n_below=9000, flagged=(300, 1000), audited=(2, 100),
                            level=0.9, min_audit=30)
    assert result.recall == pytest.approx(300 / (300 + 9000 * 0.02))
    assert result.low < result.recall < result.high and result.enough
    wider = audit.estimate(model_id="m", n_above=1000, n_below=9000, flagged=(150, 500), audited=(2, 100))
    assert wider.low < result.low and wider.high >= result.high, "a partial census of flagged alerts widens it"
    assert audit.estimate(model_id="m", n_above=10, n_below=10, flagged=(1, 10), audited=(0, 0)).recall is None
    assert not audit.estimate(model_id="m", n_above=10, n_below=10, flagged=(1, 10), audited=(0, 5),
                              min_audit=30).enough


def test_the_audit_interval_covers_the_true_recall_at_its_stated_level():
    rng = np.random.default_rng(0)
    n_above, n_below, positives_above, positives_below = 800, 9200, 240, 92
    truth = positives_above / (positives_above + positives_below)
    below = np.zeros(n_below, dtype=bool)
    below[:positives_below] = True
    covered = 0
    for _ in range(400):
        sample = rng.choice(below, size=150, replace=False)
        result = audit.estimate(model_id="m", n_above=n_above, n_below=n_below, flagged=(positives_above, n_above),
                                audited=(int(sample.sum()), 150), level=0.9)
        covered += result.low <= truth <= result.high
    assert covered / 400 >= 0.9


def test_every_source_kind_is_declared_once_and_matches_the_config_choices():
    choices = allowed_values(next(f for f in dataclasses.fields(SourceConfig) if f.name == "kind").metadata)
    assert tuple(KINDS) == choices
    options = {f.name for f in dataclasses.fields(SourceConfig)}
    for kind in KINDS.values():
        assert set(kind.config_keys) <= options, kind.name
        cls = kind.load_class()
        assert isinstance(cls.capabilities, Capabilities)
        assert cls.capabilities.pending_alerts and cls.capabilities.verdicts


def test_sources_describe_themselves(config, workdir):
    source = open_source(config)
    assert isinstance(source, FeedbackSource)
    assert "does not exist" in source.unavailable() and "cla demo seed" in source.unavailable()
    assert source.count_positives() == 0
    frame = demo.generate_history(rows=400, days=5, seed=3, keep_truth=True)
    demo_analyst.insert_with_truth(config.source_path, frame)
    assert source.unavailable() is None
    loaded = source.load()
    assert loaded.description == "the feedback store data/feedback.db:feedback" and not loaded.frame.attrs
    assert source.count_positives() == int((frame["is_true_positive"] == 1).sum())


def test_pending_alerts_and_their_truth_stay_apart(config):
    rng = np.random.default_rng(1)
    live = demo_analyst.make_pending(demo.generate_live(200, rng=rng), 0.5, rng)
    demo_analyst.insert_with_truth(config.source_path, live)
    pending = open_source(config).load_pending(limit=1_000).frame
    waiting = live[live["is_true_positive"].isna()]
    assert sorted(pending["alert_id"]) == sorted(waiting["alert_id"])
    assert demo.TRUTH_COLUMN not in pending.columns
    truth = demo_analyst.truth_for(config.source_path, list(waiting["alert_id"]))
    assert truth == dict(zip(waiting["alert_id"], waiting[demo.TRUTH_COLUMN].astype(int)))
    assert len(open_source(config).load_pending(limit=7).frame) == 7
