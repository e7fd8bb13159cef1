"""The training read every source answers: the window, the latest verdict per alert, every positive, and a
deterministic hash sample of the negatives.

Each source runs this plan in its own engine (BigQuery and DuckDB in SQL,
:mod:`.sqlite` in SQLite's SQL, :mod:`.files` with pyarrow filters and a
chunked CSV reader), so no source hands the trainer more than about
``source.max_negatives`` negatives. What the engines must agree on lives here:

* :func:`negative_rate`: the share of negatives kept, ``max_negatives /
  negatives`` (1.0 when they fit or sampling is off); the source returns it as
  :attr:`LoadedFeedback.negative_sample_rate` so the trainer re-weights.
* The hash. An alert is kept when ``|FARM_FINGERPRINT(alert id)| mod
  1,000,000 < rate x 1,000,000``. ``FARM_FINGERPRINT`` is BigQuery's built-in
  (FarmHash Fingerprint64 of the id's UTF-8 bytes, read as a signed 64-bit
  integer); :func:`sample_bucket` computes the same number in Python with the
  ``cityhash`` package's FarmHash binding, which SQLite, the file reader and
  DuckDB (which has no FarmHash) call, so one seed-free id picks the same
  sample in every engine and in successive runs. ``MOD`` comes before ``ABS``
  in SQL (the absolute value of the smallest INT64 would overflow);
  :func:`sample_bucket` gives that same value.
* The latest verdict per alert: labelled rows of one id ordered by
  ``triaged_at`` (missing first), then alert time, then arrival; the last one
  counts. Positives are judged on that latest verdict, so an alert first called
  a true positive and later a false positive is a negative.

:func:`choose_rows` applies the plan to key columns held in memory (the file
source's reader feeds it a batch of ids, labels and times, never the whole
table's other columns).
"""

from __future__ import annotations

from typing import Iterable

import farmhash
import numpy as np
import pandas as pd

SAMPLE_BUCKETS = 1_000_000
HASH_CHUNK = 250_000
_TWO_63 = 1 << 63
_TWO_64 = 1 << 64


def fingerprint(text: str | None) -> int | None:
    """BigQuery's ``FARM_FINGERPRINT(text)``: FarmHash Fingerprint64 of the UTF-8 bytes as a signed INT64.

    None (SQL's NULL) for None, as in BigQuery. SQLite and DuckDB register this as their ``FARM_FINGERPRINT``.
    """
    if text is None:
        return None
    value = farmhash.Fingerprint64(text)
    return value - _TWO_64 if value >= _TWO_63 else value


def bucket_of(text: str | None) -> int | None:
    """``ABS(MOD(FARM_FINGERPRINT(text), 1000000))``; None for a missing id (SQL's NULL)."""
    if text is None:
        return None
    value = farmhash.Fingerprint64(str(text))
    magnitude = _TWO_64 - value if value >= _TWO_63 else value
    return magnitude % SAMPLE_BUCKETS


