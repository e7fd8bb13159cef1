"""Model families, imbalance strategies and fixed recipes, each declared once.

A :class:`Family` says which estimator it builds, the encoding it needs, its
parameters on small and on large data, how many rows its final fit takes and
where it stands in the default candidate lists. A :class:`Strategy` says which
resampler (or class weights) handles the rare class. A :class:`Recipe` is one
fixed (family, strategy, parameters, threshold) with no search, such as the old
CLA recipe (``training.preset = "legacy"``).

Everything else is derived from these tables: the allowed values of
``training.model``, ``training.imbalance`` and ``training.preset``
(`trainer.config`), the candidate lists (:func:`default_candidates`), the
pipelines (`trainer.learning.pipelines`) and the table in docs/CONFIG.md
(:func:`markdown`). Estimators are named as ``"module:Class"`` and imported only
when built, so reading the declarations (as the config does) stays cheap.
Adding a family is one entry in :data:`FAMILIES`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

__all__ = ["Family", "Strategy", "Recipe", "FAMILIES", "STRATEGIES", "RECIPES", "SEARCH_PRESETS", "SMALL_ROWS",
           "MAX_CATEGORIES",
           "family", "strategy", "recipe", "model_choices", "imbalance_choices", "preset_choices",
           "default_candidates", "load", "markdown"]

SMALL_ROWS = 2000
"""Below this many fitted rows a family gets its ``small`` parameters (less data to regularise on)."""

MAX_CATEGORIES = 30
"""A categorical column with at most this many values is coded (`trainer.learning.features.CategoryCodes`);
past it, a family's :attr:`Family.many_values` says how it is encoded."""

SEARCH_PRESETS = ("auto", "custom")
"""Presets that search the candidates; every other preset is a declared :class:`Recipe`."""


def load(path: str):
    """The class named ``"module:Class"``, imported now."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Family:
    """One model family: its estimator, the encoding it needs and its parameters by data size."""

    name: str
    summary: str
    estimator: str
    """``"module:Class"`` of the classifier."""
    small: dict
    """Parameters when fitted on fewer than :data:`SMALL_ROWS` rows."""
    large: dict
    """Parameters otherwise."""
    fit_max_rows: int
    """The final model is fitted on at most this many rows (negatives sampled)."""
    encoding: str = "ordinal"
    """``"onehot"`` or ``"ordinal"`` for categorical columns with few values; an interpolating resampler (SMOTE)
    forces one-hot."""
    many_values: str = "target"
    """Categorical columns with more values than ``features.MAX_CATEGORIES``: ``"target"`` keeps every value
    (cross-fitted target rate and share of rows, `trainer.learning.features.TargetEncoding`); ``"codes"`` cuts
    them to the most frequent values like the others."""
    scaled: bool = False
    """Numeric columns are standardised (linear models)."""
    native_categorical: bool = False
    """Ordinal-coded categories are passed as ``categorical_features`` (histogram boosting)."""
    weights: bool = True
    """Takes ``class_weight="balanced"`` under the ``class_weight`` strategy (else ``None``)."""
    seeded: bool = True
    """Takes ``random_state``."""
    parallel: bool = False
    """Takes ``n_jobs`` (the idle cores)."""
    balances_itself: str = ""
    """The strategy this family always uses, whatever was asked, without a resampler step (e.g. ``undersample``)."""
    auto: tuple = ()
    """``(rank, strategy)`` entries of the large-data default candidate list (lower rank is tried first)."""
    auto_small: tuple = ()
    """``(rank, strategy)`` entries of the small-data (cross-validated) default candidate list."""

    def params(self, *, small: bool) -> dict:
        return dict(self.small if small else self.large)


@dataclass(frozen=True)
class Strategy:
    """One way to handle the rare class: class weights, a resampler, or nothing."""

    name: str
    summary: str
    sampler: str = ""
    """``"module:Class"`` of the imbalanced-learn resampler, fitted only inside ``fit``."""
    neighbours: str = ""
    """The resampler's neighbour-count parameter, clipped below the minority count (at most 5)."""
    min_minority: int = 0
    """With fewer minority rows than this, class weights are used instead."""
    weights: bool = False
    """The classifier weighs the classes (``class_weight="balanced"``)."""
    onehot: bool = False
    """The resampler interpolates between rows, so categories must be one-hot coded."""


