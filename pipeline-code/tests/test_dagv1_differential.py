"""Differential test against the seed's own API: the Snowflake sample (sf-samples
samples/ml/ml_jobs/e2e_task_graph) builds its task graph with snowflake.core's dagv1. The same
pipeline is built here with dagv1 (``DAG``, ``DAGTask``, ``DAGTaskBranch``, the finalizer, the
config; SQL-string definitions, since a Python-function definition needs a connection to upload),
and what dagv1 would deploy (its ``_to_low_level_task()``: the Task each ``deploy`` creates) is
compared with what our offline plan deploys for a fixture project mirroring the seed
(``node --import tsx cli/plan.ts --json --project <fixture>``).

Intended differences, each asserted below:
- Task bodies: ours call each task's procedure with the program's arguments; the seed's are
  Python functions dagv1 uploads. Not compared (the definitions here are SQL stand-ins).
- Names: the seed names tasks in lower case (``prepare_data``); Snowflake upper-cases unquoted
  names, so the fixture uses the upper-case names dagv1's ``normalize_name`` gives them.
- Warehouse: dagv1 sets the warehouse on the root only unless each DAGTask names one (then the
  children are serverless); ours runs every task on the stack's warehouse, so the seed's tasks are
  given ``warehouse=`` here, as its DAGTask calls would need for the same graph.
- Config: ours is a superset: the program adds the platform's names (database, stages, pool,
  source table ...), so a task never hard-codes them; the seed's keys have the same values.
- Schedule: dagv1 takes a timedelta; ours a stack string ("1d"): both are the same minutes.
- Branch conditions: ours end with a `/* <hash> */` comment of the condition (so a changed WHEN
  shows in a preview); the expression before it is dagv1's, character for character.
- Predecessors: dagv1 names them unqualified (``DAG$TASK``), ours fully qualified and quoted
  (``"DB"."SCHEMA"."DAG$TASK"``), as the Snowflake Terraform provider requires.
"""

import datetime as dt
import json
import os
import re
import shutil
import subprocess

import pytest

dagv1 = pytest.importorskip("snowflake.core.task.dagv1", reason="snowflake.core is not installed (Debian fallback): npm test installs it from tests/python/requirements-test.txt")

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_ROOT = os.path.dirname(CODE_ROOT)

GRAPH = "MORTGAGE_DAG"
DATABASE, SCHEMA, WAREHOUSE = "FIX_DB", "FIX_PIPELINE", "FIX_WH"
SEED_CONFIG = {"dataset_name": "mortgage_dataset", "model_name": "mortgage_model", "metric_name": "test_f1", "metric_threshold": 0.8}

STACK = f"""config:
  snowflake-ml-pipeline:database: {DATABASE}
  snowflake-ml-pipeline:schema: {SCHEMA}
  snowflake-ml-pipeline:dataSchema: DATA
  snowflake-ml-pipeline:registrySchema: MODELS
  snowflake-ml-pipeline:warehouse:
    name: {WAREHOUSE}
    size: XSMALL
  snowflake-ml-pipeline:computePool:
    name: FIX_POOL
    instanceFamily: CPU_X64_S
    minNodes: 1
    maxNodes: 2
  snowflake-ml-pipeline:schedule: 1d
  snowflake-ml-pipeline:started: true
  snowflake-ml-pipeline:sampleData: true
  snowflake-ml-pipeline:notificationIntegration: FIX_ALERTS
  snowflake-ml-pipeline:graphConfig:
    metric_name: {SEED_CONFIG["metric_name"]}
    metric_threshold: {SEED_CONFIG["metric_threshold"]}
  snowflake:organizationName: FIXORG
  snowflake:accountName: FIXACCOUNT
  snowflake:user: FIX_DEPLOYER
  snowflake:role: FIX_DEPLOYER_ROLE
"""

# The seed's graph (pipeline_dag.py of the sample), in this project's pipeline definition.
NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_$]*$"
PIPELINE = f"""name: {GRAPH}
runtime: "3.11"
packages: [snowflake-snowpark-python, snowflake-ml-python, xgboost]
config:
  dataset_name: {SEED_CONFIG["dataset_name"]}
  model_name: {SEED_CONFIG["model_name"]}
  metric_name: test_accuracy
  metric_threshold: 0.7
  retention_days: 7
configSchema:
  dataset_name: {{type: string, pattern: "{NAME_PATTERN}", description: a dataset name}}
  model_name: {{type: string, pattern: "{NAME_PATTERN}", description: a model name}}
  metric_name:
    enum: [train_accuracy, train_f1, train_precision, train_recall, test_accuracy, test_f1, test_precision, test_recall]
    description: a metric the training reports
  metric_threshold: {{type: number, minimum: 0, maximum: 1, description: the promotion threshold}}
  retention_days: {{type: integer, minimum: 0, description: days kept}}
tasks:
  - name: PREPARE_DATA
    entrypoint: tasks/prepare_data.py
  - name: TRAIN_MODEL
    after: [PREPARE_DATA]
    entrypoint: tasks/train_model.py
    job: {{payload: jobs/train.py, targetInstances: 2}}
  - name: CHECK_MODEL_QUALITY
    after: [TRAIN_MODEL]
    entrypoint: tasks/check_model_quality.py
    branch: [PROMOTE_MODEL, SEND_ALERT]
  - name: PROMOTE_MODEL
    after: [CHECK_MODEL_QUALITY]
    entrypoint: tasks/promote_model.py
  - name: SEND_ALERT
    after: [CHECK_MODEL_QUALITY]
    sql: SELECT 'alert'
  - name: CLEANUP
    finalizer: true
    entrypoint: tasks/cleanup.py
"""


