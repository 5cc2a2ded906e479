"""pytest setup: run from pipeline-code/ (node tests/run-pytest.js); imports resolve from there."""

import os
import sys

import pytest

CODE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
for path in (CODE_ROOT, TESTS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

# XGBoost's OpenMP threads spin while waiting; on a busy 2-core machine (CI, other test runs) that
# made training tests 5-10x slower. Passive waiting keeps the suite fast. Must be set before
# libgomp loads, i.e. before the first xgboost import (mlpipeline imports it lazily).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


from helpers import DROP, graph_config  # noqa: E402


@pytest.fixture
def config():
    return graph_config()


@pytest.fixture
def drop():
    return DROP
