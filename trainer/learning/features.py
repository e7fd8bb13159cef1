"""Which columns a model may learn from, and how they are turned into numbers.

:func:`infer_features` reads a training frame and a :class:`~trainer.config.SchemaConfig`
and returns a :class:`FeatureSpec`: the feature columns typed as numeric,
boolean or categorical, the time column (which becomes hour of day and weekday,
never the raw timestamp), and the columns left out with the reason. Post-triage
columns (the verdict, comments, processed flag, confidence) are never features,
even when the schema lists them explicitly: they are written after the alert
fired and would leak the label.

:class:`FeatureFrame` is the first step of every model pipeline: it takes any
frame holding the feature columns and returns a clean frame (floats for numeric
and boolean columns, strings or NaN for categorical ones, hour and weekday for
the time column). :func:`build_preprocessor` then encodes that frame for a model
family (`trainer.learning.pipelines` assembles the pipeline).
"""

from __future__ import annotations

import itertools
from dataclasses import MISSING, asdict, dataclass, field, fields

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from trainer.config import SchemaConfig
from trainer.learning.families import MAX_CATEGORIES

__all__ = ["FeatureSpec", "FeatureFrame", "CategoryCodes", "TargetEncoding", "infer_features", "post_triage_columns",
           "require_columns", "build_preprocessor", "coded_columns", "MAX_CATEGORIES", "MIN_CATEGORY_SHARE",
           "TIME_PARTS", "MANY_VALUES"]

MIN_CATEGORY_SHARE = 0.002
"""A category seen in fewer than this share of training rows (and at least 2 rows) is 'infrequent'."""

TIME_PARTS = ("hour", "weekday")


@dataclass
class FeatureSpec:
    """The feature columns of a model and the columns it leaves out.

    ``numeric``, ``boolean`` and ``categorical`` name input columns;
    ``time_column`` (or empty) becomes ``time_derived`` columns. ``excluded``
    maps every other column to the reason it is not a feature. ``many_values``
    names the categorical columns with more values than :data:`MAX_CATEGORIES`,
    which every family target-encodes (:class:`TargetEncoding`) instead of
    cutting them; ``typed`` says why each feature column got its type.
    """

    numeric: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    time_column: str = ""
    excluded_post_triage: list[str] = field(default_factory=list)
    excluded_other: dict[str, str] = field(default_factory=dict)
    many_values: list[str] = field(default_factory=list)
    typed: dict[str, str] = field(default_factory=dict)

    def __setstate__(self, state: dict) -> None:
        # Models pickled before a field existed unpickle with its default.
        defaults = {f.name: f.default_factory() if f.default_factory is not MISSING else f.default
                    for f in fields(self)}
        self.__dict__.update({**defaults, **state})

    @property
    def few_values(self) -> list[str]:
        """Categorical columns coded by :class:`CategoryCodes` (at most :data:`MAX_CATEGORIES` values)."""
        return [c for c in self.categorical if c not in self.many_values]

    @property
    def time_derived(self) -> list[str]:
        return [f"{self.time_column}_{part}" for part in TIME_PARTS] if self.time_column else []

    @property
    def input_columns(self) -> list[str]:
        """Columns a frame must hold to be scored."""
        return self.numeric + self.boolean + self.categorical + ([self.time_column] if self.time_column else [])

    @property
    def model_columns(self) -> list[str]:
        """Columns of the frame :class:`FeatureFrame` produces, in order."""
        return self.numeric + self.boolean + self.time_derived + self.categorical

    def to_metrics(self) -> dict:
        """The ``features`` block of the metrics file."""
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "boolean": list(self.boolean),
            "time_derived": self.time_derived,
            "many_values": list(self.many_values),
            "typed": dict(self.typed),
            "excluded_post_triage": list(self.excluded_post_triage),
            "excluded_other": sorted(self.excluded_other),
            "excluded_reasons": dict(self.excluded_other),
        }

    def as_dict(self) -> dict:
        return asdict(self)


def _is_bool(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return True
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return False
    values = set(series.dropna().unique().tolist())
    return bool(values) and values <= {True, False}


def post_triage_columns(schema: SchemaConfig) -> set[str]:
    """Every column known only after triage, per the schema."""
    columns = set(schema.post_triage)
    if schema.confidence_column:
        columns.add(schema.confidence_column)
    return columns


ROW_UNIQUE_SHARE = 0.95
"""A column with distinct values on at least this share of its rows names rows, not behaviour..."""

MIN_ROWS_FOR_IDENTIFIERS = 50
"""...once there are this many rows to tell."""

GROWS_WITH_TIME = 0.95
"""An integer column whose rank correlation with the time column reaches this is a sequence number."""


def _named_like_id(column) -> bool:
    name = str(column).lower()
    return name.endswith("id") or name.endswith("_key") or name.endswith("uuid")


def _integer_valued(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return False
    if pd.api.types.is_integer_dtype(series):
        return True
    values = series.dropna().to_numpy(dtype=float)
    return bool(len(values)) and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.round(values)))


