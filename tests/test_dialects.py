"""Every compiled model reads as portable SQL: sqlglot parses it and writes it for other engines.

The models are compiled on DuckDB (against the built demo, so that the
categorical terms read at run time are there too), then each one is parsed
as DuckDB SQL and transpiled to Spark, PostgreSQL, Snowflake and BigQuery.
A function sqlglot does not know (``hash``), a one-argument ``log`` (base
10 on DuckDB, natural elsewhere), ``random()`` or a WHERE without a FROM
(which BigQuery rejects) fails the check. The SQL fit engine's own queries,
which run while a model compiles and so are in no compiled file, are read
from dbt's log and checked the same way. The engine-specific macros are
rendered one by one and parsed in their own dialect.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from tests.conftest import run_dbt

pytestmark = [pytest.mark.dialects, pytest.mark.dbt]

TARGET_DIALECTS = ("spark", "postgres", "snowflake", "bigquery")

# Variable sets whose compiled models together hold every branch of the SQL:
# each score mode and each budget (modes and budgets are separate branches,
# so four variants cover the SQL of all eight pairs), p~ from a column (no
# pilot fit), the pilot sample reused in the final one or not, and a frozen
# design, both when a build estimates it (--full-refresh) and when its
# stores serve; and the SQL fit engine, whose fit models are literal tables
# and whose Newton steps are queries it runs while compiling. The package's
# default is a_optimal with the paper budget.
COMPILE_VARIANTS: dict[str, tuple[dict, list[str]]] = {
    "uniform_exact_score_column": (
        {
            "negsample:score": "uniform",
            "negsample:budget": "exact",
            "negsample:pilot_score_column": "logged_score",
            "negsample:reuse_pilot": False,
        },
        [],
    ),
    "p_paper": (
        {"negsample:score": "p", "negsample:budget": "paper", "negsample:reuse_pilot": False},
        [],
    ),
    "l_optimal_exact_frozen_estimate": (
        {
            "negsample:score": "l_optimal",
            "negsample:budget": "exact",
            "negsample:freeze_design": True,
        },
        ["--full-refresh"],
    ),
    "default": ({}, []),
    # Against stores a frozen build of the same (default) settings wrote
    # (FROZEN_STORES, built first).
    "frozen_reuse": ({"negsample:freeze_design": True}, []),
    "sql_engine": ({"negsample:fit_engine": "sql"}, []),
}

# The stores the frozen_reuse variant compiles against: a frozen build of
# the defaults, up to the last store.
FROZEN_STORES = ["run", "--full-refresh", "--select", "+negsample_sampling_scale"]

# Where dbt's debug log records a statement: the connection (a node's id),
# the query comment, then the text up to the next timestamped log line.
LOGGED_SQL = re.compile(
    r"On ([\w.]+): /\* \{[^\n]*\} \*/\n(.*?)\n(?:\x1b\[0m)?\d\d:\d\d:\d\d\.\d+ ", re.S
)


def logged_statements(log: str) -> list[tuple[str, str]]:
    """(connection, SQL) of each statement dbt's debug log records, in order."""
    return [(m.group(1), m.group(2)) for m in LOGGED_SQL.finditer(log)]


def where_without_from(tree: exp.Expression) -> bool:
    """Whether a SELECT filters rows without a FROM (BigQuery rejects it)."""
    return any(
        select.args.get("where") is not None and select.args.get("from_") is None
        for select in tree.find_all(exp.Select)
    )


