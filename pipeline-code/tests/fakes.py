"""Fakes of the Snowflake side: a session serving the task graph functions and recording every
statement, a stage, source tables, dataset versions, a model registry and ML Jobs.

Each stands for something that needs a Snowflake account (a task run, stages, datasets, the model
registry, ML Job services) and says so at its class. What runs offline is not faked: the feature
code runs through Snowpark's local testing mode (tests/snowpark_local.py), the training payload's
connector path through the real Snowpark session and DatasetReader (tests/snowflake_account.py), and
every model registered here is packaged by snowflake-ml's own ModelPackager (package_model)."""

import datetime as dt
import email.utils
import io
import json
import re

import pandas as pd

from mlpipeline import artifacts, features


def parse_snowflake_timestamp(value):
    """What TO_TIMESTAMP_LTZ accepts of the forms used here ('2024-03-01 02:00:00.000 +0000',
    ISO 8601 with T or Z); anything else fails as in Snowflake. A value without offset is UTC."""
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(text.replace(" +00:00", " +0000"), fmt)
            break
        except ValueError:
            continue
    else:
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
                raise ValueError(text)
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FakeSQLError(f"Timestamp '{text}' is not recognized") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def content_version(frame):
    """The dataset version PREPARE_DATA should name for a source holding ``frame``, worked out from the
    fake's HASH_AGG stand-in (FakeSession._fingerprint) as the unsigned 64-bit number in hex."""
    total = int(pd.util.hash_pandas_object(frame, index=False).astype("uint64").sum()) % 2**64
    return "v" + format(total, "016x")


class FakeSQLError(Exception):
    """Shaped like a Snowflake error: the message carries Snowflake's wording."""


class FakeRow(tuple):
    """A result row like snowflake.snowpark.Row (1.54): a tuple whose fields also have names, with
    ``as_dict()``. Field names keep the case the statement's columns have."""

    def __new__(cls, fields):
        row = super().__new__(cls, tuple(fields.values()))
        row._fields = tuple(fields)
        return row

    def as_dict(self, recursive=False):
        return dict(zip(self._fields, self))

    def __getitem__(self, item):
        if isinstance(item, str):
            return self.as_dict()[item]
        return tuple.__getitem__(self, item)


def _name_parts(name):
    """'DB.SCHEMA."A$B"' -> ['DB', 'SCHEMA', 'A$B'] (quoted parts unquoted, unquoted parts as written)."""
    parts = re.findall(r'"(?:[^"]|"")*"|[^."]+', name)
    return [p[1:-1].replace('""', '"') if p.startswith('"') else p for p in parts]


def _field(row, name):
    """A column of a FakeRow, whatever case the fixture gives its name in."""
    return next(value for key, value in row.as_dict().items() if key.lower() == name)


class FakeResult:
    def __init__(self, rows):
        self._rows = rows

    def collect(self):
        return list(self._rows)


def _literal(value):
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


class FakeFileOperations:
    """Stands for session.file (PUT/GET against a stage of the account)."""

    def __init__(self, session):
        self.session = session

    def put_stream(self, stream, path, auto_compress=True, overwrite=False, **_):
        self.session.statements.append(f"PUT_STREAM {path} auto_compress={auto_compress} overwrite={overwrite}")
        if auto_compress:
            raise AssertionError("model files must be uploaded uncompressed")
        self.session.stage[path] = (stream.read(), self.session.now)

    def get_stream(self, path, **_):
        self.session.statements.append(f"GET_STREAM {path}")
        if path not in self.session.stage:
            raise FakeSQLError(f"File '{path}' does not exist or not authorized.")
        return io.BytesIO(self.session.stage[path][0])


