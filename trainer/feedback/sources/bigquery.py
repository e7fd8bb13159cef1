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
from trainer.feedback.sources import TRIAGED_AT_COLUMN, Capabilities, LoadedFeedback, SourceError
from trainer.feedback.sources.bigquery_sql import (QueryPlan, TableRef, build_change_sql, build_columns_sql,
                                                   build_count_sql, build_find_sql, build_load_sql,
                                                   build_new_count_sql,
                                                   build_pending_sql, positive_values, scalar, string_array,
                                                   timestamp_text)
from trainer.feedback.sources.sampling import negative_rate

SCOPES = ("https://www.googleapis.com/auth/bigquery",)



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
    verdicts_table: str = ""
    kind: str = "bigquery"
    capabilities = Capabilities(pending_alerts=True, verdicts=True, retract=False)
    #: a google.cloud.bigquery.Client to use instead of building one from the credentials
    client: Any = field(default=None, repr=False)
    _credentials: Any = field(default=None, repr=False)
    _plan: QueryPlan | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> "BigQuerySource":
        s = config.source
        return cls(project=s.project, schema=config.schema, bq_table=s.bq_table, query=s.query.strip(),
                   location=s.location, credentials_file=s.credentials_file, window_days=s.window_days,
                   max_negatives=s.max_negatives, verdicts_table=s.bq_verdicts_table)

    def describe(self) -> str:
        what = "a custom query" if self.query else self.bq_table
        return f"BigQuery {what}" + (f" (project {self.project})" if self.project else "")

    def empty_hint(self) -> str:
        return (f"no labelled rows in {self.describe()} within source.window_days = {self.window_days}: "
                "check the table, or widen the window")

    def unavailable(self) -> str | None:
        return None  # only a query can tell; load() and count_labelled() say what went wrong

    def count_positives(self) -> int | None:
        return None  # one more billed query per refresh; the labelled count is enough for the page

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

    def _connection(self) -> dict:
        """What pandas-gbq needs to reach BigQuery: the injected client, else the credentials and project."""
        if self.client is not None:
            self.project = self.project or self.client.project
            return {"bigquery_client": self.client, "project_id": self.project}
        credentials = self.credentials()
        if not self.project:
            raise SourceError("source.project is empty and the credentials name no project: set source.project")
        return {"credentials": credentials, "project_id": self.project}

    def _run(self, sql: str, parameters: list[dict], *, dry_run: bool = False) -> pd.DataFrame:
        import pandas_gbq

        connection = self._connection()
        configuration = {"query": {"useLegacySql": False, "parameterMode": "NAMED", "queryParameters": parameters}}
        extra = {"dry_run": True} if dry_run else {}
        try:
            return pandas_gbq.read_gbq(sql, location=self.location or None, configuration=configuration,
                                       dialect="standard", progress_bar_type=None, **connection, **extra)
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
            order_column = TRIAGED_AT_COLUMN if TRIAGED_AT_COLUMN in existing else time_column
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
        return negative_rate(negatives, self.max_negatives)

    def load(self, since: datetime | None = None, columns: list[str] | None = None, *,
             sample: bool = True) -> LoadedFeedback:
        """All positives and a bounded sample of negatives, latest verdict per alert (only ``columns`` and the
        label, id and time columns when given; every labelled row's latest verdict with ``sample=False``).
        Raises SourceError."""
        rate = self.negative_rate(since) if sample else 1.0
        plan, params = self._windowed(since)
        if columns is not None and plan.select is not None:
            roles = {plan.label, plan.id_column, plan.time_column, plan.order_column}
            plan = dataclasses.replace(plan, select=tuple(c for c in plan.select if c in columns or c in roles))
        params.append(scalar("negative_rate", "FLOAT64", repr(float(rate))))
        frame = self._run(build_load_sql(plan), params)
        return LoadedFeedback(frame, self.describe(), self.empty_hint(), negative_sample_rate=rate)

    def dry_run(self, since: datetime | None = None) -> dict[str, int]:
        """Bytes BigQuery would scan (and bill) for one training read, from dry runs of its two queries.

        A dry run is free and returns no rows (``pandas_gbq.read_gbq(..., dry_run=True)``): the negatives
        count and the training query, as :meth:`load` would send them. Raises SourceError.
        """
        plan, params = self._windowed(since)
        count = self._run(build_count_sql(plan, negatives_only=True), params, dry_run=True)
        training = self._run(build_load_sql(plan), [*params, scalar("negative_rate", "FLOAT64", "1.0")],
                             dry_run=True)
        out = {"count_bytes": int(count["totalBytesProcessed"]), "training_bytes": int(training["totalBytesProcessed"])}
        out["total_bytes"] = out["count_bytes"] + out["training_bytes"]
        return out

    def _id_plan(self, what: str) -> QueryPlan:
        plan = self.plan()
        if not plan.id_column:
            raise SourceError(f"{self.describe()} has no id column {self.schema.id_column!r}: the review queue needs "
                              f"one to {what} (set schema.id_column)")
        return plan

    def load_pending(self, limit: int) -> LoadedFeedback:
        """The newest ``limit`` alerts in the window with no labelled row: one query. Raises SourceError."""
        self._id_plan("find pending alerts")
        plan, params = self._windowed(None)
        params = [p for p in params if p["name"] != "positive_values"]
        params.append(scalar("limit", "INT64", int(limit)))
        frame = self._run(build_pending_sql(plan), params)
        return LoadedFeedback(frame, self.describe(), f"no alert in {self.describe()} is waiting for a verdict")

    def find_alerts(self, alert_ids: list[str]) -> pd.DataFrame:
        plan = self._id_plan("find alerts")
        return self._run(build_find_sql(plan), [string_array("alert_ids", [str(i) for i in alert_ids])])

    def write_verdicts(self, rows: pd.DataFrame) -> int:
        """Append ``rows`` to the verdicts table (default: the feedback table) with pandas-gbq's load job."""
        import pandas_gbq

        if self.query and not self.verdicts_table:
            raise SourceError("source.query is set, so there is no table to append verdicts to: set "
                              "source.bq_verdicts_table (dataset.table)")
        ref = TableRef.parse(self.verdicts_table or self.bq_table, self.project or getattr(self.client, "project", ""))
        connection = self._connection()
        try:
            pandas_gbq.to_gbq(rows, f"{ref.dataset}.{ref.table}", location=self.location or None,
                              if_exists="append", progress_bar=False, rfc9110_delimiter=True,
                              **{**connection, "project_id": ref.project})
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - every Google/pandas-gbq failure becomes a SourceError
            raise explain_error(exc, where=f"{ref.dataset}.{ref.table}", project=ref.project) from exc
        return len(rows)

    def retract_verdict(self, alert_id: str, triaged_at: str) -> bool:
        raise SourceError(f"{self.describe()} is append-only for CLA: a verdict cannot be taken back; give the "
                          "other verdict instead (the latest verdict per alert is the one that counts)")

    def count_labelled(self, since: datetime | None = None) -> int:
        """Labelled rows in the window fired (or, with a ``triaged_at`` column, triaged) since ``since``: one COUNT."""
        plan = self.plan()
        if since is not None and plan.time_column and plan.order_column == TRIAGED_AT_COLUMN:
            window = self._window_start(None)
            params = [scalar("since", "TIMESTAMP", timestamp_text(since))]
            if window is not None:
                params.append(scalar("window_start", "TIMESTAMP", timestamp_text(window)))
            return int(self._run(build_new_count_sql(plan, windowed=window is not None), params)["n"].iloc[0])
        plan, params = self._windowed(since)
        return int(self._run(build_count_sql(plan), params)["n"].iloc[0])

    def latest_change(self) -> str:
        """Row count and newest alert time of the table: one cheap query."""
        row = self._run(build_change_sql(self.plan()), []).iloc[0]
        return f"{row['n']}:{row['newest']}"


__all__ = ["BigQuerySource", "QueryPlan", "TableRef", "build_load_sql", "build_count_sql",
           "build_columns_sql", "explain_error"]