def sql_problems(sql: str) -> list[str]:
    """What keeps ``sql`` (DuckDB) from meaning the same on the engines of TARGET_DIALECTS."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as err:
        return [f"does not parse as DuckDB SQL: {err}"]
    problems = []
    for tree in statements:
        for node in tree.find_all(exp.Anonymous):
            problems.append(f"function {node.name}() is unknown to sqlglot for DuckDB")
        for node in tree.find_all(exp.Log):
            if node.args.get("expression") is None:
                problems.append(
                    f"one-argument {node.sql('duckdb')}: base 10 on DuckDB, natural "
                    "on other engines; write ln(x) or log(base, x)"
                )
        for _ in tree.find_all(exp.Rand):
            problems.append("random() is not reproducible; use negsample.uniform")
        if where_without_from(tree):
            problems.append("a WHERE without a FROM, which BigQuery rejects")
        for dialect in TARGET_DIALECTS:
            try:
                tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
            except SqlglotError as err:
                problems.append(f"cannot be written for {dialect}: {err}")
    return problems


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("select hash(id) as k from events", "function hash() is unknown"),
        ("select log(p) as l from events", "one-argument LOG(p)"),
        ("select id from events where random() < 0.1", "random() is not reproducible"),
        ("select id from events where", "does not parse"),
        ("select cast(null as double) as v where 1 = 0", "a WHERE without a FROM"),
    ],
)
def test_check_rejects_a_bad_snippet(snippet, expected):
    problems = sql_problems(snippet)
    assert any(expected in p for p in problems), problems


def test_check_accepts_portable_sql():
    sql = (
        "select ln(p) - ln(1.0 - p) as logit, log(2, p) as bits, md5(cast(id as text)) as h, "
        "least(1.0, greatest(0.005, 5.2 * p)) as pi, "
        "ntile(10) over (order by p) as decile from events"
    )
    assert sql_problems(sql) == []


@pytest.fixture(scope="module")
def compiled_sql(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every compiled model and data test of every variant: {variant/file: sql}."""
    database = tmp_path_factory.mktemp("dialects") / "dialects.duckdb"
    shutil.copy(demo_db, database)
    # The logged score of the score-column variant (the source check reads its type).
    with duckdb.connect(str(database)) as con:
        con.execute("alter table demo_events add column logged_score double")
        con.execute("update demo_events set logged_score = 0.002 + 0.001 * sessions_30d")
    work = database.parent / f"{database.stem}_dbt"
    compiled = work / "target" / "compiled" / "negsample"
    log = work / "logs" / "dbt.log"
    out: dict[str, str] = {}
    for name, (variables, flags) in COMPILE_VARIANTS.items():
        # Compiling reads the database and writes nothing to it; each variant
        # starts from an empty compiled folder, so no file is another's.
        shutil.rmtree(compiled, ignore_errors=True)
        if name == "frozen_reuse":
            run_dbt(FROZEN_STORES, database, variables=variables)
            shutil.rmtree(compiled, ignore_errors=True)
        logged = log.stat().st_size if log.exists() else 0
        run_dbt(["compile", *flags], database, variables=variables)
        for path in sorted(compiled.rglob("*.sql")):
            out[f"{name}/{path.relative_to(compiled)}"] = path.read_text()
        # The SQL fit engine's queries: levels, first pass, Newton steps, M~.
        with log.open(encoding="utf-8") as text:
            text.seek(logged)
            statements = logged_statements(text.read())
        for i, (node, sql) in enumerate(statements):
            if node.endswith("_model_sql"):
                out[f"{name}/queries/{node.rsplit('.', 1)[-1]}_{i:03d}.sql"] = sql
    return out


