"""The SQL fit engine (Newton steps as warehouse aggregates) against the Python fits.

On DuckDB both engines run, so the same build can be made twice: the
coefficients must agree to 1e-8 relative and the standard errors to 1e-6,
on the demo (one categorical feature) and on a design with two categorical
features (whose pair of levels fills the Hessian's off-diagonal blocks).
The SQL engine fails as the Python one does, with the same messages, and
its queries stay within the limits of real engines at 200 terms.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from negsample.dbt_inline import compile_inline
from tests.conftest import PROJECT_DIR, dbt_env, package_project, query, run_dbt

pytestmark = pytest.mark.dbt

SQL = {"negsample:fit_engine": "sql"}
COEFFICIENTS = "select * from negsample_coefficients order by model, term, level"


def assert_fits_agree(python: Path, sql: Path) -> int:
    a, b = query(python, COEFFICIENTS), query(sql, COEFFICIENTS)
    keys = ["model", "term", "level"]
    pd.testing.assert_frame_equal(a[keys].fillna("-"), b[keys].fillna("-"))
    free = ~a["is_reference"].to_numpy()
    np.testing.assert_allclose(b["estimate"][free], a["estimate"][free], rtol=1e-8, atol=0)
    np.testing.assert_allclose(b["std_error"][free], a["std_error"][free], rtol=1e-6, atol=0)
    info = (
        "select term, level, col_term, col_level, estimate from negsample_pilot_coefficients "
        "where model = 'information' order by term, level, col_term, col_level"
    )
    a_info, b_info = query(python, info), query(sql, info)
    assert len(a_info) == len(b_info) > 0
    np.testing.assert_allclose(b_info["estimate"], a_info["estimate"], rtol=1e-8, atol=1e-14)
    kept = "select id from negsample_sample order by id"
    assert query(python, kept).equals(query(sql, kept))
    return int(free.sum())


def test_sql_engine_agrees_with_python_on_the_demo(demo_db, tmp_path):
    database = tmp_path / "sql_engine.duckdb"
    shutil.copy(demo_db, database)
    run_dbt(["build", "--exclude", "resource_type:seed"], database, variables=SQL)
    tables = set(query(database, "select table_name from information_schema.tables")["table_name"])
    assert {"negsample_pilot_model_sql", "negsample_final_model_sql"} <= tables
    assert assert_fits_agree(demo_db, database) == 3 * 8


TWO_CATEGORICALS = """
with base as (
    select
        range + 1 as id,
        {{ negsample.uniform('range', 5, 21) }} as u_x,
        {{ negsample.uniform('range', 5, 22) }} as u_a,
        {{ negsample.uniform('range', 5, 23) }} as u_b,
        {{ negsample.uniform('range', 5, 24) }} as u
    from range(60000)
)
select
    id,
    u_x * 4.0 - 2.0 as x,
    'a' || cast(floor(u_a * 6) as integer) as shop,
    'b' || cast(floor(u_b * 5) as integer) as city,
    case when u < 1.0 / (1.0 + exp(-(-4.5 + 0.8 * (u_x * 4.0 - 2.0)
        + 0.3 * floor(u_a * 6) - 0.25 * floor(u_b * 5)))) then 1 else 0 end as label
