"""The SQL BigQuery runs for a feedback source, as pure functions, and the parameters it binds.

:class:`TableRef` parses and checks ``dataset.table`` names; :func:`column`
back-quotes a checked column name; :class:`QueryPlan` says which columns play
which role; the ``build_*_sql`` functions return the text of each query, whose
values are only ``@parameters`` (:func:`scalar`, :func:`string_array`, in the
REST shape pandas-gbq passes to ``QueryJobConfig``). Tests parse the SQL with
sqlglot. :mod:`trainer.feedback.sources.bigquery` sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from trainer.config import SchemaConfig
from trainer.feedback.quality import POSITIVE_TOKENS, is_standard_positive
from trainer.feedback.sources import SourceError
from trainer.feedback.sources.sampling import SAMPLE_BUCKETS
_PROJECT = r"[a-z][a-z0-9\-]{4,28}[a-z0-9]"
_DATASET = r"[A-Za-z0-9_]{1,1024}"
_TABLE = r"[A-Za-z0-9_\-]{1,1024}"
TABLE_RE = re.compile(rf"(?:(?P<project>{_PROJECT})\.)?(?P<dataset>{_DATASET})\.(?P<table>{_TABLE})")
COLUMN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")


def column(name: str) -> str:
    """A back-quoted column name; raises SourceError unless it is a plain BigQuery column name."""
    if not COLUMN_RE.fullmatch(name or ""):
        raise SourceError(f"{name!r} is not a valid BigQuery column name (letters, digits, underscores): "
                          "fix the schema section of the config")
    return f"`{name}`"


@dataclass(frozen=True)
class TableRef:
    project: str
    dataset: str
    table: str

    @classmethod
    def parse(cls, text: str, default_project: str) -> "TableRef":
        """``dataset.table`` or ``project.dataset.table``; raises SourceError for anything else."""
        match = TABLE_RE.fullmatch(text or "")
        if not match:
            raise SourceError(f"source.bq_table {text!r} is not `dataset.table` or `project.dataset.table` "
                              "(letters, digits, underscores; project ids lower-case)")
        project = match["project"] or default_project
        if project and not re.fullmatch(_PROJECT, project):
            raise SourceError(f"source.project {project!r} is not a Google Cloud project id (6 to 30 lower-case "
                              "letters, digits and hyphens, starting with a letter): fix source.project")
        if not project:
            raise SourceError(f"no valid Google Cloud project for {text!r}: set source.project "
                              "(e.g. my-soc-project) or write the table as project.dataset.table")
        return cls(project, match["dataset"], match["table"])

    @property
    def quoted(self) -> str:
        return f"`{self.project}.{self.dataset}.{self.table}`"

    @property
    def columns_view(self) -> str:
        return f"`{self.project}.{self.dataset}`.INFORMATION_SCHEMA.COLUMNS"


# --- parameters (REST API shape, as pandas-gbq passes them to QueryJobConfig) ---------------------

def scalar(name: str, kind: str, value: Any) -> dict:
    return {"name": name, "parameterType": {"type": kind}, "parameterValue": {"value": str(value)}}


def string_array(name: str, values: list[str]) -> dict:
    return {"name": name, "parameterType": {"type": "ARRAY", "arrayType": {"type": "STRING"}},
            "parameterValue": {"arrayValues": [{"value": v} for v in values]}}


def timestamp_text(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def positive_values(schema: SchemaConfig) -> list[str]:
    """Lower-case text forms that mean 'true positive' once the label is CAST to STRING."""
    if is_standard_positive(schema.positive_value):
        return sorted(POSITIVE_TOKENS)
    return [str(schema.positive_value).strip().lower()]


# --- SQL (structure from the config, values only as @parameters) ----------------------------------

@dataclass(frozen=True)
class QueryPlan:
    """What the SQL needs to know: where from, which columns, and which roles they play."""

    source_sql: str                    # a back-quoted table, or "(custom query)"
    select: tuple[str, ...] | None     # columns to select; None: every column of a custom query
    label: str
    id_column: str = ""
    time_column: str = ""
    order_column: str = ""             # latest verdict first: triaged_at when present, else time
    windowed: bool = False             # adds `time >= @since`


def _is_positive(plan: QueryPlan) -> str:
    return f"LOWER(TRIM(CAST({column(plan.label)} AS STRING))) IN UNNEST(@positive_values)"


def _filtered(plan: QueryPlan) -> str:
    """FROM + WHERE shared by every query: labelled rows inside the window."""
    where = [f"{column(plan.label)} IS NOT NULL"]
    if plan.windowed and plan.time_column:
        where.append(f"{column(plan.time_column)} >= @since")
    return f"FROM {plan.source_sql} WHERE " + " AND ".join(where)


def build_count_sql(plan: QueryPlan, *, negatives_only: bool = False) -> str:
    """One cheap COUNT of labelled rows in the window (only negatives with ``negatives_only``)."""
    sql = f"SELECT COUNT(*) AS n {_filtered(plan)}"
    return sql + f" AND NOT ({_is_positive(plan)})" if negatives_only else sql


def build_new_count_sql(plan: QueryPlan, *, windowed: bool) -> str:
    """Labelled rows fired or triaged at or after ``@since`` (inside ``@window_start`` when ``windowed``).

    Needs a triage-time column (``plan.order_column``): a verdict given today on
    an alert that fired last week is new feedback for the trigger.
    """
    where = [f"{column(plan.label)} IS NOT NULL"]
    if windowed:
        where.append(f"{column(plan.time_column)} >= @window_start")
    where.append(f"({column(plan.time_column)} >= @since OR {column(plan.order_column)} >= @since)")
    return f"SELECT COUNT(*) AS n FROM {plan.source_sql} WHERE " + " AND ".join(where)


def _latest_first(plan: QueryPlan) -> str:
    """ORDER BY of one alert's verdicts, latest first: triage time, then alert time (missing ones last).

    The same order as :mod:`trainer.feedback.sources.sampling` and the SQLite store use.
    """
    keys = [c for c in dict.fromkeys((plan.order_column, plan.time_column)) if c]
    if not keys:
        return ""
    return " ORDER BY " + ", ".join(f"{column(c)} DESC NULLS LAST" for c in keys)


def build_load_sql(plan: QueryPlan) -> str:
    """The training query: needed columns, window, latest verdict per alert, all positives + sampled negatives."""
    columns = "*" if plan.select is None else ", ".join(column(c) for c in plan.select)
    inner = f"SELECT {columns} {_filtered(plan)}"
    if plan.id_column:
        inner += f" QUALIFY ROW_NUMBER() OVER (PARTITION BY {column(plan.id_column)}{_latest_first(plan)}) = 1"
    if plan.id_column:
        # MOD before ABS: ABS of the smallest INT64 fingerprint would overflow.
        sample = (f"ABS(MOD(FARM_FINGERPRINT(CAST({column(plan.id_column)} AS STRING)), {SAMPLE_BUCKETS})) "
                  f"< @negative_rate * {SAMPLE_BUCKETS}")
    else:
        sample = "RAND() < @negative_rate"
    return f"WITH latest AS ({inner}) SELECT * FROM latest WHERE {_is_positive(plan)} OR {sample}"


def build_pending_sql(plan: QueryPlan) -> str:
    """Alerts in the window whose id has no labelled row: the newest row of each, newest first, ``@limit`` of them."""
    where = [f"{column(plan.label)} IS NULL"]
    if plan.windowed and plan.time_column:
        where.append(f"{column(plan.time_column)} >= @since")
    ident = column(plan.id_column)
    where.append(f"{ident} NOT IN (SELECT {ident} FROM {plan.source_sql} WHERE {column(plan.label)} IS NOT NULL "
                 f"AND {ident} IS NOT NULL)")
    columns = "*" if plan.select is None else ", ".join(column(c) for c in plan.select)
    order = f" ORDER BY {column(plan.time_column)} DESC" if plan.time_column else ""
    return (f"SELECT {columns} FROM {plan.source_sql} WHERE {' AND '.join(where)} "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {ident}{order}) = 1{order} LIMIT @limit")


def build_find_sql(plan: QueryPlan) -> str:
    """The newest row of each alert id in ``@alert_ids``."""
    columns = "*" if plan.select is None else ", ".join(column(c) for c in plan.select)
    ident = column(plan.id_column)
    return (f"SELECT {columns} FROM {plan.source_sql} WHERE {ident} IN UNNEST(@alert_ids) "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {ident}{_latest_first(plan)}) = 1")


def build_columns_sql(ref: TableRef) -> str:
    return (f"SELECT column_name FROM {ref.columns_view} WHERE table_name = @table_name "
            f"ORDER BY ordinal_position")


def build_change_sql(plan: QueryPlan) -> str:
    newest = f"CAST(MAX({column(plan.time_column)}) AS STRING)" if plan.time_column else "''"
    return f"SELECT COUNT(*) AS n, {newest} AS newest FROM {plan.source_sql}"