class FakeSession:
    """Stands for a task's session in a graph run (needs an account: task graph functions, stages,
    INFORMATION_SCHEMA). Serves SYSTEM$GET_TASK_GRAPH_CONFIG, SYSTEM$GET_PREDECESSOR_RETURN_VALUE, SYSTEM$SET_RETURN_VALUE,
    SYSTEM$TASK_RUNTIME_INFO, INFORMATION_SCHEMA.TABLES, .TASK_HISTORY and .TASK_DEPENDENTS,
    CREATE TABLE / COPY INTO, LIST / REMOVE.

    ``dependents`` are the rows TASK_DEPENDENTS returns for the graph's root (helpers.task_dependents_rows);
    with them, SYSTEM$GET_PREDECESSOR_RETURN_VALUE serves any ancestor of the runtime's
    CURRENT_TASK_NAME (None for one that set no value) and refuses other names, as Snowflake does.
    """

    def __init__(self, config, predecessors=None, runtime=None, now=None, dependents=None):
        self.config = config
        self.predecessors = dict(predecessors or {})
        self.runtime = dict(runtime or {})
        self.statements = []
        self.return_values = []
        self.tables = {}  # fqn -> {"frame", "last_altered"}
        self.staged_csv = {}  # '@STAGE/path.csv' -> local file path
        self.stage = {}  # '@DB.SCHEMA.STAGE/path' -> (bytes, last_modified)
        self.now = now or dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
        self.file = FakeFileOperations(self)
        # TASK_HISTORY rows: (database of the INFORMATION_SCHEMA, graph run group id, task name, state),
        # optionally followed by a dict of ROOT_TASK_ID, RUN_ID (epoch ms) and SCHEDULED_TIME; a plain
        # 4-tuple is a run of this session's graph (runtime CURRENT_ROOT_TASK_UUID) scheduled at the
        # runtime's original scheduled time. An exception here is raised by the history query instead.
        self.task_history = []
        # SHOW PARAMETERS ... IN TASK answers: task name -> {parameter: value}.
        self.task_parameters = {}
        self.scope_parameters = {}
        self.dependents = list(dependents) if dependents is not None else None
        # SYSTEM$EVALUATE_DATA_QUALITY_EXPECTATIONS: source fqn -> rows (a callable returning them),
        # standing for the data metric functions `pulumi up` attached to the source.
        self.expectations = {}
        # Views, model monitors and alerts created (name -> statement), standing for the account's objects.
        self.objects = {}

    # -- graph functions ---------------------------------------------------------------------------
    def call(self, name, *args):
        self.statements.append(f"CALL {name}({', '.join(_literal(a) for a in args)})")
        upper = name.upper()
        if upper == "SYSTEM$GET_TASK_GRAPH_CONFIG":
            if self.config is None:
                return None
            return self.config if isinstance(self.config, str) else json.dumps(self.config)
        if upper == "SYSTEM$GET_PREDECESSOR_RETURN_VALUE":
            (task,) = args
            if self.dependents is not None:
                if task not in self._ancestors():
                    raise FakeSQLError(f"Task {task} is not a predecessor of the current task or is not enabled.")
                return self.predecessors.get(task)
            if task not in self.predecessors:
                raise FakeSQLError(f"Task {task} is not a predecessor of the current task or is not enabled.")
            return self.predecessors[task]
        if upper == "SYSTEM$SET_RETURN_VALUE":
            (value,) = args
            if len(value.encode("utf-8")) > 10 * 1024:
                raise FakeSQLError("Return value exceeds the maximum size")
            self.return_values.append(value)
            return "Return value set."
        raise FakeSQLError(f"Unknown function {name}")

    # -- SQL ------------------------------------------------------------------------------------------
    def sql(self, query, params=None):
        self.statements.append(query)
        text = " ".join(query.split())
        for pattern, handler in (
            (r"SYSTEM\$TASK_RUNTIME_INFO", self._runtime_info),
            (
                r"^SELECT \* FROM TABLE\((\w+)\.INFORMATION_SCHEMA\.TASK_DEPENDENTS\(TASK_NAME => '((?:[^'\\]|\\.)*)', RECURSIVE => TRUE\)\)$",
                self._task_dependents,
            ),
            (r"^SELECT NAME, STATE FROM TABLE\((\w+)\.INFORMATION_SCHEMA\.TASK_HISTORY\((.*?)\)\) WHERE (.*)$", self._task_history),
            (r"^SHOW PARAMETERS LIKE '(\w+)' IN TASK ([\w.$\"]+)$", self._show_parameters),
            (r"^SHOW PARAMETERS LIKE '(\w+)' IN (SESSION|WAREHOUSE \w+)$", self._show_scope_parameters),
            (r"FROM (\w+)\.INFORMATION_SCHEMA\.TABLES WHERE TABLE_SCHEMA = '(\w+)' AND TABLE_NAME = '(\w+)'", self._table_info),
            (r"^SELECT TO_CHAR\(HASH_AGG\(\*\)\), COUNT\(\*\) FROM ([\w.]+)$", self._fingerprint),
            (r"^CREATE TABLE IF NOT EXISTS ([\w.]+) \(", self._create_table),
            (r"^COPY INTO ([\w.]+) FROM (@\S+) ", self._copy_into),
            (r"^LIST (@\S+)$", self._list),
            (r"^REMOVE (@\S+)$", self._remove),
            (r"^DROP TABLE IF EXISTS ([\w.$]+)$", self._drop_table),
            (r"^CREATE OR REPLACE (?:VIEW|MODEL MONITOR|ALERT) ([\w.$]+) ", self._create_object),
            (r"^ALTER ALERT ([\w.$]+) RESUME$", self._resume_alert),
            (r"FROM TABLE\(SYSTEM\$EVALUATE_DATA_QUALITY_EXPECTATIONS\(REF_ENTITY_NAME => '([\w.]+)'\)\)$", self._evaluate_expectations),
        ):
            match = re.search(pattern, text)
            if match:
                return FakeResult(handler(match, text))
        raise FakeSQLError(f"FakeSession has no answer for: {text}")

    def _runtime_info(self, _match, text):
        """SELECT list items over SYSTEM$TASK_RUNTIME_INFO, evaluated as Snowflake would: TO_CHAR of the
        string, TO_TIMESTAMP(_LTZ) parsing it (an unparseable timestamp is an error, as in Snowflake),
        TO_CHAR(..., 'YYYYMMDD_HH24MISS') and DATE_PART(EPOCH_MILLISECOND, ...)."""
        items = re.split(r",\s*(?=(?:TO_CHAR|DATE_PART|SYSTEM\$))", text[len("SELECT "):]) if text.startswith("SELECT ") else []
        values = []
        for item in items:
            prop = re.search(r"SYSTEM\$TASK_RUNTIME_INFO\('(\w+)'\)", item).group(1)
            if prop not in self.runtime:
                values.append(None)  # an unknown property: NULL, which the code treats as unavailable
                continue
            raw = self.runtime[prop]
            if "TO_TIMESTAMP" in item:
                stamp = parse_snowflake_timestamp(raw)
                if "DATE_PART(EPOCH_MILLISECOND" in item:
                    values.append(int(stamp.timestamp() * 1000))
                elif "'YYYYMMDD_HH24MISS'" in item:
                    values.append(stamp.strftime("%Y%m%d_%H%M%S"))
                else:
                    raise FakeSQLError(f"FakeSession cannot evaluate {item}")
            else:
                values.append(raw)
        return [tuple(values)]

    def _show_parameters(self, match, _text):
        name, task = match.group(1), match.group(2)
        short = _name_parts(task)[-1]
        if short not in self.task_parameters:
            raise FakeSQLError(f"Task '{task}' does not exist or not authorized.")
        value = self.task_parameters[short].get(name)
        if value is None:
            return []
        # columns key, value, default, level, description, type (SHOW PARAMETERS); values are strings.
        return [(name, str(value), "3600000", "TASK", "", "NUMBER")]

    def _show_scope_parameters(self, match, _text):
        """SESSION / WAREHOUSE parameters (``scope_parameters``: {"SESSION": {...}, "WAREHOUSE WH": {...}});
        an unset one shows Snowflake's default, 172800 s (2 days) for STATEMENT_TIMEOUT_IN_SECONDS."""
        name, scope = match.group(1), match.group(2)
        value = self.scope_parameters.get(scope, {}).get(name, 172800)
        return [(name, str(value), "172800", scope.split()[0], "", "NUMBER")]

    def _task_dependents(self, match, _text):
        """TASK_DEPENDENTS of the named root: its rows when database, schema and name match (the root's
        row first); an unknown task is Snowflake's "does not exist" error."""
        database, requested = match.group(1), _name_parts(match.group(2).replace("\\'", "'"))
        rows = self.dependents or []
        if rows:
            root = [_field(rows[0], column) for column in ("database_name", "schema_name", "name")]
            if requested == root and database == root[0]:
                return rows
        raise FakeSQLError(f"Task '{match.group(2)}' does not exist or not authorized.")

    def _ancestors(self):
        current = _name_parts(self.runtime.get("CURRENT_TASK_NAME") or "")[-1:]
        graph = {}
        for row in self.dependents:
            predecessors = _field(row, "predecessors")
            names = json.loads(predecessors) if isinstance(predecessors, str) else predecessors
            graph[_field(row, "name")] = [_name_parts(p)[-1] for p in names]
        seen, todo = set(), list(graph.get(current[0], []) if current else [])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, []))
        return seen

    def _task_history(self, match, _text):
        if isinstance(self.task_history, Exception):
            raise self.task_history
        database, arguments, condition = match.group(1), match.group(2), match.group(3)
        limit = int(re.search(r"RESULT_LIMIT => (\d+)", arguments).group(1))
        assert 1 <= limit <= 10000, "TASK_HISTORY RESULT_LIMIT is 1..10000"
        start_match = re.search(r"SCHEDULED_TIME_RANGE_START => TO_TIMESTAMP_LTZ\('([^']*)'\)", arguments)
        start = parse_snowflake_timestamp(start_match.group(1)) if start_match else None
        if start is not None and start < self.now - dt.timedelta(days=7):
            raise FakeSQLError("Invalid argument: SCHEDULED_TIME_RANGE_START must be within the last 7 days")
        root_match = re.search(r"ROOT_TASK_ID => '([^']*)'", arguments)
        cond = re.match(r"^\((.*)\) AND NAME <> '([^']*)'$", condition)
        assert cond, f"unexpected TASK_HISTORY condition: {condition}"
        group_match = re.search(r"LOWER\(TO_CHAR\(GRAPH_RUN_GROUP_ID\)\) = '([^']*)'", cond.group(1))
        run_match = re.search(r"RUN_ID = (\d+)", cond.group(1))
        excluded = cond.group(2)
        default_scheduled = parse_snowflake_timestamp(self.runtime["CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP"]) \
            if "CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP" in self.runtime else self.now
        rows = []
        for entry in self.task_history:
            db, run_group, name, state = entry[:4]
            extra = entry[4] if len(entry) > 4 else {}
            root = extra.get("ROOT_TASK_ID", self.runtime.get("CURRENT_ROOT_TASK_UUID"))
            scheduled = extra.get("SCHEDULED_TIME", default_scheduled)
            run_id = extra.get("RUN_ID")
            if db != database or (root_match and root != root_match.group(1)) or (start and scheduled < start):
                continue
            in_group = group_match is not None and str(run_group).lower() == group_match.group(1)
            in_run = run_match is not None and run_id is not None and int(run_id) == int(run_match.group(1))
            if (in_group or in_run) and name != excluded:
                rows.append((name, state))
        return rows[:limit]

    def _create_object(self, match, text):
        self.objects[match.group(1)] = text
        return [(f"{match.group(1)} successfully created.",)]

    def _resume_alert(self, match, _text):
        if match.group(1) not in self.objects:
            raise FakeSQLError(f"Alert '{match.group(1)}' does not exist or not authorized.")
        return [("Statement executed successfully.",)]

    def _evaluate_expectations(self, match, _text):
        """Rows (metric_name, expectation_name, expectation_expression, arguments, value, expectation_violated)
        as the function returns them for an object with expectations; an object without any has none."""
        rows = self.expectations.get(match.group(1), [])
        return rows() if callable(rows) else list(rows)

    def _table_info(self, match, _text):
        fqn = ".".join(match.groups())
        table = self.tables.get(fqn)
        if table is None:
            return []
        return [(table.get("row_count", len(table["frame"])),)]

    def _fingerprint(self, match, _text):
        """Stands for HASH_AGG(*) (Snowflake's proprietary hash, not reproducible here): an
        order-independent signed 64-bit sum of pandas row hashes, NULL for no rows."""
        fqn = match.group(1)
        if fqn not in self.tables:
            raise FakeSQLError(f"Object '{fqn}' does not exist or not authorized.")
        frame = self.tables[fqn]["frame"]
        if len(frame) == 0:
            return [(None, 0)]
        total = int(pd.util.hash_pandas_object(frame, index=False).astype("uint64").sum()) & (2**64 - 1)
        return [(str(total - 2**64 if total >= 2**63 else total), len(frame))]

    def _create_table(self, match, _text):
        fqn = match.group(1)
        if fqn not in self.tables:
            self.tables[fqn] = {"frame": pd.DataFrame(), "last_altered": self.now.strftime("%Y%m%d_%H%M%S")}
        return [(f"Table {fqn} successfully created.",)]

    def _copy_into(self, match, text):
        fqn, location = match.group(1), match.group(2)
        if fqn not in self.tables:
            raise FakeSQLError(f"Table '{fqn}' does not exist or not authorized.")
        if location not in self.staged_csv:
            raise FakeSQLError(f"Remote file '{location}' was not found.")
        assert "SKIP_HEADER = 1" in text and "TYPE = CSV" in text
        frame = pd.read_csv(self.staged_csv[location], parse_dates=["TS"])
        self.now = self.now + dt.timedelta(seconds=5)
        self.tables[fqn] = {"frame": frame, "last_altered": self.now.strftime("%Y%m%d_%H%M%S")}
        return [(location, "LOADED", len(frame))]

    def add_table(self, fqn, frame, last_altered, row_count=None, view=False):
        self.tables[fqn] = {"frame": frame, "last_altered": last_altered}
        if view:  # INFORMATION_SCHEMA.TABLES has ROW_COUNT NULL for views
            self.tables[fqn]["row_count"] = None

    def table(self, fqn):
        self.statements.append(f"TABLE {fqn}")
        if fqn not in self.tables:
            raise FakeSQLError(f"Object '{fqn}' does not exist or not authorized.")
        return FakeFrame(self.tables[fqn]["frame"])

    @staticmethod
    def _list_name(path):
        stage, _, rest = path[1:].partition("/")
        return f"{stage.split('.')[-1].lower()}/{rest}"

    def _list(self, match, _text):
        prefix = match.group(1)
        rows = []
        for path, (data, modified) in sorted(self.stage.items()):
            if path.startswith(prefix):
                rows.append((self._list_name(path), len(data), "md5", email.utils.format_datetime(modified, usegmt=True)))
        return rows

    def _remove(self, match, _text):
        prefix = match.group(1)
        gone = [path for path in self.stage if path.startswith(prefix)]
        for path in gone:
            del self.stage[path]
        return [(self._list_name(path), "removed") for path in sorted(gone)]

    def _drop_table(self, match, _text):
        """DROP TABLE IF EXISTS: Snowflake answers with a status row whether or not the table existed."""
        name = match.group(1).upper()
        existed = self.tables.pop(name, None) is not None
        return [(f"{name.rsplit('.', 1)[-1]} successfully dropped." if existed else "Drop statement executed successfully.",)]

    def statements_matching(self, pattern):
        return [s for s in self.statements if re.search(pattern, s)]