def test_the_variants_compile_their_branches(compiled_sql):
    """Each variant's SQL holds what it is there for (guards the list above)."""

    def model(variant: str, name: str) -> str:
        return compiled_sql[f"{variant}/models/{name}.sql"]

    uniform, p, l_optimal = (
        "uniform_exact_score_column",
        "p_paper",
        "l_optimal_exact_frozen_estimate",
    )
    assert "cast(1 as double) as sampling_score" in model(uniform, "negsample_sampling_probs")
    assert "negsample_pilot_score" in model(uniform, "negsample_sampling_probs")
    # Score uniform: t = 1, none of the pilot's score terms.
    for other in ("_design_norm", "_quadratic_form"):
        assert other not in model(uniform, "negsample_sampling_probs"), other
    # Score p: t = p~, none of the other modes' terms.
    for other in ("cast(1 as double) as sampling_score", "_design_norm", "_quadratic_form"):
        assert other not in model(p, "negsample_sampling_probs"), other
    assert "negsample_norm_squared" in model(l_optimal, "negsample_sampling_probs")
    assert "quadratic_a_optimal" in model("default", "negsample_sampling_probs")
    # The keep pass bounds t before it computes the quadratic form.
    assert "negsample_form_bound" in model("default", "negsample_sample")
    for variant in (uniform, l_optimal):
        assert "budget_at_kink" in model(variant, "negsample_sampling_scale"), variant
    for variant in (p, "default"):
        assert "budget_at_kink" not in model(variant, "negsample_sampling_scale"), variant
    # A first frozen build (--full-refresh) estimates the scale.
    frozen_first = model(l_optimal, "negsample_sampling_scale")
    assert "expected_rate" in frozen_first and "where 1 = 0" not in frozen_first
    # The pilot sample reused (the default) or not.
    assert "pilot_uniform < pilot_rate" in model("default", "negsample_sampling_probs")
    assert "pilot_uniform" not in model(p, "negsample_sampling_probs")
    reuse = model("frozen_reuse", "negsample_sampling_scale")
    assert "where 1 = 0" in reuse and "budget_at_kink" not in reuse
    # The SQL engine: its fits as literal tables (M~^-1 for a_optimal), and
    # the queries it ran to make them.
    assert not [k for k in compiled_sql if "_model_sql" in k and not k.startswith("sql_engine/")]
    assert "both_triangles" in model("sql_engine", "negsample_pilot_model_sql")
    assert "literal_rows" in model("sql_engine", "negsample_final_model_sql")
    queries = [sql for key, sql in compiled_sql.items() if key.startswith("sql_engine/queries/")]
    assert sum("grouping sets" in q for q in queries) >= 3, len(queries)
    assert any("var_pop" in q for q in queries)


def test_every_compiled_model_is_portable(compiled_sql):
    models = [key for key in compiled_sql if "/models/negsample_" in key]
    assert len(models) >= len(COMPILE_VARIANTS) * 12, sorted(compiled_sql)
    failures = {key: sql_problems(sql) for key, sql in compiled_sql.items()}
    failures = {key: problems for key, problems in failures.items() if problems}
    assert not failures, "\n".join(f"{k}: {p}" for k, ps in failures.items() for p in ps)


# Each engine-specific macro, rendered on its own and parsed in its engine's dialect.
DISPATCHED = {
    "spark": [
        "select {{ negsample.spark___string_key('k') }} as v",
        "select {{ negsample.spark___shiftright('a', 32) }} as v",
        "select {{ negsample.default___bitxor('a', 'b') }} & 7 as v",
        "{{ negsample.spark___literal_rows(['cast(1.5e0 as double)', '2'], 'factor') }}",
        "{{ negsample.spark___literal_table([('i', 'int'), ('v', 'double')], []) }}",
        "{{ negsample.spark___literal_table([('i', 'int'), ('v', 'double')],"
        " [['1', '1.5e0'], ['2', 'null']]) }}",
    ],
    "bigquery": [
        "select {{ negsample.bigquery___string_key('k') }} as v",
        "select {{ negsample.default___bitxor('a', 'b') }} as v",
        "select {{ negsample.default___bitand(negsample.default___shiftright('a', 32), 7) }} as v",
        "select {{ negsample.bigquery___mod('a', 'b') }} as v",
        "select cast(x as {{ negsample.bigquery___double() }}) as v",
        "{{ negsample.default___literal_rows(['1.5e0', '2'], 'factor') }}",
        "{{ negsample.bigquery___literal_table([('i', 'int64'), ('v', 'float64')], []) }}",
        "{{ negsample.bigquery___literal_table([('i', 'int64'), ('v', 'float64')],"
        " [['1', '1.5e0'], ['2', 'null']]) }}",
        "{{ negsample.bigquery___literal_table([('v', 'float64')], [['1.5e0'], ['null']]) }}",
    ],
    "snowflake": [
        "select {{ negsample.snowflake___string_key('k') }} as v",
        "select {{ negsample.snowflake___bitand('a', 4294967295) }} as v",
        "select {{ negsample.snowflake___bitxor('a', 'b') }} as v",
        "select {{ negsample.snowflake___shiftright('a', 16) }} as v",
        "{{ negsample.default___literal_table([('i', 'integer'), ('v', 'float')], []) }}",
        "{{ negsample.default___literal_table([('i', 'integer'), ('v', 'float')],"
        " [['1', '1.5e0'], ['2', 'null']]) }}",
    ],
    "postgres": [
        "select {{ negsample.postgres___string_key('k') }} as v",
        "select * from (select 1 as v {{ negsample.postgres___cte_fence() }}) as fenced",
        "select cast(x as {{ negsample.postgres___double() }}) as v",
        "select {{ negsample.postgres___bitxor('a', 'b') }} as v",
        "select count(case when {{ negsample.default___is_not_finite('x') }} then 1 end) as v",
        "{{ negsample.default___literal_table([('i', 'integer'), ('v', 'double precision')],"
        " []) }}",
        "{{ negsample.default___literal_table([('i', 'integer'), ('v', 'double precision')],"
        " [['1', '1.5e0'], ['2', 'null']]) }}",
    ],
}


