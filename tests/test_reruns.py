"""Reruns: byte-identical outputs at any thread count; without freezing, a rebuild re-estimates.

A frozen design on a living table is tests/test_frozen.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import package_project, query, run_dbt

pytestmark = pytest.mark.dbt

# 300,000 rows drawn in SQL with the package's own uniform: several DuckDB row
# groups, so 4 threads really do split the work.
BIG_EVENTS = """
with base as (
    select
        range as id,
        {{ negsample.uniform('range', 1, 11) }} as x1,
        {{ negsample.uniform('range', 1, 12) }} as x2,
        {{ negsample.uniform('range', 1, 13) }} as u
    from range(300000)
)
select
    id,
    case when u < 1.0 / (1.0 + exp(-(-5.5 + 2.0 * x1 - 1.0 * x2))) then 1 else 0 end as label,
    x1,
    x2,
    case when x2 < 0.3 then 'a' when x2 < 0.7 then 'b' else 'c' end as grp
from base
"""

GROWING_EVENTS = "select * from {{ ref('base_events') }} where id <= {{ var('rerun:max_id') }}\n"

PROFILE = """negsample:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{{ env_var('NEGSAMPLE_DUCKDB_PATH') }}"
      threads: 2
      settings:
        threads: "{{ env_var('RERUN_DUCKDB_THREADS', '2') }}"
"""


@pytest.fixture(scope="module")
def rerun_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = package_project(
        tmp_path_factory.mktemp("rerun"),
        "rerun",
        {"negsample:source": "growing_events", "rerun:max_id": 4000},
        demo_seed=4,
        profiles=PROFILE,
    )
    (project / "models" / "big_events.sql").write_text(BIG_EVENTS)
    (project / "models" / "growing_events.sql").write_text(GROWING_EVENTS)
    run_dbt(["deps"], project / "deps.duckdb", project_dir=project)
    return project


def build_with_threads(project: Path, database: Path, threads: int) -> None:
    import os

    os.environ["RERUN_DUCKDB_THREADS"] = str(threads)
    try:
        run_dbt(
            ["build"],
            database,
            project_dir=project,
            variables={
                "negsample:source": "big_events",
                "negsample:numeric_features": ["x1", "x2"],
                "negsample:categorical_features": ["grp"],
                "negsample:sampling_rate": 0.02,
            },
        )
    finally:
        del os.environ["RERUN_DUCKDB_THREADS"]


def test_builds_are_byte_identical_at_one_and_four_threads(rerun_project, tmp_path):
    one, four, again = tmp_path / "one.duckdb", tmp_path / "four.duckdb", tmp_path / "4b.duckdb"
    build_with_threads(rerun_project, one, 1)
    build_with_threads(rerun_project, four, 4)
    build_with_threads(rerun_project, again, 4)
    for table, order in (
        ("negsample_sample", "id"),
        ("negsample_coefficients", "model, term, level"),
    ):
        frames = [query(db, f"select * from {table} order by {order}") for db in (one, four, again)]
        assert len(frames[0]) > (100 if table == "negsample_sample" else 10)
        for other in frames[1:]:
            pd.testing.assert_frame_equal(frames[0], other, check_exact=True)


def test_without_freezing_a_rebuild_re_estimates(rerun_project, tmp_path):
    database = tmp_path / "unfrozen.duckdb"
    run_dbt(["build"], database, project_dir=rerun_project)
    first = query(database, "select * from negsample_sampling_scale")
    run_dbt(["build"], database, project_dir=rerun_project, variables={"rerun:max_id": 5000})
    second = query(database, "select * from negsample_sampling_scale")
    assert first["n_rows"].iloc[0] == 4000 and second["n_rows"].iloc[0] == 5000
    shutil.rmtree(tmp_path, ignore_errors=True)
