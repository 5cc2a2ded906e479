"""The data-quality gate: the source's expectations, evaluated before anything trains.

``pulumi up`` attaches the expectations pipeline.yaml declares (``dataQuality``) to the source table
or view as data metric functions with expectations; the program writes their names into the graph
config (``data_quality_expectations``, comma-separated). The gate task asks Snowflake to evaluate
them now:

    SELECT … FROM TABLE(SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS(REF_ENTITY_NAME => '<source>'))

(https://docs.snowflake.com/sql-reference/functions/system_evaluate_data_quality_expectations:
one row per expectation with ``expectation_violated`` TRUE when its expression over VALUE is false)
and fails the run (or, given a branch list, takes the alert branch) naming every violated
expectation with its value. A declared expectation Snowflake does not report is not attached, and
that fails the gate too: an unchecked expectation never passes.
"""

import json
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

from mlpipeline import source_data
from mlpipeline.config import PipelineConfig, sql_string
from mlpipeline.graph_context import GraphContext, parse_branch_targets


class DataQualityError(RuntimeError):
    """The source failed its expectations (or they cannot be checked); the message names each one."""


@dataclass(frozen=True)
class ExpectationResult:
    name: str
    metric: str
    expression: str
    arguments: Tuple[str, ...]
    value: Any
    violated: bool


def evaluate_sql(source: str) -> str:
    return (
        "SELECT METRIC_NAME, EXPECTATION_NAME, EXPECTATION_EXPRESSION, ARGUMENTS, VALUE, EXPECTATION_VIOLATED "
        f"FROM TABLE(SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS(REF_ENTITY_NAME => {sql_string(source)}))"
    )


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def evaluate(session: Any, source: str) -> List[ExpectationResult]:
    """The expectations attached to ``source`` and whether each is violated now (rows read by position)."""
    results = []
    for row in session.sql(evaluate_sql(source)).collect():
        metric, name, expression, arguments, value, violated = row[0], row[1], row[2], row[3], row[4], row[5]
        args = _json(arguments)
        results.append(ExpectationResult(
            name=str(name).upper(),
            metric=str(metric),
            expression=str(expression),
            arguments=tuple(str(a) for a in args) if isinstance(args, list) else (),
            value=_json(value),
            violated=_flag(violated),
        ))
    return results


def describe(result: ExpectationResult) -> str:
    on = f" on {', '.join(result.arguments)}" if result.arguments else ""
    return f"{result.name} ({result.metric}{on}): value {result.value}, expected {result.expression}"


def judge(results: Sequence[ExpectationResult], declared: Sequence[str]) -> Tuple[List[ExpectationResult], List[str]]:
    """(violated results among the declared expectations, declared names Snowflake did not report)."""
    by_name = {r.name: r for r in results}
    violated = [by_name[name] for name in declared if name in by_name and by_name[name].violated]
    missing = [name for name in declared if name not in by_name]
    return violated, missing


def gate(session: Any, cfg: PipelineConfig, source_exists: Callable[[], bool]) -> Optional[str]:
    """None when every declared expectation holds; otherwise the failure message naming each one.

    A source that does not exist yet on a sample-data stack is let through with a log line: PREPARE_DATA
    creates it from the staged sample, and the next ``pulumi up`` attaches its expectations."""
    declared = list(cfg.data_quality_expectations)
    source = cfg.source_table
    if not declared:
        raise DataQualityError("the graph config declares no data_quality_expectations; the gate has nothing to check (declare dataQuality in pipeline.yaml)")
    if not source_exists():
        if cfg.sample_data:
            print(f"data quality: {source} does not exist yet; the staged sample is loaded after this gate, and the next `pulumi up` attaches "
                  f"its expectations ({', '.join(declared)}). This run is not gated.")
            return None
        return f"data quality gate: the source {source} does not exist, so none of its expectations ({', '.join(declared)}) can be checked"
    violated, missing = judge(evaluate(session, source), declared)
    problems = []
    if violated:
        problems.append(f"{len(violated)} expectation(s) violated on {source}: " + "; ".join(describe(r) for r in violated))
    if missing:
        problems.append(f"not attached to {source} (run `pulumi up` for this stack): {', '.join(missing)}")
    if problems:
        return "data quality gate: " + ". ".join(problems)
    print(f"data quality: {len(declared)} expectation(s) hold on {source}: {', '.join(declared)}")
    return None


def run_gate(session: Any, branch_targets: Optional[str] = None) -> Any:
    """The gate task's body. Without ``branch_targets`` a violation raises DataQualityError; with a
    branch list ``<next>,<alert>`` it returns the alert successor's name (and prints the violations).
    On a pass it returns the next successor, or JSON naming the expectations that held."""
    ctx = GraphContext(session)
    cfg = ctx.config()
    targets = parse_branch_targets(branch_targets, ctx.label()) if branch_targets is not None else None
    if targets is not None and len(targets) != 2:
        raise ValueError(f"{ctx.label()}: expected a branch list of 2 successors (pass, violation), got {', '.join(targets)}")
    failure = gate(session, cfg, lambda: source_data.table_state(session, cfg.source_table) is not None)
    if failure is None:
        return ctx.set_return_value(targets[0] if targets else json.dumps({"data_quality": "passed", "expectations": list(cfg.data_quality_expectations)}))
    if targets is None:
        raise DataQualityError(failure)
    print(failure)
    return ctx.set_return_value(targets[1])
