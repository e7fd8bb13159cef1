"""Data drift of one feature: population stability index, a test that suits its type, and a level.

:func:`numeric_drift` cuts the training values at their quantiles
(:func:`quantile_edges`), compares the shares of training and recent values
per bin with the PSI, and runs a two-sample Kolmogorov–Smirnov test
(``scipy.stats.ks_2samp``). :func:`categorical_drift` compares category
shares with the PSI, runs a chi-squared test on the 2 x k table of counts
(``scipy.stats.chi2_contingency``) and names the categories never seen in
training. :func:`drift_level` turns the pair into ``none``, ``moderate`` or
``major``: the level comes from the effect size (PSI), and the test only
vetoes a level when the sample is too small to tell drift from noise; with a
million rows every p-value is 0, so the p-value alone would flag everything.
Each function returns a :class:`FeatureDrift` whose ``to_dict`` is one row of
the report (with the side-by-side shares the Drift page draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: added to every share before the logarithm, so an empty bin gives a large but finite PSI
EPSILON = 1e-4
#: categories drawn per feature (the rest share one "other" bar)
MAX_SHOWN_CATEGORIES = 25
LEVELS = ("none", "moderate", "major")


@dataclass
class FeatureDrift:
    """One feature's drift: PSI, the test, the level and the shares behind them."""

    feature: str
    kind: str                          # numeric | categorical
    psi: float | None
    test: str                          # ks | chi2
    statistic: float | None
    p_value: float | None
    reference_rows: int
    recent_rows: int
    bins: list[str] = field(default_factory=list)
    reference_share: list[float] = field(default_factory=list)
    recent_share: list[float] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)
    level: str = "none"
    importance: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "kind": self.kind, "psi": _finite(self.psi), "test": self.test,
                "statistic": _finite(self.statistic), "p_value": _finite(self.p_value), "level": self.level,
                "importance": _finite(self.importance), "unseen_categories": list(self.unseen),
                "reference_rows": self.reference_rows, "recent_rows": self.recent_rows,
                "distribution": {"bins": list(self.bins), "training": [round(v, 6) for v in self.reference_share],
                                 "recent": [round(v, 6) for v in self.recent_share]}}


