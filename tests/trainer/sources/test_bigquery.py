"""BigQuery through pandas-gbq's own code: the SQL and parameters sent, the frames back, the errors mapped.

Nothing here talks to Google. The source is given a real
``google.cloud.bigquery.Client`` whose HTTP session is
:class:`bigqueryfake.FakeBigQueryHTTP`, so ``pandas_gbq.read_gbq`` and
``to_gbq`` run unchanged, down to the REST requests, which the fake records
and answers from canned frames.
"""

from datetime import datetime, timedelta, timezone

import google.api_core.exceptions as gexc
import google.auth.exceptions
import pandas as pd
import pandas_gbq.exceptions
import pytest
import sqlglot
from helpers.bigqueryfake import FakeBigQueryHTTP

from trainer.feedback.sources import SourceError, open_source
from trainer.feedback.sources.bigquery import BigQuerySource, TableRef, explain_error

TABLE_COLUMNS = ["alert_id", "timestamp", "rule_name", "severity", "src_reputation", "is_true_positive",
                 "confidence", "analyst_comments", "processed"]


class Answers:
    """What the fake BigQuery answers, by query shape."""

    def __init__(self, negatives=1_000):
        self.negatives = negatives
        self.rows = pd.DataFrame(
            {"alert_id": ["a1", "a2"], "timestamp": pd.to_datetime(["2026-11-01", "2026-11-02"], utc=True),
             "is_true_positive": [True, False]})

    def __call__(self, sql, params):
        if "INFORMATION_SCHEMA" in sql:
            return pd.DataFrame({"column_name": TABLE_COLUMNS})
        if sql.startswith("SELECT COUNT(*) AS n,"):
            return pd.DataFrame({"n": [5], "newest": ["2026-11-02 00:00:00+00"]})
        if sql.startswith("SELECT COUNT(*)"):
            return pd.DataFrame({"n": [self.negatives]})
        return self.rows


@pytest.fixture
def answers():
    return Answers()


@pytest.fixture
def fake(answers):
    return FakeBigQueryHTTP(answer=answers)


@pytest.fixture
def source(config, fake):
    config.source.kind = "bigquery"
    config.source.project = "soc-prod-123"
    config.source.location = "EU"
    config.source.max_negatives = 100
    src = open_source(config)
    src.client = fake.client()  # no Google credentials in tests: pandas-gbq gets this client
    return src


def parses_as_bigquery(sql):
    tree = sqlglot.parse_one(sql, read="bigquery")
    assert tree is not None
    return tree


def value_of(param):
    return param["parameterValue"].get("value")


def test_load_sends_parameterised_sql_that_parses(fake, source):
    loaded = source.load()
    assert len(fake.queries) == 3, "columns lookup, negatives count, training query"
    columns_call, count_call, load_call = fake.queries
    for call in fake.queries:
        parses_as_bigquery(call["sql"])
        assert call["project"] == "soc-prod-123" and call["location"] == "EU"
        assert call["body"]["useLegacySql"] is False and call["body"]["parameterMode"] == "NAMED"
    assert value_of(columns_call["params"]["table_name"]) == "feedback"
    assert "`soc-prod-123.soc_data`.INFORMATION_SCHEMA.COLUMNS" in columns_call["sql"]

    sql = load_call["sql"]
    assert "`soc-prod-123.soc_data.feedback`" in sql
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY `alert_id` ORDER BY `timestamp` DESC NULLS LAST) = 1" in sql
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
    select = parses_as_bigquery(fake.queries[-1]["sql"]).find(sqlglot.exp.CTE).this
    names = [c.name for c in select.expressions]
    assert names == ["alert_id", "timestamp", "rule_name", "severity", "src_reputation", "is_true_positive",
                     "confidence"], "post-triage columns except the confidence filter's are not read"


def test_no_sampling_when_negatives_fit(fake, answers, source):
    answers.negatives = 50
    assert source.load().negative_sample_rate == 1.0
    assert float(value_of(fake.queries[-1]["params"]["negative_rate"])) == 1.0


def test_count_labelled_is_one_count_query(fake, source):
    source.plan()
    fake.queries.clear()
    since = datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert source.count_labelled(since=since) == 1_000
    (call,) = fake.queries
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
    src.client = fake.client()
    src.load()
    (call,) = fake.queries
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