def test_dispatched_macros_parse_in_their_dialect(tmp_path):
    lines = []
    for dialect, templates in DISPATCHED.items():
        for template in templates:
            lines += [f"-- @@ {dialect}", template]
    run = run_dbt(
        ["compile", "--quiet", "--inline", "\n".join(lines)],
        tmp_path / "dispatch.duckdb",
    )
    pieces = run.output.split("-- @@ ")[1:]
    assert len(pieces) == sum(len(t) for t in DISPATCHED.values()), run.output
    for piece in pieces:
        dialect, sql = piece.split("\n", 1)
        try:
            tree = sqlglot.parse_one(sql, read=dialect.strip(), error_level=ErrorLevel.RAISE)
        except SqlglotError as err:
            pytest.fail(f"{dialect}: {sql.strip()}\n{err}")
        assert not where_without_from(tree), f"{dialect}: {sql.strip()}"


def test_portable_string_key_equals_duckdb_hex_cast(tmp_path):
    """The ANSI default of the md5 key (used e.g. on Postgres) gives DuckDB's key, bit for bit."""
    inline = (
        "select k, {{ negsample.default___string_key('k') }} as portable, "
        "{{ negsample.duckdb___string_key('k') }} as native from keys"
    )
    sql = run_dbt(["compile", "--quiet", "--inline", inline], tmp_path / "key.duckdb").output
    texts = [f"evt-{i}" for i in range(2000)] + ["", "é", "a'b", "x" * 300]
    with duckdb.connect() as con:
        con.execute("create table keys as select unnest(?::varchar[]) as k", [texts])
        got = con.sql(sql.strip()).df()
    assert len(got) == len(texts)
    np.testing.assert_array_equal(got["portable"], got["native"])
    assert (got["native"] >= 0).all() and (got["native"] < 2**60).all()


# The SQL fit engine's queries for a design with two categorical features
# (whose pairs of levels make GROUPING SETS of two columns), rendered where
# a fit renders them: the levels and first-pass queries run here and are
# read back from dbt's log; the others are printed.
TWO_CATEGORICAL_FIT = """
{%- if execute -%}
{%- do run_query("create or replace table fit_rows as select range as id,
    case when range % 3 = 0 then 1 else 0 end as label, range / 7.0 as x, 0.5 as off,
    1.0 + range % 2 as w, 0.3 as p, 0.25 as rate,
    'shop_' || cast(range % 5 as varchar) as shop,
    'city_' || cast(range % 4 as varchar) as city from range(60)") -%}
{%- set design = negsample._sql_fit_design('fit_rows', ['x'], ['shop', 'city'], none, 'probe') -%}
{%- set fit = {'rows': 'fit_rows', 'label': 'label', 'offset': 'off', 'weights': 'w',
    'what': 'probe'} -%}
{%- set scaling = negsample._sql_fit_first_pass([fit], design) -%}
{%- set k = design.terms | length -%}
{%- set unit = {'center': [0.0] * k, 'spread': [1.0] * k} -%}
{%- set fitted = {'estimate': [0.01] * k, 'std_error': [0.1] * k} -%}
-- @@ newton step
{{ negsample._sql_fit_sums_query(fit, design, scaling, [0.01] * k, meat=true) }}
-- @@ information
{{ negsample._sql_fit_sums_query(fit, design, unit, [0.01] * k, information='rate') }}
-- @@ given probabilities
{{ negsample._sql_fit_sums_query({'rows': 'fit_rows', 'label': 'label', 'offset': none,
    'weights': none, 'what': 'probe', 'prob': 'p'}, design, unit, [0.01] * k) }}
-- @@ coefficients
{{ negsample._literal_table(negsample._pilot_table_columns(),
    negsample._fit_rows('pilot', design, fitted, extra_nulls=2)) }}
-- @@ no coefficients
{{ negsample._literal_table(negsample._pilot_table_columns(), []) }}
{%- endif -%}
"""


