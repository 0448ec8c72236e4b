"""Passes over source-sized relations per `dbt build`, counted from DuckDB's profiles.

bench/passes.py logs every statement of a build and replays them with
DuckDB's profiling on; a scan of at least half the source's rows is a pass.
On the scale benchmark's project at 1M rows (a view over Parquet, the
default settings), data tests included: five with persist_scores off (the
class counts with the source check, the pilot draw, w, the keep flags and
the post-fit pass), one more with it on (the per-row table the post-fit
pass writes, which the diagnostics then read). Any new scan of the source,
a data test's included, makes this fail. (The demo's 50,000 rows are too
few: its score cells come close to half the source's size.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import DBT, PROJECT_DIR, query, run_dbt

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


@pytest.mark.parametrize(
    ("persist", "expected"),
    [(False, 5), (True, 6)],
    ids=["scores-as-a-view", "scores-persisted"],
)
def test_passes_per_build(scale_project, persist, expected):
    work, project = scale_project
    # Each build starts from an empty database, as the replay does.
    (work / "scale.duckdb").unlink(missing_ok=True)
    result = count_passes(
        project, work, scale_env(work, 2), ROWS, {"negsample:persist_scores": persist}
    )
    assert result["total"] == expected, result["by_node"]
    once = {
        "negsample_source_check",
        "negsample_pilot_sample",
        "negsample_sampling_scale",
        "negsample_sample",
        "negsample_diagnostics_cells",
    }
    assert {node for node, n in result["by_node"].items() if n == 1} >= once, result["by_node"]


def test_scores_are_the_same_persisted_or_not(demo_db, tmp_path):
    database = tmp_path / "view.duckdb"
    shutil.copy(demo_db, database)
    run_dbt(
        ["build", "--exclude", "resource_type:seed"],
        database,
        variables={"negsample:persist_scores": False},
    )
    kinds = query(
        database,
        "select table_name, table_type from information_schema.tables "
        "where table_name = 'negsample_scored_rows'",
    )
    assert kinds["table_type"].tolist() == ["VIEW"]
    persisted = query(
        demo_db,
        "select table_type from information_schema.tables "
        "where table_name = 'negsample_scored_rows'",
    )
    assert persisted["table_type"].tolist() == ["BASE TABLE"]
    scored = "select * from negsample_scored order by id"
    assert query(database, scored).equals(query(demo_db, scored))
    # The design and the intercept update sum exactly: the same bits.
    for table in ("negsample_design", "negsample_intercept_update"):
        assert query(database, f"select * from {table}").equals(
            query(demo_db, f"select * from {table}")
        ), table
    # Float sums over the cells, in whatever order the aggregate meets them.
    fit = "select * from negsample_diagnostics_fit order by model"
    pd.testing.assert_frame_equal(query(database, fit), query(demo_db, fit), rtol=1e-12)
