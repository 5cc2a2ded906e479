"""Rules for the code that runs in Snowflake (mlpipeline/, tasks/, jobs/): Snowflake libraries
imported only inside functions, no environment variables, no Snowflake names as constants, local
imports the bundler can follow, and no module importing a Snowflake library when it is imported."""

import ast
import os
import re
import subprocess
import sys

import pytest

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("mlpipeline", "tasks", "jobs")
LOCAL_TOP = set(PACKAGES)


def python_files():
    for package in PACKAGES:
        for name in sorted(os.listdir(os.path.join(CODE_ROOT, package))):
            if name.endswith(".py"):
                yield f"{package}/{name}"


FILES = list(python_files())


def tree_of(path):
    with open(os.path.join(CODE_ROOT, path), encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=path)


def module_level_statements(tree):
    """Statements that run at import time (the module body, through if/try blocks)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []) or [])
        if isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)


def imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_the_code_tree_is_three_packages():
    assert {"tasks/__init__.py", "jobs/__init__.py", "mlpipeline/__init__.py"} <= set(FILES)


@pytest.mark.parametrize("path", FILES)
def test_snowflake_libraries_are_imported_only_inside_functions(path):
    tree = tree_of(path)
    for node in module_level_statements(tree):
        for module in imported_modules(node):
            assert not module.startswith("snowflake"), f"{path}:{node.lineno} imports {module} at module level"


@pytest.mark.parametrize("path", FILES)
def test_no_environment_variables_and_no_dynamic_imports(path):
    tree = tree_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("environ", "getenv", "environb"), f"{path}:{node.lineno} reads the environment"
        if isinstance(node, ast.Name):
            assert node.id not in ("getenv", "environ", "__import__"), f"{path}:{node.lineno}"
        for module in imported_modules(node):
            assert module.split(".")[0] != "importlib", f"{path}:{node.lineno} imports importlib"
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            assert not {a.name for a in node.names} & {"environ", "getenv"}, path


QUALIFIED_NAME = re.compile(r"@?\b[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*(\.[A-Z][A-Z0-9_]*)?\b")
SQL_NAMES = {"INFORMATION_SCHEMA.TABLES", "INFORMATION_SCHEMA.TASK_HISTORY", "INFORMATION_SCHEMA.TASK_DEPENDENTS",
             # the notification functions a monitor's alert calls (mlpipeline/monitoring.py)
             "SNOWFLAKE.NOTIFICATION.TEXT_PLAIN", "SNOWFLAKE.NOTIFICATION.SANITIZE_WEBHOOK_CONTENT", "SNOWFLAKE.NOTIFICATION.INTEGRATION"}  # Snowflake's own, not the environment's
PLACEHOLDER_PARTS = {"DB", "SCHEMA", "OBJECT", "STAGE", "TABLE"}  # shapes in error messages: DB.SCHEMA.OBJECT


def allowed_name(name):
    return name in SQL_NAMES or set(name.lstrip("@").split(".")) <= PLACEHOLDER_PARTS


def string_constants(tree):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


@pytest.mark.parametrize("path", FILES)
def test_no_snowflake_object_names_in_the_code(path):
    for node in string_constants(tree_of(path)):
        for match in QUALIFIED_NAME.finditer(node.value):
            assert allowed_name(match.group(0)), f"{path}:{node.lineno} has the object name {match.group(0)!r}"
        for environment_word in ("ML_DEV", "SNOWBANK", "DEMO_POOL", "DEMO_WH", "_STAGE/"):
            assert environment_word not in node.value, f"{path}:{node.lineno} has {environment_word!r}"


@pytest.mark.parametrize("path", FILES)
def test_local_imports_resolve_to_files_the_bundler_can_ship(path):
    for node in ast.walk(tree_of(path)):
        for module in imported_modules(node):
            if module.split(".")[0] not in LOCAL_TOP:
                continue
            base = os.path.join(CODE_ROOT, *module.split("."))
            assert os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py")), f"{path}: {module}"
            if isinstance(node, ast.ImportFrom) and os.path.isdir(base):
                for alias in node.names:
                    # from package import name: a module file, or a name defined in __init__ (none are)
                    assert os.path.isfile(os.path.join(base, alias.name + ".py")), f"{path}: {module}.{alias.name}"
        assert not (isinstance(node, ast.ImportFrom) and node.level > 0), f"{path}: relative import"


# Run in a fresh interpreter: a meta-path finder ahead of all others refuses every snowflake import, so
# importing a module fails if it (or anything it imports at module level) imports a Snowflake library,
# whether or not the libraries are installed. The script first checks that the block works.
BLOCKED_IMPORT_SCRIPT = """
import importlib.abc, sys

class NoSnowflake(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "snowflake" or name.startswith("snowflake."):
            raise ImportError("snowflake imported at module level: " + name)
        return None

sys.meta_path.insert(0, NoSnowflake())
try:
    import snowflake.snowpark
except ImportError as error:
    assert "imported at module level" in str(error), error
else:
    raise AssertionError("the import block does not work")
for name in sys.argv[1:]:
    __import__(name)
print(len(sys.argv) - 1)
"""


def test_every_module_imports_without_snowflake_libraries():
    modules = [path[: -len(".py")].replace("/", ".").replace(".__init__", "") for path in FILES]
    out = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT_SCRIPT, *modules], cwd=CODE_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(len(modules))


def test_the_import_block_catches_a_module_level_snowflake_import(tmp_path):
    (tmp_path / "eager.py").write_text("import json\nfrom snowflake.snowpark import Session\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT_SCRIPT, "json", "eager"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 1
    assert "ImportError: snowflake imported at module level: snowflake" in out.stderr


def local_closure(entrypoint):
    """Files an entrypoint needs, found from its import statements as the bundler does."""
    needed, todo = set(), [entrypoint]
    while todo:
        path = todo.pop()
        if path in needed:
            continue
        needed.add(path)
        parts = path.split("/")
        for depth in range(1, len(parts)):
            init = "/".join(parts[:depth]) + "/__init__.py"
            if init not in needed:
                todo.append(init)
        for node in ast.walk(tree_of(path)):
            for module in imported_modules(node):
                if module.split(".")[0] not in LOCAL_TOP:
                    continue
                base = module.replace(".", "/")
                todo.append(base + ".py" if os.path.isfile(os.path.join(CODE_ROOT, base + ".py")) else base + "/__init__.py")
                if isinstance(node, ast.ImportFrom):
                    todo.extend(f"{base}/{a.name}.py" for a in node.names if os.path.isfile(os.path.join(CODE_ROOT, base, a.name + ".py")))
    return sorted(needed)


# Every module of tasks/ and jobs/ may be an entrypoint (pipeline.yaml names which are).
ENTRYPOINT_CANDIDATES = [path for path in FILES if path.split("/")[0] in ("tasks", "jobs") and not path.endswith("__init__.py")]


@pytest.mark.parametrize("entrypoint", ENTRYPOINT_CANDIDATES)
def test_each_entrypoint_imports_from_only_the_files_its_imports_name(entrypoint, tmp_path):
    for path in local_closure(entrypoint):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(open(os.path.join(CODE_ROOT, path), "rb").read())
    module = entrypoint[: -len(".py")].replace("/", ".")
    out = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.main.__name__)"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "main"
