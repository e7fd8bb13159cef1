"""The two columns every layer reads: the analyst's verdict and the alert's time.

:func:`map_labels` reads a verdict column in its usual spellings (booleans,
1/0, "tp"/"fp", "true"/"false", ... or one custom positive value);
:func:`parse_times` reads a time column as UTC datetimes, whatever its type.
Feedback cleaning (`trainer.feedback.quality`), imports, the sources, the
learning API, the monitoring windows and the backtest all read these columns
the same way through this module, which sits with the foundations (pandas
only), below every layer that uses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["POSITIVE_TOKENS", "NEGATIVE_TOKENS", "is_standard_positive", "map_labels", "parse_times", "blank"]

POSITIVE_TOKENS = frozenset({"true", "tp", "1", "1.0", "yes", "true_positive", "true positive"})
NEGATIVE_TOKENS = frozenset({"false", "fp", "0", "0.0", "no", "false_positive", "false positive"})


def is_standard_positive(value: Any) -> bool:
    """Whether ``value`` is one of the usual spellings of 'true positive' (True, 1, "tp", ...)."""
    return value is True or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1) \
        or (isinstance(value, str) and value.strip().lower() in POSITIVE_TOKENS)


def map_labels(values: pd.Series, positive_value: Any = True) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(label as float 1/0/NaN, unlabelled mask, invalid mask) for a raw label column.

    Understood: booleans, 1/0, "true"/"false", "tp"/"fp", "yes"/"no" (any case).
    A custom ``positive_value`` (e.g. "malicious") marks positives and every
    other non-empty value is a negative. Missing or blank values are unlabelled.
    """
    unlabelled = blank(values)
    labels = pd.Series(np.nan, index=values.index)
    standard = is_standard_positive(positive_value)
    if standard and pd.api.types.is_bool_dtype(values):
        labels[~unlabelled] = values[~unlabelled].astype(float)
    elif standard and pd.api.types.is_numeric_dtype(values):
        numeric = pd.to_numeric(values, errors="coerce")
        labels[numeric == 1] = 1.0
        labels[numeric == 0] = 0.0
    else:
        as_text = values.astype("str").str.strip().str.lower()
        if standard:
            labels[as_text.isin(POSITIVE_TOKENS)] = 1.0
            labels[as_text.isin(NEGATIVE_TOKENS)] = 0.0
        else:
            wanted = str(positive_value).strip().lower()
            labels[~unlabelled] = (as_text[~unlabelled] == wanted).astype(float)
    invalid = labels.isna() & ~unlabelled
    return labels, unlabelled, invalid


def parse_times(values: pd.Series) -> pd.Series:
    """UTC datetimes; values that do not parse become NaT (naive times are taken as UTC)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize("UTC")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        unit = "ms" if numbers.abs().max() > 1e11 else "s"
        return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
    text = values.astype("str").str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    retry = parsed.isna() & values.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], utc=True, format="mixed", errors="coerce")
    return parsed


def blank(values: pd.Series) -> pd.Series:
    """Missing values, and empty or whitespace-only text (typed columns are never blank otherwise)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) \
            or pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    return values.isna() | (values.astype("str").str.strip() == "")