class FakeFrame:
    """A source table or computed frame, already in pandas (Snowpark DataFrame.to_pandas's shape)."""

    def __init__(self, frame):
        self._frame = frame

    def to_pandas(self):
        return self._frame.reset_index(drop=True).copy()


def reference_build(session, source, tables, sp=None):
    """Stand-in for mlpipeline.datasets.build_version_frame in task tests: the same features through
    features.reference_features, the pandas implementation that test_features.py checks against
    Snowpark's local testing mode (which needs minutes for the sample, too slow for every task test).
    The split is features.local_is_train (LOAN_ID % 5), Snowflake's HASH being unavailable here."""
    for table in (tables["lookups"], tables["means"]):
        session.statements.append(f"SAVE_AS_TABLE {table} mode=overwrite")
    return FakeFrame(features.reference_features(source.to_pandas()))


class FakeVersion:
    def __init__(self, name, created_on):
        self.name = name
        self.created_on = created_on


class FakeDatasetStore:
    """Stands for snowflake.ml.dataset in the account (datasets.SnowflakeDatasets): dataset versions
    kept as pandas frames (materialised from fake Snowpark frames on create)."""

    def __init__(self, now=None):
        self.versions = {}  # (name, version) -> {"frame", "created_on", "label_cols", "exclude_cols", "comment"}
        self.now = now or dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
        self.calls = []
        self.fail_delete = {}  # version -> exception

    def list_versions(self, name):
        from mlpipeline.datasets import VersionInfo

        self.calls.append(("list_versions", name))
        return [VersionInfo(v, info["created_on"]) for (n, v), info in sorted(self.versions.items()) if n == name]

    def create_version(self, name, version, frame, *, label_cols, exclude_cols, comment):
        self.calls.append(("create_version", name, version))
        if (name, version) in self.versions:
            raise FakeSQLError(f"Dataset version {version} already exists")
        self.versions[(name, version)] = {
            "frame": frame.to_pandas() if hasattr(frame, "to_pandas") else frame,
            "created_on": self.now,
            "label_cols": list(label_cols),
            "exclude_cols": list(exclude_cols),
            "comment": comment,
        }

    def delete_version(self, name, version):
        self.calls.append(("delete_version", name, version))
        if version in self.fail_delete:
            raise self.fail_delete[version]
        if (name, version) not in self.versions:
            raise FakeSQLError(f"Dataset version {version} of {name} does not exist")
        del self.versions[(name, version)]

    def add(self, name, version, created_on, frame=None):
        self.versions[(name, version)] = {"frame": frame, "created_on": created_on, "label_cols": [], "exclude_cols": [], "comment": ""}

    def load(self, name, version):
        """Read a version as the ML Job does (load_dataset(...).read.to_pandas())."""
        return self.versions[(name, version)]["frame"].copy()