TIME_CHECK_ROWS = 100_000
"""Whether an integer column grows with time is judged on at most this many evenly spaced rows."""


def _identifies_rows(series: pd.Series, times: pd.Series | None, distinct: int, integers: bool) -> str:
    """Why ``series`` names rows, incidents or moments rather than behaviour, or ``""`` when it does not.

    Text or integers unique on nearly every row are identifiers; so are integers
    that only grow with time (incident and alert numbers: a model would learn
    the date from them). Real-valued measurements are never called identifiers.
    ``distinct`` counts the column's values and ``integers`` says whether they
    are whole numbers (:func:`_integer_valued`), both computed once by the caller.
    """
    rows = int(series.notna().sum())
    if rows <= MIN_ROWS_FOR_IDENTIFIERS:
        return ""
    text = not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_datetime64_any_dtype(series)
    if not text and not integers:
        return ""
    if distinct >= ROW_UNIQUE_SHARE * rows:
        return f"identifies rows: {distinct:,} distinct values in {rows:,} rows"
    if integers and times is not None and distinct > MAX_CATEGORIES:
        step = max(1, len(series) // TIME_CHECK_ROWS)
        both = pd.DataFrame({"v": series.iloc[::step], "t": times.iloc[::step]}).dropna()
        if len(both) > MIN_ROWS_FOR_IDENTIFIERS and both["t"].nunique() > 1 and both["v"].nunique() > 1:
            rho = both["v"].rank().corr(both["t"].rank())
            if rho >= GROWS_WITH_TIME:
                return f"grows with time (rank correlation {rho:.2f} with the time column): a sequence number"
    return ""


def infer_features(frame: pd.DataFrame, schema: SchemaConfig) -> FeatureSpec:
    """Decide and type the feature columns of ``frame``.

    Columns named in ``schema.categorical`` are categories whatever their type;
    so are integer columns named like ids (``detectorid``, ``org_id``) and
    text. A column that identifies rows or incidents (:func:`_identifies_rows`)
    is never a feature, even when ``schema.features`` names it; the reason is
    recorded. Returns a :class:`FeatureSpec`. Raises ``ValueError`` when a
    column named in ``schema.features`` or ``schema.categorical`` is missing,
    or when no feature column is left.
    """
    post_triage = post_triage_columns(schema)
    spec = FeatureSpec()
    for key, named in (("features", schema.features), ("categorical", schema.categorical)):
        missing = [c for c in named if c not in frame.columns]
        if missing:
            raise ValueError(f"column(s) {', '.join(map(str, missing))} named in schema.{key} are not in the data; "
                             f"available columns: {', '.join(map(str, frame.columns))}")
    if schema.features:
        candidates = list(dict.fromkeys(schema.features))
    else:
        candidates = [c for c in frame.columns if c != schema.label]
    time_column = schema.time_column if schema.time_column in frame.columns else ""
    times = frame[time_column] if time_column and pd.api.types.is_datetime64_any_dtype(frame[time_column]) else None
    declared = set(schema.categorical)

    kept: list[str] = []
    for column in candidates:
        if column == schema.label:
            spec.excluded_other[column] = "label column"
        elif column in post_triage:
            spec.excluded_post_triage.append(column)
        elif column == time_column:
            spec.time_column = column
        elif column == schema.id_column:
            spec.excluded_other[column] = "id column"
        else:
            kept.append(column)
    for column in frame.columns:
        if column in post_triage and column not in spec.excluded_post_triage:
            spec.excluded_post_triage.append(column)

    distinct = {column: int(frame[column].nunique(dropna=True)) for column in kept}
    kept = _drop_uninformative(frame, kept, spec.excluded_other, distinct)
    for column in kept:
        series = frame[column]
        integers = _integer_valued(series)
        identifier = _identifies_rows(series, times, distinct[column], integers)
        if identifier:
            spec.excluded_other[column] = identifier
        elif column in declared:
            spec.categorical.append(column)
            spec.typed[column] = "category: named in schema.categorical"
        elif _is_bool(series):
            spec.boolean.append(column)
            spec.typed[column] = "boolean: two values, true and false"
        elif pd.api.types.is_datetime64_any_dtype(series):
            spec.excluded_other[column] = "date/time column other than the schema's time column"
        elif integers and _named_like_id(column):
            spec.categorical.append(column)
            spec.typed[column] = "category: integers in a column named like an id"
        elif pd.api.types.is_numeric_dtype(series):
            spec.numeric.append(column)
            spec.typed[column] = "number: integer values" if integers else "number"
        else:
            spec.categorical.append(column)
            spec.typed[column] = "category: text"
    for column in spec.categorical:
        if distinct[column] > MAX_CATEGORIES:
            spec.many_values.append(column)
            spec.typed[column] += f"; {distinct[column]:,} values, target-encoded"
    if not spec.input_columns:
        raise ValueError("no feature columns left after excluding the label, id, post-triage, constant and "
                         f"duplicate columns (excluded: {', '.join(spec.excluded_post_triage + list(spec.excluded_other))}); "
                         "add alert attributes to the data or list them in schema.features")
    return spec


def _drop_uninformative(frame: pd.DataFrame, columns: list[str], excluded: dict[str, str],
                        distinct: dict[str, int]) -> list[str]:
    """Columns minus constant ones and exact duplicates of an earlier column (recorded in ``excluded``).

    ``distinct`` holds each column's count of distinct non-missing values."""
    kept: list[str] = []
    for column in columns:
        series = frame[column]
        if distinct[column] + int(series.isna().any()) <= 1:
            excluded[column] = "constant"
            continue
        twin = next((k for k in kept if frame[k].dtype == series.dtype and frame[k].equals(series)), None)
        if twin is not None:
            excluded[column] = f"duplicate of {twin}"
            continue
        kept.append(column)
    return kept


def require_columns(X, columns: list[str]) -> None:
    """Check that ``X`` is a DataFrame holding ``columns``; raises TypeError or ValueError naming what is missing."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame with the columns {', '.join(columns)}, got {type(X).__name__}")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"the frame is missing feature column(s) {', '.join(missing)} that the model was "
                         "trained on; add them (empty values are allowed)")


class FeatureFrame(TransformerMixin, BaseEstimator):
    """Select the feature columns and give them clean types.

    Numeric and boolean columns become float (text in a numeric column becomes
    NaN, imputed later), categorical columns become text (missing stays
    missing), and the time column becomes ``<time>_hour`` and ``<time>_weekday``.
    Extra columns are ignored; missing ones raise ``ValueError`` naming them.
    """

    def __init__(self, spec: FeatureSpec | None = None):
        self.spec = spec

    def fit(self, X, y=None):
        self._check(X)
        return self

    def _check(self, X) -> None:
        require_columns(X, self.spec.input_columns)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.spec.model_columns, dtype=object)

    def transform(self, X):
        self._check(X)
        spec = self.spec
        out: dict[str, object] = {}
        for column in spec.numeric:
            out[column] = pd.to_numeric(X[column], errors="coerce").astype("float64").to_numpy()
        for column in spec.boolean:
            out[column] = _bool_to_float(X[column])
        if spec.time_column:
            stamps = pd.to_datetime(X[spec.time_column], errors="coerce", utc=True)
            out[f"{spec.time_column}_hour"] = stamps.dt.hour.astype("float64").to_numpy()
            out[f"{spec.time_column}_weekday"] = stamps.dt.day_of_week.astype("float64").to_numpy()
        for column in spec.categorical:
            out[column] = _as_category(X[column])
        return pd.DataFrame(out, index=X.index, columns=spec.model_columns)


def _as_category(series: pd.Series):
    """Text for a categorical column; missing stays missing. Whole numbers read as floats (a column of ids
    with blanks) are written as integers, so ``11.0`` and ``11`` name one category."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = np.full(len(values), np.nan, dtype=object)
        present = ~np.isnan(values)
        whole = present & (values == np.round(values))
        text[whole] = values[whole].astype(np.int64).astype(str)
        text[present & ~whole] = values[present & ~whole].astype(str)
        return pd.array(text, dtype="str")
    return series.astype("str").array  # pandas text; missing stays missing


def _bool_to_float(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    mapped = series.map(lambda v: 1.0 if v is True else 0.0 if v is False else np.nan)
    return mapped.astype("float64").to_numpy()


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Categorical columns as integer codes, learned with pandas hashing (fast on millions of rows).

    Each column keeps its ``max_categories - 1`` most frequent categories seen
    in at least ``min_frequency`` of the rows (and twice); they get codes
    0..k-1 by frequency. Every other category, including ones never seen in
    training, shares the code k ("infrequent"). Missing values get -1, which
    histogram gradient boosting reads as missing.
    """

    def __init__(self, max_categories: int = MAX_CATEGORIES, min_frequency: float = MIN_CATEGORY_SHARE):
        self.max_categories = max_categories
        self.min_frequency = min_frequency

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        floor = max(2, int(np.ceil(self.min_frequency * len(frame))))
        self.categories_ = []
        for column in frame.columns:
            counts = frame[column].value_counts(dropna=True)
            kept = counts[counts >= floor].index[: self.max_categories - 1]
            self.categories_.append(pd.Index(kept))
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        out = np.empty(frame.shape, dtype=float)
        for i, (column, categories) in enumerate(zip(frame.columns, self.categories_)):
            values = frame[column]
            codes = categories.get_indexer(values).astype(float)
            codes[codes < 0] = len(categories)
            codes[values.isna().to_numpy()] = -1
            out[:, i] = codes
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_in_, dtype=object)


class TargetEncoding(TransformerMixin, BaseEstimator):
    """Categorical columns of any size as numbers: each value's true-positive rate and its share of rows.

    scikit-learn's ``TargetEncoder`` keeps every category, however many there
    are, and in ``fit_transform`` (which a pipeline's ``fit`` calls) encodes
    each training row with a model fitted on the other folds, so no row sees
    its own label. A value never seen in training gets the overall rate and a
    share of 0; missing is a value of its own. The share says what the rate
    cannot: a rare value's rate is mostly the prior, while its rarity often
    separates a one-off real alert from a noisy rule.

    Which detector fired matters differently in each tenant: the
    ``max_crossed`` columns whose cross-fitted rate separates the classes best
    (ROC-AUC furthest from 0.5) are also crossed pairwise (``a×b``), and each
    cross is encoded like a column. With ``max_crossed`` below 2 nothing is
    crossed. Values are coded as integers first (pandas hashing), so the
    encoder works on numbers however long the text. Output: the rates of the
    columns and crosses, then their shares.
    """

    def __init__(self, max_crossed: int = 4, random_state: int = 0):
        self.max_crossed = max_crossed
        self.random_state = random_state

    def _encoder(self) -> TargetEncoder:
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
        return TargetEncoder(target_type="binary", cv=folds)

    def _codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Each value's position among the fitted values (-1: never seen), columns then crosses."""
        singles = np.empty((len(frame), len(self.values_)), dtype=np.int64)
        for i, (column, values) in enumerate(zip(frame.columns, self.values_)):
            singles[:, i] = values.get_indexer(frame[column])  # missing is a value: NaN finds NaN
        crosses = [pairs.get_indexer(raw) for pairs, raw in zip(self.pairs_, self._pair_codes(singles))]
        return np.column_stack([singles, *crosses]) if crosses else singles

    def _pair_codes(self, singles: np.ndarray) -> list[np.ndarray]:
        """One number per (a, b) value pair of each crossed pair of columns; -1 when either value is unseen."""
        out = []
        for a, b in self.crossed_:
            pair = singles[:, a] * (len(self.values_[b]) + 1) + singles[:, b]
            pair[(singles[:, a] < 0) | (singles[:, b] < 0)] = -1
            out.append(pair)
        return out

    def _encode(self, codes: np.ndarray) -> np.ndarray:
        """Rates then shares of already coded values: a fitted lookup per column, -1 reading the prior (rate)
        or 0 (share), which each table keeps in its last slot."""
        out = np.empty((len(codes), 2 * codes.shape[1]), dtype=float)
        for i in range(codes.shape[1]):
            out[:, i] = self.rates_[i][codes[:, i]]
            out[:, codes.shape[1] + i] = self.shares_[i][codes[:, i]]
        return out

    def fit(self, X, y):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        frame = pd.DataFrame(X)
        labels = np.asarray(y).astype(int)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.values_ = [pd.Index(frame[c].unique()) for c in frame.columns]
        self.crossed_: list[tuple[int, int]] = []
        self.pairs_: list[pd.Index] = []
        codes = self._codes(frame)
        single = self._encoder()
        rates = single.fit_transform(codes, labels)
        fitted = [(single, i) for i in range(codes.shape[1])]
        if self.max_crossed >= 2 and codes.shape[1] >= 2 and len(np.unique(labels)) == 2:
            strength = [abs(roc_auc_score(labels, rates[:, i]) - 0.5) for i in range(codes.shape[1])]
            best = sorted(np.argsort(strength, kind="stable")[::-1][: self.max_crossed].tolist())
            self.crossed_ = list(itertools.combinations(best, 2))
        if self.crossed_:
            raw = self._pair_codes(codes)
            self.pairs_ = [pd.Index(np.unique(pair)) for pair in raw]
            crossed_codes = np.column_stack([pairs.get_indexer(pair) for pairs, pair in zip(self.pairs_, raw)])
            codes = np.hstack([codes, crossed_codes])
            crossed = self._encoder()
            rates = np.hstack([rates, crossed.fit_transform(crossed_codes, labels)])
            fitted += [(crossed, k) for k in range(len(self.crossed_))]
        # fit_transform returned cross-fitted rates (what a pipeline's fit needs); for transform, each
        # encoder also kept the rates fitted on every row. Both become lookup tables whose last slot,
        # read by the code -1 of a value never seen, holds the prior (rates) or 0 (shares).
        self.rates_, self.shares_ = [], []
        for i, (encoder, j) in enumerate(fitted):
            size = int(codes[:, i].max()) + 1
            rate = np.full(size + 1, float(encoder.target_mean_))
            rate[np.asarray(encoder.categories_[j], dtype=np.int64)] = encoder.encodings_[j]
            self.rates_.append(rate)
            self.shares_.append(np.append(np.bincount(codes[:, i], minlength=size) / len(codes), 0.0))
        return np.hstack([rates, self._encode(codes)[:, codes.shape[1]:]])

    def transform(self, X):
        return self._encode(self._codes(pd.DataFrame(X)))

    def get_feature_names_out(self, input_features=None):
        names = [str(c) for c in self.feature_names_in_]
        names += [f"{names[a]}×{names[b]}" for a, b in self.crossed_]
        return np.asarray([f"{n}_rate" for n in names] + [f"{n}_share" for n in names], dtype=object)


def build_preprocessor(spec: FeatureSpec, *, encoding: str, scale: bool, random_state: int = 0,
                       many_values: str = "target") -> ColumnTransformer:
    """Encode the output of :class:`FeatureFrame` for a model.

    Categorical columns with at most :data:`MAX_CATEGORIES` values are coded
    by ``encoding``: ``"ordinal"`` (:class:`CategoryCodes`) or ``"onehot"``
    (those codes one-hot encoded, dense: missing, infrequent and unseen
    categories each get their own column). Columns with more values
    (``spec.many_values``) keep every value through :class:`TargetEncoding`,
    whatever the encoding, unless ``many_values="codes"`` cuts them too (the
    legacy recipe). Numeric and boolean columns are median-imputed and,
    when ``scale``, standardised (target encodings too). The output columns are
    numeric ones first, then the coded categorical ones (:func:`coded_columns`
    gives their positions), then the target encodings.
    """
    numeric = spec.numeric + spec.boolean + spec.time_derived
    numeric_steps = [SimpleImputer(strategy="median", keep_empty_features=True)]
    if scale:
        numeric_steps.append(StandardScaler())
    if encoding == "onehot":
        categorical_encoder = make_pipeline(CategoryCodes(), OneHotEncoder(handle_unknown="ignore",
                                                                           sparse_output=False))
    elif encoding == "ordinal":
        categorical_encoder = CategoryCodes()
    else:
        raise ValueError(f"encoding {encoding!r} is not known; use 'onehot' or 'ordinal'")
    if many_values not in MANY_VALUES:
        raise ValueError(f"many_values {many_values!r} is not known; use {' or '.join(map(repr, MANY_VALUES))}")
    coded, targeted = _split_categorical(spec, many_values)
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(*numeric_steps), numeric))
    if coded:
        transformers.append(("categorical", categorical_encoder, coded))
    if targeted:
        target = TargetEncoding(random_state=random_state)
        transformers.append(("many_values", make_pipeline(target, StandardScaler()) if scale else target,
                             targeted))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


MANY_VALUES = ("target", "codes")


def _split_categorical(spec: FeatureSpec, many_values: str) -> tuple[list[str], list[str]]:
    """(columns coded by :class:`CategoryCodes`, columns target-encoded) for a ``many_values`` choice."""
    if many_values == "codes":
        return list(spec.categorical), []
    return spec.few_values, list(spec.many_values)


def coded_columns(spec: FeatureSpec, many_values: str = "target") -> list[int]:
    """Positions, in the output of :func:`build_preprocessor` with ``"ordinal"`` codes, of the coded categories."""
    first = len(spec.numeric) + len(spec.boolean) + len(spec.time_derived)
    return list(range(first, first + len(_split_categorical(spec, many_values)[0])))
