"""BigQuery as a feedback source, through pandas-gbq (``source.kind = "bigquery"``).

BigQuery does the heavy work so the trainer's memory stays bounded however
large the table grows. :class:`BigQuerySource` sends, per load:

1. a metadata query on ``INFORMATION_SCHEMA.COLUMNS`` (which columns exist);
2. a cheap ``COUNT`` of labelled negatives in the window, to choose the
   negative sampling rate so that about ``source.max_negatives`` reach pandas;
3. the training query: only the needed columns, the time window,
   de-duplication by alert id keeping the latest verdict (``QUALIFY
   ROW_NUMBER() ...``), every positive and a deterministic hash sample of the
   negatives (``FARM_FINGERPRINT`` of the alert id, so successive runs see the
   same sample). The rate is returned as ``LoadedFeedback.negative_sample_rate``.

Every value travels as a named query parameter (``@since``,
``@negative_rate``, ``@positive_values``, ``@table_name``); identifiers come
from the config, are checked against strict patterns and back-quoted.
:func:`build_load_sql` and friends are pure functions so tests can parse the
SQL with sqlglot. Google errors become :class:`SourceError` with what to do
(:func:`explain_error`). What was and was not run against the real service is
stated in ``docs/BIGQUERY.md``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from trainer.config import Config, SchemaConfig
from trainer.feedback.quality import POSITIVE_TOKENS, is_standard_positive
from trainer.feedback.sources import LoadedFeedback, SourceError, label_for

SCOPES = ("https://www.googleapis.com/auth/bigquery",)
SAMPLE_BUCKETS = 1_000_000
TRIAGED_AT = "triaged_at"
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


def build_load_sql(plan: QueryPlan) -> str:
    """The training query: needed columns, window, latest verdict per alert, all positives + sampled negatives."""
    columns = "*" if plan.select is None else ", ".join(column(c) for c in plan.select)
    inner = f"SELECT {columns} {_filtered(plan)}"
    if plan.id_column:
        order = f" ORDER BY {column(plan.order_column)} DESC" if plan.order_column else ""
        inner += f" QUALIFY ROW_NUMBER() OVER (PARTITION BY {column(plan.id_column)}{order}) = 1"
    if plan.id_column:
        # MOD before ABS: ABS of the smallest INT64 fingerprint would overflow.
        sample = (f"ABS(MOD(FARM_FINGERPRINT(CAST({column(plan.id_column)} AS STRING)), {SAMPLE_BUCKETS})) "
                  f"< @negative_rate * {SAMPLE_BUCKETS}")
    else:
        sample = "RAND() < @negative_rate"
    return f"WITH latest AS ({inner}) SELECT * FROM latest WHERE {_is_positive(plan)} OR {sample}"


def build_columns_sql(ref: TableRef) -> str:
    return (f"SELECT column_name FROM {ref.columns_view} WHERE table_name = @table_name "
            f"ORDER BY ordinal_position")


def build_change_sql(plan: QueryPlan) -> str:
    newest = f"CAST(MAX({column(plan.time_column)}) AS STRING)" if plan.time_column else "''"
    return f"SELECT COUNT(*) AS n, {newest} AS newest FROM {plan.source_sql}"


# --- errors ---------------------------------------------------------------------------------------

def _error_text(exc: BaseException) -> str:
    parts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(str(exc))
        for err in getattr(exc, "errors", None) or []:
            if isinstance(err, dict):
                parts.append(f"{err.get('reason', '')} {err.get('message', '')}")
        exc = exc.__cause__ or exc.__context__
    return " | ".join(parts)


def explain_error(exc: BaseException, *, where: str, project: str) -> SourceError:
    """A SourceError saying what went wrong with BigQuery and what to do about it."""
    import google.auth.exceptions
    import pandas_gbq.exceptions

    text = _error_text(exc)
    lowered = text.lower()
    code = getattr(exc, "code", None)
    first = " ".join(str(exc).split())[:300]
    if isinstance(exc, google.auth.exceptions.DefaultCredentialsError):
        return SourceError("no Google Cloud credentials found for BigQuery: run `gcloud auth application-default "
                           "login`, set GOOGLE_APPLICATION_CREDENTIALS, or set source.credentials_file to a "
                           "service-account JSON file")
    if isinstance(exc, (google.auth.exceptions.RefreshError, pandas_gbq.exceptions.AccessDenied)):
        return SourceError(f"the BigQuery credentials were refused ({first}): renew them "
                           "(`gcloud auth application-default login`) or check source.credentials_file")
    if code == 429 or any(k in lowered for k in ("quotaexceeded", "ratelimitexceeded", "quota exceeded",
                                                 "exceeded rate limits", "429 ")):
        return SourceError(f"BigQuery quota exhausted while reading {where} ({first}): wait and retry (the service "
                           "backs off on its own), or raise the quota for project "
                           f"{project} in the Google Cloud console")
    if code == 403 or "accessdenied" in lowered or "access denied" in lowered or "403 " in lowered \
            or "permission" in lowered:
        return SourceError(f"permission denied reading {where} in project {project}: grant the account "
                           "roles/bigquery.dataViewer on the dataset and roles/bigquery.jobUser on the project")
    match = re.search(r"unrecognized name: ([A-Za-z0-9_]+)", text, re.IGNORECASE)
    if match:
        return SourceError(f"column {match.group(1)!r} does not exist in {where}: fix the schema section of the "
                           "config (schema.label, id_column, time_column, features) or the custom source.query")
    if code == 404 or "notfound" in lowered or "not found" in lowered or "404 " in lowered:
        return SourceError(f"{where} was not found in project {project}: check source.bq_table "
                           "(dataset.table), source.project and source.location")
    return SourceError(f"BigQuery query on {where} failed: {first}")


# --- the source -----------------------------------------------------------------------------------

@dataclass
class BigQuerySource:
    project: str
    schema: SchemaConfig
    bq_table: str = "soc_data.feedback"
    query: str = ""
    location: str = ""
    credentials_file: str = ""
    window_days: int = 90
    max_negatives: int = 200_000
    kind: str = "bigquery"
    _credentials: Any = field(default=None, repr=False)
    _plan: QueryPlan | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> "BigQuerySource":
        s = config.source
        return cls(project=s.project, schema=config.schema, bq_table=s.bq_table, query=s.query.strip(),
                   location=s.location, credentials_file=s.credentials_file, window_days=s.window_days,
                   max_negatives=s.max_negatives)

    def describe(self) -> str:
        what = "a custom query" if self.query else self.bq_table
        return f"BigQuery {what}" + (f" (project {self.project})" if self.project else "")

    # credentials and the pandas-gbq boundary

    def credentials(self) -> Any:
        """Service-account credentials from the file, else Application Default Credentials."""
        if self._credentials is not None:
            return self._credentials
        import google.auth
        import google.auth.exceptions
        from google.oauth2 import service_account

        if self.credentials_file:
            try:
                creds = service_account.Credentials.from_service_account_file(self.credentials_file, scopes=SCOPES)
            except FileNotFoundError:
                raise SourceError(f"source.credentials_file {self.credentials_file} does not exist: give the path "
                                  "of a service-account JSON key, or leave it empty to use Application Default "
                                  "Credentials") from None
            except (ValueError, KeyError, OSError) as exc:
                raise SourceError(f"source.credentials_file {self.credentials_file} is not a valid service-account "
                                  f"key ({exc}): download a new JSON key for the service account") from None
            project = creds.project_id
        else:
            try:
                creds, project = google.auth.default(scopes=SCOPES)
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise explain_error(exc, where=self.describe(), project=self.project or "?") from None
        if not self.project and project:
            self.project = project
        self._credentials = creds
        return creds

    def _run(self, sql: str, parameters: list[dict]) -> pd.DataFrame:
        import pandas_gbq

        credentials = self.credentials()
        if not self.project:
            raise SourceError("source.project is empty and the credentials name no project: set source.project")
        configuration = {"query": {"useLegacySql": False, "parameterMode": "NAMED", "queryParameters": parameters}}
        try:
            return pandas_gbq.read_gbq(sql, project_id=self.project, location=self.location or None,
                                       credentials=credentials, configuration=configuration,
                                       dialect="standard", progress_bar_type=None)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - every Google/pandas-gbq failure becomes a SourceError
            raise explain_error(exc, where=self.describe(), project=self.project) from exc

    # planning

    def _window_start(self, since: datetime | None) -> datetime | None:
        starts = [s for s in (since,) if s is not None]
        if self.window_days:
            starts.append(datetime.now(timezone.utc) - timedelta(days=self.window_days))
        return max(starts) if starts else None

    def plan(self) -> QueryPlan:
        """Which columns to read, found once per source from INFORMATION_SCHEMA (custom query: as written)."""
        if self._plan is not None:
            return self._plan
        schema = self.schema
        if self.query:
            plan = QueryPlan(f"({self.query})", None, schema.label, schema.id_column,
                             schema.time_column, schema.time_column, False)
        else:
            ref = TableRef.parse(self.bq_table, self.project)
            self.project = self.project or ref.project
            names = self._run(build_columns_sql(ref), [scalar("table_name", "STRING", ref.table)])
            existing = [str(n) for n in names["column_name"]] if "column_name" in names else []
            if not existing:
                raise SourceError(f"table {ref.project}.{ref.dataset}.{ref.table} was not found (or has no columns): "
                                  "check source.bq_table, source.project and source.location")
            if schema.label not in existing:
                raise SourceError(f"label column {schema.label!r} does not exist in {self.bq_table}; columns are: "
                                  f"{', '.join(existing)}; set schema.label in the config")
            id_column = schema.id_column if schema.id_column in existing else ""
            time_column = schema.time_column if schema.time_column in existing else ""
            order_column = TRIAGED_AT if TRIAGED_AT in existing else time_column
            if schema.features:
                missing = [f for f in schema.features if f not in existing]
                if missing:
                    raise SourceError(f"feature columns {', '.join(missing)} do not exist in {self.bq_table}: "
                                      "fix schema.features")
                wanted = list(schema.features)
            else:
                post_triage = set(schema.post_triage)
                wanted = [c for c in existing if c not in post_triage]
            keep = {schema.label, id_column, time_column, order_column, schema.confidence_column}
            select = tuple(c for c in existing if c in keep or c in wanted)
            plan = QueryPlan(ref.quoted, select, schema.label, id_column, time_column, order_column, False)
        self._plan = plan
        return plan

    def _windowed(self, since: datetime | None) -> tuple[QueryPlan, list[dict]]:
        plan = self.plan()
        params = [string_array("positive_values", positive_values(self.schema))]
        start = self._window_start(since)
        if self.query:
            # A custom query may use @since itself, so it is always bound (the epoch: no window).
            start = start or datetime(1970, 1, 1, tzinfo=timezone.utc)
        if start is not None and (plan.time_column or self.query):
            plan = dataclasses.replace(plan, windowed=bool(plan.time_column))
            params.append(scalar("since", "TIMESTAMP", timestamp_text(start)))
        return plan, params

    # the FeedbackSource interface

    def negative_rate(self, since: datetime | None = None) -> float:
        """Share of negatives to keep so about ``max_negatives`` arrive (1.0 when sampling is off)."""
        if not self.max_negatives:
            return 1.0
        plan, params = self._windowed(since)
        negatives = int(self._run(build_count_sql(plan, negatives_only=True), params)["n"].iloc[0])
        return 1.0 if negatives <= self.max_negatives else self.max_negatives / negatives

    def load(self, since: datetime | None = None, columns: list[str] | None = None) -> LoadedFeedback:
        """All positives and a bounded sample of negatives, latest verdict per alert (only ``columns`` and the
        label, id and time columns when given). Raises SourceError."""
        rate = self.negative_rate(since)
        plan, params = self._windowed(since)
        if columns is not None and plan.select is not None:
            roles = {plan.label, plan.id_column, plan.time_column, plan.order_column}
            plan = dataclasses.replace(plan, select=tuple(c for c in plan.select if c in columns or c in roles))
        params.append(scalar("negative_rate", "FLOAT64", repr(float(rate))))
        frame = self._run(build_load_sql(plan), params)
        hint = (f"no labelled rows in {self.describe()} within source.window_days = {self.window_days}: "
                "check the table, or widen the window")
        return LoadedFeedback(label_for(frame, self.describe(), hint), negative_sample_rate=rate)

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows in the window fired since ``since``: one COUNT query."""
        plan, params = self._windowed(since)
        return int(self._run(build_count_sql(plan), params)["n"].iloc[0])

    def latest_change(self) -> str:
        """Row count and newest alert time of the table: one cheap query."""
        row = self._run(build_change_sql(self.plan()), []).iloc[0]
        return f"{row['n']}:{row['newest']}"


__all__ = ["BigQuerySource", "QueryPlan", "TableRef", "build_load_sql", "build_count_sql",
           "build_columns_sql", "explain_error"]
