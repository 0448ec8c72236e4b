"""The SQL fit engine (Newton steps as warehouse aggregates) against the Python fits.

On DuckDB both engines run, so the same build can be made twice: the
coefficients must agree to 1e-8 relative and the standard errors to 1e-6,
on the demo (one categorical feature) and on a design with two categorical
features (whose pair of levels fills the Hessian's off-diagonal blocks).
The SQL engine fails as the Python one does, with the same messages,
breaks ties between most frequent levels as Python does, and its queries
stay within the limits of real engines at 200 terms.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import duckdb
import numpy as np
import pandas as pd
import pytest

from negsample.runtime.fit import FitError, fit_logistic, make_design, pilot_information_inverse
from negsample.runtime.rows import rows_of
from negsample.tools import cli
from negsample.tools.dbt_inline import compile_inline
from negsample.tools.scaffold import PYTHON_ADAPTERS
from tests.conftest import PROJECT_DIR, dbt_env, package_project, query, run_dbt

pytestmark = pytest.mark.dbt

SQL = {"negsample:fit_engine": "sql"}
COEFFICIENTS = "select * from negsample_coefficients order by model, term, level"


def assert_fits_agree(python: Path, sql: Path, info_scale_atol: float = 0.0) -> int:
    """Both engines' coefficients, M~^-1 and kept ids agree; the number of free terms.

    ``info_scale_atol``: also accept an M~^-1 entry within this fraction of
    its largest entry (small differences of large entries, at many terms).
    """
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
    atol = max(1e-14, info_scale_atol * np.abs(a_info["estimate"]).max())
    np.testing.assert_allclose(b_info["estimate"], a_info["estimate"], rtol=1e-8, atol=atol)
    kept = "select id from negsample_sample order by id"
    assert query(python, kept).equals(query(sql, kept))
    return int(free.sum())


@pytest.mark.core
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


# Sources whose pilot fit fails, each read by two named designs: one per
# engine. Each passes the source check (which stops NULL and non-finite
# features, single-label sources and too few positives earlier, naming them
# itself), so the failure comes from the fit. 3,000 rows apiece.
FAILING_BASE = """
with base as (
    select
        range + 1 as id,
        {{ negsample.uniform('range', 8, 51) }} as x,
        {{ negsample.uniform('range', 8, 52) }} as v,
        {{ negsample.uniform('range', 8, 53) }} as u
    from range(3000)
),

