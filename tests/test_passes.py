"""Passes over source-sized relations per `dbt build`, counted from DuckDB's profiles.

bench/passes.py logs every statement of a build and replays them with
DuckDB's profiling on; a scan of at least 90% of the source's rows is a
pass, and a heavy one when the pilot score is computed above it. On the
scale benchmark's project at 1M rows (a view over Parquet, the default
settings), data tests included: four, one heavy (the class counts with the
source check, the pilot draw, the keep flags, the post-fit pass). Any new
scan of the source, a data test's included, makes this fail; so does a
written table of the source's size.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import DBT, PROJECT_DIR, query

sys.path.insert(0, str(PROJECT_DIR / "bench"))
from passes import count_passes  # noqa: E402
from scale import dbt_env as scale_env  # noqa: E402
from scale import ensure_data, make_project  # noqa: E402

pytestmark = pytest.mark.dbt

ROWS = 1_000_000


@pytest.fixture(scope="module")
def scale_project(tmp_path_factory):
    work = tmp_path_factory.mktemp("passes")
    project = make_project(work, ensure_data(work, ROWS))
    common = ["--project-dir", str(project), "--profiles-dir", str(project)]
    subprocess.run(
        [DBT, "deps", *common], env=scale_env(work, 2), cwd=project, check=True, capture_output=True
    )
    return work, project


def test_passes_per_build(scale_project):
    work, project = scale_project
    # Each build starts from an empty database, as the replay does.
    (work / "scale.duckdb").unlink(missing_ok=True)
    result = count_passes(project, work, scale_env(work, 2), ROWS)
    assert result["by_node"] == {
        "negsample_source_check": 1,
        "negsample_pilot_sample": 1,
        "negsample_sample": 1,
        "negsample_diagnostics_cells": 1,
    }, result
    assert result["heavy_by_node"] == {"negsample_sample": 1}, result
    # No table the build wrote holds a source-sized share of the rows.
    tables = query(
        work / "replay" / "scale.duckdb",
        "select table_name, estimated_size from duckdb_tables() where table_name like 'negsample%'",
    )
    assert (tables["estimated_size"] < 0.5 * ROWS).all(), tables
