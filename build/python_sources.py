"""Parse every Python file of a pipeline's code folder with CPython's own parser, in one process.

Usage: python3 build/python_sources.py <code root> <runtime, e.g. 3.11>
Prints one JSON document on stdout (keys sorted, files in path order, so the same tree gives the
same bytes):

  {"python": "3.11.7", "stdlib": [...top-level standard library modules...],
   "files": {"tasks/train_model.py": {"imports": [...], "functions": [...], "names": [...],
                                       "openNames": false, "error": null}, ...}}

- imports: every import statement, wherever it is (in functions, under if/try), as
  {"module", "level", "names", "line"}: what the bundler follows (build/pythonSources.ts, lib/bundle).
- functions: top-level `def`/`async def` names with their line and parameters (an entrypoint needs
  `main` taking session plus the task's procedure arguments).
- names: every name bound at module level (def, class, assignment, import, for/with targets, in any
  if/try/with/for/while block): `from pkg import name` is satisfied by such a name or a submodule.
- openNames: the module can define names we cannot see (`from x import *`, a module `__getattr__`,
  writes to globals()), so a missing name is not reported.
- error: {"line", "message"} when the file does not compile for the pipeline's runtime:
  ast.parse with feature_version (the grammar of that Python version, best effort per the ast docs)
  and then compile(), which adds the errors the parser leaves to the compiler (`return` outside a
  function, `await` outside async, a misplaced nonlocal...).

The program (build/pythonSources.ts) runs this once per plan; the pure import resolution and the
checks are in lib/bundle. Folders starting with "." or named __pycache__, node_modules, or holding a
virtual environment (pyvenv.cfg) are skipped: they are never part of a bundle.
"""

import ast
import json
import os
import sys

SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


def bound_targets(target, names):
    if isinstance(target, ast.Name):
        names.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            bound_targets(element, names)
    elif isinstance(target, ast.Starred):
        bound_targets(target.value, names)


def module_names(body, names, state):
    """Names bound at module level; recurses into blocks that do not open a new scope."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if node.name == "__getattr__":
                state["open"] = True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    state["open"] = True
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                bound_targets(target, names)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            bound_targets(node.target, names)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            bound_targets(node.target, names)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    bound_targets(item.optional_vars, names)
        if sys.version_info >= (3, 12) and isinstance(node, ast.TypeAlias):
            bound_targets(node.name, names)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module_names(block, names, state)
        for handler in getattr(node, "handlers", []) or []:
            if handler.name:
                names.add(handler.name)
            module_names(handler.body, names, state)
        for case in getattr(node, "cases", []) or []:
            module_names(case.body, names, state)
    # Walrus assignments at module level also bind names.
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.NamedExpr):
                bound_targets(sub.target, names)


def describe(path, source, minor):
    result = {"imports": [], "functions": [], "names": [], "openNames": False, "error": None}
    try:
        tree = ast.parse(source, filename=path, feature_version=(3, minor))
        compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as error:  # IndentationError and TabError are SyntaxErrors too
        result["error"] = {"line": error.lineno or 1, "message": error.msg}
        return result
    except ValueError as error:  # e.g. a null byte in the source
        result["error"] = {"line": 1, "message": str(error)}
        return result
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                result["imports"].append({"module": alias.name, "level": 0, "names": [], "line": node.lineno})
        elif isinstance(node, ast.ImportFrom):
            result["imports"].append(
                {"module": node.module or "", "level": node.level, "names": [a.name for a in node.names], "line": node.lineno}
            )
    result["imports"].sort(key=lambda i: (i["line"], i["module"], i["level"]))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            result["functions"].append({
                "name": node.name,
                "line": node.lineno,
                # What a positional call can pass: the plan checks main against the task's arguments.
                "params": {
                    "positional": [a.arg for a in args.posonlyargs + args.args],
                    "defaults": len(args.defaults),
                    "varargs": args.vararg is not None,
                    "kwonlyRequired": [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None],
                },
            })
    names, state = set(), {"open": False}
    module_names(tree.body, names, state)
    if any(isinstance(n, ast.Name) and n.id in ("globals", "__getattr__") for n in ast.walk(tree)):
        state["open"] = True
    result["names"] = sorted(names)
    result["openNames"] = state["open"]
    return result


def main():
    if sys.version_info < (3, 10):  # sys.stdlib_module_names and the 3.10 grammar
        sys.exit("needs Python 3.10 or later; this is %d.%d" % sys.version_info[:2])
    root = os.path.abspath(sys.argv[1])
    # The runtime's grammar, or this interpreter's when it is older (it cannot parse newer syntax).
    minor = min(int(sys.argv[2].split(".")[1]), sys.version_info[1]) if len(sys.argv) > 2 else sys.version_info[1]
    files = {}
    for directory, dirs, entries in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and d not in SKIP_DIRS and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
        )
        for entry in sorted(entries):
            if not entry.endswith(".py"):
                continue
            full = os.path.join(directory, entry)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, "rb") as handle:
                source = handle.read()
            files[rel] = describe(rel, source, minor)
    stdlib = sorted(getattr(sys, "stdlib_module_names", ()))
    version = "%d.%d.%d" % sys.version_info[:3]
    json.dump({"python": version, "stdlib": stdlib, "files": files}, sys.stdout, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    main()
