"""BigQuery's REST API answered in process, so pandas-gbq and google-cloud-bigquery run their own code in tests.

:class:`FakeBigQueryHTTP` is the ``_http`` session of a real
``google.cloud.bigquery.Client`` (import as ``from bigqueryfake import ...``):
every request the client library makes (``jobs.query`` for a query, a table
lookup, a multipart upload for a load job, a job poll, a dry-run job insert) reaches
:meth:`FakeBigQueryHTTP.request`, which records it and answers in the REST
shape. Queries are answered by ``answer(sql, parameters) -> DataFrame``; load
jobs keep the uploaded Parquet rows in ``loaded``. ``error`` makes every call
fail with that HTTP status and reason, as Google's API does.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any, Callable
from urllib.parse import urlparse

import pandas as pd
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

TYPES = {"i": "INTEGER", "u": "INTEGER", "f": "FLOAT", "b": "BOOLEAN", "M": "TIMESTAMP"}


def _field(name: str, values: pd.Series) -> dict:
    kind = TYPES.get(values.dtype.kind, "STRING")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        kind = "TIMESTAMP"
    return {"name": name, "type": kind, "mode": "NULLABLE"}


def _cell(value: Any, kind: str) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "TIMESTAMP":
        return str(pd.Timestamp(value).value // 1_000)  # microseconds: the client asks for useInt64Timestamp
    if kind == "BOOLEAN":
        return "true" if value else "false"
    return str(value)


def rest_rows(frame: pd.DataFrame) -> tuple[dict, list[dict]]:
    """A frame as BigQuery's REST ``schema`` and ``rows``."""
    fields = [_field(str(c), frame[c]) for c in frame.columns]
    rows = [{"f": [{"v": _cell(v, f["type"])} for v, f in zip(row, fields)]}
            for row in frame.itertuples(index=False, name=None)]
    return {"fields": fields}, rows


@dataclass
class FakeBigQueryHTTP:
    answer: Callable[[str, dict], pd.DataFrame]
    table_schema: list[dict] = field(default_factory=list)
    error: tuple[int, str, str] | None = None      # (status, reason, message)
    queries: list[dict] = field(default_factory=list)
    loaded: list[pd.DataFrame] = field(default_factory=list)
    load_configs: list[dict] = field(default_factory=list)
    dry_run_bytes: Callable[[str], int] = lambda sql: 0    # totalBytesProcessed a dry run of ``sql`` reports
    dry_runs: list[dict] = field(default_factory=list)
    is_mtls: bool = False     # read by google-cloud-core when it builds URLs

    def client(self, project: str = "soc-prod-123") -> bigquery.Client:
        return bigquery.Client(project=project, credentials=AnonymousCredentials(), _http=self)

    # what requests.Session.request does for the client library
    def request(self, method: str, url: str, data: Any = None, headers: dict | None = None, **_: Any):
        path = urlparse(url).path
        if self.error is not None:
            status, reason, message = self.error
            return self._response({"error": {"code": status, "message": message,
                                              "errors": [{"reason": reason, "message": message}]}}, status)
        if path.endswith("/queries") and method == "POST":
            body = json.loads(data)
            parameters = {p["name"]: p for p in body.get("queryParameters", [])}
            project = path.split("/projects/")[1].split("/")[0]
            self.queries.append({"sql": body["query"], "params": parameters, "location": body.get("location"),
                                 "project": project, "body": body})
            schema, rows = rest_rows(self.answer(body["query"], parameters))
            return self._response({"kind": "bigquery#queryResponse", "jobComplete": True, "schema": schema,
                                   "rows": rows, "totalRows": str(len(rows)),
                                   "jobReference": {"projectId": project, "jobId": f"q{len(self.queries)}",
                                                    "location": body.get("location")}})
        if path.endswith("/jobs") and "/upload/" not in path and method == "POST":
            job = json.loads(data)
            query = job.get("configuration", {}).get("query", {})
            if not job["configuration"].get("dryRun"):
                raise AssertionError("fake BigQuery: only dry-run jobs are inserted through /jobs")
            self.dry_runs.append({"sql": query["query"],
                                  "params": {p["name"]: p for p in query.get("queryParameters", [])}})
            job["status"] = {"state": "DONE"}
            job["statistics"] = {"creationTime": "1765000000000",
                                 "query": {"totalBytesProcessed": str(self.dry_run_bytes(query["query"])),
                                           "statementType": "SELECT"}}
            return self._response(job)
        if "/upload/" in path and method == "POST":
            return self._response(self._load(data, headers or {}))
        if "/tables/" in path and method == "GET":
            parts = path.split("/")
            return self._response({"tableReference": {"projectId": parts[-5], "datasetId": parts[-3],
                                                      "tableId": parts[-1]},
                                   "schema": {"fields": self.table_schema}})
        if "/jobs/" in path and method == "GET":
            job_id = path.rsplit("/", 1)[-1]
            return self._response({"jobReference": {"jobId": job_id, "projectId": path.split("/")[4]},
                                   "configuration": {"load": {}}, "status": {"state": "DONE"}})
        return self._response({"error": {"code": 404, "message": f"fake BigQuery: no route {method} {path}",
                                          "errors": [{"reason": "notFound"}]}}, 404)

    def _load(self, data: bytes, headers: dict) -> dict:
        content_type = next(v for k, v in headers.items() if str(k).lower() == "content-type")
        if isinstance(content_type, str):
            content_type = content_type.encode()
        message = message_from_bytes(b"Content-Type: " + content_type + b"\r\n\r\n" + data)
        metadata, payload = [part.get_payload(decode=True) for part in message.get_payload()]
        job = json.loads(metadata)
        self.load_configs.append(job["configuration"]["load"])
        self.loaded.append(pd.read_parquet(io.BytesIO(payload)))
        job["status"] = {"state": "DONE"}
        return job

    @staticmethod
    def _response(body: dict, status: int = 200) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.request = requests.Request("POST", "https://bigquery.googleapis.com").prepare()
        return response