@pytest.mark.parametrize("status, reason, text, message", [
    (403, "accessDenied", "Access Denied: Table soc-prod-123:soc_data.feedback: User does not have permission",
     r"permission denied.*roles/bigquery.dataViewer"),
    (404, "notFound", "Not found: Table soc-prod-123:soc_data.feedback was not found in location EU",
     r"was not found.*source.bq_table"),
    (400, "invalidQuery", "Unrecognized name: is_true_positiv at [1:8]",
     r"column 'is_true_positiv' does not exist.*schema"),
    (403, "quotaExceeded", "Quota exceeded: Your project exceeded quota for concurrent queries",
     r"quota exhausted.*wait and retry"),
])
def test_google_errors_become_source_errors_that_say_what_to_do(fake, source, status, reason, text, message):
    """Errors as BigQuery's API returns them, through the client library and pandas-gbq."""
    fake.error = (status, reason, text)
    with pytest.raises(SourceError, match=message):
        source.load()


@pytest.mark.parametrize("error, message", [
    # Raised before any request, or retried by the client library for minutes: mapped directly.
    (google.auth.exceptions.DefaultCredentialsError("Could not automatically determine credentials"),
     r"no Google Cloud credentials.*gcloud auth application-default login.*credentials_file"),
    (gexc.TooManyRequests("Quota exceeded: Your project exceeded quota for concurrent queries"),
     r"quota exhausted.*wait and retry"),
    (gexc.Forbidden("Exceeded rate limits", errors=[{"reason": "rateLimitExceeded"}]),
     r"quota exhausted"),
    (pandas_gbq.exceptions.AccessDenied("The credentials have been revoked or expired"),
     r"credentials were refused"),
])
def test_errors_outside_a_request_say_what_to_do(error, message):
    with pytest.raises(SourceError, match=message):
        raise explain_error(error, where="soc_data.feedback", project="soc-prod-123")


def test_pending_alerts_are_one_parameterised_query_with_a_limit(fake, source):
    source.plan()
    fake.queries.clear()
    loaded = source.load_pending(limit=25)
    (call,) = fake.queries
    sql = call["sql"]
    parses_as_bigquery(sql)
    assert "`is_true_positive` IS NULL" in sql and "`timestamp` >= @since" in sql
    assert "`alert_id` NOT IN (SELECT `alert_id` FROM `soc-prod-123.soc_data.feedback` WHERE `is_true_positive` " \
           "IS NOT NULL" in sql
    assert sql.endswith("ORDER BY `timestamp` DESC LIMIT @limit")
    assert value_of(call["params"]["limit"]) == "25" and "25" not in sql
    assert loaded.description == source.describe() and len(loaded.frame) == 2


def test_a_verdict_is_appended_through_to_gbq_as_data(fake, source):
    fake.table_schema = [{"name": "alert_id", "type": "STRING"}, {"name": "is_true_positive", "type": "INTEGER"},
                         {"name": "analyst", "type": "STRING"}, {"name": "triaged_at", "type": "TIMESTAMP"}]
    when = pd.Timestamp("2026-11-29T10:00:00Z")
    row = pd.DataFrame({"alert_id": ["a1'); DROP TABLE x; --"], "is_true_positive": [1], "analyst": ["alice"],
                        "triaged_at": [when]})
    assert source.write_verdicts(row) == 1
    (config,) = fake.load_configs
    assert config["destinationTable"] == {"projectId": "soc-prod-123", "datasetId": "soc_data", "tableId": "feedback"}
    assert config["writeDisposition"] == "WRITE_APPEND" and fake.queries == [], "no SQL carries the values"
    (loaded,) = fake.loaded
    assert loaded["alert_id"].tolist() == ["a1'); DROP TABLE x; --"] and loaded["analyst"].tolist() == ["alice"]
    assert pd.Timestamp(loaded["triaged_at"].iloc[0]) == when


def test_a_refused_append_is_a_source_error(fake, source):
    fake.error = (403, "accessDenied", "Access Denied: Dataset soc-prod-123:soc_data: Permission "
                                       "bigquery.tables.updateData denied")
    with pytest.raises(SourceError, match="permission denied"):
        source.write_verdicts(pd.DataFrame({"alert_id": ["a1"], "is_true_positive": [0]}))


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
    fake.queries.clear()
    assert source.latest_change() == "5:2026-11-02 00:00:00+00"
    (call,) = fake.queries
    assert call["sql"] == ("SELECT COUNT(*) AS n, CAST(MAX(`timestamp`) AS STRING) AS newest "
                           "FROM `soc-prod-123.soc_data.feedback`")
    parses_as_bigquery(call["sql"])