def tiny_model_bytes():
    """A real (tiny) XGBoost model in the UBJ format jobs/train.py writes."""
    import xgboost as xgb

    frame = pd.DataFrame({"MONTH": [1, 2, 3, 4, 5, 6, 7, 8], "INCOME_LOAN_RATIO": [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6]})
    label = [0, 1, 0, 1, 0, 1, 0, 1]
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(frame, label=label, feature_names=list(frame.columns)), num_boost_round=2)
    return bytes(booster.save_raw("ubj"))


def tiny_classifier():
    """The tiny model as the XGBClassifier PROMOTE_MODEL registers (registry.classifier_from_bytes),
    for tests where what the model computes does not matter: FakeRegistry.log_model packages it."""
    from mlpipeline import registry

    return registry.classifier_from_bytes(tiny_model_bytes())


def package_model(model):
    """What Registry.log_model does before it uploads anything, for real: snowflake-ml's ModelPackager
    saves the model with the options and platforms PROMOTE_MODEL passes, and loads it back. Only the
    upload and CREATE MODEL ... FROM stage (an account) are left out. Returns the loaded model and
    the dependencies the version records; None where snowflake-ml is not installed (Debian fallback)."""
    try:
        from snowflake.ml.model._packager import model_packager
    except ImportError:
        return None
    import tempfile

    from mlpipeline import registry

    from snowflake.ml._internal.platform_capabilities import PlatformCapabilities

    names = model.get_booster().feature_names
    sample = pd.DataFrame({name: [0.0, 1.0] for name in names})  # the real wrapper reads 100 dataset rows
    # The packager asks the active session for SYSTEM$ML_PLATFORM_CAPABILITIES() (an account), which a
    # local testing session cannot run; stand for it with what it uses when no session answers
    # (model_env.is_pip_only_packaging_enabled: False), so packaging is the same with or without one.
    with tempfile.TemporaryDirectory(prefix="model-package-") as folder, PlatformCapabilities.mock_features({"ENABLE_PIP_ONLY_PACKAGING": False}):
        model_packager.ModelPackager(folder).save(name="model", model=model, sample_input_data=sample,
                                                  options=registry.log_model_options(), target_platforms=list(registry.TARGET_PLATFORMS))
        loaded = model_packager.ModelPackager(folder)
        loaded.load()
        return {"model": loaded.model, "dependencies": [str(d).replace(" ", "") for d in loaded.meta.env.conda_dependencies],
                "methods": sorted(loaded.meta.signatures)}


