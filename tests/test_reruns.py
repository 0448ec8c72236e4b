"""Reruns: byte-identical outputs at any thread count; without freezing, a rebuild re-estimates.

The Python fit is byte-identical at any thread count; the SQL fit's sums
are DuckDB's parallel sums, so its numbers agree to 1e-12 and its kept rows
are the same here, but neither is guaranteed bit for bit.

A frozen design on a living table is tests/test_frozen.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
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


def build_with_threads(
    project: Path, database: Path, threads: int, variables: dict | None = None
) -> None:
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
                **(variables or {}),
            },
        )
    finally:
        del os.environ["RERUN_DUCKDB_THREADS"]


def test_builds_are_byte_identical_at_one_and_four_threads(rerun_project, tmp_path):
    """The sums that decide the draw are exact: the same bits in any order of the rows.

    With the exact budget (its solve sums pi over the scale sample) and
    score auto (its criteria sum over the scale sample for every score),
    the paths with the most sums, the sample, the coefficients and the
    design's row are byte-identical at 1 and 4 threads.
    """
    one, four, again = tmp_path / "one.duckdb", tmp_path / "four.duckdb", tmp_path / "4b.duckdb"
    sums = {"negsample:budget": "exact", "negsample:score": "auto"}
    build_with_threads(rerun_project, one, 1, sums)
    build_with_threads(rerun_project, four, 4, sums)
    build_with_threads(rerun_project, again, 4, sums)
    for table, order in (
        ("negsample_sample", "id"),
        ("negsample_coefficients", "model, term, level"),
        ("negsample_design", "n_rows"),
        ("negsample_score_choice", "score"),
    ):
        frames = [query(db, f"select * from {table} order by {order}") for db in (one, four, again)]
        assert len(frames[0]) >= {"negsample_sample": 100, "negsample_coefficients": 10}.get(
            table, 1
        )
        for other in frames[1:]:
            pd.testing.assert_frame_equal(frames[0], other, check_exact=True)


def test_sql_engine_builds_at_one_and_four_threads(rerun_project, tmp_path):
    """The SQL fit sums in parallel: its numbers agree to 1e-12, its sample row for row.

    Its Newton steps are DuckDB aggregates, whose parallel double sums add
    partial sums in an order that depends on the threads: once a fit's rows
    span several row groups (here a pilot sample of about 197,000 rows and a
    sample of about 266,000), its outputs differ in the last bits between
    thread counts. The bounds below are regression guards, not derived from
    an error analysis: each is about ten times the largest difference these
    builds have shown (coefficients 1.1e-13 of a standard error, standard
    errors 3e-14 relative, M~^-1 5e-12 of its largest entry, sampling
    probabilities 5.9e-14 relative), so a change that makes the SQL fit
    order-dependent beyond rounding fails them. The kept rows depend on the
    fits only through pi: a row would flip only if its uniform fell within
    that difference of its pi, which none does here.
    """
    one, four = tmp_path / "sql_one.duckdb", tmp_path / "sql_four.duckdb"
    # A pilot ratio of 80 and a rate of 0.9 make both fits' rows several row groups.
    engine = {
        "negsample:fit_engine": "sql",
        "negsample:sampling_rate": 0.9,
        "negsample:pilot_ratio": 80,
    }
    build_with_threads(rerun_project, one, 1, engine)
    build_with_threads(rerun_project, four, 4, engine)
    tables = set(query(four, "select table_name from information_schema.tables")["table_name"])
    assert "negsample_pilot_model_sql" in tables and "negsample_pilot_model" not in tables
    pilot_rows = query(one, "select count(*) as n from negsample_pilot_sample")["n"].iloc[0]
    assert pilot_rows > 122_880  # more than one DuckDB row group

    coefficients = "select * from negsample_coefficients order by model, term, level"
    a, b = query(one, coefficients), query(four, coefficients)
    assert len(a) == 18
    keys = ["model", "term", "level", "is_reference"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    free = ~a["is_reference"].to_numpy()
    np.testing.assert_allclose(b["std_error"][free], a["std_error"][free], rtol=1e-12, atol=0)
    difference = (b["estimate"] - a["estimate"]).abs()[free]
    assert (difference <= 1e-12 * a["std_error"][free]).all(), difference.max()
    information = (
        "select estimate from negsample_pilot_coefficients where model = 'information' "
        "order by term, level, col_term, col_level"
    )
    a, b = query(one, information)["estimate"], query(four, information)["estimate"]
    assert len(a) == 25
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-10 * a.abs().max())

    kept = "select id, sampling_prob from negsample_sample order by id"
    a, b = query(one, kept), query(four, kept)
    assert len(a) > 200_000
    assert a["id"].equals(b["id"])
    np.testing.assert_allclose(b["sampling_prob"], a["sampling_prob"], rtol=1e-12, atol=0)


def test_without_freezing_a_rebuild_re_estimates(rerun_project, tmp_path):
    database = tmp_path / "unfrozen.duckdb"
    run_dbt(["build"], database, project_dir=rerun_project)
    first = query(database, "select * from negsample_sampling_scale")
    run_dbt(["build"], database, project_dir=rerun_project, variables={"rerun:max_id": 5000})
    second = query(database, "select * from negsample_sampling_scale")
    assert first["n_rows"].iloc[0] == 4000 and second["n_rows"].iloc[0] == 5000
    shutil.rmtree(tmp_path, ignore_errors=True)
