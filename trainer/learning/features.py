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

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from trainer.config import SchemaConfig

__all__ = ["FeatureSpec", "FeatureFrame", "CategoryCodes", "infer_features", "post_triage_columns",
           "require_columns", "build_preprocessor", "MAX_CATEGORIES", "MIN_CATEGORY_SHARE", "TIME_PARTS"]

MAX_CATEGORIES = 30
"""A categorical column keeps at most this many categories; rarer ones share one 'infrequent' bucket."""

MIN_CATEGORY_SHARE = 0.002
"""A category seen in fewer than this share of training rows (and at least 2 rows) is 'infrequent'."""

TIME_PARTS = ("hour", "weekday")


@dataclass
class FeatureSpec:
    """The feature columns of a model and the columns it leaves out.

    ``numeric``, ``boolean`` and ``categorical`` name input columns;
    ``time_column`` (or empty) becomes ``time_derived`` columns. ``excluded``
    maps every other column to the reason it is not a feature.
    """

    numeric: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    time_column: str = ""
    excluded_post_triage: list[str] = field(default_factory=list)
    excluded_other: dict[str, str] = field(default_factory=dict)

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


def infer_features(frame: pd.DataFrame, schema: SchemaConfig) -> FeatureSpec:
    """Decide and type the feature columns of ``frame``.

    Returns a :class:`FeatureSpec`. Raises ``ValueError`` when a column named in
    ``schema.features`` is missing, or when no feature column is left.
    """
    post_triage = post_triage_columns(schema)
    spec = FeatureSpec()
    if schema.features:
        missing = [c for c in schema.features if c not in frame.columns]
        if missing:
            raise ValueError(f"feature column(s) {', '.join(missing)} named in schema.features are not in the data; "
                             f"available columns: {', '.join(map(str, frame.columns))}")
        candidates = list(dict.fromkeys(schema.features))
    else:
        candidates = [c for c in frame.columns if c != schema.label]
    time_column = schema.time_column if schema.time_column in frame.columns else ""

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

    kept = _drop_uninformative(frame, kept, spec.excluded_other)
    for column in kept:
        series = frame[column]
        if _is_bool(series):
            spec.boolean.append(column)
        elif pd.api.types.is_datetime64_any_dtype(series):
            spec.excluded_other[column] = "date/time column other than the schema's time column"
        elif pd.api.types.is_numeric_dtype(series):
            spec.numeric.append(column)
        elif series.nunique(dropna=True) == series.notna().sum() and len(series) > 50:
            spec.excluded_other[column] = "text unique on every row (an identifier or free text)"
        else:
            spec.categorical.append(column)
    if not spec.input_columns:
        raise ValueError("no feature columns left after excluding the label, id, post-triage, constant and "
                         f"duplicate columns (excluded: {', '.join(spec.excluded_post_triage + list(spec.excluded_other))}); "
                         "add alert attributes to the data or list them in schema.features")
    return spec


def _drop_uninformative(frame: pd.DataFrame, columns: list[str], excluded: dict[str, str]) -> list[str]:
    """Columns minus constant ones and exact duplicates of an earlier column (recorded in ``excluded``)."""
    kept: list[str] = []
    for column in columns:
        series = frame[column]
        if series.nunique(dropna=False) <= 1:
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
            out[column] = X[column].astype("str").array  # pandas text; missing stays missing
        return pd.DataFrame(out, index=X.index, columns=spec.model_columns)


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


def build_preprocessor(spec: FeatureSpec, *, encoding: str, scale: bool) -> ColumnTransformer:
    """Encode the output of :class:`FeatureFrame` for a model.

    ``encoding`` is ``"ordinal"`` (:class:`CategoryCodes`) or ``"onehot"``
    (those codes one-hot encoded, dense: missing, infrequent and unseen
    categories each get their own column). Numeric and boolean columns are
    median-imputed and, when ``scale``, standardised. The output columns are
    numeric ones first, then categorical ones.
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
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(*numeric_steps), numeric))
    if spec.categorical:
        transformers.append(("categorical", categorical_encoder, spec.categorical))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