def seed_graph():
    """The seed's DAG, built with dagv1 as pipeline_dag.py builds it (SQL stand-in definitions)."""
    from snowflake.core.task.dagv1 import DAG, DAGTask, DAGTaskBranch

    with DAG(GRAPH, schedule=dt.timedelta(days=1), warehouse=WAREHOUSE, config=dict(SEED_CONFIG), use_func_return_value=True) as dag:
        prepare = DAGTask("PREPARE_DATA", "SELECT 1", warehouse=WAREHOUSE)
        train = DAGTask("TRAIN_MODEL", "SELECT 1", warehouse=WAREHOUSE)
        check = DAGTaskBranch("CHECK_MODEL_QUALITY", "SELECT 1", warehouse=WAREHOUSE)
        promote = DAGTask("PROMOTE_MODEL", "SELECT 1", warehouse=WAREHOUSE)
        alert = DAGTask("SEND_ALERT", "SELECT 1", warehouse=WAREHOUSE)
        DAGTask("CLEANUP", "SELECT 1", warehouse=WAREHOUSE, is_finalizer=True)
        prepare >> train >> check >> [promote, alert]
    return dag


@pytest.fixture(scope="module")
def our_plan(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    project = tmp_path_factory.mktemp("dagv1-fixture")
    shutil.copy(os.path.join(PROJECT_ROOT, "Pulumi.yaml"), project / "Pulumi.yaml")
    (project / "Pulumi.dev.yaml").write_text(STACK)
    code = project / "pipeline-code"
    for folder in ("mlpipeline", "jobs", "tasks", "sample_data"):
        shutil.copytree(os.path.join(CODE_ROOT, folder), code / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (code / "pipeline.yaml").write_text(PIPELINE)
    out = subprocess.run(
        [node, "--import", "tsx", "cli/plan.ts", "--json", "--project", str(project)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    plan = json.loads(out.stdout)
    return {r["inputs"]["name"]: r["inputs"] for r in plan["resources"] if r["type"] == "snowflake:index/task:Task"}


def without_hash_comment(condition):
    if condition is None:
        return None
    expression, _, comment = condition.rpartition(" /* ")
    assert re.fullmatch(r"[0-9a-f]+ \*/", comment), condition
    return expression


def unqualified(name):
    return name.split(".")[-1].strip('"')


def test_task_names_match(our_plan):
    dag = seed_graph()
    seed_names = {dag.name} | {task.full_name for task in dag.tasks}
    assert set(our_plan) == seed_names


def test_predecessors_match(our_plan):
    dag = seed_graph()
    for task in dag.tasks:
        low = task._to_low_level_task()
        ours = our_plan[task.full_name]
        assert sorted(unqualified(p) for p in ours.get("afters", [])) == sorted(low.predecessors or []), task.full_name


def test_branch_conditions_match(our_plan):
    dag = seed_graph()
    conditions = {task.full_name: task._to_low_level_task().condition for task in dag.tasks}
    assert conditions[f"{GRAPH}$PROMOTE_MODEL"] == f"SYSTEM$GET_PREDECESSOR_RETURN_VALUE('{GRAPH}$CHECK_MODEL_QUALITY') = 'PROMOTE_MODEL'"
    for name, condition in conditions.items():
        assert without_hash_comment(our_plan[name].get("when")) == condition, name


def test_the_finalizer_matches(our_plan):
    dag = seed_graph()
    finalizer = dag.get_finalizer_task()._to_low_level_task()
    assert finalizer.finalize == GRAPH and not finalizer.predecessors
    ours = our_plan[finalizer.name]
    assert unqualified(ours["finalize"]) == finalizer.finalize and "afters" not in ours
    assert [name for name, inputs in our_plan.items() if "finalize" in inputs] == [finalizer.name]


def test_warehouse_matches(our_plan):
    dag = seed_graph()
    for low in [dag._to_low_level_task()] + [task._to_low_level_task() for task in dag.tasks]:
        assert low.warehouse == WAREHOUSE and our_plan[low.name]["warehouse"] == WAREHOUSE, low.name


def test_config_is_a_superset_with_the_seeds_values(our_plan):
    root = seed_graph()._to_low_level_task()
    ours = json.loads(our_plan[GRAPH]["config"])
    assert {key: ours[key] for key in root.config} == root.config
    # The program's additions (intended): the platform's names, so no task hard-codes them.
    assert ours["database"] == DATABASE and ours["warehouse"] == WAREHOUSE and ours["pipeline_name"] == GRAPH


def test_schedule_is_the_same_minutes(our_plan):
    root = seed_graph()._to_low_level_task()
    seed_minutes = root.schedule.total_seconds() / 60 if isinstance(root.schedule, dt.timedelta) else None
    assert seed_minutes == 1440
    assert our_plan[GRAPH]["schedule"] == {"minutes": 1440}
