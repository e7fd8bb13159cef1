"""Feature typing and encoding: what reaches the model, and what never does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.frames import feedback_frame
from trainer.config import SchemaConfig
from trainer.learning.features import CategoryCodes, FeatureFrame, build_preprocessor, infer_features

POST_TRIAGE = ["analyst_comments", "processed", "confidence"]


def test_types_columns_and_turns_the_timestamp_into_hour_and_weekday():
    spec = infer_features(feedback_frame(200), SchemaConfig())
    assert spec.numeric == ["src_reputation", "dest_port"]
    assert spec.boolean == ["src_is_internal"]
    assert spec.categorical == ["rule_name"]
    assert spec.time_derived == ["timestamp_hour", "timestamp_weekday"]
    assert "timestamp" not in spec.model_columns
    assert "alert_id" not in spec.input_columns
    assert spec.excluded_other["alert_id"] == "id column"


@pytest.mark.parametrize("explicit", [False, True])
def test_post_triage_columns_never_become_features_even_when_listed(explicit):
    schema = SchemaConfig(features=["rule_name", "src_reputation", *POST_TRIAGE] if explicit else [])
    spec = infer_features(feedback_frame(200), schema)
    assert sorted(spec.excluded_post_triage) == sorted(POST_TRIAGE)
    assert not set(POST_TRIAGE) & set(spec.input_columns)
    assert not set(POST_TRIAGE) & set(spec.to_metrics()["numeric"] + spec.to_metrics()["categorical"])


def test_constant_and_duplicate_columns_are_dropped_with_the_reason():
    frame = feedback_frame(200)
    frame["sensor"] = "edge-01"
    frame["reputation_copy"] = frame["src_reputation"]
    spec = infer_features(frame, SchemaConfig())
    block = spec.to_metrics()
    assert {"sensor", "reputation_copy"} <= set(block["excluded_other"])
    assert block["excluded_reasons"]["sensor"] == "constant"
    assert block["excluded_reasons"]["reputation_copy"] == "duplicate of src_reputation"


def test_missing_explicit_feature_is_named():
    with pytest.raises(ValueError, match="no_such_column"):
        infer_features(feedback_frame(50), SchemaConfig(features=["rule_name", "no_such_column"]))


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_unseen_categories_missing_values_and_text_in_numbers_still_encode(encoding):
    frame = feedback_frame(300)
    spec = infer_features(frame, SchemaConfig())
    prepare = FeatureFrame(spec)
    encoder = build_preprocessor(spec, encoding=encoding, scale=True).fit(prepare.fit_transform(frame))
    new = frame.head(4).copy()
    new["rule_name"] = pd.array(["never_seen_rule", None, "port_scan", "brute_force"], dtype="str")
    new["src_reputation"] = pd.array(["not a number", None, "12.5", "40"], dtype="object")
    new["timestamp"] = [pd.NaT, *new["timestamp"].iloc[1:]]
    encoded = encoder.transform(prepare.transform(new))
    assert encoded.shape[0] == 4
    assert np.isfinite(np.asarray(encoded, dtype=float)).all()


def test_scoring_frame_without_a_feature_column_names_it():
    frame = feedback_frame(100)
    prepare = FeatureFrame(infer_features(frame, SchemaConfig()))
    with pytest.raises(ValueError, match="src_reputation"):
        prepare.transform(frame.drop(columns="src_reputation"))


def test_rare_and_unseen_categories_share_one_code_and_missing_is_minus_one():
    train = pd.DataFrame({"rule": pd.array(["a"] * 50 + ["b"] * 40 + ["rare"], dtype="str")})
    codes = CategoryCodes(max_categories=30, min_frequency=0.05).fit(train)
    new = pd.DataFrame({"rule": pd.array(["a", "b", "rare", "never_seen", None], dtype="str")})
    assert codes.transform(new)[:, 0].tolist() == [0.0, 1.0, 2.0, 2.0, -1.0]
