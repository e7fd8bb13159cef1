"""The BigQuery source's SQL run on DuckDB, a local stand-in for the warehouse (tests and ``python -m bench scale``).

:func:`connect` opens a DuckDB database and registers ``FARM_FINGERPRINT``,
which DuckDB lacks (its own ``hash()`` is a different function), with
BigQuery's contract: FarmHash Fingerprint64 of the text's UTF-8 bytes as a
signed 64-bit integer, NULL for NULL
(:func:`trainer.feedback.sources.sampling.fingerprint`, vectorised over an
Arrow array). :func:`run` transpiles one of the ``build_*_sql`` queries of
:mod:`.bigquery_sql` from BigQuery's dialect to DuckDB's with sqlglot and binds
the same REST-shaped ``@parameters`` the BigQuery source sends, as DuckDB
``$parameters``. Needs the ``duckdb`` and ``sqlglot`` packages (the ``test``
extra); nothing in the trainer's own cycle imports this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import farmhash
import numpy as np
import pandas as pd

TABLE = "feedback"


def _fingerprints(values):
    """FARM_FINGERPRINT over an Arrow string array (vectorised DuckDB UDF)."""
    import pyarrow as pa

    texts = values.to_pylist()
    hashes = np.fromiter((farmhash.Fingerprint64(t) if t is not None else 0 for t in texts),
                         dtype=np.uint64, count=len(texts)).view(np.int64)
    return pa.array(hashes, mask=np.array([t is None for t in texts], dtype=bool), type=pa.int64())


def connect(path: str = ":memory:"):
    """A DuckDB connection with BigQuery's ``FARM_FINGERPRINT`` registered."""
    import duckdb

    conn = duckdb.connect(path)
    conn.create_function("FARM_FINGERPRINT", _fingerprints, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("BIGINT"),
                         type="arrow", null_handling="special", side_effects=False)
    return conn


def to_duckdb(sql: str) -> str:
    """``sql`` (BigQuery dialect) in DuckDB's dialect; ``@name`` parameters become ``$name``."""
    import sqlglot

    return sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]


def _value(param: dict) -> Any:
    kind = param["parameterType"]["type"]
    if kind == "ARRAY":
        return [v["value"] for v in param["parameterValue"]["arrayValues"]]
    text = param["parameterValue"]["value"]
    if kind == "TIMESTAMP":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind == "FLOAT64":
        return float(text)
    if kind == "INT64":
        return int(text)
    return text


def run(conn, sql: str, parameters: list[dict]) -> pd.DataFrame:
    """Run one BigQuery query on DuckDB with the parameters the BigQuery source would bind."""
    bound = {p["name"]: _value(p) for p in parameters}
    return conn.execute(to_duckdb(sql), bound).df()


__all__ = ["TABLE", "connect", "run", "to_duckdb"]