def test_custom_positive_value_is_the_only_positive_spelling(fake, source):
    source.schema.positive_value = "Malicious"
    source.load()
    values = fake.queries[-1]["params"]["positive_values"]["parameterValue"]["arrayValues"]
    assert [v["value"] for v in values] == ["malicious"]


def test_cla_review_verdict_appends_to_the_configured_verdicts_table(fake, answers, workdir, monkeypatch, capsys):
    from trainer.cli import main

    (workdir / "cla.toml").write_text('[source]\nkind = "bigquery"\nproject = "soc-prod-123"\n'
                                      'bq_verdicts_table = "soc_data.verdicts"\n')
    opened = BigQuerySource.from_config
    monkeypatch.setattr(BigQuerySource, "from_config",
                        classmethod(lambda cls, config: _with_client(opened(config), fake)))
    fake.table_schema = [{"name": n, "type": "STRING"} for n in ("alert_id", "analyst", "analyst_comments")]
    assert main(["review", "verdict", "a2", "tp", "--actor", "gustav", "--comment", "beacon"]) == 0
    assert "true positive recorded for a2 in BigQuery soc_data.feedback" in capsys.readouterr().out
    find = next(q for q in fake.queries if "UNNEST(@alert_ids)" in q["sql"])
    assert [v["value"] for v in find["params"]["alert_ids"]["parameterValue"]["arrayValues"]] == ["a2"]
    (config,) = fake.load_configs
    assert config["destinationTable"]["tableId"] == "verdicts"
    (row,) = fake.loaded[0].to_dict("records")
    assert (row["alert_id"], row["is_true_positive"], row["analyst"], row["analyst_comments"]) == \
        ("a2", 1, "gustav", "beacon")
    answers.rows = answers.rows.iloc[:0]
    assert main(["review", "verdict", "a9", "fp"]) == 2
    assert "'a9' is not in BigQuery soc_data.feedback" in capsys.readouterr().err


def _with_client(source, fake):
    source.client = fake.client()
    return source


def test_verdicts_triaged_since_count_as_new_when_the_table_has_a_triage_time(fake, source, monkeypatch):
    monkeypatch.setattr("test_bigquery.TABLE_COLUMNS", TABLE_COLUMNS + ["triaged_at"])
    source.plan()
    fake.queries.clear()
    since = datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert source.count_labelled(since=since) == 1_000
    (call,) = fake.queries
    parses_as_bigquery(call["sql"])
    assert "(`timestamp` >= @since OR `triaged_at` >= @since)" in call["sql"]
    assert "`timestamp` >= @window_start" in call["sql"]
    assert value_of(call["params"]["since"]) == "2026-11-20T00:00:00.000000Z"


def test_a_dry_run_reports_the_bytes_each_training_query_would_scan(fake, source):
    fake.dry_run_bytes = lambda sql: 1_000 if sql.startswith("SELECT COUNT(*)") else 250_000
    cost = source.dry_run()
    assert cost == {"count_bytes": 1_000, "training_bytes": 250_000, "total_bytes": 251_000}
    sent = [run["sql"] for run in fake.dry_runs]
    assert len(sent) == 2 and "FARM_FINGERPRINT" in sent[1], "the count and the training query, as load sends them"
    assert all(run["params"]["positive_values"] for run in fake.dry_runs)
    assert not any("COUNT" in q["sql"] or "FARM" in q["sql"] for q in fake.queries), "nothing was run for real"


def test_cla_feedback_cost_prints_the_dry_run_bytes(fake, workdir, monkeypatch, capsys):
    from trainer.cli import main

    (workdir / "cla.toml").write_text('[source]\nkind = "bigquery"\nproject = "soc-prod-123"\n')
    opened = BigQuerySource.from_config
    monkeypatch.setattr(BigQuerySource, "from_config",
                        classmethod(lambda cls, config: _with_client(opened(config), fake)))
    fake.dry_run_bytes = lambda sql: 3 * 2**30 if "FARM_FINGERPRINT" in sql else 2**30
    assert main(["feedback", "cost"]) == 0
    out = capsys.readouterr().out
    assert "training query: 3,221,225,472 bytes" in out and "(4.00 GiB)" in out
    (workdir / "cla.toml").write_text('[source]\nkind = "sqlite"\n')
    assert main(["feedback", "cost"]) == 2
    assert "source.kind is 'sqlite'" in capsys.readouterr().err