class FakeRegistry:
    """Stands for the model registry in the account (registry.SnowflakeRegistry: SHOW MODELS, the
    upload, CREATE MODEL ... FROM stage, lineage). The packaging log_model does first is real
    (package_model)."""

    def __init__(self, now=None):
        self.models = {}  # model -> {version: {"created_on", "metrics", "train_dataset", "model"}}
        self.defaults = {}
        self.aliases = {}  # model -> {version: alias}
        self.calls = []
        self.now = now or dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
        self.fail_delete = {}

    def versions(self, model_name):
        from mlpipeline.registry import ModelVersionInfo

        self.calls.append(("versions", model_name))
        if model_name not in self.models:
            return None
        aliases = self.aliases.get(model_name, {})
        return [
            ModelVersionInfo(name, info["created_on"], self.defaults.get(model_name) == name, tuple(a for a in [aliases.get(name)] if a))
            for name, info in sorted(self.models[model_name].items())
        ]

    def set_alias(self, model_name, version, alias):
        """ALTER MODEL ... VERSION v SET ALIAS = a, with Snowflake's rules
        (https://docs.snowflake.com/sql-reference/sql/alter-model): a version has at most one alias,
        an alias names one version, DEFAULT/FIRST/LAST are reserved."""
        self.calls.append(("set_alias", model_name, version, alias))
        aliases = self.aliases.setdefault(model_name, {})
        if version not in self.models.get(model_name, {}):
            raise FakeSQLError(f"Model version {version} does not exist")
        if alias.upper() in ("DEFAULT", "FIRST", "LAST"):
            raise FakeSQLError(f"{alias} is a system alias")
        if version in aliases:
            raise FakeSQLError(f"Version {version} already has alias {aliases[version]}")
        if alias in aliases.values():
            raise FakeSQLError(f"Alias {alias} already exists in model {model_name}")
        aliases[version] = alias

    def unset_alias(self, model_name, version_or_alias):
        self.calls.append(("unset_alias", model_name, version_or_alias))
        aliases = self.aliases.setdefault(model_name, {})
        version = next((v for v, a in aliases.items() if a == version_or_alias), version_or_alias)
        aliases.pop(version, None)

    def log_model(self, model_name, version, model, *, train_dataset, metrics, comment):
        self.calls.append(("log_model", model_name, version))
        # Registry.log_model accepts model objects of the supported libraries only (1.48.0 raises for
        # anything else, e.g. a string).
        if not (hasattr(model, "predict") and hasattr(model, "save_model")):
            raise TypeError(f"{type(model).__name__} is not a supported model type")
        versions = self.models.setdefault(model_name, {})
        if version in versions:
            raise FakeSQLError(f"Version {version} already exists in model {model_name}")
        versions[version] = {"created_on": self.now, "metrics": dict(metrics), "train_dataset": tuple(train_dataset), "model": model, "comment": comment,
                             "packaged": package_model(model)}

    def set_default(self, model_name, version):
        self.calls.append(("set_default", model_name, version))
        if version not in self.models.get(model_name, {}):
            raise FakeSQLError(f"Version {version} does not exist")
        self.defaults[model_name] = version

    def predict_proba(self, model_name, version, frame):
        """ModelVersion.run(frame, function_name="predict_proba"): the frame with output_feature_0/1 added,
        computed by the registered model (a real XGBClassifier in the tests that register one, or
        ``self.probability`` given per test for a frame of the local testing session)."""
        self.calls.append(("predict_proba", model_name, version))
        if version not in self.models.get(model_name, {}):
            raise FakeSQLError(f"Model version {version} does not exist")
        return self.probability(frame)

    def delete_version(self, model_name, version):
        self.calls.append(("delete_version", model_name, version))
        if version in self.fail_delete:
            raise self.fail_delete[version]
        if self.defaults.get(model_name) == version:
            raise FakeSQLError("Cannot drop the default version of a model")
        if version not in self.models.get(model_name, {}):
            raise FakeSQLError(f"Model version {version} does not exist")
        del self.models[model_name][version]

    def datasets_used_by(self, model_name, version):
        self.calls.append(("datasets_used_by", model_name, version))
        dataset = self.models[model_name][version].get("train_dataset")
        return {dataset} if dataset else set()

    def add(self, model_name, version, created_on, train_dataset=None, default=False, alias=None):
        self.models.setdefault(model_name, {})[version] = {"created_on": created_on, "metrics": {}, "train_dataset": train_dataset, "model": None, "comment": ""}
        if default:
            self.defaults[model_name] = version
        if alias:
            self.aliases.setdefault(model_name, {})[version] = alias


