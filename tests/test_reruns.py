"""Reruns: byte-identical outputs at any thread count; incremental new data with a frozen design."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample import demo, reference
from negsample.fit import coefficient_vector, design_from_coefficients
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


FROZEN = {"negsample:freeze_design": True}
PILOT_SQL = (
    "select * from negsample_pilot_coefficients order by model, term, level, col_term, col_level"
)


def test_frozen_design_scores_new_rows_with_the_stored_pilot_and_scale(rerun_project, tmp_path):
    database = tmp_path / "frozen.duckdb"
    run_dbt(["build"], database, project_dir=rerun_project, variables=FROZEN)
    before = query(database, "select * from negsample_sampling_probs order by id")
    pilot = query(
        database,
        PILOT_SQL,
    )
    scale = query(database, "select * from negsample_sampling_scale")
    sample_before = query(database, "select * from negsample_sample order by id")
    assert before["id"].max() == 4000

    run_dbt(
        ["build"], database, project_dir=rerun_project, variables={**FROZEN, "rerun:max_id": 5000}
    )
    after = query(database, "select * from negsample_sampling_probs order by id")
    assert len(after) == 5000
    # The stored design did not move.
    pd.testing.assert_frame_equal(
        query(
            database,
            PILOT_SQL,
        ),
        pilot,
    )
    pd.testing.assert_frame_equal(query(database, "select * from negsample_sampling_scale"), scale)
    # Rows already drawn keep their probabilities and flags, bit for bit.
    old = after[after["id"] <= 4000].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before, check_exact=True)
    sample_after = query(database, "select * from negsample_sample order by id")
    pd.testing.assert_frame_equal(
        sample_after[sample_after["id"] <= 4000].reset_index(drop=True),
        sample_before,
        check_exact=True,
    )
    # New rows: the stored pilot's probabilities, the stored scale, the same seed streams.
    new = after[after["id"] > 4000].reset_index(drop=True)
    rows = query(database, "select * from negsample_input where id > 4000 order by id")
    pilot_rows = pilot[pilot["model"] == "pilot"]
    design = design_from_coefficients(pilot_rows, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES)
    prob = reference.sigmoid(design.matrix(rows) @ coefficient_vector(pilot_rows, design))
    s = scale.iloc[0]
    # The score t is p~ times a norm that depends on the stored information
    # (a_optimal, the default): t from the scores view, the scale from the store.
    t = query(
        database, "select sampling_score from negsample_sampling_probs where id > 4000 order by id"
    )
    pi = np.minimum(1.0, np.maximum(s["floor_prob"], s["sampling_scale"] * t["sampling_score"]))
    u = reference.uniform(rows["negsample_key"].to_numpy(), 42, "sample")
    np.testing.assert_allclose(new["pilot_prob"], prob, rtol=1e-12)
    np.testing.assert_allclose(new["sampling_prob"], pi, rtol=1e-12)
    np.testing.assert_array_equal(new["sample_uniform"], u)
    np.testing.assert_array_equal(new["is_sampled"], reference.keep(rows["label"], u, pi))
    kept_new = sample_after[sample_after["id"] > 4000]
    assert set(kept_new["id"]) == set(new.loc[new["is_sampled"], "id"])

    # A full refresh re-estimates everything from all 5,000 rows.
    run_dbt(
        ["build", "--full-refresh"],
        database,
        project_dir=rerun_project,
        variables={**FROZEN, "rerun:max_id": 5000},
    )
    refreshed = query(database, "select * from negsample_sampling_scale")
    assert refreshed["n_rows"].iloc[0] == 5000
    assert refreshed["sampling_scale"].iloc[0] != s["sampling_scale"]


def test_changing_the_design_under_a_frozen_design_asks_for_a_full_refresh(rerun_project, tmp_path):
    database = tmp_path / "changed.duckdb"
    run_dbt(["build"], database, project_dir=rerun_project, variables=FROZEN)
    for change in (
        {"negsample:score": "l_optimal"},
        {"negsample:numeric_features": ["tenure_months", "balance"]},
    ):
        result = run_dbt(
            ["build"],
            database,
            project_dir=rerun_project,
            variables={**FROZEN, **change},
            check=False,
        )
        assert not result.ok
        message = " ".join(result.output.split())
        assert "the design 'negsample' was frozen" in message, message[-2000:]
        assert "--full-refresh" in message
        name = next(iter(change)).removeprefix("negsample:")
        assert name in message


def test_without_freezing_a_rebuild_re_estimates(rerun_project, tmp_path):
    database = tmp_path / "unfrozen.duckdb"
    run_dbt(["build"], database, project_dir=rerun_project)
    first = query(database, "select * from negsample_sampling_scale")
    run_dbt(["build"], database, project_dir=rerun_project, variables={"rerun:max_id": 5000})
    second = query(database, "select * from negsample_sampling_scale")
    assert first["n_rows"].iloc[0] == 4000 and second["n_rows"].iloc[0] == 5000
    shutil.rmtree(tmp_path, ignore_errors=True)
