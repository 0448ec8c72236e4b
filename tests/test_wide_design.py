"""A 203-term design built end to end by the SQL fit engine, against the Python fits.

Four numeric features and two categorical features of 100 levels each give
1 + 4 + 99 + 99 = 203 terms. `dbt build` with the SQL engine and the
a_optimal score (no coefficients given) must pass, agree with the Python
engine's build of the same rows, and keep every model it compiles and every
query it runs within the limits of real engines: PostgreSQL's 1,664 columns
in a select list and BigQuery's 1 MB of query text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import package_project, query, run_dbt
from tests.test_dialects import logged_statements
from tests.test_fit_engines import COEFFICIENTS, SQL, assert_fits_agree

pytestmark = [pytest.mark.dbt, pytest.mark.wide]

TERMS = 1 + 4 + 99 + 99

# Labels from a logistic model in every feature; the cities are drawn apart
# from the shops, so no level is a function of another feature's.
WIDE_EVENTS = """
with base as (
    select
        range + 1 as id,
        {{ negsample.uniform('range', 11, 1) }} as u1,
        {{ negsample.uniform('range', 11, 2) }} as u2,
        {{ negsample.uniform('range', 11, 3) }} as u3,
        {{ negsample.uniform('range', 11, 4) }} as u4,
        {{ negsample.uniform('range', 11, 5) }} as u_city,
        {{ negsample.uniform('range', 11, 6) }} as u,
        range % 100 as shop_index
    from range(6000)
),

drawn as (
    select
        *,
        cast(floor(u_city * 100) as integer) as city_index
    from base
)

select
    id,
    u1 * 2.0 - 1.0 as x1,
    u2 * 10.0 as x2,
    u3 * u3 as x3,
    u4 * 4.0 + 100.0 as x4,
    'shop_' || lpad(cast(shop_index as varchar), 3, '0') as shop,
    'city_' || lpad(cast(city_index as varchar), 3, '0') as city,
    case when u < 1.0 / (1.0 + exp(-(-1.3 + 0.8 * (u1 * 2.0 - 1.0) + 0.05 * u2 * 10.0
        - 0.6 * u3 * u3 + 0.2 * (u4 * 4.0 - 2.0)
        + 0.4 * sin(shop_index) - 0.3 * cos(city_index)))) then 1 else 0 end as label
from drawn
"""


def logged_queries(log: Path, model: str) -> list[str]:
    """The statements dbt's log records for the package's ``model`` (its run_query calls too)."""
    node = f"model.negsample.{model}"
    return [sql for name, sql in logged_statements(log.read_text()) if name == node]


@pytest.fixture(scope="module")
def wide_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wide_design")
    variables = {
        "negsample:source": "wide_events",
        "negsample:numeric_features": ["x1", "x2", "x3", "x4"],
        "negsample:categorical_features": ["shop", "city"],
        "negsample:sampling_rate": 0.5,
    }
    project = package_project(root, "wide", variables, demo_seed=4)
    (project / "models" / "wide_events.sql").write_text(WIDE_EVENTS)
    python = root / "python.duckdb"
    run_dbt(["deps"], python, project_dir=project)
    run_dbt(["build"], python, project_dir=project, variables={"negsample:fit_engine": "python"})
    sql = root / "sql.duckdb"
    run_dbt(["build"], sql, project_dir=project, variables=SQL)
    return python, sql


def test_the_sql_engine_fits_203_terms_as_the_python_engine_does(wide_builds):
    python, sql = wide_builds
    a = query(python, COEFFICIENTS)
    # Pilot, final and ipw: 203 terms each, and a reference row per categorical feature.
    assert a.groupby("model").size().to_dict() == {m: TERMS + 2 for m in ("final", "ipw", "pilot")}
    # M~^-1 has all k^2 entries: to 1e-8 relative, or to 1e-13 of its largest
    # entry where an entry is the small difference of large ones (NumPy's
    # own inverse is symmetric only to about 1e-15 of its largest entry).
    info = "select count(*) as n from negsample_pilot_coefficients where model = 'information'"
    assert query(sql, info)["n"].iloc[0] == TERMS * TERMS
    assert assert_fits_agree(python, sql, info_scale_atol=1e-13) == 3 * TERMS


def test_the_sql_engine_stays_within_engine_limits_at_203_terms(wide_builds):
    _, sql = wide_builds
    work = sql.parent / f"{sql.stem}_dbt"
    compiled = work / "target" / "compiled" / "negsample" / "models"
    sizes = {p.stem: p.stat().st_size for p in compiled.glob("*.sql")}
    # M~^-1, and the final fit's covariance (which sizes the intercept
    # update's standard deviation), as their upper triangles of literals:
    # k (k + 1) / 2 rows of text each.
    assert 300_000 < sizes["negsample_pilot_model_sql"] < 1_000_000, sizes
    assert 300_000 < sizes["negsample_final_model_sql"] < 1_000_000, sizes
    others = {name: size for name, size in sizes.items() if not name.endswith("_model_sql")}
    assert max(others.values()) < 250_000, others
    # The fits' own queries (levels, first pass, one aggregate per Newton
    # step, M~ at the pilot): text and columns linear in the levels.
    log = work / "logs" / "dbt.log"
    for model in ("negsample_pilot_model_sql", "negsample_final_model_sql"):
        # The run_query calls, not the model's own create table.
        queries = [q for q in logged_queries(log, model) if "__dbt_tmp" not in q]
        steps = [q for q in queries if "grouping sets" in q]
        assert len(steps) >= 3, (model, len(queries))
        assert max(len(q.encode()) for q in queries) < 100_000, model
        for step in steps:
            select_list = step[step.rindex("select") : step.rindex("from units")]
            assert select_list.count(" as ") < 100, model
    widest = query(
        sql,
        "select table_name, count(*) as n from information_schema.columns "
        "where table_name like 'negsample_%' group by table_name order by n desc limit 1",
    )
    assert widest["n"].iloc[0] < 100
