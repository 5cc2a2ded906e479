"""CHECK_DATA_QUALITY: the data-quality gate at the start of the graph (mlpipeline/data_quality.py).

Evaluates the source's expectations (SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS) before anything
reads the data; a violation fails the task, naming each violated expectation with its value, so no
later task runs (the graph's ERROR_INTEGRATION notifies). Returns the checked expectations as JSON.

To take an alert branch instead of failing, declare the task with ``branch: [<next>, <alert>]`` and a
handler ``def main(session, branch_targets): return data_quality.run_gate(session, branch_targets)``.
"""

from mlpipeline import data_quality


def main(session):
    return data_quality.run_gate(session)