class FakeJob:
    """Stands for an ML Job service on a compute pool (needs an account): an ML Job as
    snowflake.ml.jobs.MLJob (1.48.0) behaves for the calls used: ``wait(timeout)``
    returns the final status or raises TimeoutError when the job would run longer than ``timeout``
    seconds (``duration``), ``cancel()`` ends it CANCELLED, ``result()`` raises unless DONE."""

    def __init__(self, job_id, status, result=None, logs="", run=None, duration=0.0, cancel_error=None):
        self.id = job_id
        self._status = status
        self._result = result
        self._logs = logs
        self._run = run
        self.duration = duration
        self.cancel_error = cancel_error
        self.waited = False
        self.wait_timeouts = []
        self.cancelled = False

    def wait(self, timeout=-1):
        self.waited = True
        self.wait_timeouts.append(timeout)
        if timeout >= 0 and self.duration > timeout:
            raise TimeoutError(f"Job {self.id} did not complete within {timeout} seconds")
        if self._run is not None:
            try:
                self._result = self._run()
            except Exception as error:  # the payload failed: the job ends FAILED
                self._status = "FAILED"
                self._logs += f"\nTraceback (most recent call last):\n{type(error).__name__}: {error}"
        return self._status

    def cancel(self):
        if self.cancel_error is not None:
            raise self.cancel_error
        self.cancelled = True
        self._status = "CANCELLED"

    def result(self, timeout=-1):
        if self._status != "DONE":
            raise RuntimeError(f"Job execution failed (id={self.id})")
        return self._result

    def get_logs(self, limit=-1, **_):
        return self._logs


