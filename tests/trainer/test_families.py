"""Model families declared once: config, candidate lists, pipelines and docs all follow the declaration."""

from __future__ import annotations

import pytest
from sklearn.ensemble import ExtraTreesClassifier

from sklearn.metrics import average_precision_score

from helpers.frames import feedback_frame, tiny_table
from trainer.config import Config, ConfigError, SchemaConfig, describe_options, set_option
from trainer.learning import families, pipelines
from trainer.learning.api import fit
from trainer.learning.features import infer_features
from trainer.learning.search import candidates

EXTRA_TREES = families.Family(
    "more_trees", "Extremely randomised trees.", "sklearn.ensemble:ExtraTreesClassifier",
    small={"n_estimators": 50, "min_samples_leaf": 1}, large={"n_estimators": 30, "min_samples_leaf": 3},
    fit_max_rows=100_000, parallel=True, auto=((4.5, "class_weight"),), auto_small=((2.5, "class_weight"),))


@pytest.fixture
def registered(monkeypatch):
    """The registry with one more family, as a one-entry change to families.FAMILIES would leave it."""
    monkeypatch.setitem(families.FAMILIES, EXTRA_TREES.name, EXTRA_TREES)
    return EXTRA_TREES


def test_the_default_candidate_lists_are_the_ones_the_quality_numbers_were_measured_with():
    assert families.default_candidates(small=False) == (
        ("hist_gradient_boosting", "none"), ("logistic_regression", "class_weight"),
        ("hist_gradient_boosting", "class_weight"), ("random_forest", "class_weight"), ("logistic_regression", "smote"))
    assert families.default_candidates(small=True) == (
        ("logistic_regression", "class_weight"), ("random_forest", "class_weight"), ("random_forest", "smote"),
        ("hist_gradient_boosting", "none"), ("extra_trees", "class_weight"))


def test_a_registered_family_is_offered_by_config_candidates_and_docs(registered):
    config = Config()
    set_option(config, "training.model", "more_trees")
    assert config.training.model == "more_trees"
    help_text = dict((key, text) for key, _, text in describe_options())["training.model"]
    assert "more_trees" in help_text
    # Slotted by its declared ranks into both default lists, and tried with a fixed strategy.
    assert candidates("auto", "auto", "auto")[4] == ("more_trees", "class_weight")
    assert candidates("auto", "auto", "auto", small=True)[2] == ("more_trees", "class_weight")
    assert ("more_trees", "smote") in candidates("custom", "auto", "smote")
    assert candidates("custom", "more_trees", "auto") == [("more_trees", "class_weight")]
    assert "| `more_trees` | Extremely randomised trees." in families.markdown()


def test_a_registered_family_trains_and_scores(registered):
    frame = feedback_frame(900, seed=2)
    spec = infer_features(frame, SchemaConfig())
    y = frame["is_true_positive"]
    pipeline = pipelines.build_pipeline(spec, "more_trees", "class_weight", minority=int(y.sum()), rows=len(y),
                                        random_state=0)
    trees = pipeline.named_steps["classifier"]
    assert isinstance(trees, ExtraTreesClassifier)
    assert (trees.n_estimators, trees.class_weight, trees.random_state) == (50, "balanced", 0)
    model = fit(frame, preset="custom", model="more_trees", imbalance="class_weight", random_state=0)
    assert model.metadata["family"] == "more_trees"
    assert model.predict_proba(frame).shape == (len(frame), 2)


def test_extremely_randomised_trees_are_a_small_data_candidate_that_learns():
    frame = tiny_table()
    model = fit(frame, label="outcome", objective="f1", preset="custom", model="extra_trees")
    trees = model.estimator.named_steps["classifier"]
    assert isinstance(trees, ExtraTreesClassifier)
    assert (trees.n_estimators, trees.class_weight) == (300, "balanced")
    assert model.metadata["family"] == "extra_trees"
    # 12 positives in 300 rows: chance is 0.04; the trees rank the positives far above it.
    assert average_precision_score(frame["outcome"] == "tp", model.predict_proba(frame)[:, 1]) > 0.5


def test_an_unknown_family_or_strategy_names_what_is_allowed():
    with pytest.raises(ConfigError, match="training.model: 'xgboost' is not allowed; choose one of auto, "
                                          "logistic_regression, hist_gradient_boosting"):
        set_option(Config(), "training.model", "xgboost")
    with pytest.raises(ValueError, match="imbalance strategy 'oversample' is not known; choose one of class_weight"):
        pipelines.effective_strategy("oversample", 10)


def test_the_legacy_preset_is_a_declared_recipe_not_a_search():
    legacy = families.recipe("legacy")
    assert (legacy.family, legacy.strategy, legacy.threshold) == ("random_forest", "class_weight", 0.5)
    assert families.recipe("auto") is None and families.recipe("custom") is None
    assert families.preset_choices() == ("auto", "legacy", "custom")