def test_the_sql_fit_queries_of_two_categorical_features_are_portable(tmp_path):
    database = tmp_path / "fit.duckdb"
    rendered = run_dbt(["compile", "--quiet", "--inline", TWO_CATEGORICAL_FIT], database).output
    pieces = dict(piece.split("\n", 1) for piece in rendered.split("-- @@ ")[1:])
    log = (tmp_path / "fit_dbt" / "logs" / "dbt.log").read_text()
    ran = [sql for _, sql in logged_statements(log) if "fit_rows" in sql and "create" not in sql]
    assert len(ran) == 2, ran
    pieces["levels"], pieces["first pass"] = ran
    assert pieces["levels"].count("union all") == 1
    assert "var_pop" in pieces["first pass"]
    for name in ("newton step", "information", "given probabilities"):
        assert "(g_0, g_1)" in pieces[name], name
    assert "m_0_0" in pieces["newton step"] and "given_p" in pieces["given probabilities"]
    assert pieces["coefficients"].count("'pilot'") == 1 + 1 + 4 + 3 + 2
    failures = {name: sql_problems(sql) for name, sql in pieces.items()}
    assert not {name: problems for name, problems in failures.items() if problems}, failures


# The SQL pilot's M~^-1 at 203 terms (4 numeric features, 2 categorical
# features of 100 levels) is k (k + 1) / 2 = 20,706 rows of literals. Each
# engine's literal table of them must stay under BigQuery's 1 MB of query
# text; the same table of two rows must parse in the engine's dialect (the
# big one holds the same text between the rows, checked below: parsing
# 800 KB takes sqlglot tens of seconds).
LITERAL_VARIANTS = {
    # macro: (integer type, double type, dialects that read it)
    "default": ("integer", "double precision", ("postgres", "snowflake", "duckdb")),
    "spark": ("int", "double", ("spark",)),
    "bigquery": ("int64", "float64", ("bigquery",)),
}
WIDE_ENTRIES = """
{%- set value = negsample._double_literal(-1.2345678901234567e-05) -%}
{%- set entries = [] -%}
{%- for i in range(203) %}{% for j in range(i, 203) %}
{%- do entries.append([i ~ '', j ~ '', value]) -%}
{%- endfor %}{% endfor -%}
"""


def test_each_engines_literal_table_of_203_terms_fits_a_megabyte(tmp_path):
    template = WIDE_ENTRIES
    for macro, (integer, double, _) in LITERAL_VARIANTS.items():
        columns = f"[('row_index', '{integer}'), ('col_index', '{integer}'), ('value', '{double}')]"
        for size, rows in (("wide", "entries"), ("two", "[entries[0], entries[-1]]")):
            template += (
                f"-- @@ {macro} {size}\n"
                f"{{{{ negsample.{macro}___literal_table({columns}, {rows}) }}}}\n"
            )
    rendered = run_dbt(["compile", "--quiet", "--inline", template], tmp_path / "wide.duckdb")
    pieces = dict(piece.split("\n", 1) for piece in rendered.output.split("-- @@ ")[1:])
    last = "(202, 202, -1.2345678901234568e-05)"
    for macro, (_, _, dialects) in LITERAL_VARIANTS.items():
        wide, two = pieces[f"{macro} wide"].strip(), pieces[f"{macro} two"].strip()
        assert wide.count("-1.2345678901234568e-05") == 203 * 204 // 2, macro
        assert len(wide.encode()) < 1_000_000, (macro, len(wide.encode()))
        # The same text around the rows: the wide table parses as the small one does.
        assert wide.startswith(two[: two.index(last)]), macro
        assert wide.endswith(two[two.index(last) :]), macro
        for dialect in dialects:
            tree = sqlglot.parse_one(two, read=dialect, error_level=ErrorLevel.RAISE)
            rows = [len(t.expressions) for t in tree.find_all(exp.Tuple)]
            assert rows == [3, 3], (macro, dialect, tree.sql(dialect))
