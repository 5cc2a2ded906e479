"""The standalone run of the pipeline on this machine: ``python run_local.py --help``.

Usually started by ``npm run pipeline -- local`` (cli/local.ts), which passes the pipeline definition
and the stack's graph config as JSON; see mlpipeline/local_run.py for what is emulated.
"""

import argparse
import importlib
import json
import os
import sys

CODE_ROOT = os.path.dirname(os.path.abspath(__file__))
if CODE_ROOT not in sys.path:
    sys.path.insert(0, CODE_ROOT)

from mlpipeline import local_run  # noqa: E402

# Exit codes: 0 every task that ran succeeded, 1 a task failed, 2 bad usage or input,
# 3 a required library is missing.
EXIT_TASK_FAILED, EXIT_USAGE, EXIT_MISSING_LIBRARY = 1, 2, 3

DESCRIPTION = """Run the pipeline's Python tasks in graph order on this machine, with a Snowpark session
from Snowflake's connections.toml, emulating the task graph: the graph config (the stack's plus
--config overrides), predecessor return values, the branch's choice, and the finalizer running last,
always. Training runs here too (the ML Job payload in this process, not on the compute pool);
SQL tasks (the alert) are printed, not run. Objects are those of the stack's graph config: the run
registers a model version and writes datasets like a scheduled run."""

EPILOG = """examples:
  npm run pipeline -- local --no-register
  npm run pipeline -- local --connection dev --force-refresh --config metric_threshold=0.8

exit codes: 0 succeeded, 1 a task failed, 2 bad usage or input, 3 a required library is missing"""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="run_local.py", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--definition", required=True, help="JSON file: {\"pipeline\": <pipeline.yaml parsed>, \"graphConfig\": {...}}")
    parser.add_argument("--connection", help="a connection name of connections.toml (default: its default connection)")
    parser.add_argument("--no-register", action="store_true", help="skip the task that registers the model")
    parser.add_argument("--force-refresh", action="store_true", help="rebuild the dataset versions even if the source is unchanged")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="graph config override (repeatable)")
    return parser.parse_args(argv)


def missing_libraries(packages):
    """What to install when Snowpark or snowflake-ml is missing, with pipeline.yaml's pins."""
    missing = []
    for module, package in (("snowflake.snowpark", "snowflake-snowpark-python"), ("snowflake.ml", "snowflake-ml-python"), ("xgboost", "xgboost")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if not missing:
        return None
    pinned = {p.split("==")[0]: p for p in packages or []}
    return (
        f"missing Python package(s): {', '.join(missing)}. Install them with:\n"
        f"  pip install {' '.join(repr(pinned.get(name, name)) for name in ('snowflake-snowpark-python', 'snowflake-ml-python', 'xgboost'))}"
    )


def open_session(connection):
    from snowflake.snowpark import Session

    options = {"connection_name": connection} if connection else {}
    return Session.builder.configs(options).create()


def main(argv=None, *, open_session=open_session, seams=None, check_libraries=missing_libraries, out=print):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        with open(args.definition, encoding="utf-8") as handle:
            definition = json.load(handle)
        pipeline, config = definition["pipeline"], dict(definition["graphConfig"])
        config.update(local_run.parse_overrides(args.config))
        local_run.load_graph(pipeline)
    except (OSError, ValueError, KeyError, TypeError) as error:
        out(f"error: {args.definition}: {error}")
        return EXIT_USAGE
    problem = check_libraries(pipeline.get("packages"))
    if problem:
        out(problem)
        return EXIT_MISSING_LIBRARY
    try:
        session = open_session(args.connection)
    except Exception as error:  # connections.toml missing, wrong name, login refused
        which = f"connection {args.connection!r}" if args.connection else "the default connection"
        out(f"error: cannot open a Snowpark session with {which} of connections.toml: {error}")
        return EXIT_USAGE
    jobs = local_run.LocalJobs(session, importlib.import_module)
    run = local_run.LocalRun(session, pipeline, config, seams=seams if seams is not None else {"jobs": jobs},
                             register=not args.no_register, force_refresh=args.force_refresh, import_module=importlib.import_module)
    result = local_run.summary(run.run())
    out(json.dumps(result, indent=2, sort_keys=True))
    return 0 if result["succeeded"] else EXIT_TASK_FAILED


if __name__ == "__main__":
    sys.exit(main())