class FakeJobs:
    """Stands for snowflake.ml.jobs against the account (ml_jobs.SnowflakeJobs). Records
    submit_from_stage's arguments and returns the job a test prepared; lists, cancels and deletes
    jobs as SHOW JOB SERVICES / MLJob.cancel / delete_job do (``listed`` rows: id, name, status, created_time)."""

    def __init__(self, make_job=None, listed=None):
        self.make_job = make_job
        self.submissions = []
        self.made = []
        self.listed = list(listed or [])
        self.deleted = []
        self.cancelled = []
        self.fail_delete = {}

    def submit(self, **kwargs):
        self.submissions.append(kwargs)
        job = self.make_job(kwargs)
        self.made.append(job)
        return job

    def list(self, database, schema, name_prefix):
        # SHOW JOB SERVICES LIKE '<prefix>%' (case-insensitive, as Snowflake's LIKE in SHOW is).
        return [dict(job) for job in self.listed if str(job["name"]).upper().startswith(name_prefix.upper())]

    def cancel(self, job_id):
        for job in self.listed:
            if job["id"] == job_id:
                job["status"] = "CANCELLED"
                self.cancelled.append(job_id)
                return
        raise FakeSQLError(f"Service '{job_id}' does not exist or not authorized.")

    def delete(self, job_id):
        if job_id in self.fail_delete:
            raise self.fail_delete[job_id]
        if not any(job["id"] == job_id for job in self.listed):
            raise FakeSQLError(f"Service '{job_id}' does not exist or not authorized.")
        self.listed = [job for job in self.listed if job["id"] != job_id]
        self.deleted.append(job_id)


class FakeJobIO:
    """Stands for the ML Job container's dataset reads and stage writes (jobs/train.py's SnowflakeJobIO,
    whose real path tests/test_train_connector.py runs): over a FakeDatasetStore and a FakeSession's stage."""

    def __init__(self, store, session):
        self.store, self.session = store, session

    batch_rows = 1000  # Snowflake's result batches stand for themselves here: any size works

    def frame(self, name, version, split_col, split):
        rows = self.store.load(name, version)
        return rows[rows[split_col] == split].reset_index(drop=True)

    def batches(self, name, version, split_col, split):
        rows = self.frame(name, version, split_col, split)
        for start in range(0, len(rows), self.batch_rows):
            yield rows.iloc[start:start + self.batch_rows]

    def connector(self, name, version, split_col, split):
        # Several instances: the payload hands this to the distributed estimator, which does not
        # import outside the ML container runtime, so training falls back to one node.
        return ("connector", name, version, split)

    def save(self, path, data):
        artifacts.write_bytes(self.session, path, data)