def fingerprints(ids: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """FarmHash Fingerprint64 of every id as text (uint64), and which ids are missing (their hash is 0).

    Hashed a slice at a time: ten million ids as Python strings at once would cost gigabytes.
    """
    values = pd.Series(ids, dtype=object) if not isinstance(ids, pd.Series) else ids
    hashes = np.zeros(len(values), dtype=np.uint64)
    missing = values.isna().to_numpy()
    for start in range(0, len(values), HASH_CHUNK):
        part = values.iloc[start:start + HASH_CHUNK].tolist()
        gone = missing[start:start + len(part)]
        text = [v if isinstance(v, str) else ("" if g else str(v)) for v, g in zip(part, gone)]
        hashes[start:start + len(part)] = np.fromiter(map(farmhash.Fingerprint64, text), dtype=np.uint64,
                                                      count=len(text))
    hashes[missing] = 0
    return hashes, missing


def _buckets(hashes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    # |signed value| in unsigned arithmetic: two's complement of the values with the sign bit set
    magnitude = np.where(hashes >= np.uint64(_TWO_63), ~hashes + np.uint64(1), hashes)
    buckets = (magnitude % np.uint64(SAMPLE_BUCKETS)).astype(np.int64)
    buckets[missing] = SAMPLE_BUCKETS
    return buckets


def sample_bucket(ids: Iterable) -> np.ndarray:
    """:func:`bucket_of` for every id (as text), as int64; a missing id gets bucket SAMPLE_BUCKETS (never kept)."""
    return _buckets(*fingerprints(ids))


def negative_rate(negatives: int, max_negatives: int) -> float:
    """Share of negatives to keep so about ``max_negatives`` remain; 1.0 when they fit or ``max_negatives`` is 0."""
    if max_negatives < 0:
        raise ValueError(f"source.max_negatives must be 0 (no sampling) or positive, not {max_negatives}")
    if not max_negatives or negatives <= max_negatives:
        return 1.0
    return max_negatives / negatives


def cutoff(rate: float) -> float:
    """The bucket bound: an alert is kept when its bucket is below ``rate x SAMPLE_BUCKETS``."""
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"a negative sampling rate must be in (0, 1], not {rate}")
    return rate * SAMPLE_BUCKETS


def _sortable(values: pd.Series | None) -> pd.Series | None:
    """Time zone-aware times as naive UTC datetime64 (sorting Timestamp objects is slow); others as they are."""
    if values is not None and isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(None)
    return values


def latest_positions(ids: pd.Series, triaged: pd.Series | None, times: pd.Series | None,
                     hashes: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Positions (sorted) of the latest row of each id: ``triaged`` (missing first), then ``times``, then position.

    Rows with a missing id are each their own alert. Ids that occur more than
    once are found by their 64-bit fingerprints (``hashes``, computed when not
    given: sorting integers, not ten million strings), and only those rows are
    grouped by their exact text and sorted, so two ids that share a fingerprint
    stay two alerts.
    """
    ids = ids.reset_index(drop=True)
    triaged, times = _sortable(triaged), _sortable(times)
    values, missing = hashes if hashes is not None else fingerprints(ids)
    order = np.argsort(values, kind="stable")
    same = values[order][1:] == values[order][:-1]
    repeated = np.zeros(len(values), dtype=bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    repeated &= ~missing
    single = np.flatnonzero(~repeated)
    if not repeated.any():
        return single
    rows = np.flatnonzero(repeated)
    keys = pd.DataFrame({"id": pd.factorize(ids.iloc[rows])[0], "pos": rows})
    order_by = []
    if triaged is not None:
        keys["triaged"] = triaged.to_numpy()[rows]
        order_by.append("triaged")
    if times is not None:
        keys["time"] = times.to_numpy()[rows]
        order_by.append("time")
    keys = keys.sort_values(order_by + ["pos"], kind="stable", na_position="first")
    latest = keys["pos"].to_numpy()[~keys.duplicated("id", keep="last").to_numpy()]
    return np.sort(np.concatenate([single, latest]))


def choose_rows(ids: pd.Series, positive: np.ndarray, rate: float, *, triaged: pd.Series | None = None,
                times: pd.Series | None = None) -> np.ndarray:
    """Positions of the rows the plan keeps among labelled rows: latest per alert, then positives + sampled negatives.

    ``positive`` says which rows' verdict is a true positive; ``triaged`` and
    ``times`` (comparable values, e.g. UTC datetimes) order one alert's
    verdicts. Returns sorted positions.
    """
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    hashes, missing = fingerprints(ids)
    rows = latest_positions(ids, triaged, times, (hashes, missing))
    if rate >= 1.0:
        return rows
    keep = np.asarray(positive, dtype=bool)[rows] | (_buckets(hashes[rows], missing[rows]) < cutoff(rate))
    return rows[keep]


__all__ = ["SAMPLE_BUCKETS", "bucket_of", "choose_rows", "cutoff", "fingerprint", "fingerprints", "latest_positions",
           "negative_rate", "sample_bucket"]