@dataclass(frozen=True)
class Recipe:
    """A fixed recipe: one family and strategy, set parameters, a set threshold, nothing validated."""

    name: str
    summary: str
    family: str
    strategy: str
    params: dict = field(default_factory=dict)
    """The classifier's parameters, in place of the family's ``small``/``large`` ones."""
    threshold: float = 0.5
    many_values: str = "target"
    """As :attr:`Family.many_values`, for this recipe."""


# Declared cheapest first: a fixed ``training.imbalance`` tries every family in this order.
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("logistic_regression", "Linear model on one-hot categories and standardised numbers.",
           "sklearn.linear_model:LogisticRegression",
           small={"C": 1.0, "max_iter": 2000}, large={"C": 1.0, "max_iter": 2000}, fit_max_rows=150_000,
           encoding="onehot", scaled=True, seeded=False,
           auto=((2, "class_weight"), (5, "smote")), auto_small=((1, "class_weight"),)),
    # On small data: scikit-learn's own defaults without early stopping (a 10% stopping slice would hold
    # one or two positives); they won on several real datasets.
    Family("hist_gradient_boosting", "Histogram gradient boosting with native categories.",
           "sklearn.ensemble:HistGradientBoostingClassifier",
           small={"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                  "early_stopping": False},
           large={"learning_rate": 0.1, "max_iter": 200, "max_leaf_nodes": 15, "min_samples_leaf": 40,
                  "l2_regularization": 3.0, "early_stopping": True, "validation_fraction": 0.1,
                  "n_iter_no_change": 15},
           fit_max_rows=200_000, native_categorical=True,
           auto=((1, "none"), (3, "class_weight")), auto_small=((4, "none"),)),
    # On large slices, bootstrap samples of half the rows and 60 trees keep the forest cheap.
    Family("random_forest", "Random forest; on more rows, fewer and shallower trees on half-row bootstrap samples.",
           "sklearn.ensemble:RandomForestClassifier",
           small={"n_estimators": 150, "max_depth": None, "min_samples_leaf": 1, "max_features": "sqrt",
                  "max_samples": None},
           large={"n_estimators": 60, "max_depth": 12, "min_samples_leaf": 3, "max_features": "sqrt",
                  "max_samples": 0.5},
           fit_max_rows=100_000, parallel=True,
           auto=((4, "class_weight"),), auto_small=((2, "class_weight"), (3, "smote"))),
    # Random cut points and every row in every tree: smoother rankings than a forest on a few hundred
    # numeric rows (more trees, as each one is cheaper).
    Family("extra_trees", "Extremely randomised trees: random cut points, every row in every tree.",
           "sklearn.ensemble:ExtraTreesClassifier",
           small={"n_estimators": 300, "max_depth": None, "min_samples_leaf": 1, "max_features": "sqrt"},
           large={"n_estimators": 60, "max_depth": 12, "min_samples_leaf": 3, "max_features": "sqrt"},
           fit_max_rows=100_000, parallel=True, auto_small=((5, "class_weight"),)),
    # Each tree sees every positive and as many negatives, drawn afresh: a forest built for rare positives.
    # It won on none of the real datasets of docs/QUALITY.md, so it is a choice, not a default candidate.
    Family("balanced_random_forest", "Random forest whose every tree is fitted on balanced undersampled rows.",
           "imblearn.ensemble:BalancedRandomForestClassifier",
           small={"n_estimators": 200, "sampling_strategy": "all", "replacement": True, "bootstrap": False,
                  "max_features": "sqrt", "min_samples_leaf": 1},
           large={"n_estimators": 100, "sampling_strategy": "all", "replacement": True, "bootstrap": False,
                  "max_features": "sqrt", "min_samples_leaf": 3},
           fit_max_rows=100_000, weights=False, parallel=True, balances_itself="undersample"),
)}

STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Strategy("class_weight", "Balanced class weights in the classifier.", weights=True),
    Strategy("smote", "SMOTE oversampling of the rare class (needs 3 rare rows, else class weights).",
             sampler="imblearn.over_sampling:SMOTE", neighbours="k_neighbors", min_minority=3, onehot=True),
    Strategy("adasyn", "ADASYN oversampling of the rare class (needs 3 rare rows, else class weights).",
             sampler="imblearn.over_sampling:ADASYN", neighbours="n_neighbors", min_minority=3, onehot=True),
    Strategy("undersample", "Random undersampling of the common class (needs 2 rare rows, else class weights).",
             sampler="imblearn.under_sampling:RandomUnderSampler", min_minority=2),
    Strategy("none", "Nothing: the rare class is left as it is."),
)}

RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("legacy", "the old CLA recipe (random forest, 100 trees, depth 10, balanced weights, threshold 0.5, "
           f"categories cut to the {MAX_CATEGORIES} most frequent values)",
           "random_forest", "class_weight", params={"n_estimators": 100, "max_depth": 10}, threshold=0.5,
           many_values="codes"),
)}


def _known(kind: str, name: str, table: dict):
    if name not in table:
        raise ValueError(f"{kind} {name!r} is not known; choose one of {', '.join(table)}")
    return table[name]


def family(name: str) -> Family:
    """The declared family; raises ``ValueError`` naming the known ones."""
    return _known("model family", name, FAMILIES)


def strategy(name: str) -> Strategy:
    """The declared strategy; raises ``ValueError`` naming the known ones."""
    return _known("imbalance strategy", name, STRATEGIES)


def recipe(preset: str) -> Recipe | None:
    """The fixed recipe a preset names, ``None`` for a searching preset (``auto``, ``custom``)."""
    return None if preset in SEARCH_PRESETS else _known("preset", preset, RECIPES)


def model_choices() -> tuple[str, ...]:
    """Allowed values of ``training.model``."""
    return ("auto", *FAMILIES)


def imbalance_choices() -> tuple[str, ...]:
    """Allowed values of ``training.imbalance``."""
    return ("auto", *STRATEGIES)


def preset_choices() -> tuple[str, ...]:
    """Allowed values of ``training.preset``."""
    return (SEARCH_PRESETS[0], *RECIPES, *SEARCH_PRESETS[1:])


def default_candidates(*, small: bool) -> tuple[tuple[str, str], ...]:
    """The (family, strategy) pairs ``preset=auto`` tries, in rank order, from each family's declaration.

    ``small`` gives the cross-validated list (each of its pairs won on some of
    the real datasets of docs/QUALITY.md, none everywhere); else the large-data
    list, where only one resampling candidate is tried because oversampling
    rarely beats class weights on ranking (PR-AUC).
    """
    entries = [(rank, f.name, s) for f in FAMILIES.values() for rank, s in (f.auto_small if small else f.auto)]
    return tuple((name, s) for _, name, s in sorted(entries, key=lambda e: e[0]))


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "library defaults"


def markdown() -> str:
    """The families, strategies and recipes as Markdown tables (docs/CONFIG.md, ``cla config families``)."""
    small, large = default_candidates(small=True), default_candidates(small=False)
    lines = [f"| `training.model` | what | encoding | parameters, under {SMALL_ROWS} rows | parameters, more rows | "
             "tried by `auto` with |", "|---|---|---|---|---|---|"]
    for f in FAMILIES.values():
        tried = [f"{s} (cross-validated)" for name, s in small if name == f.name]
        tried += [f"{s} (one slice)" for name, s in large if name == f.name]
        encoding = f.encoding + (", scaled" if f.scaled else "") + \
            (f", target-encoded past {MAX_CATEGORIES} values" if f.many_values == "target" else "")
        lines.append(f"| `{f.name}` | {f.summary} | {encoding} | {_params(f.small)} | {_params(f.large)} | "
                     f"{', '.join(tried) or 'no'} |")
    lines += ["", "| `training.imbalance` | what |", "|---|---|"]
    lines += [f"| `{s.name}` | {s.summary} |" for s in STRATEGIES.values()]
    lines += ["", "| `training.preset` | what |", "|---|---|",
              "| `auto` | searches the default candidates above and chooses by validation |",
              "| `custom` | searches the pairs allowed by `training.model` and `training.imbalance` |"]
    lines += [f"| `{r.name}` | {r.summary}: `{r.family}`/`{r.strategy}`, {_params(r.params)}, no validation |"
              for r in RECIPES.values()]
    return "\n".join(lines)