def _finite(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def psi(reference_counts: np.ndarray, recent_counts: np.ndarray) -> float:
    """Population stability index between two count vectors over the same bins.

    ``sum((r - e) * ln(r / e))`` over the bins' shares (``e`` training,
    ``r`` recent), each share floored at :data:`EPSILON`. Symmetric, 0 for
    identical shares. Raises ValueError when the vectors differ in length or
    either is empty.
    """
    expected = np.asarray(reference_counts, dtype=float)
    actual = np.asarray(recent_counts, dtype=float)
    if expected.shape != actual.shape:
        raise ValueError(f"PSI needs counts over the same bins (got {expected.shape} and {actual.shape})")
    if expected.sum() <= 0 or actual.sum() <= 0:
        raise ValueError("PSI needs at least one value on each side")
    e = np.maximum(expected / expected.sum(), EPSILON)
    r = np.maximum(actual / actual.sum(), EPSILON)
    return float(np.sum((r - e) * np.log(r / e)))


def drift_level(psi_value: float | None, p_value: float | None, *, moderate: float, major: float,
                alpha: float) -> str:
    """``none``, ``moderate`` or ``major`` by PSI; ``none`` when the test cannot tell it from noise (p >= alpha)."""
    if psi_value is None or p_value is None or p_value >= alpha:
        return "none"
    if psi_value >= major:
        return "major"
    if psi_value >= moderate:
        return "moderate"
    return "none"


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner cut points at the training quantiles, duplicates dropped (a discrete feature gets fewer bins)."""
    inner = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(inner)


def _bin_label(edges: np.ndarray, i: int) -> str:
    low = "-inf" if i == 0 else f"{edges[i - 1]:.4g}"
    high = "inf" if i == len(edges) else f"{edges[i]:.4g}"
    return f"[{low}, {high})"


def numeric_drift(feature: str, reference: pd.Series, recent: pd.Series, *, bins: int = 10) -> FeatureDrift:
    """PSI over training-quantile bins and the KS test; missing values get a bin of their own when present."""
    ref = pd.to_numeric(reference, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    cur = pd.to_numeric(recent, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ref_ok, cur_ok = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    result = FeatureDrift(feature, "numeric", None, "ks", None, None, len(ref), len(cur))
    if len(ref_ok) == 0 or len(cur) == 0:
        return result
    edges = quantile_edges(ref_ok, bins)
    # side="right": a value equal to a cut point goes to the bin above it, as the [low, high) labels say
    ref_counts = np.bincount(np.searchsorted(edges, ref_ok, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur_ok, side="right"), minlength=len(edges) + 1)
    labels = [_bin_label(edges, i) for i in range(len(edges) + 1)]
    ref_missing, cur_missing = len(ref) - len(ref_ok), len(cur) - len(cur_ok)
    if ref_missing or cur_missing:
        ref_counts = np.append(ref_counts, ref_missing)
        cur_counts = np.append(cur_counts, cur_missing)
        labels.append("missing")
    result.psi = psi(ref_counts, cur_counts)
    result.bins = labels
    result.reference_share = (ref_counts / ref_counts.sum()).tolist()
    result.recent_share = (cur_counts / cur_counts.sum()).tolist()
    if len(cur_ok):
        from scipy import stats  # imported when a test runs: the dashboard reads reports without scipy's 1 s import

        test = stats.ks_2samp(ref_ok, cur_ok, method="asymp")
        result.statistic, result.p_value = float(test.statistic), float(test.pvalue)
    return result


def _counts(values: pd.Series) -> pd.Series:
    """Rows per category, categories as text; missing values are the category "missing"."""
    counts = values.value_counts(dropna=False)
    labels = ["missing" if pd.isna(c) else str(c) for c in counts.index]
    return counts.groupby(pd.Index(labels, dtype=object)).sum()


def categorical_drift(feature: str, reference: pd.Series, recent: pd.Series) -> FeatureDrift:
    """PSI over categories, the chi-squared test of the 2 x k table, and the categories training never saw."""
    ref_counts = _counts(reference)
    cur_counts = _counts(recent)
    result = FeatureDrift(feature, "categorical", None, "chi2", None, None, int(ref_counts.sum()),
                          int(cur_counts.sum()))
    if ref_counts.empty or cur_counts.empty:
        return result
    categories = ref_counts.index.union(cur_counts.index)
    ref_vec = ref_counts.reindex(categories, fill_value=0).to_numpy()
    cur_vec = cur_counts.reindex(categories, fill_value=0).to_numpy()
    result.psi = psi(ref_vec, cur_vec)
    result.unseen = sorted(str(c) for c in cur_counts.index.difference(ref_counts.index))
    if len(categories) > 1:
        from scipy import stats

        test = stats.chi2_contingency(np.vstack([ref_vec, cur_vec]), correction=False)
        result.statistic, result.p_value = float(test.statistic), float(test.pvalue)
    else:
        result.statistic, result.p_value = 0.0, 1.0
    ref_share, cur_share = ref_vec / ref_vec.sum(), cur_vec / cur_vec.sum()
    order = np.argsort(-(ref_share + cur_share), kind="stable")
    shown, rest = order[:MAX_SHOWN_CATEGORIES], order[MAX_SHOWN_CATEGORIES:]
    result.bins = [str(categories[i]) for i in shown]
    result.reference_share = ref_share[shown].tolist()
    result.recent_share = cur_share[shown].tolist()
    if len(rest):
        result.bins.append(f"other ({len(rest)} categories)")
        result.reference_share.append(float(ref_share[rest].sum()))
        result.recent_share.append(float(cur_share[rest].sum()))
    return result


def score_drift(reference_scores: np.ndarray, recent_scores: np.ndarray, *, bins: int = 10) -> FeatureDrift:
    """The champion's scores on recent alerts against its scores on its test slice (numeric drift of the score)."""
    return numeric_drift("champion score", pd.Series(reference_scores), pd.Series(recent_scores), bins=bins)
