"""Where the pilot and final coefficients come from, and which Python models that leaves.

The vars `negsample:pilot_coefficients`, `negsample:pilot_information` and
`negsample:final_coefficients` (coefficients fitted elsewhere) and
`negsample:pilot_score_column` (p~ given) switch the fits off (their models
write no rows); the SQL path itself is run for real on Spark in
tests/test_spark.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from negsample.oracle import reference
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt

PYTHON_MODELS = {"negsample_pilot_model", "negsample_final_model"}


def enabled_models(tmp_path: Path, variables: dict) -> set[str]:
    run = run_dbt(
        ["ls", "--resource-type", "model", "--output", "name", "--quiet"],
        tmp_path / "ls.duckdb",
        variables=variables,
    )
    return {line.strip() for line in run.output.splitlines() if line.strip()}


def test_python_models_run_where_the_adapter_runs_them(tmp_path):
    # On DuckDB they are part of every declared design; with coefficients
    # given they write no rows (test_pilot_score_column_alone_needs_no_pilot_fit).
    given = {
        "negsample:pilot_coefficients": "demo_events",
        "negsample:pilot_information": "demo_events",
        "negsample:final_coefficients": "demo_events",
    }
    assert PYTHON_MODELS <= enabled_models(tmp_path, given)


def test_a_optimal_without_information_names_the_var(tmp_path):
    run = run_dbt(
        ["parse"],
        tmp_path / "parse.duckdb",
        variables={"negsample:pilot_coefficients": "demo_events", "negsample:score": "a_optimal"},
        check=False,
    )
    assert not run.ok
    assert "negsample:pilot_information" in run.output


def test_pilot_score_column_alone_needs_no_pilot_fit(demo_db, tmp_path):
    """p~ from a column: no pilot model, pilot_logit null, pi from the column, a calibrated fit."""
    database = tmp_path / "score_column.duckdb"
    shutil.copy(demo_db, database)
    # A logged score in (0, 1) on the demo table (the seed is not reloaded).
    # Any score will do for the draw: the final fit stays calibrated whatever
    # drove the sample, because its offset follows pi.
    with duckdb.connect(str(database)) as con:
        con.execute("alter table demo_events add column logged_score double")
        con.execute("update demo_events set logged_score = 0.002 + 0.001 * sessions_30d")
    variables = {"negsample:pilot_score_column": "logged_score", "negsample:score": "p"}
    run_dbt(["build", "--exclude", "resource_type:seed"], database, variables=variables)

    # Nothing is fitted for the pilot: no pilot rows. The pilot pass still
    # draws the scale sample, which w comes from (every row of the demo).
    for table in ("negsample_pilot_model", "negsample_pilot_coefficients"):
        assert query(database, f"select count(*) as n from {table}")["n"].iloc[0] == 0, table
    scale = query(database, "select count(*) as n from negsample_pilot_sample")["n"].iloc[0]
    assert scale == len(query(database, "select id from demo_events"))
    rows = query(database, "select * from demo_events order by id")
    scores = query(database, "select * from negsample_sampling_probs order by id")
    assert scores["pilot_logit"].isna().all()
    np.testing.assert_array_equal(scores["pilot_prob"], rows["logged_score"])
    probs = query(database, "select * from negsample_sampling_probs order by id")
    pi, _ = reference.sampling_probability(
        rows["logged_score"].to_numpy(), rows["label"].to_numpy() == 0, 0.05, 0.1
    )
    np.testing.assert_allclose(probs["sampling_prob"], pi, rtol=1e-12)
    models = query(database, "select distinct model from negsample_coefficients")
    assert set(models["model"]) == {"final", "ipw"}
    # No pilot sample is drawn, so reuse_pilot (on by default) has nothing to
    # reuse: the sample is the main draw alone, and the design says so.
    design = query(database, "select is_pilot_reused from negsample_design").iloc[0]
    assert not bool(design["is_pilot_reused"])
    expected = (probs["label"] == 1) | (probs["sample_uniform"] < probs["sampling_prob"])
    assert (probs["is_sampled"] == expected).all()
    # The final fit is calibrated in the large: the intercept update that
    # would close its gap is within 3 of its own standard deviations.
    update = query(database, "select * from negsample_intercept_update").iloc[0]
    assert abs(update["intercept_delta_z"]) < 3, update.to_dict()