from base
"""


@pytest.fixture(scope="module")
def two_categoricals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("two_categoricals")
    variables = {
        "negsample:source": "shop_events",
        "negsample:numeric_features": ["x"],
        "negsample:categorical_features": ["shop", "city"],
        "negsample:sampling_rate": 0.05,
    }
    project = package_project(root, "engines", variables, demo_seed=6)
    (project / "models" / "shop_events.sql").write_text(TWO_CATEGORICALS)
    python = root / "python.duckdb"
    run_dbt(["deps"], python, project_dir=project)
    run_dbt(["build"], python, project_dir=project)
    sql = root / "sql.duckdb"
    run_dbt(["build"], sql, project_dir=project, variables=SQL)
    return python, sql


def test_sql_engine_agrees_with_python_with_two_categorical_features(two_categoricals):
    python, sql = two_categoricals
    # 1 + 1 numeric + 5 + 4 non-reference levels, for each of pilot, final and ipw.
    assert assert_fits_agree(python, sql) == 3 * 11


def test_only_one_twin_of_each_fit_is_enabled(tmp_path):
    def enabled(variables: dict) -> set[str]:
        run = run_dbt(
            ["ls", "--resource-type", "model", "--output", "name", "--quiet"],
            tmp_path / "ls.duckdb",
            variables=variables,
        )
        return {line.strip() for line in run.output.splitlines()} & {
            "negsample_pilot_model",
            "negsample_final_model",
            "negsample_pilot_model_sql",
            "negsample_final_model_sql",
        }

    python = {"negsample_pilot_model", "negsample_final_model"}
    sql = {"negsample_pilot_model_sql", "negsample_final_model_sql"}
    assert enabled({}) == python  # auto on DuckDB
    assert enabled({"negsample:fit_engine": "python"}) == python
    assert enabled({"negsample:fit_engine": "sql"}) == sql


def test_python_engine_on_an_adapter_without_python_models_is_refused(tmp_path):
    # Parsing needs the adapter, not a server.
    with mock.patch.dict(os.environ, {"NEGSAMPLE_POSTGRES_PORT": "1"}):
        run = run_dbt(
            ["parse", "--target", "postgres"],
            tmp_path / "pg.duckdb",
            variables={"negsample:fit_engine": "python"},
            check=False,
        )
    assert not run.ok
    assert (
        "var 'negsample:fit_engine' is 'python', but this target's adapter (postgres) does not "
        "run dbt Python models" in " ".join(run.output.split())
    )


def test_sql_engine_names_a_separable_fit(tmp_path):
    """Quasi-complete separation stops the SQL fit with the Python fit's words."""
    root = tmp_path
    variables = {"negsample:source": "separable", "negsample:fit_engine": "sql"}
    project = package_project(root, "separation", variables, demo_seed=9)
    (project / "models" / "separable.sql").write_text(
        "select id, case when tenure_months > 60 then 1 else 0 end as label, tenure_months, "
        "balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}\n"
    )
    database = root / "sep.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run = run_dbt(["build"], database, project_dir=project, check=False)
    assert not run.ok
    message = " ".join(run.output.split())
    assert "negsample_pilot_model_sql (pilot logistic regression)" in message
    assert "the classes are (quasi-)separable by the features" in message


# 4 numeric features and 2 categorical features of 100 levels: 1 + 4 + 99 + 99 = 203 terms.
WIDE = """
{%- set levels = {} -%}
{%- for f in ['shop', 'city'] -%}
  {%- set values = [] -%}
  {%- for i in range(100) %}{% do values.append(f ~ '_' ~ '%03d' | format(i)) %}{% endfor -%}
  {%- do levels.update({f: values}) -%}
{%- endfor -%}
{%- set terms = [('intercept', none), ('x1', none), ('x2', none), ('x3', none), ('x4', none)] -%}
{%- for f in ['shop', 'city'] -%}
  {%- for level in levels[f][1:] %}{% do terms.append((f, level)) %}{% endfor -%}
{%- endfor -%}
{%- set design = {'numeric': ['x1', 'x2', 'x3', 'x4'], 'categorical': ['shop', 'city'],
    'levels': levels, 'reference': {'shop': 'shop_000', 'city': 'city_000'}, 'terms': terms} -%}
{%- set k = terms | length -%}
"""


def compile_wide(body: str, tmp_path: Path) -> str:
    return compile_inline(WIDE + body, PROJECT_DIR, dbt_env(tmp_path / "wide.duckdb"))


def test_the_hessian_aggregate_stays_small_at_200_terms(tmp_path):
    sql = compile_wide(
        "{%- set fit = {'rows': 'wide_rows', 'label': 'label', 'offset': 'off', 'weights': 'w',"
        " 'what': 'wide'} -%}"
        "{{ negsample._sql_fit_sums_query(fit, design, {'center': [0.0] * k, 'spread': [1.0] * k},"
        " [0.01] * k, meat=true) }}",
        tmp_path,
    )
    # Text and columns grow with the levels and the numeric features squared, not with k^2.
    assert 10_000 < len(sql.encode()) < 60_000, len(sql.encode())
    select_list = sql[sql.rindex("select") : sql.rindex("from units")]
    assert select_list.count(" as ") < 100
    assert "grouping sets" in sql


def test_the_pilot_information_literal_fits_a_megabyte_at_200_terms(tmp_path):
    # The SQL pilot model writes M~^-1 as its upper triangle: k (k + 1) / 2 entries.
    sql = compile_wide(
        "{%- set entries = [] -%}"
        "{%- for i in range(k) %}{% for j in range(i, k) %}"
        "{% do entries.append([i | string, j | string, "
        "negsample._double_literal(-1.2345678901234567e-05)]) %}"
        "{% endfor %}{% endfor -%}"
        "{{ negsample._literal_table([('row_index', 'integer'), ('col_index', 'integer'),"
        " ('value', 'double')], entries) }}",
        tmp_path,
    )
    assert sql.count("(") > 203 * 204 / 2
    assert len(sql.encode()) < 1_000_000, len(sql.encode())


