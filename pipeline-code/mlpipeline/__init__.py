"""Shared code of the ML pipeline tasks and the training job.

Modules, one per concern (import the one you need; this package imports nothing itself):

- ``config``: the graph config (keys written by the Pulumi program, docs/design.md) parsed and checked.
- ``graph_context``: the task graph as a task sees it while it runs (its own name and ancestors, the
  graph config, ancestors' return values found by key, its return value, run id).
- ``source_data`` / ``features`` / ``datasets``: the source table, feature engineering, dataset versions.
- ``modeling``: pure training and evaluation; ``quality``: the quality gate.
- ``ml_jobs``: submitting the training payload as an ML Job; ``artifacts``: run artefacts on stages.
- ``registry``: model registration and promotion; ``cleanup``: retention clean-up;
  ``errors``: telling a missing object from other errors.
- ``sample_data``: deterministic sample data generator (also a CLI).

Snowflake libraries (snowflake.snowpark, snowflake.ml) are imported only inside the functions that
use them, so every module imports where they are absent (tests, local runs).
"""
