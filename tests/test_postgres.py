"""The whole pipeline on a real PostgreSQL server, fits included, with no coefficient vars.

The package's own project is built on PostgreSQL as a new user would
(`dbt build --target postgres`, the profile's second output): the demo seed
loads with the package's column types, and since PostgreSQL runs no dbt
Python models, `fit_engine: auto` picks the SQL engine (Newton steps as
aggregate queries on the server). Every model and data test must pass, the
kept rows must be DuckDB's, and the coefficients must agree with the DuckDB
build's Python fits.
"""

from __future__ import annotations

import os
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from tests.conftest import query, run_dbt
from tests.postgres_server import running_server

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """The package built on PostgreSQL: yields a function that reads a query as a DataFrame."""
    import psycopg2

    root = tmp_path_factory.mktemp("postgres")
    with running_server() as server:
        with mock.patch.dict(os.environ, {"NEGSAMPLE_POSTGRES_PORT": str(server.port)}):
            build = run_dbt(["build", "--target", "postgres"], root / "pg.duckdb")
        connection = psycopg2.connect(
            host="127.0.0.1", port=server.port, user="postgres", dbname="negsample"
        )

        def read(sql: str) -> pd.DataFrame:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("{schema}", "negsample"))
                names = [d[0] for d in cursor.description]
                return pd.DataFrame(cursor.fetchall(), columns=names)

        read.output = build.output
        yield read
        connection.close()


def test_every_model_and_data_test_passes_on_postgres(postgres):
    flat = " ".join(postgres.output.split())
    assert "ERROR=0" in flat and "SKIP=0" in flat
    models = postgres(
        "select table_name from information_schema.tables where table_schema = 'negsample'"
    )
    names = set(models["table_name"])
    for kind in ("sample", "coefficients", "design", "scored", "diagnostics", "pilot_model_sql"):
        assert f"negsample_{kind}" in names
    # No Python model ran: the SQL engine fitted the pilot and the final model.
    assert "negsample_pilot_model" not in names and "negsample_final_model" not in names


def test_postgres_keeps_the_rows_duckdb_keeps(postgres, demo_db):
    here = postgres("select id, label, sampling_prob from {schema}.negsample_sample order by id")
    there = query(demo_db, "select id, label, sampling_prob from negsample_sample order by id")
    assert len(here) == len(there) > 2000
    np.testing.assert_array_equal(here["id"].astype(int), there["id"])
    np.testing.assert_allclose(
        here["sampling_prob"].astype(float), there["sampling_prob"], rtol=1e-9
    )


def test_postgres_fits_agree_with_duckdbs_python_fits(postgres, demo_db):
    sql = "select model, term, level, estimate, std_error from {table} where not is_reference"
    here = postgres(sql.format(table="{schema}.negsample_coefficients"))
    there = query(demo_db, sql.format(table="negsample_coefficients"))
    merged = here.merge(there, on=["model", "term", "level"], suffixes=("_pg", "_duckdb"))
    assert len(merged) == len(there) == 3 * 8
    for column in ("estimate", "std_error"):
        got = merged[f"{column}_pg"].astype(float).to_numpy()
        expected = merged[f"{column}_duckdb"].to_numpy()
        assert np.max(np.abs(got / expected - 1)) <= 1e-6, column


def test_postgres_design_counts_match(postgres, demo_db):
    here = postgres("select * from {schema}.negsample_design").iloc[0]
    there = query(demo_db, "select * from negsample_design").iloc[0]
    for column in ("n_rows", "n_positive", "kept_negatives", "kept_rows", "n_capped", "n_floored"):
        assert int(here[column]) == int(there[column]), column
    assert float(here["expected_negatives"]) == pytest.approx(there["expected_negatives"], rel=1e-9)
