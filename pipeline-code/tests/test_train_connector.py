"""jobs/train.py's real connector path (SnowflakeJobIO) on the real libraries: a Snowpark Session,
snowflake-ml's DatasetReader (the object ``load_dataset(...).read`` is) and DataConnector.

Only the account is a stand-in: ``snowflake_account.AccountConnection`` takes the place of Snowpark's
ServerConnection (the network link to Snowflake, which needs an account), and ``load_dataset`` the
resolution of the dataset version in the account. Everything above them is the libraries' own code:
read.parquet's temporary file format and post-action, cache_result, DataConnector's checks.
"""

import re
from unittest import mock

import pytest

pytest.importorskip("snowflake.ml.data", reason="snowflake-ml-python is not installed (Debian fallback)")

from snowflake.ml.data.data_connector import DataConnector  # noqa: E402
from snowflake.ml.data.data_source import DataFrameInfo, DatasetInfo  # noqa: E402
from snowflake.ml.dataset.dataset_reader import DatasetReader  # noqa: E402
from snowflake.snowpark import Session  # noqa: E402

from jobs import train  # noqa: E402
from snowflake_account import QUERY_ID, AccountConnection  # noqa: E402
from mlpipeline import features, modeling, sample_data  # noqa: E402

DATASET = "ML_DEV.MODELS.MORTGAGE_DATASET"
VERSION_URL = f"snow://dataset/{DATASET}/versions/v1/"
@pytest.fixture(scope="module")
def version_rows():
    frame = features.reference_features(sample_data.generate_frame(600))
    return frame.drop(columns=[features.TIMESTAMP_COLUMN])  # parquet timestamps need no part here


@pytest.fixture
def io(version_rows, monkeypatch):
    account = AccountConnection(version_rows)
    session = Session(account.conn)
    reader = DatasetReader.from_sources(
        session, [DatasetInfo(DATASET, "v1", VERSION_URL, exclude_cols=list(features.EXCLUDE_COLUMNS + features.LABEL_COLUMNS))],
        snowpark_session=session,
    )

    def load_dataset(sess, name, version):
        # Stands for resolving the dataset version in the account (SHOW DATASETS / versions).
        assert sess is session and (name, version) == (DATASET, "v1")
        return mock.Mock(read=reader)

    monkeypatch.setattr("snowflake.ml.dataset.load_dataset", load_dataset)
    job_io = train.SnowflakeJobIO(session)
    job_io.account = account
    return job_io


def argv():
    return ["--dataset", DATASET, "--train-version", "v1", "--test-version", "v1", "--label-col", features.LABEL_COLUMN,
            "--feature-cols", ",".join(features.FEATURE_COLUMNS), "--model-path", "@S/m.ubj", "--instances", "2"]


def test_the_dataset_readers_split_is_what_from_dataframe_refuses(io):
    # The shape of the problem, on the real libraries: a filtered read.parquet has two queries and a post-action.
    split = io._split(DATASET, "v1", "SPLIT", "TRAIN")
    assert len(split.queries["queries"]) == 2 and len(split.queries["post_actions"]) == 1
    with pytest.raises(ValueError, match="multiple queries and/or post-actions not supported"):
        DataConnector.from_dataframe(split)


def test_several_instances_train_through_the_real_connector_and_stream_the_metrics(io, version_rows):
    handed = []
    train_rows = version_rows[version_rows["SPLIT"] == "TRAIN"].reset_index(drop=True)

    def distributed(connector, feature_cols, label_col):
        # Stands for snowflake.ml.modeling.distributors' XGBEstimator, which exists only in the ML
        # container runtime; it gets the connector the payload built and trains on the same rows.
        handed.append(connector)
        return modeling.train_local(train_rows, feature_cols, label_col, rounds=10)

    saved = {}
    io.save = lambda path, data: saved.update({path: data})
    result = train.main(argv(), io=io, distributed_trainer=distributed)

    (connector,) = handed
    assert isinstance(connector, DataConnector)
    (source,) = connector.data_sources
    assert isinstance(source, DataFrameInfo) and source.query_id == QUERY_ID
    temp_table = re.fullmatch(r'SELECT \* FROM "ML_DEV"\."PIPELINE"\."(SNOWPARK_TEMP_TABLE_\w+)"', " ".join(source.sql.split())).group(1)
    statements = io.account.statements
    # The TRAIN split was materialised once into the scoped temporary table, in Snowflake...
    (insert,) = [s for s in statements if s.startswith(f'INSERT INTO "ML_DEV"."PIPELINE"."{temp_table}"')]
    assert VERSION_URL in insert and insert.endswith("WHERE (\"SPLIT\" = 'TRAIN')")
    # ...and its SELECT sent asynchronously for the query id, its rows never fetched here.
    assert all(temp_table not in fetched for fetched in io.account.fetched)
    assert result["distributed"] is True
    # The metrics came from result batches of both splits, equal to those of the whole splits.
    booster = modeling.train_local(train_rows, features.FEATURE_COLUMNS, features.LABEL_COLUMN, rounds=10)
    test_rows = version_rows[version_rows["SPLIT"] == "TEST"].reset_index(drop=True)
    assert result["metrics"] == {
        **modeling.evaluate(booster, train_rows, features.FEATURE_COLUMNS, features.LABEL_COLUMN, "train"),
        **modeling.evaluate(booster, test_rows, features.FEATURE_COLUMNS, features.LABEL_COLUMN, "test"),
    }
    assert (result["train_rows"], result["test_rows"]) == (len(train_rows), len(test_rows))
    assert list(saved) == ["@S/m.ubj"]
