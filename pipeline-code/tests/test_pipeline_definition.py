"""The Python code against a pipeline definition: entrypoints and handler signatures against the
procedure arguments the program passes, branch lists against successors, and no code naming a task.

The checks take the definition they are given: the tests' own fixture pipelines (built here, with
their own code in tmp_path) and, where the point is that the shipped files fit, pipeline.yaml."""

import ast
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess

import pytest

from mlpipeline import quality
from mlpipeline.config import USER_KEYS

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(CODE_ROOT)
PIPELINE_FILE = os.path.join(CODE_ROOT, "pipeline.yaml")
# The procedure arguments the program passes (docs/design.md "Task definitions").
JOB_ARGS = ["payload_location", "payload_entrypoint", "target_instances"]
BRANCH_ARGS = ["branch_targets"]

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


def module_of(entrypoint):
    return entrypoint[: -len(".py")].replace("/", ".")


def source_tree(entrypoint, code_root=CODE_ROOT):
    with open(os.path.join(code_root, entrypoint), encoding="utf-8") as handle:
        return ast.parse(handle.read())


def python_tasks(pipeline):
    return [task for task in pipeline["tasks"] if "entrypoint" in task]


def expected_arguments(task):
    """The procedure arguments the program passes a Python task, in order (docs/design.md)."""
    return (JOB_ARGS if "job" in task else []) + (BRANCH_ARGS if "branch" in task else [])


def handler_problems(pipeline, code_root=CODE_ROOT):
    """Each Python task's entrypoint has main(session, <the program's arguments>), other parameters
    keyword-only with defaults; each job payload exists."""
    problems = []
    for task in python_tasks(pipeline):
        where = f"{task['name']} ({task['entrypoint']})"
        if not os.path.isfile(os.path.join(code_root, task["entrypoint"])):
            problems.append(f"{where}: no such file")
            continue
        mains = [n for n in source_tree(task["entrypoint"], code_root).body if isinstance(n, ast.FunctionDef) and n.name == "main"]
        if not mains:
            problems.append(f"{where}: no main")
            continue
        args = mains[0].args
        positional = [a.arg for a in args.posonlyargs + args.args]
        if positional != ["session"] + expected_arguments(task):
            problems.append(f"{where}: main takes {positional}, the program passes session + {expected_arguments(task)}")
        if any(default is None for default in args.kw_defaults):
            problems.append(f"{where}: a keyword-only parameter has no default")
        if "job" in task and not os.path.isfile(os.path.join(code_root, task["job"]["payload"])):
            problems.append(f"{where}: job payload {task['job']['payload']} does not exist")
    return problems


def string_constants(tree):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def task_name_problems(pipeline, code_root=CODE_ROOT):
    """No code names a task of the pipeline: tasks learn names from the graph (docstrings may)."""
    names = [pipeline["name"]] + [task["name"] for task in pipeline["tasks"]]
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_])")
    problems = []
    for package in ("mlpipeline", "tasks", "jobs"):
        folder = os.path.join(code_root, package)
        for file in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if file.endswith(".py"):
                path = f"{package}/{file}"
                for node in string_constants(source_tree(path, code_root)):
                    for match in pattern.finditer(node.value):
                        problems.append(f"{path}:{node.lineno} names the task {match.group(1)}")
    return problems


def branch_problems(pipeline):
    """A branch list names exactly the branch task's successors (the program's WHENs compare them)."""
    problems = []
    for task in pipeline["tasks"]:
        if "branch" in task:
            successors = {t["name"] for t in pipeline["tasks"] if task["name"] in t.get("after", [])}
            if set(task["branch"]) != successors:
                problems.append(f"{task['name']}: branch {task['branch']} but successors {sorted(successors)}")
    return problems


def write_code(root, files):
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return str(root)


