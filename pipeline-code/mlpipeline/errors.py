"""Telling "the object is not there" apart from other Snowflake (and snowflake-ml) errors."""

# Wording of Snowflake's "does not exist or not authorized", snowflake-ml's DatasetNotExistError and
# "Unable to find model/version", and stage file errors.
_MISSING_MARKERS = ("does not exist", "not found", "unable to find", "notexist", "no such")


def is_missing_error(error: BaseException) -> bool:
    text = f"{type(error).__name__} {error}".lower()
    return any(marker in text for marker in _MISSING_MARKERS)
