"""Promotion's model version aliases (mlpipeline/model_aliases.py): the graph config keys, the alias
moves promotion makes, and CLEANUP keeping aliased versions.

Alias rules, from https://docs.snowflake.com/sql-reference/sql/alter-model: "a version can have at
most one alias", an alias is unique within the model, and DEFAULT, FIRST and LAST are system
aliases. FakeRegistry (tests/fakes.py) enforces these rules, so a plan that set an alias on a version
that still holds one, or set an alias another version still holds, would fail here as in Snowflake.
"""

import datetime as dt
import json

import pytest

from fakes import FakeRegistry, tiny_classifier
from helpers import graph_config
from mlpipeline import cleanup, model_aliases
from mlpipeline.config import ConfigError, parse_config
from mlpipeline.model_aliases import AliasNames, AliasStep
from mlpipeline.registry import ModelVersionInfo, promote

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC)
NAMES = AliasNames("PRODUCTION", "PREVIOUS")
MODEL = "MORTGAGE_MODEL"
CFG = parse_config(graph_config(promoted_alias="production", previous_alias="previous"))
PREPARED = {"dataset": {"name": "ML_DEV.MODELS.MORTGAGE_DATASET", "version": "v1", "train": "v1_train"}}


def trained(run):
    return {"model_path": f"@ML_DEV.PIPELINE.ARTIFACT_STAGE/MORTGAGE_PIPELINE/runs/{run}/model.ubj", "metrics": {"test_accuracy": 0.9}, "job_id": "J"}


def run_promotion(registry, run, cfg=CFG):
    return promote(cfg, run, trained(run), PREPARED, registry, lambda path: tiny_classifier())


def state(registry):
    return registry.defaults.get(MODEL), dict(registry.aliases.get(MODEL, {}))


# -- graph config ---------------------------------------------------------------------------------


def test_aliases_are_optional_and_upper_cased():
    assert parse_config(graph_config()).promoted_alias is None
    assert parse_config(graph_config()).previous_alias is None
    assert (CFG.promoted_alias, CFG.previous_alias) == ("PRODUCTION", "PREVIOUS")


@pytest.mark.parametrize("promoted, previous, message", [
    ("PRODUCTION", None, "graph config key 'promoted_alias' is set but 'previous_alias' is not; promotion moves both aliases, so set both or neither"),
    (None, "PREVIOUS", "graph config key 'previous_alias' is set but 'promoted_alias' is not; promotion moves both aliases, so set both or neither"),
    ("DEFAULT", "PREVIOUS", "graph config key 'promoted_alias' must not be a system alias (DEFAULT, FIRST, LAST), got 'DEFAULT'"),
    ("PRODUCTION", "last", "graph config key 'previous_alias' must not be a system alias (DEFAULT, FIRST, LAST), got 'last'"),
    ("PROD-1", "PREVIOUS", "graph config key 'promoted_alias' must be an unquoted identifier (letters, digits, _ and $, not starting with a digit or $), got 'PROD-1'"),
    ("PRODUCTION", "production", "graph config keys 'promoted_alias' and 'previous_alias' must differ (an alias names one version), both are 'PRODUCTION'"),
])
def test_alias_keys_are_refused_with_the_reason(promoted, previous, message):
    assert model_aliases.alias_names_problem(promoted, previous) == message
    raw = graph_config(**{k: v for k, v in (("promoted_alias", promoted), ("previous_alias", previous)) if v is not None})
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert str(error.value) == message


@pytest.mark.parametrize("value, expected", [
    ('["PRODUCTION"]', ("PRODUCTION",)),
    ('["DEFAULT", "LAST", "previous"]', ("PREVIOUS",)),  # system aliases are not the version's own
    ("[]", ()),
    (None, ()),
    (["CHAMPION"], ("CHAMPION",)),
    ("", ()),
])
def test_show_versions_aliases_are_read_without_the_system_aliases(value, expected):
    assert model_aliases.parse_aliases(value) == expected


# -- the moves ------------------------------------------------------------------------------------


def info(name, default=False, alias=None):
    return ModelVersionInfo(name, NOW, default, (alias,) if alias else ())


def test_the_first_promotion_only_names_the_promoted_version():
    assert model_aliases.plan_promotion([], "RUN_1", NAMES) == [AliasStep("set", "RUN_1", "PRODUCTION")]


