"""BigQuery at the pandas-gbq boundary: the SQL and parameters sent, the frames back, the errors mapped.

Nothing here talks to Google: ``pandas_gbq.read_gbq`` is replaced by a fake
that records each call and answers from canned frames.
"""

from datetime import datetime, timedelta, timezone

import google.api_core.exceptions as gexc
import google.auth.exceptions
import pandas as pd
import pandas_gbq
import pandas_gbq.exceptions
import pytest
import sqlglot
from google.cloud import bigquery

from trainer.feedback.sources import SourceError, open_source
from trainer.feedback.sources.bigquery import BigQuerySource, TableRef

TABLE_COLUMNS = ["alert_id", "timestamp", "rule_name", "severity", "src_reputation", "is_true_positive",
                 "confidence", "analyst_comments", "processed"]


class FakeBigQuery:
    """Stands in for pandas_gbq.read_gbq: records calls, answers by query shape."""

    def __init__(self, negatives=1_000, rows=None, error=None):
        self.calls = []
        self.negatives = negatives
        self.rows = rows if rows is not None else pd.DataFrame(
            {"alert_id": ["a1", "a2"], "timestamp": pd.to_datetime(["2026-11-01", "2026-11-02"], utc=True),
             "is_true_positive": [True, False]})
        self.error = error

    def __call__(self, sql, **kwargs):
        params = {p["name"]: p for p in kwargs["configuration"]["query"]["queryParameters"]}
        self.calls.append({"sql": sql, "params": params, **kwargs})
        if self.error is not None:
            raise self.error
        if "INFORMATION_SCHEMA" in sql:
            return pd.DataFrame({"column_name": TABLE_COLUMNS})
        if sql.startswith("SELECT COUNT(*) AS n,"):
            return pd.DataFrame({"n": [5], "newest": ["2026-11-02 00:00:00+00"]})
        if sql.startswith("SELECT COUNT(*)"):
            return pd.DataFrame({"n": [self.negatives]})
        return self.rows


@pytest.fixture
def fake(monkeypatch):
    bq = FakeBigQuery()
    monkeypatch.setattr(pandas_gbq, "read_gbq", bq)
    return bq


@pytest.fixture
def source(config):
    config.source.kind = "bigquery"
    config.source.project = "soc-prod-123"
    config.source.location = "EU"
    config.source.max_negatives = 100
    src = open_source(config)
    src._credentials = object()  # no Google credentials in tests
    return src


def parses_as_bigquery(sql):
    tree = sqlglot.parse_one(sql, read="bigquery")
    assert tree is not None
    return tree


def value_of(param):
    return param["parameterValue"].get("value")


def test_load_sends_parameterised_sql_that_parses(fake, source):
    loaded = source.load()
    assert len(fake.calls) == 3, "columns lookup, negatives count, training query"
    columns_call, count_call, load_call = fake.calls
    for call in fake.calls:
        parses_as_bigquery(call["sql"])
        assert call["project_id"] == "soc-prod-123" and call["location"] == "EU"
        # the client library accepts what is sent
        job = bigquery.QueryJobConfig.from_api_repr(call["configuration"])
        assert {p.name for p in job.query_parameters} == set(call["params"])
    assert value_of(columns_call["params"]["table_name"]) == "feedback"
    assert "`soc-prod-123.soc_data`.INFORMATION_SCHEMA.COLUMNS" in columns_call["sql"]

    sql = load_call["sql"]
    assert "`soc-prod-123.soc_data.feedback`" in sql
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY `alert_id` ORDER BY `timestamp` DESC) = 1" in sql
    assert "`timestamp` >= @since" in sql and "@negative_rate" in sql and "@positive_values" in sql
    # values travel as parameters, never inside the SQL text
    since = value_of(load_call["params"]["since"])
    assert since not in sql and since.startswith(str((datetime.now(timezone.utc) - timedelta(days=90)).date()))
    assert float(value_of(load_call["params"]["negative_rate"])) == pytest.approx(0.1)
    assert "tp" in [v["value"] for v in load_call["params"]["positive_values"]["parameterValue"]["arrayValues"]]
    assert loaded.negative_sample_rate == pytest.approx(0.1)
    assert loaded.frame["alert_id"].tolist() == ["a1", "a2"]


def test_only_needed_columns_are_selected(fake, source):
    source.load()
    select = parses_as_bigquery(fake.calls[-1]["sql"]).find(sqlglot.exp.CTE).this
    names = [c.name for c in select.expressions]
    assert names == ["alert_id", "timestamp", "rule_name", "severity", "src_reputation", "is_true_positive",
                     "confidence"], "post-triage columns except the confidence filter's are not read"


def test_no_sampling_when_negatives_fit(fake, source):
    fake.negatives = 50
    assert source.load().negative_sample_rate == 1.0
    assert float(value_of(fake.calls[-1]["params"]["negative_rate"])) == 1.0


def test_count_labelled_is_one_count_query(fake, source):
    source.plan()
    fake.calls.clear()
    since = datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert source.count_labelled(since=since) == 1_000
    (call,) = fake.calls
    assert call["sql"].startswith("SELECT COUNT(*) AS n FROM `soc-prod-123.soc_data.feedback` WHERE")
    assert value_of(call["params"]["since"]) == "2026-11-20T00:00:00.000000Z"
    parses_as_bigquery(call["sql"])


