"""A stand-in for a Snowflake account behind Snowpark's ServerConnection (the network link, which
needs an account), so the real Snowpark Session, snowflake-ml's DatasetReader and DataConnector run
on top of it in the tests.

``AccountConnection(version_rows)`` holds one dataset version's rows (a pandas frame with a SPLIT
column). It answers INFER_SCHEMA with their columns, records every statement Snowpark sends, returns
``QUERY_ID`` for an asynchronous query, serves the rows a ``WHERE ("SPLIT" = '<split>')`` SELECT
filters (whole, or as result batches of ``BATCH_ROWS``) and keeps what PUT uploads.
"""

import re
from types import SimpleNamespace
from unittest import mock

from snowflake.snowpark._internal.server_connection import ServerConnection

QUERY_ID = "01b2c3d4-0000-1111-0000-00000000abcd"
BATCH_ROWS = 50
INFER_TYPES = {"object": "TEXT", "float64": "REAL", "int64": "NUMBER(38, 0)", "datetime64[ns]": "TIMESTAMP_NTZ"}
PUT_COLUMNS = ("source", "target", "source_size", "target_size", "source_compression", "target_compression", "status", "message")


class AccountConnection:
    """Stands for the account behind Snowpark's ServerConnection (needs a Snowflake account)."""

    def __init__(self, version_rows):
        self.rows = version_rows
        self.statements = []
        self.fetched = []  # SELECTs whose rows came back to this process
        self.uploaded = {}  # stage path -> bytes
        conn = mock.create_autospec(ServerConnection, instance=True)
        conn._conn = mock.MagicMock()
        conn._cursor = mock.MagicMock(description=[SimpleNamespace(name=name, type_code=2) for name in PUT_COLUMNS])
        conn._thread_safe_session_enabled = True
        conn._telemetry_client = mock.MagicMock()
        conn.max_string_size = 16777216
        conn._get_client_side_session_parameter.side_effect = lambda name, default: default
        conn._get_current_parameter.side_effect = lambda name, quoted=True: '"ML_DEV"' if name == "database" else '"PIPELINE"'
        conn.run_query.side_effect = self.run_query
        conn.execute.side_effect = self.execute
        conn.upload_stream.side_effect = self.upload_stream
        self.conn = conn

    def run_query(self, query, **_):
        self.statements.append(" ".join(query.split()))
        if "INFER_SCHEMA" in query:  # [column_name, type, nullable, expression, filenames, order_id]
            return {"data": [(c, INFER_TYPES[str(t)], True, f'$1:"{c}"::{INFER_TYPES[str(t)]}', "data_0.parquet", 0)
                             for c, t in self.rows.dtypes.items()], "sfqid": "q-infer"}
        return {"data": [], "sfqid": "q-ddl"}

    def execute(self, plan, to_pandas=False, to_iter=False, block=True, **_):
        queries = [" ".join(q.sql.split()) for q in plan.queries]
        self.statements.extend(queries + [" ".join(q.sql.split()) for q in plan.post_actions])
        if not block:
            return mock.Mock(query_id=QUERY_ID)
        if to_pandas:
            split = re.search(r"WHERE \(\"SPLIT\" = '(\w+)'\)", queries[-1]).group(1)
            self.fetched.append(queries[-1])
            rows = self.rows[self.rows["SPLIT"] == split].reset_index(drop=True)
            if to_iter:
                return (rows.iloc[i:i + BATCH_ROWS] for i in range(0, len(rows), BATCH_ROWS))
            return rows
        return []

    def upload_stream(self, input_stream, stage_location, dest_filename, compress_data=True, overwrite=False, **_):
        path = f"{stage_location.rstrip('/')}/{dest_filename}"
        self.uploaded[path] = input_stream.read()
        self.statements.append(f"PUT {path} auto_compress={compress_data} overwrite={overwrite}")
        size = len(self.uploaded[path])
        return {"data": [(dest_filename, dest_filename, size, size, "NONE", "NONE", "UPLOADED", "")]}
