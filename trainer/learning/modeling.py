"""Model families, imbalance strategies, presets, and the candidate search.

:func:`build_pipeline` assembles one imbalanced-learn ``Pipeline``:
:class:`~trainer.learning.features.FeatureFrame` -> encoder -> optional resampler ->
classifier, so resampling happens only inside ``fit`` and never touches the
rows a model is scored on. :func:`candidates` lists the (family, strategy)
pairs a preset tries, cheapest first. On large data :func:`select` fits them on
the training slice within the time budget and ranks them by validation PR-AUC
(average precision); on small data `trainer.learning.validation` ranks them by
out-of-fold PR-AUC instead, and may pick a soft-voting :func:`build_ensemble`
of the two best. `trainer.learning.model` fits the winner and picks its threshold
(`trainer.learning.thresholds`).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.ensemble import (ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier,
                              VotingClassifier)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

from trainer.learning.features import FeatureFrame, FeatureSpec, build_preprocessor

FAMILIES = ("hist_gradient_boosting", "random_forest", "logistic_regression", "balanced_random_forest", "extra_trees")
STRATEGIES = ("class_weight", "smote", "adasyn", "undersample", "none")

AUTO_CANDIDATES = (
    ("hist_gradient_boosting", "none"),
    ("logistic_regression", "class_weight"),
    ("hist_gradient_boosting", "class_weight"),
    ("random_forest", "class_weight"),
    ("logistic_regression", "smote"),
)
"""What ``preset=auto`` tries, cheapest first. Oversampling and undersampling
rarely beat class weights on ranking (PR-AUC), so only one resampling
candidate is tried by default; set ``training.imbalance`` to try a strategy
with every family."""

SMALL_CANDIDATES = (
    ("logistic_regression", "class_weight"),
    ("random_forest", "class_weight"),
    ("random_forest", "smote"),
    ("hist_gradient_boosting", "none"),
    ("extra_trees", "class_weight"),
)
"""What ``preset=auto`` tries when the window is small enough to cross-validate
(`trainer.learning.validation`). Each won on some of the 24 real datasets of
docs/QUALITY.md, and none wins everywhere; the balanced random forest (still a
``training.model`` choice) won on none, so it is not tried by default. Extremely
randomised trees (random cut points, every row in every tree) rank smoother than a
forest on a few hundred numeric rows."""

SMALL_ROWS = 2000
"""Below this many fitted rows, trees are grown deeper and boosting learns slower (less data to regularise on)."""

SEARCH_MAX_ROWS = 20_000
"""Candidates are fitted on at most this many training rows (a sample that keeps the class balance)..."""

SEARCH_MIN_POSITIVES = 2_000
"""...but keep at least this many positives when there are that many."""

SEARCH_MAX_VALIDATION_ROWS = 50_000
"""Candidates are ranked on at most this many validation rows (a random sample)."""

FIT_MAX_ROWS = {"random_forest": 100_000, "logistic_regression": 150_000, "hist_gradient_boosting": 200_000,
                "balanced_random_forest": 100_000, "extra_trees": 100_000}
"""The final model is fitted on at most this many rows (negatives sampled); recorded in the metrics."""

LEGACY_PARAMS = {"n_estimators": 100, "max_depth": 10, "class_weight": "balanced"}


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


def _classifier(family: str, strategy: str, *, small: bool, random_state: int, legacy: bool = False):
    weight = "balanced" if strategy == "class_weight" else None
    if legacy:
        return RandomForestClassifier(**LEGACY_PARAMS, n_jobs=worker_count(), random_state=random_state)
    if family == "random_forest":
        # Bootstrap samples of half the rows and 60 trees keep the forest cheap on large slices.
        return RandomForestClassifier(n_estimators=150 if small else 60, max_depth=None if small else 12,
                                      min_samples_leaf=1 if small else 3, max_features="sqrt",
                                      max_samples=None if small else 0.5,
                                      class_weight="balanced" if weight else None,
                                      n_jobs=worker_count(), random_state=random_state)
    if family == "balanced_random_forest":
        # Each tree sees every positive and as many negatives, drawn afresh: a forest built for rare positives.
        return BalancedRandomForestClassifier(n_estimators=200 if small else 100, sampling_strategy="all",
                                              replacement=True, bootstrap=False, max_features="sqrt",
                                              min_samples_leaf=1 if small else 3,
                                              n_jobs=worker_count(), random_state=random_state)
    if family == "extra_trees":
        return ExtraTreesClassifier(n_estimators=300 if small else 60, max_depth=None if small else 12,
                                    min_samples_leaf=1 if small else 3, max_features="sqrt",
                                    class_weight="balanced" if weight else None,
                                    n_jobs=worker_count(), random_state=random_state)
    if family == "hist_gradient_boosting":
        # On small data: scikit-learn's own defaults without early stopping (a 10% stopping slice
        # would hold one or two positives); they won on several real datasets.
        if small:
            return HistGradientBoostingClassifier(learning_rate=0.1, max_iter=100, max_leaf_nodes=31,
                                                  min_samples_leaf=20, early_stopping=False,
                                                  class_weight=weight, random_state=random_state)
        return HistGradientBoostingClassifier(learning_rate=0.1, max_iter=200, max_leaf_nodes=15,
                                              min_samples_leaf=40, l2_regularization=3.0,
                                              early_stopping=True, validation_fraction=0.1,
                                              n_iter_no_change=15, class_weight=weight, random_state=random_state)
    if family == "logistic_regression":
        return LogisticRegression(C=1.0, max_iter=2000, class_weight=weight)
    raise ValueError(f"model family {family!r} is not known; choose one of {', '.join(FAMILIES)}")


def _sampler(strategy: str, minority: int, random_state: int):
    if strategy == "smote":
        return SMOTE(k_neighbors=min(5, minority - 1), random_state=random_state)
    if strategy == "adasyn":
        return ADASYN(n_neighbors=min(5, minority - 1), random_state=random_state)
    if strategy == "undersample":
        return RandomUnderSampler(random_state=random_state)
    return None


def effective_strategy(strategy: str, minority: int, family: str = "") -> str:
    """The strategy actually used: SMOTE/ADASYN need at least 3 minority rows, else class weights.

    The balanced random forest balances every tree by undersampling, whatever was asked.
    """
    if family == "balanced_random_forest":
        return "undersample"
    if strategy in ("smote", "adasyn") and minority < 3:
        return "class_weight"
    if strategy == "undersample" and minority < 2:
        return "class_weight"
    return strategy


def build_pipeline(spec: FeatureSpec, family: str, strategy: str, *, minority: int, rows: int,
                   random_state: int, legacy: bool = False) -> Pipeline:
    """An unfitted pipeline for one (family, strategy) pair.

    ``minority`` is the number of minority-class rows it will be fitted on
    (SMOTE's neighbours are clipped below it); ``rows`` the number of rows
    (small data gets less regularised trees). Raises ``ValueError`` for an
    unknown family or strategy.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"imbalance strategy {strategy!r} is not known; choose one of {', '.join(STRATEGIES)}")
    strategy = effective_strategy(strategy, minority, family)
    small = rows < SMALL_ROWS
    oversampling = strategy in ("smote", "adasyn")
    encoding = "onehot" if family == "logistic_regression" or oversampling else "ordinal"
    classifier = _classifier(family, strategy, small=small, random_state=random_state, legacy=legacy)
    if family == "hist_gradient_boosting" and encoding == "ordinal" and spec.categorical:
        n_numeric = len(spec.model_columns) - len(spec.categorical)
        classifier.set_params(categorical_features=[False] * n_numeric + [True] * len(spec.categorical))
    steps = [("features", FeatureFrame(spec)),
             ("encode", build_preprocessor(spec, encoding=encoding, scale=family == "logistic_regression"))]
    sampler = None if family == "balanced_random_forest" else _sampler(strategy, minority, random_state)
    if sampler is not None:
        steps.append(("resample", sampler))
    steps.append(("classifier", classifier))
    return Pipeline(steps)