WIDE_SOURCE = """
select
    range + 1 as id,
    case when {{ negsample.uniform('range', 3, 31) }} < 0.05 then 1 else 0 end as label,
    {{ negsample.uniform('range', 3, 32) }} as x1,
    {{ negsample.uniform('range', 3, 33) }} as x2,
    {{ negsample.uniform('range', 3, 34) }} as x3,
    {{ negsample.uniform('range', 3, 35) }} as x4,
    'shop_' || lpad(cast(range % 100 as varchar), 3, '0') as shop,
    'city_' || lpad(cast((range * 7) % 100 as varchar), 3, '0') as city
from range(20000)
"""

# The 203 terms, and coefficients and an information matrix given for them.
WIDE_TERMS = """
select 'intercept' as term, cast(null as varchar) as level
union all select 'x' || cast(i as varchar), null from range(1, 5) as t(i)
union all select 'shop', 'shop_' || lpad(cast(i as varchar), 3, '0') from range(1, 100) as t(i)
union all select 'city', 'city_' || lpad(cast(i as varchar), 3, '0') from range(1, 100) as t(i)
"""
WIDE_COEFFICIENTS = """
select '{model}' as model, term, level, -0.01 as estimate, 0.1 as std_error
from {{{{ ref('wide_terms') }}}}
"""
WIDE_INFORMATION = """
select r.term as row_term, r.level as row_level, c.term as col_term, c.level as col_level,
    case when r.term = c.term and coalesce(r.level, '') = coalesce(c.level, '') then 2.0
    else 0.001 end as value
from {{ ref('wide_terms') }} as r cross join {{ ref('wide_terms') }} as c
"""


def test_the_a_optimal_score_stays_small_at_200_terms(tmp_path):
    variables = {
        "negsample:source": "wide_events",
        "negsample:numeric_features": ["x1", "x2", "x3", "x4"],
        "negsample:categorical_features": ["shop", "city"],
        "negsample:max_levels": 150,
        "negsample:pilot_coefficients": "wide_pilot",
        "negsample:pilot_information": "wide_information",
        "negsample:final_coefficients": "wide_final",
    }
    project = package_project(tmp_path, "wide", variables, demo_seed=2)
    models = project / "models"
    (models / "wide_events.sql").write_text(WIDE_SOURCE)
    (models / "wide_terms.sql").write_text(WIDE_TERMS)
    (models / "wide_pilot.sql").write_text(WIDE_COEFFICIENTS.format(model="pilot"))
    (models / "wide_final.sql").write_text(WIDE_COEFFICIENTS.format(model="final"))
    (models / "wide_information.sql").write_text(WIDE_INFORMATION)
    database = tmp_path / "wide.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    # `run`: the made-up coefficients are not calibrated, which the data tests would say.
    run_dbt(["run"], database, project_dir=project)
    terms = query(
        database, "select count(*) as k from negsample_coefficients where model = 'pilot'"
    )
    assert terms["k"].iloc[0] == 203
    compiled = tmp_path / "wide_dbt" / "target" / "compiled" / "negsample" / "models"
    sizes = {p.stem: p.stat().st_size for p in compiled.glob("*.sql")}
    # The models that score every row (pass 3, the keep flags, the post-fit
    # pass): text linear in the levels, far below 1 MB.
    for name in ("sampling_scale", "sampling_probs", "scored_rows"):
        assert 10_000 < sizes[f"negsample_{name}"] < 250_000, (name, sizes[f"negsample_{name}"])
    widest = query(
        database,
        "select table_name, count(*) as n from information_schema.columns "
        "where table_name like 'negsample_%' group by table_name order by n desc limit 1",
    )
    assert widest["n"].iloc[0] < 100  # PostgreSQL allows 1,664
    # The score is p~ ||M^-1 x-dot|| with the given M^-1 = 1.999 I + 0.001, against NumPy.
    rows = query(database, "select * from negsample_input order by id limit 500")
    scores = query(
        database,
        "select sampling_score, pilot_prob from negsample_sampling_probs order by id limit 500",
    )
    x = np.column_stack(
        [np.ones(len(rows)), rows[["x1", "x2", "x3", "x4"]].to_numpy()]
        + [(rows["shop"] == f"shop_{i:03d}").to_numpy(float) for i in range(1, 100)]
        + [(rows["city"] == f"city_{i:03d}").to_numpy(float) for i in range(1, 100)]
    )
    inverse = np.full((203, 203), 0.001) + 1.999 * np.eye(203)
    expected = scores["pilot_prob"] * np.linalg.norm(x @ inverse, axis=1)
    np.testing.assert_allclose(scores["sampling_score"], expected, rtol=1e-10)
