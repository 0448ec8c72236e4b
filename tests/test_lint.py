"""Lint is part of the test command: ruff for Python, sqlfluff for the dbt SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

BIN = Path(sys.executable).parent


def test_ruff_check_and_format():
    for args in (["check", "."], ["format", "--check", "."]):
        proc = subprocess.run(
            [str(BIN / "ruff"), *args], cwd=PROJECT_DIR, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.dbt
def test_sqlfluff_lints_models_and_the_macros_they_expand(tmp_path):
    # The dbt templater compiles every model, so each macro is linted where it
    # is expanded; macro files on their own hold no SQL to lint.
    env = {
        **os.environ,
        "NEGSAMPLE_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    proc = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
