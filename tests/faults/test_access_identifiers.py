"""Names that end up in SQL or in file paths are checked whole: a trailing newline is refused.

The patterns used ``$``, which also matches just before a final ``\\n``, so
``"feedback\\n"`` passed as a table name and ``"20261123_120000\\n"`` as a model id.
"""

from __future__ import annotations

import pytest

from dashboard.formatting import model_time
from trainer.contract.layout import METRICS_RE, MODEL_RE, STAMP_RE
from trainer.folder.registry import ModelNotFound, Registry
from trainer.folder.scoring import ModelLoadError, load_model
from trainer.feedback.sources import SourceError
from trainer.feedback.sources.bigquery_sql import TableRef, column
from trainer.feedback.store import StoreError, quote


def test_a_table_or_column_name_with_a_trailing_newline_is_refused_by_the_store():
    assert quote("feedback") == '"feedback"'
    with pytest.raises(StoreError, match="not a valid table or column name"):
        quote("feedback\n")


def test_a_bigquery_column_or_table_with_a_trailing_newline_is_refused():
    assert column("label") == "`label`"
    with pytest.raises(SourceError, match="not a valid BigQuery column name"):
        column("label\n")
    with pytest.raises(SourceError, match="is not `dataset.table`"):
        TableRef.parse("soc.feedback\n", "my-soc-project")


@pytest.mark.parametrize("pattern, good", [
    (STAMP_RE, "20261123_120000"),
    (MODEL_RE, "trained_model_20261123_120000.pkl"),
    (METRICS_RE, "model_metrics_20261123_120000.json"),
])
def test_model_names_are_matched_whole_even_by_match(pattern, good):
    assert pattern.fullmatch(good) and pattern.match(good)
    assert not pattern.match(good + "\n") and not pattern.fullmatch(good + "\n")


def test_a_model_id_with_a_trailing_newline_is_not_a_model_id(tmp_path):
    with pytest.raises(ModelNotFound, match="is not a model id"):
        Registry(tmp_path).get("20261123_120000\n")
    with pytest.raises(ModelLoadError, match="is not a model id"):
        load_model(tmp_path, "20261123_120000\n")
    assert str(model_time({"model_id": "20261123_120000\n"})) == "NaT"