def test_a_promotion_moves_production_to_the_new_version_and_previous_to_the_replaced_one():
    versions = [info("RUN_1", alias="PREVIOUS"), info("RUN_2", default=True, alias="PRODUCTION")]
    assert model_aliases.plan_promotion(versions, "RUN_3", NAMES) == [
        AliasStep("unset", "RUN_1"),  # the older previous version loses its alias (retention applies again)
        AliasStep("unset", "RUN_2"),  # a version has one alias: PRODUCTION goes before PREVIOUS comes
        AliasStep("set", "RUN_3", "PRODUCTION"),
        AliasStep("set", "RUN_2", "PREVIOUS"),
    ]
    assert model_aliases.replaced_version(versions, "RUN_3", NAMES) == "RUN_2"


def test_a_retried_promotion_whose_moves_were_made_changes_nothing():
    done = [info("RUN_2", alias="PREVIOUS"), info("RUN_3", default=True, alias="PRODUCTION")]
    assert model_aliases.plan_promotion(done, "RUN_3", NAMES) == []
    assert model_aliases.replaced_version(done, "RUN_3", NAMES) == "RUN_2"
    # aliases moved, default not yet changed (the task failed in between)
    half = [info("RUN_2", default=True, alias="PREVIOUS"), info("RUN_3", alias="PRODUCTION")]
    assert model_aliases.plan_promotion(half, "RUN_3", NAMES) == []


def test_promotion_through_the_registry_keeps_snowflakes_alias_rules():
    registry = FakeRegistry(now=NOW)
    first = run_promotion(registry, "RUN_1")
    assert first["aliases"] == {"PRODUCTION": "RUN_1", "PREVIOUS": None}
    assert state(registry) == ("RUN_1", {"RUN_1": "PRODUCTION"})
    second = run_promotion(registry, "RUN_2")
    assert second["aliases"] == {"PRODUCTION": "RUN_2", "PREVIOUS": "RUN_1"}
    assert state(registry) == ("RUN_2", {"RUN_1": "PREVIOUS", "RUN_2": "PRODUCTION"})
    third = run_promotion(registry, "RUN_3")
    assert third["aliases"] == {"PRODUCTION": "RUN_3", "PREVIOUS": "RUN_2"}
    assert state(registry) == ("RUN_3", {"RUN_2": "PREVIOUS", "RUN_3": "PRODUCTION"})
    # the aliases move before the default, so a retry still knows which version was replaced
    calls = [c for c in registry.calls if c[0] in ("set_alias", "unset_alias", "set_default")][-5:]
    assert calls == [
        ("unset_alias", MODEL, "RUN_1"), ("unset_alias", MODEL, "RUN_2"),
        ("set_alias", MODEL, "RUN_3", "PRODUCTION"), ("set_alias", MODEL, "RUN_2", "PREVIOUS"),
        ("set_default", MODEL, "RUN_3"),
    ]
    retried = run_promotion(registry, "RUN_3")
    assert retried["reused"] is True and retried["aliases"] == {"PRODUCTION": "RUN_3", "PREVIOUS": "RUN_2"}
    assert state(registry) == ("RUN_3", {"RUN_2": "PREVIOUS", "RUN_3": "PRODUCTION"})


def test_a_pipeline_without_aliases_promotes_as_before():
    registry = FakeRegistry(now=NOW)
    result = run_promotion(registry, "RUN_1", cfg=parse_config(graph_config()))
    assert "aliases" not in result
    assert [c[0] for c in registry.calls] == ["versions", "log_model", "set_default"]


# -- CLEANUP keeps aliased versions --------------------------------------------------------------


def test_cleanup_never_selects_a_version_with_an_alias():
    cutoff = NOW - dt.timedelta(days=30)
    old = NOW - dt.timedelta(days=90)
    versions = [
        ModelVersionInfo("RUN_1", old, False, ("PREVIOUS",)),
        ModelVersionInfo("RUN_0", old, False, ()),
        ModelVersionInfo("RUN_2", old, True, ("PRODUCTION",)),
        ModelVersionInfo("RUN_X", old, False, ("CHAMPION",)),  # any alias someone set by hand is kept too
    ]
    assert cleanup.select_model_versions(versions, cutoff) == ["RUN_0"]


def test_cleanup_through_the_registry_keeps_the_rollback_target():
    registry = FakeRegistry(now=NOW)
    old = NOW - dt.timedelta(days=90)
    registry.add(MODEL, "RUN_0", old)
    registry.add(MODEL, "RUN_1", old, alias="PREVIOUS")
    registry.add(MODEL, "RUN_2", old, default=True, alias="PRODUCTION")
    versions = registry.versions(MODEL)
    assert cleanup.select_model_versions(versions, NOW - dt.timedelta(days=30)) == ["RUN_0"]
    assert json.dumps([v.aliases for v in versions]) == '[[], ["PREVIOUS"], ["PRODUCTION"]]'
