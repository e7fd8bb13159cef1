"""Unfitted pipelines for declared families and strategies, and the threads they may use.

:func:`build_pipeline` assembles one imbalanced-learn ``Pipeline`` from the
declarations of `trainer.learning.families`:
:class:`~trainer.learning.features.FeatureFrame` -> encoder -> optional resampler ->
classifier, so resampling happens only inside ``fit`` and never touches the
rows a model is scored on. :func:`build_ensemble` averages several of them.
`trainer.learning.search` ranks the candidates; `trainer.learning.fit_recipe`
fits the winner.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pandas as pd
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.ensemble import VotingClassifier
from threadpoolctl import threadpool_limits

from trainer.learning import families
from trainer.learning.families import Family, Recipe
from trainer.learning.features import FeatureFrame, FeatureSpec, build_preprocessor, coded_columns

__all__ = ["worker_count", "thread_limit", "effective_strategy", "build_classifier", "build_pipeline",
           "build_ensemble", "describe_params", "resampled_counts"]


def worker_count() -> int:
    """Threads for training: the cores left idle by the rest of the machine, at least one.

    OpenMP workers (histogram gradient boosting) spin-wait; on an
    oversubscribed machine two of them run ten times slower than one.
    """
    cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(cpus, int(cpus - busy + 0.5)))


@contextmanager
def thread_limit():
    """Limit OpenMP/BLAS threads to :func:`worker_count` for the duration of a fit or a scoring."""
    with threadpool_limits(limits=worker_count()):
        yield


def effective_strategy(strategy: str, minority: int, family: str = "") -> str:
    """The strategy actually used: a resampler that needs more minority rows than there are gives way to
    class weights, and a family that balances itself (the balanced random forest) keeps its own way."""
    declared = families.FAMILIES.get(family)
    if declared is not None and declared.balances_itself:
        return declared.balances_itself
    if minority < families.strategy(strategy).min_minority:
        return "class_weight"
    return strategy


def build_classifier(family: Family, strategy: str, *, small: bool, random_state: int, params: dict | None = None):
    """The family's unfitted classifier: its parameters for the data size (or ``params``), weights, seed, threads."""
    kwargs = family.params(small=small) if params is None else dict(params)
    if family.weights:
        kwargs["class_weight"] = "balanced" if families.strategy(strategy).weights else None
    if family.parallel:
        kwargs["n_jobs"] = worker_count()
    if family.seeded:
        kwargs["random_state"] = random_state
    return families.load(family.estimator)(**kwargs)


def _sampler(strategy: str, minority: int, random_state: int):
    declared = families.strategy(strategy)
    if not declared.sampler:
        return None
    kwargs = {declared.neighbours: min(5, minority - 1)} if declared.neighbours else {}
    return families.load(declared.sampler)(**kwargs, random_state=random_state)


def build_pipeline(spec: FeatureSpec, family: str, strategy: str, *, minority: int, rows: int,
                   random_state: int, recipe: Recipe | None = None) -> Pipeline:
    """An unfitted pipeline for one (family, strategy) pair, or for a fixed ``recipe``'s parameters.

    ``minority`` is the number of minority-class rows it will be fitted on
    (SMOTE's neighbours are clipped below it); ``rows`` the number of rows
    (below ``families.SMALL_ROWS`` a family gets its small-data parameters).
    Raises ``ValueError`` for an unknown family or strategy.
    """
    families.strategy(strategy)
    declared = families.family(family)
    strategy = effective_strategy(strategy, minority, family)
    encoding = "onehot" if declared.encoding == "onehot" or families.strategy(strategy).onehot else "ordinal"
    classifier = build_classifier(declared, strategy, small=rows < families.SMALL_ROWS, random_state=random_state,
                                  params=None if recipe is None else recipe.params)
    many_values = declared.many_values if recipe is None else recipe.many_values
    if declared.native_categorical and encoding == "ordinal":
        classifier.set_params(categorical_features=coded_columns(spec, many_values) or None)
    steps = [("features", FeatureFrame(spec)),
             ("encode", build_preprocessor(spec, encoding=encoding, scale=declared.scaled, random_state=random_state,
                                           many_values=many_values))]
    sampler = None if declared.balances_itself else _sampler(strategy, minority, random_state)
    if sampler is not None:
        steps.append(("resample", sampler))
    steps.append(("classifier", classifier))
    return Pipeline(steps)


def build_ensemble(members: list[Pipeline]) -> VotingClassifier:
    """Soft voting over unfitted member pipelines: the mean of their probabilities.

    Two families that err differently (a linear model and a forest) often rank
    better together than either alone; `trainer.learning.fit_recipe` keeps the
    ensemble only when its out-of-fold PR-AUC says so.
    """
    return VotingClassifier([(f"m{i}", member) for i, member in enumerate(members)], voting="soft")


def describe_params(estimator) -> dict:
    """The classifier's parameters that matter to a reader, JSON-safe (per member for an ensemble)."""
    if isinstance(estimator, VotingClassifier):
        members = estimator.estimators_ if hasattr(estimator, "estimators_") else [e for _, e in estimator.estimators]
        return {"members": [describe_params(member) for member in members]}
    params = estimator.named_steps["classifier"].get_params()
    keep = ("n_estimators", "max_depth", "min_samples_leaf", "max_features", "class_weight", "learning_rate",
            "max_iter", "max_leaf_nodes", "l2_regularization", "early_stopping", "C")
    out = {}
    for key in keep:
        if key in params:
            value = params[key]
            out[key] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
    return out


def resampled_counts(pipeline: Pipeline, y: pd.Series) -> dict[str, int]:
    """Class counts the classifier was fitted on, after the pipeline's resampler (if any)."""
    counts = {str(k): int(v) for k, v in y.value_counts().sort_index().items()}
    sampler = pipeline.named_steps.get("resample")
    if sampler is None:
        return counts
    for cls, n in getattr(sampler, "sampling_strategy_", {}).items():
        key = str(int(cls))
        if isinstance(sampler, RandomUnderSampler):
            counts[key] = int(n)
        else:
            counts[key] = counts.get(key, 0) + int(n)
    return counts