labelled as (
    select *, case when u < 1.0 / (1.0 + exp(-(-2.0 + 1.5 * x - v))) then 1 else 0 end as label
    from base
)
"""
FAILING_SOURCES = {
    # Every negative is one the pilot draw (seed 42, stream 'pilot') skips:
    # the pilot rate N1 / N0 is about 0.4, the negatives' uniforms are >= 0.5.
    "one_label": "select id, label, x, v from labelled where label = 1 or "
    "{{ negsample.uniform('id', 42, 'pilot') }} >= 0.5",
    "constant": "select id, label, x, 2.5 as c from labelled",
    "null_level": "select id, label, x, cast(null as varchar) as g from labelled",
    "copy": "select id, label, x, x as x_copy from labelled",
    "combination": "select id, label, x, v, 2.0 * x - 3.0 * v + 1.0 as w from labelled",
    "separable": "select id, case when x > 0.5 then 1 else 0 end as label, x, v from labelled",
}
FAILING_FEATURES = {
    "one_label": (["x", "v"], []),
    "constant": (["x", "c"], []),
    "null_level": (["x"], ["g"]),
    "copy": (["x", "x_copy"], []),
    "combination": (["x", "v", "w"], []),
    "separable": (["x", "v"], []),
}
SINGULAR = (
    "the information matrix is singular, so some coefficient is not identified: a feature is "
    "collinear with the others, or the rows of a level or segment are separable (e.g. only "
    "positives, or fitted exactly by their offsets)"
)
# The message each engine's pilot fit gives (after the fit's name).
FAILING_MESSAGES = {
    "one_label": "the fitted rows hold only one label value",
    "constant": "numeric feature 'c' is constant in the fitted rows",
    "null_level": "categorical feature 'g' has no non-NULL value in the fitted rows",
    "copy": SINGULAR,
    "combination": SINGULAR,
    "separable": "a standardized coefficient exceeds 30 in magnitude; the classes are "
    "(quasi-)separable by the features",
}
ENGINES = ("python", "sql")


@pytest.fixture(scope="module")
def failing_fits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every failing source's pilot fit on both engines, in one `dbt run`: the error of each."""
    root = tmp_path_factory.mktemp("failing")
    designs = {
        f"{case}_{engine}": {
            "source": f"{case}_events",
            "numeric_features": numeric,
            "categorical_features": categorical,
            "fit_engine": engine,
        }
        for case, (numeric, categorical) in FAILING_FEATURES.items()
        for engine in ENGINES
    }
    project = package_project(root, "failing", {"negsample:designs": designs}, demo_seed=1)
    for case, body in FAILING_SOURCES.items():
        (project / "models" / f"{case}_events.sql").write_text(FAILING_BASE + body + "\n")
    assert cli.main(["add-design", "--all", "--project-dir", str(project)]) == 0
    database = root / "failing.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    fits = [f"+{name}_pilot_model{'_sql' if name.endswith('_sql') else ''}" for name in designs]
    run = run_dbt(["run", "--select", *fits], database, project_dir=project, check=False)
    assert not run.ok
    results = json.loads((root / "failing_dbt" / "target" / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[-1]: " ".join((r["message"] or "").split())
        for r in results["results"]
        if r["status"] == "error"
    }


# Rows for the engines called directly (negsample.runtime.fit, and the SQL engine's
# macros through `dbt compile --inline`): failures the pipeline cannot reach,
# and a tie between two most frequent levels that differ in case.
ENGINE_ROWS = """
create table engine_rows as
with base as (
    select range + 1 as id, random() as x, random() as v, random() as u from range(5000)
)
select
    id,
    x,
    v,
    -- Correlated with x to 1 - 8e-14 once standardized: positive definite, but
    -- with a condition number of about 2.5e13 (between the limit, 1e13, and
    -- 4 times it, where (largest / smallest Cholesky pivot)^2 would see it).
    x + 4e-7 * (v - 0.5) as x_near,
    -- 'a' and 'B' 2,000 rows each, 'c' 1,000: Python's min() takes 'B' ('B' < 'a').
    case when id % 5 < 2 then 'a' when id % 5 < 4 then 'B' else 'c' end as g,
    case when u < 1.0 / (1.0 + exp(-(-1.0 + 1.5 * x - v + case when id % 5 < 2 then 0.4
        when id % 5 < 4 then 0.0 else -0.5 end))) then 1 else 0 end as label,
    0.25 as rate,
    case when id = 17 then 'nan'::double else 0.5 end as bad_offset
from base
"""


@pytest.fixture(scope="module")
def engine_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("engine") / "engine.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("set threads = 1")
        con.execute("select setseed(0.25)")
        con.execute(ENGINE_ROWS)
    return database


def engine_frame(database: Path) -> pd.DataFrame:
    return query(database, "select * from engine_rows order by id")


def jinja(value: object) -> str:
    """A Python value as a Jinja literal."""
    return "none" if value is None else json.dumps(value)


def sql_engine_fit(
    database: Path,
    numeric: list[str],
    categorical: list[str] | None = None,
    offset: str | None = None,
    max_iterations: int | None = None,
) -> dict:
    """The SQL engine's fit of engine_rows (named 'engine fit'), run by dbt compile --inline."""
    limits = "{%- set limits = negsample._fit_limits() -%}"
    if max_iterations is not None:
        limits += f"{{%- do limits.update({{'max_iterations': {max_iterations}}}) -%}}"
    body = (
        limits + f"{{%- set design = negsample._sql_fit_design('engine_rows', {jinja(numeric)}, "
        f"{jinja(categorical or [])}, none, 'engine fit') -%}}"
        + f"{{%- set fit = {{'rows': 'engine_rows', 'label': 'label', 'offset': {jinja(offset)},"
        " 'weights': none, 'what': 'engine fit'} -%}"
        "{%- set scaling = negsample._sql_fit_first_pass([fit], design) -%}"
        "{%- set fitted = negsample._sql_fit(fit, design, scaling, scaling.starts[0], limits) -%}"
        "{{ tojson({'terms': design.terms, 'reference': design.reference,"
        " 'estimate': fitted.estimate, 'std_error': fitted.std_error}) }}"
    )
    return json.loads(compile_inline(executed(body), PROJECT_DIR, dbt_env(database)))


def sql_pilot_information(database: Path, numeric: list[str], theta: list[float]) -> str:
    body = (
        f"{{%- set design = negsample._sql_fit_design('engine_rows', {jinja(numeric)}, [], none,"
        " 'engine fit') -%}"
        "{%- set fit = {'rows': 'engine_rows', 'label': 'label', 'offset': none,"
        " 'weights': none, 'what': 'engine fit'} -%}"
        f"{{{{ tojson(negsample._sql_pilot_information_inverse(fit, design, {jinja(theta)},"
        " 'rate')) }}"
    )
    return compile_inline(executed(body), PROJECT_DIR, dbt_env(database))


def executed(body: str) -> str:
    """Jinja that runs its queries when dbt executes the inline node, not when it parses it."""
    return "{%- if execute -%}" + body + "{%- endif -%}"


def engine_error(engine: str, run: Callable[[], object]) -> str:
    """The message of the error that ``run`` stops with, whitespace collapsed."""
    error = FitError if engine == "python" else RuntimeError
    with pytest.raises(error) as caught:
        run()
    return " ".join(str(caught.value).split())


def python_nonfinite(database: Path) -> object:
    frame = engine_frame(database)
    design = make_design(frame, ["x"], [])
    return fit_logistic(frame, "label", design, offset="bad_offset", what="engine fit")


def python_not_converging(database: Path) -> object:
    frame = engine_frame(database)
    with mock.patch("negsample.runtime.fit.MAX_ITERATIONS", 2):
        return fit_logistic(frame, "label", make_design(frame, ["x", "v"], []), what="engine fit")


def python_near_copy(database: Path) -> object:
    frame = engine_frame(database)
    return fit_logistic(frame, "label", make_design(frame, ["x", "x_near"], []), what="engine fit")


def python_pilot_information(database: Path) -> object:
    frame = engine_frame(database)
    design = make_design(frame, ["x", "x_near"], [])
    theta = np.array([-2.0, 0.5, 0.5])
    return pilot_information_inverse(rows_of(frame), design, theta, "label", "rate")


# Failures the pipeline cannot reach, so the engines are called directly:
# case -> (the Python engine's call, the SQL engine's, the message of both).
ENGINE_CASES = {
    # The source check refuses NaN and infinite features, and the fits'
    # offsets (-ln of a rate in (0, 1]) and weights (1 / pi) are finite.
    "nonfinite": (
        python_nonfinite,
        lambda db: sql_engine_fit(db, ["x"], offset="bad_offset"),
        "engine fit: the likelihood is not finite (a feature holds NaN or inf)",
    ),
    # The iteration limit (100) is not a setting: lowered here to 2.
    "not_converging": (
        python_not_converging,
        lambda db: sql_engine_fit(db, ["x", "v"], max_iterations=2),
        "engine fit did not converge after 2 iterations; the data may be separable or a "
        "feature may be collinear with the others",
    ),
    # Identifiability: both engines compute the 1-norm condition number.
    "near_copy": (
        python_near_copy,
        lambda db: sql_engine_fit(db, ["x", "x_near"]),
        f"engine fit: {SINGULAR}",
    ),
    # In the pipeline the pilot fit, on the same rows and design, stops first.
    # M~ here is positive definite: only the condition number stops it.
    "pilot_information": (
        python_pilot_information,
        lambda db: sql_pilot_information(db, ["x", "x_near"], [-2.0, 0.5, 0.5]),
        "the pilot information matrix is singular; a feature is collinear",
    ),
}


@pytest.mark.parametrize("case", [*FAILING_MESSAGES, *ENGINE_CASES])
def test_both_engines_stop_a_failing_fit_with_the_same_message(case, request):
    """Each failing dataset stops both engines' fit with one message, naming problem and column."""
    if case in ENGINE_CASES:
        database = request.getfixturevalue("engine_db")
        python_call, sql_call, expected = ENGINE_CASES[case]
        python = engine_error("python", lambda: python_call(database))
        sql = engine_error("sql", lambda: sql_call(database))
        assert python == expected
        assert f"negsample: {expected}" in sql, sql
        return
    failing_fits = request.getfixturevalue("failing_fits")
    python = failing_fits.get(f"{case}_python_pilot_model", "")
    sql = failing_fits.get(f"{case}_sql_pilot_model_sql", "")
    expected = FAILING_MESSAGES[case]
    assert f"{case}_python_pilot_model (pilot logistic regression): {expected}" in python, python
    assert f"{case}_sql_pilot_model_sql (pilot logistic regression): {expected}" in sql, sql
    # Nothing else failed: every case stops at its own fit, on both engines.
    assert set(failing_fits) == {
        f"{c}_{e}_pilot_model{'_sql' if e == 'sql' else ''}"
        for c in FAILING_MESSAGES
        for e in ENGINES
    }


def test_tied_levels_that_differ_in_case_give_both_engines_one_reference(engine_db):
    """'a' and 'B' tie as the most frequent level: both engines take 'B', first as sorted()."""
    frame = engine_frame(engine_db)
    design = make_design(frame, ["x"], ["g"])
    python = fit_logistic(frame, "label", design)
    sql = sql_engine_fit(engine_db, ["x"], ["g"])
    assert design.reference == sql["reference"] == {"g": "B"}
    assert design.levels["g"] == ("B", "a", "c")
    assert [(term, level) for term, level in sql["terms"]] == design.terms()
    np.testing.assert_allclose(sql["estimate"], python.estimate, rtol=1e-8, atol=0)
    np.testing.assert_allclose(sql["std_error"], python.std_error, rtol=1e-6, atol=0)


def test_auto_picks_python_on_the_adapters_the_scaffold_names(engine_db):
    """fit_engine auto (macro _python_adapters) and the Python models' `enabled` agree."""
    rendered = compile_inline(
        "{{ negsample._python_adapters() | join(',') }}", PROJECT_DIR, dbt_env(engine_db)
    )
    assert tuple(rendered.split(",")) == PYTHON_ADAPTERS


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
    for name in ("sampling_scale", "sampling_probs", "sample", "diagnostics_cells", "scored"):
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
