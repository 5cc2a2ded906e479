"""The source table: is it there, what does it hold (its content fingerprint), and loading the staged
sample file.

The dataset version follows the source's content, not INFORMATION_SCHEMA.TABLES.LAST_ALTERED: for a
view LAST_ALTERED changes only on DDL (new rows would never be trained on), table maintenance changes
it with no data change, and its text depends on the session's TIMEZONE. The fingerprint is
``HASH_AGG(*)`` over every row and column, which is order-independent and changes with any row
(https://docs.snowflake.com/en/sql-reference/functions/hash_agg), with ``COUNT(*)``; it costs one
scan of the source per run.
"""

from dataclasses import dataclass
from typing import Any, Optional

from mlpipeline.config import PipelineConfig, split_name, sql_string
from mlpipeline.source_schema import SOURCE_TABLE_COLUMNS

class SourceTableMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class SourceState:
    fingerprint: str  # 16 hex digits of HASH_AGG(*) as an unsigned 64-bit number
    row_count: Optional[int]
    sample_loaded: bool


def table_state(session: Any, table_fqn: str) -> Optional[tuple]:
    """(row count, None for a view) when the table or view exists, else None."""
    database, schema, table = split_name(table_fqn)
    rows = session.sql(
        f"SELECT ROW_COUNT FROM {database}.INFORMATION_SCHEMA.TABLES"
        f" WHERE TABLE_SCHEMA = {sql_string(schema)} AND TABLE_NAME = {sql_string(table)}"
    ).collect()
    if not rows:
        return None
    count = rows[0][0]
    return (None if count is None else int(count),)


def fingerprint_sql(table_fqn: str) -> str:
    return f"SELECT TO_CHAR(HASH_AGG(*)), COUNT(*) FROM {table_fqn}"


def content_fingerprint(session: Any, table_fqn: str) -> str:
    """The source's content as 16 hex digits (HASH_AGG(*) is a signed 64-bit number, NULL for no rows)."""
    rows = session.sql(fingerprint_sql(table_fqn)).collect()
    value = rows[0][0] if rows else None
    return format(int(str(value)) & (2**64 - 1), "016x") if value is not None else "0" * 16


def load_sample_data(session: Any, cfg: PipelineConfig) -> None:
    """Create the source table and COPY the staged sample CSV into it."""
    if not cfg.sample_data_file:
        raise SourceTableMissing("sample data is not enabled in the graph config (sample_data)")
    columns = ", ".join(f"{name} {kind}" for name, kind in SOURCE_TABLE_COLUMNS)
    session.sql(f"CREATE TABLE IF NOT EXISTS {cfg.source_table} ({columns})").collect()
    session.sql(
        f"COPY INTO {cfg.source_table} FROM {cfg.sample_data_file}"
        " FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' EMPTY_FIELD_AS_NULL = TRUE)"
        " ON_ERROR = ABORT_STATEMENT FORCE = TRUE"
    ).collect()


def ensure_source(session: Any, cfg: PipelineConfig) -> SourceState:
    """The source table's state, after loading the sample file when the table is absent (or empty)
    and the graph config enables sample data. Without sample data an absent table is an error."""
    state = table_state(session, cfg.source_table)
    empty = state is not None and state[0] == 0  # ROW_COUNT is NULL (unknown) for views
    if state is not None and not empty:
        return SourceState(fingerprint=content_fingerprint(session, cfg.source_table), row_count=state[0], sample_loaded=False)
    if not cfg.sample_data:
        problem = "is empty" if empty else "does not exist"
        raise SourceTableMissing(f"source table {cfg.source_table} (graph config source_table) {problem} and sample_data is false")
    print(f"source table {cfg.source_table} is {'empty' if state else 'absent'}; loading {cfg.sample_data_file}")
    load_sample_data(session, cfg)
    state = table_state(session, cfg.source_table)
    if state is None:
        raise SourceTableMissing(f"source table {cfg.source_table} is still absent after loading {cfg.sample_data_file}")
    return SourceState(fingerprint=content_fingerprint(session, cfg.source_table), row_count=state[0], sample_loaded=True)
