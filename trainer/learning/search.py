"""Choosing a candidate on a validation slice, and the row samples that keep it affordable.

:func:`candidates` lists the (family, strategy) pairs a preset tries, from the
declarations of `trainer.learning.families`. On large data :func:`select` fits
them on a sample of the training slice within the time budget and ranks them by
validation PR-AUC (average precision); on small data `trainer.learning.fit_recipe`
ranks them by out-of-fold PR-AUC instead (`trainer.learning.validation`). Both
go through :func:`try_candidates`, the one loop that keeps the time budget and
records each candidate's score, time, error or skip.
:func:`sample_negatives` and :func:`search_sample` keep fits affordable on
large data without losing the rare class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from trainer.learning import families
from trainer.learning.evaluation import negative_weights
from trainer.learning.features import FeatureSpec
from trainer.learning.pipelines import build_pipeline, effective_strategy, thread_limit

__all__ = ["SEARCH_MAX_ROWS", "SEARCH_MIN_POSITIVES", "SEARCH_MAX_VALIDATION_ROWS", "Candidate", "Selection",
           "candidates", "Scored", "try_candidates", "select", "negative_rate_for", "sample_negatives", "search_sample"]

SEARCH_MAX_ROWS = 20_000
"""Candidates are fitted on at most this many training rows (a sample that keeps the class balance)..."""

SEARCH_MIN_POSITIVES = 2_000
"""...but keep at least this many positives when there are that many."""

SEARCH_MAX_VALIDATION_ROWS = 50_000
"""Candidates are ranked on at most this many validation rows (a random sample)."""


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

    A fixed recipe (``preset="legacy"``) is its single pair. Otherwise
    ``model`` and ``imbalance`` (each ``"auto"`` or one value) filter the
    default list (``families.default_candidates``, the small-data list when
    ``small``, the cross-validated path); a fixed strategy is tried with every
    family allowed, in declaration order.
    """
    fixed = families.recipe(preset)
    if fixed is not None:
        return [(fixed.family, fixed.strategy)]
    allowed = tuple(families.FAMILIES) if model == "auto" else (model,)
    if imbalance == "auto":
        pairs = [p for p in families.default_candidates(small=small) if p[0] in allowed]
        if not pairs:
            pairs = [(f, "class_weight") for f in allowed]
    else:
        # A family that balances itself (the balanced forest undersamples) takes no other strategy.
        pairs = [(f.name, imbalance) for f in families.FAMILIES.values() if f.name in allowed
                 and (not f.balances_itself or imbalance == f.balances_itself)]
    return pairs


@dataclass
class Scored:
    """A candidate that trained and scored, its (family, strategy) pair and what its scoring returned beside."""

    candidate: Candidate
    pair: tuple[str, str]
    payload: Any = None


def try_candidates(pairs: list[tuple[str, str]], minority: int, *, budget_seconds: float,
                   score: Callable[[str, str], tuple[float | None, Any]]) -> tuple[list[Candidate], list[Scored]]:
    """The one candidate loop: ``score(family, strategy)`` each pair, within the time budget, cheapest first.

    ``score`` fits the pair its own way (on a search sample against a
    validation slice, or fold by fold) and returns its validation PR-AUC (None
    when it cannot be measured) and anything its caller needs later (the
    out-of-fold scores). The first pair always runs; a pair not started before
    the budget ran out is recorded as skipped, one whose fit raises a
    ``ValueError`` or ``RuntimeError`` (what scikit-learn and imbalanced-learn
    raise on data they cannot fit) with its error. Returns every candidate in
    the order tried, and those that scored. Raises ``RuntimeError`` when none did.
    """
    started = time.perf_counter()
    tried: list[Candidate] = []
    scored: list[Scored] = []
    for family, strategy in pairs:
        candidate = Candidate(family, effective_strategy(strategy, minority, family))
        tried.append(candidate)
        if len(tried) > 1 and time.perf_counter() - started > budget_seconds:
            candidate.skipped = "time budget used up"
            continue
        t0 = time.perf_counter()
        try:
            candidate.validation_pr_auc, payload = score(family, strategy)
            scored.append(Scored(candidate, (family, strategy), payload))
        except (ValueError, RuntimeError) as exc:
            candidate.error = f"{type(exc).__name__}: {exc}"
        candidate.seconds = time.perf_counter() - t0
    if not scored:
        errors = "; ".join(f"{c.family}/{c.imbalance}: {c.error}" for c in tried if c.error)
        raise RuntimeError(f"every candidate model failed to train: {errors}")
    return tried, scored


def select(spec: FeatureSpec, pairs: list[tuple[str, str]], X_train: pd.DataFrame, y_train: pd.Series,
           X_val: pd.DataFrame, y_val: pd.Series, *, budget_seconds: float, random_state: int,
           source_negative_rate: float = 1.0) -> Selection:
    """Fit each pair on the training slice and rank by validation average precision.

    ``source_negative_rate`` below 1 says the source sampled the negatives: the
    validation rows are re-weighted (1 / rate per negative) so candidates are
    ranked as on the whole feedback.

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

    def score(family: str, strategy: str) -> tuple[float | None, None]:
        with thread_limit():
            pipeline = build_pipeline(spec, family, strategy, minority=minority, rows=len(y_search),
                                      random_state=random_state)
            pipeline.fit(X_search, y_search)
            if not validation_has_both:
                return None, None
            scores = pipeline.predict_proba(X_val)[:, 1]
        weight = negative_weights(y_val, source_negative_rate)
        return float(average_precision_score(y_val, scores, sample_weight=weight)), None

    tried, fitted_pairs = try_candidates(pairs, minority, budget_seconds=budget_seconds, score=score)
    fitted = [done.candidate for done in fitted_pairs]
    scored = [c for c in fitted if c.validation_pr_auc is not None]
    best = max(scored, key=lambda c: c.validation_pr_auc) if scored else fitted[0]
    return Selection(best.family, best.imbalance, tried=tried, search_negative_rate=rate)
