"""The Python code against pipeline.yaml: entrypoints and handler signatures, the branch task's
possible return values against its branch list, and the predecessor names the tasks read."""

import ast
import importlib
import inspect
import json
import os
import shutil
import subprocess

import pytest

from fakes import FakeSession
from helpers import graph_config
from mlpipeline import graph_context, quality
from tasks import check_model_quality

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(CODE_ROOT)
PIPELINE_FILE = os.path.join(CODE_ROOT, "pipeline.yaml")
JOB_ARGS = ["payload_location", "payload_entrypoint", "target_instances"]

NODE_YAML = "const y=require('yaml');process.stdout.write(JSON.stringify(y.parse(require('fs').readFileSync(process.argv[1],'utf8'))))"


def parse_with_pyyaml():
    import yaml

    with open(PIPELINE_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def parse_with_node():
    """The program's own YAML parser (the yaml npm package), for machines without PyYAML."""
    out = subprocess.run(["node", "-e", NODE_YAML, PIPELINE_FILE], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def load_pipeline():
    try:
        return parse_with_pyyaml()
    except ImportError:
        return parse_with_node()


PIPELINE = load_pipeline()
TASKS = {task["name"]: task for task in PIPELINE["tasks"]}
PYTHON_TASKS = [task for task in PIPELINE["tasks"] if "entrypoint" in task]


def module_of(entrypoint):
    return entrypoint[: -len(".py")].replace("/", ".")


def ancestors(name):
    seen, todo = set(), list(TASKS[name].get("after", []))
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(TASKS[parent].get("after", []))
    return seen


def constant_names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id.isupper()}


def source_tree(entrypoint):
    with open(os.path.join(CODE_ROOT, entrypoint), encoding="utf-8") as handle:
        return ast.parse(handle.read())


def node_yaml_available():
    if shutil.which("node") is None:
        return False
    probe = subprocess.run(["node", "-e", "require.resolve('yaml')"], cwd=REPO_ROOT, capture_output=True)
    return probe.returncode == 0


def test_pyyaml_and_the_programs_parser_agree_when_both_exist():
    try:
        expected = parse_with_pyyaml()
    except ImportError:
        pytest.skip("PyYAML is not installed; the node parser is the one in use")
    if not node_yaml_available():
        pytest.skip("node or its yaml package (npm ci) is not available; PyYAML is the parser in use")
    assert parse_with_node() == expected


def test_every_python_task_has_an_entrypoint_with_a_main_handler():
    assert {t["name"] for t in PYTHON_TASKS} == {"PREPARE_DATA", "TRAIN_MODEL", "CHECK_MODEL_QUALITY", "PROMOTE_MODEL", "CLEANUP"}
    for task in PYTHON_TASKS:
        module = importlib.import_module(module_of(task["entrypoint"]))
        params = list(inspect.signature(module.main).parameters.values())
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert positional[0] == "session", task["name"]
        # The program passes exactly these procedure arguments (docs/design.md); other parameters are
        # keyword-only seams with defaults.
        assert positional[1:] == (JOB_ARGS if "job" in task else []), task["name"]
        assert all(p.default is not p.empty for p in params if p.kind == p.KEYWORD_ONLY), task["name"]


def test_the_job_payload_exists():
    (job_task,) = [t for t in PYTHON_TASKS if "job" in t]
    assert os.path.isfile(os.path.join(CODE_ROOT, job_task["job"]["payload"]))
    assert job_task["job"]["payload"] == "jobs/train.py"


def test_each_entrypoint_runs_under_its_own_task_name():
    for task in PYTHON_TASKS:
        calls = [n for n in ast.walk(source_tree(task["entrypoint"])) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "GraphContext"]
        assert len(calls) == 1, task["entrypoint"]
        (name,) = constant_names_in(calls[0].args[1])
        assert getattr(graph_context, name) == task["name"]


def test_the_predecessors_each_task_reads_are_its_ancestors():
    for task in PYTHON_TASKS:
        read = set()
        for node in ast.walk(source_tree(task["entrypoint"])):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("predecessor_json", "predecessor_value"):
                read |= {getattr(graph_context, n) for n in constant_names_in(node.args[0])}
        assert read <= ancestors(task["name"]), task["name"]
    assert ancestors("PROMOTE_MODEL") >= {"PREPARE_DATA", "TRAIN_MODEL"}


def test_every_value_the_branch_task_can_return_is_a_successor_in_its_branch_list():
    branch_task = TASKS["CHECK_MODEL_QUALITY"]
    branches = set(branch_task["branch"])
    successors = {name for name, task in TASKS.items() if "CHECK_MODEL_QUALITY" in task.get("after", [])}
    assert branches == successors

    # Statically: main returns what it sets, and what it sets is quality.decide's result ...
    main = next(n for n in source_tree(branch_task["entrypoint"]).body if isinstance(n, ast.FunctionDef) and n.name == "main")
    returns = [n for n in ast.walk(main) if isinstance(n, ast.Return)]
    assert len(returns) == 1 and ast.unparse(returns[0].value) == "ctx.set_return_value(outcome)"
    assigned = [n for n in ast.walk(main) if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "outcome"]
    assert len(assigned) == 1 and ast.unparse(assigned[0].value).startswith("quality.decide(")
    # ... and every return of decide names one of the branch list's successors.
    with open(quality.__file__, encoding="utf-8") as handle:
        decide = next(n for n in ast.parse(handle.read()).body if isinstance(n, ast.FunctionDef) and n.name == "decide")
    returned = set()
    for node in ast.walk(decide):
        if isinstance(node, ast.Return):
            returned |= {getattr(quality, name) for name in constant_names_in(node.value)}
    assert returned == branches
    assert set(quality.OUTCOMES) == branches

    # Dynamically: the task itself, over metric values around the threshold.
    outcomes = set()
    for accuracy in (0.0, 0.5, 0.6999, 0.7, 0.7001, 1.0):
        trained = {"job_id": "j", "model_path": "@s/m.ubj", "metrics": {"test_accuracy": accuracy}}
        session = FakeSession(graph_config(), predecessors={"MORTGAGE_PIPELINE$TRAIN_MODEL": json.dumps(trained)})
        outcomes.add(check_model_quality.main(session))
    assert outcomes == branches


def test_the_finalizer_is_cleanup_and_the_config_metric_is_known():
    assert [t["name"] for t in PIPELINE["tasks"] if t.get("finalizer")] == ["CLEANUP"]
    assert PIPELINE["config"]["metric_name"] in quality.KNOWN_METRICS
    assert set(PIPELINE["config"]) >= {"dataset_name", "model_name", "metric_name", "metric_threshold", "retention_days"}