def test_custom_query_is_wrapped_and_binds_since(fake, config):
    config.source.kind = "bigquery"
    config.source.project = "soc-prod-123"
    config.source.query = "SELECT * FROM `soc-prod-123.x.y` WHERE ts >= @since"
    config.source.window_days = 0
    config.source.max_negatives = 0
    src = open_source(config)
    src._credentials = object()
    src.load()
    (call,) = fake.calls
    assert "FROM (SELECT * FROM `soc-prod-123.x.y` WHERE ts >= @since)" in call["sql"]
    assert value_of(call["params"]["since"]).startswith("1970-01-01")
    parses_as_bigquery(call["sql"])


@pytest.mark.parametrize("bad", ["feedback", "soc_data.feed`back", "a.b.c.d", "soc_data.t; DROP TABLE x"])
def test_table_identifiers_are_validated(bad):
    with pytest.raises(SourceError, match="dataset.table"):
        TableRef.parse(bad, "soc-prod-123")


@pytest.mark.parametrize("project, message", [
    ("", "set source.project"),
    ("p", "source.project 'p' is not a Google Cloud project id"),
    ("My_Project", "source.project 'My_Project' is not a Google Cloud project id"),
])
def test_a_missing_or_malformed_project_is_named(project, message):
    with pytest.raises(SourceError, match=message):
        TableRef.parse("soc_data.feedback", project)


def test_missing_label_column_is_caught_before_the_big_query(fake, source):
    source.schema.label = "verdict"
    with pytest.raises(SourceError, match=r"label column 'verdict' does not exist.*is_true_positive"):
        source.load()


@pytest.mark.parametrize("error, message", [
    (google.auth.exceptions.DefaultCredentialsError("Could not automatically determine credentials"),
     r"no Google Cloud credentials.*gcloud auth application-default login.*credentials_file"),
    (gexc.Forbidden("Access Denied: Table soc-prod-123:soc_data.feedback: User does not have permission",
                    errors=[{"reason": "accessDenied"}]),
     r"permission denied.*roles/bigquery.dataViewer"),
    (pandas_gbq.exceptions.GenericGBQException("Reason: 403 POST https://bigquery.googleapis.com: Access Denied"),
     r"permission denied"),
    (pandas_gbq.exceptions.GenericGBQException("Reason: 404 Not found: Table soc-prod-123:soc_data.feedback"),
     r"was not found.*source.bq_table"),
    (pandas_gbq.exceptions.GenericGBQException("Reason: 400 Unrecognized name: is_true_positiv at [1:8]"),
     r"column 'is_true_positiv' does not exist.*schema"),
    (gexc.TooManyRequests("Quota exceeded: Your project exceeded quota for concurrent queries"),
     r"quota exhausted.*wait and retry"),
    (gexc.Forbidden("Exceeded rate limits", errors=[{"reason": "rateLimitExceeded"}]),
     r"quota exhausted"),
    (pandas_gbq.exceptions.AccessDenied("The credentials have been revoked or expired"),
     r"credentials were refused"),
])
def test_google_errors_become_source_errors_that_say_what_to_do(monkeypatch, source, error, message):
    monkeypatch.setattr(pandas_gbq, "read_gbq", FakeBigQuery(error=error))
    with pytest.raises(SourceError, match=message):
        source.load()


def test_missing_adc_is_a_source_error(monkeypatch, config):
    def no_adc(scopes=None):
        raise google.auth.exceptions.DefaultCredentialsError("File not found")
    monkeypatch.setattr(google.auth, "default", no_adc)
    src = BigQuerySource.from_config(config)
    with pytest.raises(SourceError, match="no Google Cloud credentials"):
        src.credentials()


def test_service_account_file_problems_name_the_file(workdir, config):
    config.source.credentials_file = "missing-key.json"
    with pytest.raises(SourceError, match="missing-key.json does not exist"):
        BigQuerySource.from_config(config).credentials()
    (workdir / "bad-key.json").write_text("{}")
    config.source.credentials_file = "bad-key.json"
    with pytest.raises(SourceError, match="bad-key.json is not a valid service-account key"):
        BigQuerySource.from_config(config).credentials()


def test_latest_change_is_one_cheap_query(fake, source):
    source.plan()
    fake.calls.clear()
    assert source.latest_change() == "5:2026-11-02 00:00:00+00"
    (call,) = fake.calls
    assert call["sql"] == ("SELECT COUNT(*) AS n, CAST(MAX(`timestamp`) AS STRING) AS newest "
                           "FROM `soc-prod-123.soc_data.feedback`")
    parses_as_bigquery(call["sql"])


def test_custom_positive_value_is_the_only_positive_spelling(fake, source):
    source.schema.positive_value = "Malicious"
    source.load()
    values = fake.calls[-1]["params"]["positive_values"]["parameterValue"]["arrayValues"]
    assert [v["value"] for v in values] == ["malicious"]