# A pipeline definition of the tests' own: the README's "Adding a task" example on a small graph.
FIXTURE = {
    "name": "FIXTURE_PIPE",
    "config": {"metric_name": "test_f1"},
    "tasks": [
        {"name": "TRAIN", "entrypoint": "tasks/train.py", "job": {"payload": "jobs/fit.py", "targetInstances": 1}},
        {"name": "GATE", "after": ["TRAIN"], "entrypoint": "tasks/gate.py", "branch": ["SHIP", "WARN"]},
        {"name": "SHIP", "after": ["GATE"], "entrypoint": "tasks/ship.py"},
        {"name": "WARN", "after": ["GATE"], "sql": "SELECT 1"},
        {"name": "SCORE_MODEL", "after": ["SHIP"], "entrypoint": "tasks/score_model.py"},
    ],
}
FIXTURE_CODE = {
    "tasks/__init__.py": "",
    "mlpipeline/__init__.py": "",
    "mlpipeline/scoring.py": "def score(rows):\n    return len(rows)\n",
    "tasks/train.py": "def main(session, payload_location, payload_entrypoint, target_instances, *, jobs=None):\n    return None\n",
    "tasks/gate.py": "def main(session, branch_targets):\n    return branch_targets.split(',')[0]\n",
    "tasks/ship.py": "def main(session):\n    return None\n",
    "tasks/score_model.py": '"""SCORE_MODEL: may say its name in a docstring."""\nfrom mlpipeline import scoring\n\n\ndef main(session):\n    return str(scoring.score([]))\n',
    "jobs/fit.py": "def main(args):\n    return {}\n",
}


def test_a_fixture_pipeline_ties_to_its_code(tmp_path):
    root = write_code(tmp_path, FIXTURE_CODE)
    assert handler_problems(FIXTURE, root) == []
    assert task_name_problems(FIXTURE, root) == []
    assert branch_problems(FIXTURE) == []


def test_the_checks_catch_code_that_does_not_fit_the_definition(tmp_path):
    code = dict(FIXTURE_CODE)
    code["tasks/gate.py"] = "def main(session):\n    return 'SHIP'\n"  # no branch argument, and a task name
    code["tasks/train.py"] = "def main(session, payload_location, *, jobs):\n    return None\n"
    del code["tasks/ship.py"]
    del code["jobs/fit.py"]
    code["mlpipeline/scoring.py"] = "TASKS = ('TRAIN', 'SCORE_MODEL')\n"
    root = write_code(tmp_path, code)
    assert handler_problems(FIXTURE, root) == [
        "TRAIN (tasks/train.py): main takes ['session', 'payload_location'], the program passes session + "
        "['payload_location', 'payload_entrypoint', 'target_instances']",
        "TRAIN (tasks/train.py): a keyword-only parameter has no default",
        "TRAIN (tasks/train.py): job payload jobs/fit.py does not exist",
        "GATE (tasks/gate.py): main takes ['session'], the program passes session + ['branch_targets']",
        "SHIP (tasks/ship.py): no such file",
    ]
    assert task_name_problems(FIXTURE, root) == [
        "mlpipeline/scoring.py:1 names the task TRAIN",
        "mlpipeline/scoring.py:1 names the task SCORE_MODEL",
        "tasks/gate.py:2 names the task SHIP",
    ]
    assert branch_problems(dict(FIXTURE, tasks=[t for t in FIXTURE["tasks"] if t["name"] != "WARN"])) == [
        "GATE: branch ['SHIP', 'WARN'] but successors ['SHIP']"
    ]


# -- the shipped pipeline.yaml and code (these tests' point is that the shipped files fit) -----------------


def test_the_shipped_handlers_take_what_the_program_passes():
    pipeline = load_pipeline()
    assert python_tasks(pipeline), "pipeline.yaml has no Python task"
    assert handler_problems(pipeline) == []


def test_no_code_names_a_task_of_the_shipped_pipeline():
    assert task_name_problems(load_pipeline()) == []


def test_the_shipped_branch_lists_name_their_successors():
    assert branch_problems(load_pipeline()) == []


def test_the_shipped_entrypoints_import():
    for task in python_tasks(load_pipeline()):
        module = importlib.import_module(module_of(task["entrypoint"]))
        assert callable(module.main), task["name"]


def test_the_shipped_config_has_the_user_keys_and_a_known_metric():
    pipeline = load_pipeline()
    assert len([t for t in pipeline["tasks"] if t.get("finalizer")]) <= 1
    assert set(pipeline["config"]) >= set(USER_KEYS)
    assert pipeline["config"]["metric_name"] in quality.KNOWN_METRICS


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
