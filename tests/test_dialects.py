"""Every compiled model reads as portable SQL: sqlglot parses it and writes it for other engines.

The models are compiled on DuckDB (against the built demo, so that the
categorical terms read at run time are there too), then each one is parsed
as DuckDB SQL and transpiled to Spark, Snowflake and BigQuery. A function
sqlglot does not know (``hash``), a one-argument ``log`` (base 10 on DuckDB,
natural elsewhere) or ``random()`` fails the check. The engine-specific
macros are rendered one by one and parsed in their own dialect.
"""

from __future__ import annotations

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

TARGET_DIALECTS = ("spark", "snowflake", "bigquery")

# Variable sets whose compiled models together hold every branch of the SQL:
# each score mode and each budget (modes and budgets are separate branches,
# so four variants cover the SQL of all eight pairs), p~ from a column (no
# pilot fit), the pilot sample reused in the final one or not, and a frozen
# design, both when a build estimates it (--full-refresh) and when its
# stores serve. The package's default is a_optimal with the paper budget.
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
    # Against the demo's stores, built with the same (default) settings.
    "frozen_reuse": ({"negsample:freeze_design": True}, []),
}


def sql_problems(sql: str) -> list[str]:
    """What keeps ``sql`` (DuckDB) from meaning the same on Spark, Snowflake and BigQuery."""
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
    compiled = database.parent / f"{database.stem}_dbt" / "target" / "compiled" / "negsample"
    out: dict[str, str] = {}
    for name, (variables, flags) in COMPILE_VARIANTS.items():
        # Compiling reads the database and writes nothing to it; each variant
        # starts from an empty compiled folder, so no file is another's.
        shutil.rmtree(compiled, ignore_errors=True)
        run_dbt(["compile", *flags], database, variables=variables)
        for path in sorted(compiled.rglob("*.sql")):
            out[f"{name}/{path.relative_to(compiled)}"] = path.read_text()
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
    assert "where 1 = 0" in model(uniform, "negsample_pilot_sample")
    # Score p: t = p~, none of the other modes' terms.
    for other in ("cast(1 as double) as sampling_score", "_design_norm", "_quadratic_form"):
        assert other not in model(p, "negsample_sampling_probs"), other
    assert "negsample_design_norm" in model(l_optimal, "negsample_sampling_probs")
    assert "negsample_quadratic_form" in model("default", "negsample_sampling_probs")
    for variant in (uniform, l_optimal):
        assert "budget_at_kink" in model(variant, "negsample_sampling_scale"), variant
    for variant in (p, "default"):
        assert "budget_at_kink" not in model(variant, "negsample_sampling_scale"), variant
    assert "estimated_expected_negatives" in model(l_optimal, "negsample_sampling_scale")
    # The pilot sample reused (the default) or not.
    assert "is_pilot_drawn" in model("default", "negsample_sampling_probs")
    assert "is_pilot_drawn" not in model(p, "negsample_sampling_probs")
    reuse = model("frozen_reuse", "negsample_sampling_scale")
    assert "where 1 = 0" in reuse and "budget_at_kink" not in reuse


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
    ],
    "bigquery": [
        "select {{ negsample.bigquery___string_key('k') }} as v",
        "select {{ negsample.default___bitxor('a', 'b') }} as v",
        "select {{ negsample.default___bitand(negsample.default___shiftright('a', 32), 7) }} as v",
        "select {{ negsample.bigquery___mod('a', 'b') }} as v",
        "select cast(x as {{ negsample.bigquery___double() }}) as v",
        "{{ negsample.default___literal_rows(['1.5e0', '2'], 'factor') }}",
    ],
    "snowflake": [
        "select {{ negsample.snowflake___string_key('k') }} as v",
        "select {{ negsample.snowflake___bitand('a', 4294967295) }} as v",
        "select {{ negsample.snowflake___bitxor('a', 'b') }} as v",
        "select {{ negsample.snowflake___shiftright('a', 16) }} as v",
    ],
    "postgres": [
        "select {{ negsample.default___string_key('k') }} as v",
        "select cast(x as {{ negsample.postgres___double() }}) as v",
        "select {{ negsample.postgres___bitxor('a', 'b') }} as v",
        "select count(case when {{ negsample.default___is_not_finite('x') }} then 1 end) as v",
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
            sqlglot.parse_one(sql, read=dialect.strip(), error_level=ErrorLevel.RAISE)
        except SqlglotError as err:
            pytest.fail(f"{dialect}: {sql.strip()}\n{err}")


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