def build_ensemble(members: list[Pipeline]) -> VotingClassifier:
    """Soft voting over unfitted member pipelines: the mean of their probabilities.

    Two families that err differently (a linear model and a forest) often rank
    better together than either alone; `trainer.learning.model` keeps the ensemble only
    when its out-of-fold PR-AUC says so.
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


def negative_rate_for(y: pd.Series, max_rows: int) -> float:
    """Share of negatives to keep so that every positive plus the kept negatives fit in ``max_rows``."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if len(y) <= max_rows or negatives == 0:
        return 1.0
    return max(1, max_rows - min(positives, max_rows // 2)) / negatives


def sample_negatives(X: pd.DataFrame, y: pd.Series, max_rows: int, random_state: int, *,
                     negative_rate: float | None = None) -> tuple[pd.DataFrame, pd.Series, float]:
    """Rows with every positive kept and negatives sampled.

    Keeps ``negative_rate`` of the negatives when given (so two slices can be
    sampled alike), else as many as fit in ``max_rows``. Positives beyond half
    of ``max_rows`` are sampled too. Returns the rows, their labels and the
    share of negatives kept (1.0 when nothing was dropped).
    """
    rate = negative_rate_for(y, max_rows) if negative_rate is None else min(1.0, negative_rate)
    if rate >= 1.0 and int(y.sum()) <= max_rows // 2:
        return X, y, 1.0
    rng = np.random.default_rng(random_state)
    labels = y.to_numpy()
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    if len(pos) > max_rows // 2:
        pos = rng.choice(pos, size=max_rows // 2, replace=False)
    neg = rng.choice(neg, size=max(1, int(round(len(neg) * rate))), replace=False) if rate < 1.0 else neg
    rows = np.sort(np.concatenate([pos, neg]))
    return X.iloc[rows], y.iloc[rows], rate


def search_sample(X: pd.DataFrame, y: pd.Series, max_rows: int, random_state: int
                  ) -> tuple[pd.DataFrame, pd.Series, float]:
    """At most ``max_rows`` rows that keep roughly the class balance, for comparing candidates.

    Both classes are sampled at the same rate, except that at least
    ``SEARCH_MIN_POSITIVES`` positives are kept (all of them if fewer), so a
    rare class still has enough examples to rank candidates. Returns the rows,
    their labels and the share of negatives kept.
    """
    if len(y) <= max_rows:
        return X, y, 1.0
    rng = np.random.default_rng(random_state)
    labels = y.to_numpy()
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    pos_keep = min(len(pos), max(SEARCH_MIN_POSITIVES, round(len(pos) * max_rows / len(y))))
    neg_keep = min(len(neg), max_rows - pos_keep)
    rows = np.sort(np.concatenate([rng.choice(pos, size=pos_keep, replace=False),
                                   rng.choice(neg, size=neg_keep, replace=False)]))
    return X.iloc[rows], y.iloc[rows], neg_keep / max(1, len(neg))


@dataclass
class Candidate:
    """One tried (family, strategy) pair and how it did on the validation slice."""

    family: str
    imbalance: str
    validation_pr_auc: float | None = None
    seconds: float = 0.0
    error: str = ""
    skipped: str = ""

    def to_metrics(self) -> dict:
        out = {"family": self.family, "imbalance": self.imbalance,
               "validation_pr_auc": self.validation_pr_auc, "seconds": round(self.seconds, 3)}
        if self.error:
            out["error"] = self.error
        if self.skipped:
            out["skipped"] = self.skipped
        return out


@dataclass
class Selection:
    """The search result: the winner and every candidate, in the order tried."""

    family: str
    imbalance: str
    tried: list[Candidate] = field(default_factory=list)
    search_negative_rate: float = 1.0
    members: tuple[tuple[str, str], ...] = ()
    """For ``family == "ensemble"``: the (family, strategy) pairs whose probabilities are averaged."""


def candidates(preset: str, model: str, imbalance: str, *, small: bool = False) -> list[tuple[str, str]]:
    """The (family, strategy) pairs to try, cheapest first.

    ``legacy`` is the single old recipe. Otherwise ``model`` and ``imbalance``
    (each ``"auto"`` or one value) filter the default list (``SMALL_CANDIDATES``
    when ``small``, the cross-validated path); a fixed strategy is tried with
    every family allowed.
    """
    if preset == "legacy":
        return [("random_forest", "class_weight")]
    families = FAMILIES if model == "auto" else (model,)
    if imbalance == "auto":
        pairs = [p for p in (SMALL_CANDIDATES if small else AUTO_CANDIDATES) if p[0] in families]
        if not pairs:
            pairs = [(f, "class_weight") for f in families]
    else:
        order = ("logistic_regression", "hist_gradient_boosting", "random_forest", "extra_trees",
                 "balanced_random_forest")
        # The balanced forest balances by undersampling and takes no other strategy.
        pairs = [(f, imbalance) for f in order if f in families
                 and (f != "balanced_random_forest" or imbalance == "undersample")]
    return pairs


def select(spec: FeatureSpec, pairs: list[tuple[str, str]], X_train: pd.DataFrame, y_train: pd.Series,
           X_val: pd.DataFrame, y_val: pd.Series, *, budget_seconds: float, random_state: int) -> Selection:
    """Fit each pair on the training slice and rank by validation average precision.

    With one pair, nothing is fitted. The first pair always runs; pairs not
    started before the budget runs out are recorded as skipped. A pair that fails is recorded with its error.
    Raises ``RuntimeError`` when every pair failed.
    """
    if len(pairs) == 1:
        return Selection(*pairs[0], tried=[Candidate(*pairs[0], skipped="only candidate")])
    X_search, y_search, rate = search_sample(X_train, y_train, SEARCH_MAX_ROWS, random_state)
    if len(y_val) > SEARCH_MAX_VALIDATION_ROWS:
        X_val = X_val.sample(SEARCH_MAX_VALIDATION_ROWS, random_state=random_state)
        y_val = y_val.loc[X_val.index]
    minority = int(min(y_search.sum(), len(y_search) - y_search.sum()))
    validation_has_both = y_val.nunique() == 2
    started = time.perf_counter()
    tried: list[Candidate] = []
    for family, strategy in pairs:
        candidate = Candidate(family, effective_strategy(strategy, minority, family))
        tried.append(candidate)
        if len(tried) > 1 and time.perf_counter() - started > budget_seconds:
            candidate.skipped = "time budget used up"
            continue
        t0 = time.perf_counter()
        try:
            with thread_limit():
                pipeline = build_pipeline(spec, family, strategy, minority=minority, rows=len(y_search),
                                          random_state=random_state)
                pipeline.fit(X_search, y_search)
                if validation_has_both:
                    scores = pipeline.predict_proba(X_val)[:, 1]
                    candidate.validation_pr_auc = float(average_precision_score(y_val, scores))
        except (ValueError, RuntimeError) as exc:
            candidate.error = f"{type(exc).__name__}: {exc}"
        candidate.seconds = time.perf_counter() - t0
    fitted = [c for c in tried if not c.error and not c.skipped]
    if not fitted:
        errors = "; ".join(f"{c.family}/{c.imbalance}: {c.error}" for c in tried if c.error)
        raise RuntimeError(f"every candidate model failed to train: {errors}")
    scored = [c for c in fitted if c.validation_pr_auc is not None]
    best = max(scored, key=lambda c: c.validation_pr_auc) if scored else fitted[0]
    return Selection(best.family, best.imbalance, tried=tried, search_negative_rate=rate)
