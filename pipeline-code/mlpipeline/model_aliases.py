"""Model version aliases that promotion moves: the promoted version's alias (graph config
``promoted_alias``, e.g. PRODUCTION) and the alias of the version it replaced (``previous_alias``,
e.g. PREVIOUS), which ``npm run pipeline -- rollback`` makes the default again and CLEANUP keeps.

Snowflake's rules (https://docs.snowflake.com/sql-reference/sql/alter-model):
- a version has at most one alias, and an alias names one version of the model, so an alias is
  moved by UNSET ALIAS on the version that holds it, then SET ALIAS on the new one;
- DEFAULT, FIRST and LAST are system aliases: they cannot be set or unset.

The statements the library sends for these moves (snowflake-ml-python 1.48.0,
snowflake/ml/model/_client/sql/model_version.py): ``ALTER MODEL <m> VERSION <v> SET ALIAS = <a>``
and ``ALTER MODEL <m> VERSION <v> UNSET ALIAS``; the default is ``ALTER MODEL <m> SET
DEFAULT_VERSION = <v>``.
"""

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Tuple

SYSTEM_ALIASES = ("DEFAULT", "FIRST", "LAST")
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class AliasNames:
    promoted: str
    previous: str


def alias_names_problem(promoted: Any, previous: Any) -> Optional[str]:
    """Why the two graph config keys cannot be used, or None. Both or neither must be set."""
    if promoted is None and previous is None:
        return None
    if promoted is None or previous is None:
        given, missing = ("promoted_alias", "previous_alias") if previous is None else ("previous_alias", "promoted_alias")
        return f"graph config key {given!r} is set but {missing!r} is not; promotion moves both aliases, so set both or neither"
    for key, value in (("promoted_alias", promoted), ("previous_alias", previous)):
        if not isinstance(value, str) or not _IDENT_RE.match(value):
            return f"graph config key {key!r} must be an unquoted identifier (letters, digits, _ and $, not starting with a digit or $), got {value!r}"
        if value.upper() in SYSTEM_ALIASES:
            return f"graph config key {key!r} must not be a system alias ({', '.join(SYSTEM_ALIASES)}), got {value!r}"
    if promoted.upper() == previous.upper():
        return f"graph config keys 'promoted_alias' and 'previous_alias' must differ (an alias names one version), both are {promoted!r}"
    return None


def parse_aliases(value: Any) -> Tuple[str, ...]:
    """The user aliases of a SHOW VERSIONS row's ``aliases`` (a JSON array as text, or a list), upper
    case, without the system aliases."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ()
        try:
            value = json.loads(text)
        except ValueError:
            value = [text]
    if isinstance(value, str):
        value = [value]
    try:
        names = [str(v).upper() for v in value]
    except TypeError:
        return ()
    return tuple(name for name in names if name not in SYSTEM_ALIASES)


@dataclass(frozen=True)
class AliasStep:
    """``unset``: remove the alias of ``version``; ``set``: give ``version`` the alias ``alias``."""
    action: str
    version: str
    alias: Optional[str] = None


def _holder(versions: Sequence[Any], alias: str) -> Optional[str]:
    return next((v.name for v in versions if alias.upper() in getattr(v, "aliases", ())), None)


def replaced_version(versions: Iterable[Any], promoted: str, names: AliasNames) -> Optional[str]:
    """The version ``promoted`` replaces: the default when it is another version; when ``promoted``
    is the default already (a retried run), the version holding the previous alias."""
    versions = list(versions)
    default = next((v.name for v in versions if v.is_default and v.name.upper() != promoted.upper()), None)
    if default is not None:
        return default
    if any(v.is_default for v in versions):
        holder = _holder(versions, names.previous)
        return holder if holder is not None and holder.upper() != promoted.upper() else None
    return None


def plan_promotion(versions: Iterable[Any], promoted: str, names: AliasNames) -> List[AliasStep]:
    """The alias moves that make ``promoted`` hold ``names.promoted`` and the current default (the
    version it replaces) hold ``names.previous``. ``versions`` are registry.ModelVersionInfo (name,
    is_default, aliases) read before the default changes. Idempotent: a retried promotion whose moves
    were all made gets no steps; a partly made one gets the rest."""
    versions = list(versions)
    by_name = {v.name.upper(): v for v in versions}
    key = promoted.upper()
    replaced = replaced_version(versions, promoted, names)
    wanted = {key: names.promoted.upper()}
    if replaced is not None:
        wanted[replaced.upper()] = names.previous.upper()
    steps: List[AliasStep] = []
    # Free the aliases wherever they are held by a version that should not hold them, and free the
    # versions that should hold another alias (a version has at most one).
    to_unset: List[str] = []
    for alias in (names.previous.upper(), names.promoted.upper()):
        holder = _holder(versions, alias)
        if holder is not None and wanted.get(holder.upper()) != alias:
            to_unset.append(holder)
    for version, alias in wanted.items():
        info = by_name.get(version)
        current = getattr(info, "aliases", ()) if info is not None else ()
        if current and current[0] != alias:
            to_unset.append(info.name)
    seen = set()
    for version in to_unset:
        if version.upper() not in seen:
            seen.add(version.upper())
            steps.append(AliasStep("unset", version))
    for version, alias in wanted.items():
        info = by_name.get(version)
        current = getattr(info, "aliases", ()) if info is not None else ()
        if alias in current and version not in seen:
            continue
        steps.append(AliasStep("set", info.name if info is not None else promoted, alias))
    return steps


def apply_steps(registry: Any, model_name: str, steps: Iterable[AliasStep]) -> None:
    for step in steps:
        if step.action == "unset":
            registry.unset_alias(model_name, step.version)
        else:
            registry.set_alias(model_name, step.version, step.alias)
