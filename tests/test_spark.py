"""The whole pipeline on Apache Spark, fits included, draws the DuckDB sample.

tests/spark is a dbt project that installs negsample and runs it on a local
Spark through dbt-spark's ``session`` method (the ``spark`` extra: pyspark;
Java 17). dbt Python models do not run there, so the pilot and the final
model are fitted by the SQL engine (Newton steps as Spark aggregates), with
no coefficient vars; the demo rows come from the DuckDB demo run, exported
as parquet. One ``dbt build`` (one Spark session) builds every model and
runs the data tests; the tables' parquet files are then read back with
DuckDB and compared with the DuckDB run (Python fits) row by row.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from unittest import mock

import duckdb
import numpy as np
import pandas as pd
import pytest

from negsample import reference
from tests.conftest import PROJECT_DIR, query, run_dbt

pytestmark = [pytest.mark.spark, pytest.mark.dbt]

SPARK_PROJECT = Path(__file__).resolve().parent / "spark"

# Integer keys at the edges of the uniform's arithmetic, then ordinary ones.
EDGE_KEYS = [0, 1, -1, 2**31 - 2, 2**31 - 1, 2**31, -(2**31), 2**62, -(2**62)]
EDGE_KEYS += [2**63 - 2**32, -(2**63) + 2**32]


def export_from_duckdb(database: Path, exports: Path) -> None:
    """The Spark run's inputs, as the DuckDB run read or fitted them (parquet keeps the bits)."""
    exports.mkdir()
    with duckdb.connect(str(database), read_only=True) as con:
        con.sql(f"copy (select * from demo_events) to '{exports / 'demo_events.parquet'}'")
    keys = np.array(EDGE_KEYS + list(range(2, 2001)), dtype=np.int64)
    uniform_keys = pd.DataFrame(
        {
            "int_key": keys,
            "text_key": [f"evt-{k}" for k in keys],
            "seed_value": (keys % 11) * 1_000_003 - 5,
        }
    )
    with duckdb.connect() as con:
        con.register("uniform_keys", uniform_keys)
        con.sql(f"copy (select * from uniform_keys) to '{exports / 'uniform_keys.parquet'}'")


@pytest.fixture(scope="module")
def spark_warehouse(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build tests/spark on a local Spark; return the warehouse folder of its schema."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as err:
        pytest.fail(f"the Spark tests need the `spark` extra: pip install -e '.[spark]' ({err})")
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        pytest.fail("the Spark tests need Java 17 (java on PATH or JAVA_HOME)")

    root = tmp_path_factory.mktemp("spark")
    project = root / "project"
    shutil.copytree(
        SPARK_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n")
    export_from_duckdb(demo_db, root / "exports")
    (root / "spark" / "tmp").mkdir(parents=True)
    env = {
        "NEGSAMPLE_SPARK_DIR": str(root / "spark"),
        "NEGSAMPLE_SPARK_EXPORTS": str(root / "exports"),
    }
    with mock.patch.dict(os.environ, env):
        run_dbt(["deps"], root / "spark.duckdb", project_dir=project)
        run_dbt(["build"], root / "spark.duckdb", project_dir=project, threads=1)
    return root / "spark" / "warehouse" / "negsample.db"


def spark_table(warehouse: Path, name: str, order_by: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(
            f"select * from read_parquet('{warehouse / name}/*.parquet') order by {order_by}"
        ).df()


def relative_gap(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got / expected - 1.0)))


def report(message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n[spark] {message}")


def test_spark_keeps_the_same_rows_with_the_same_sampling_prob(spark_warehouse, demo_db, capsys):
    spark = spark_table(spark_warehouse, "negsample_sample", "id")
    local = query(demo_db, "select * from negsample_sample order by id")
    np.testing.assert_array_equal(spark["id"], local["id"])
    np.testing.assert_array_equal(spark["label"], local["label"])
    assert relative_gap(spark["sampling_prob"], local["sampling_prob"]) <= 1e-12
    assert relative_gap(spark["pilot_prob"], local["pilot_prob"]) <= 1e-12
    np.testing.assert_allclose(spark["log_odds_offset"], local["log_odds_offset"], rtol=1e-12)
    np.testing.assert_allclose(spark["ipw_weight"], local["ipw_weight"], rtol=1e-12)
    report(f"negsample_sample: {len(spark)} kept rows compared with DuckDB", capsys)


def test_spark_design_has_the_same_counts(spark_warehouse, demo_db):
    spark = spark_table(spark_warehouse, "negsample_design", "n_rows").iloc[0]
    local = query(demo_db, "select * from negsample_design").iloc[0]
    counts = [
        "n_rows",
        "n_positive",
        "n_negative",
        "kept_negatives",
        "kept_rows",
        "n_capped",
        "n_floored",
        "n_unseen_level_rows",
        "pilot_rows",
        "seed",
    ]
    for column in counts:
        assert int(spark[column]) == int(local[column]), column
    for column in ["w", "sampling_scale", "expected_negatives", "pilot_sampling_rate"]:
        assert spark[column] == pytest.approx(local[column], rel=1e-12, abs=0), column
    assert spark["score"] == local["score"] and spark["budget"] == local["budget"]


def test_spark_scored_view_gives_the_same_corrected_prob(spark_warehouse, demo_db, capsys):
    spark = spark_table(spark_warehouse, "scored_rows", "id")
    local = query(demo_db, "select * from negsample_scored order by id")
    assert len(spark) == len(local) == 50_000
    np.testing.assert_array_equal(spark["id"], local["id"])
    np.testing.assert_array_equal(spark["is_sampled"], local["is_sampled"])
    assert relative_gap(spark["sampling_prob"], local["sampling_prob"]) <= 1e-12
    assert relative_gap(spark["corrected_prob"], local["corrected_prob"]) <= 1e-9
    np.testing.assert_allclose(spark["corrected_logit"], local["corrected_logit"], rtol=1e-9)
    report(f"negsample_scored: {len(spark)} rows compared with DuckDB", capsys)


def test_spark_fits_agree_with_duckdbs_python_fits(spark_warehouse, demo_db, capsys):
    spark = spark_table(spark_warehouse, "negsample_coefficients", "model, term, level")
    local = query(demo_db, "select * from negsample_coefficients order by model, term, level")
    np.testing.assert_array_equal(spark[["model", "term"]], local[["model", "term"]])
    np.testing.assert_array_equal(spark["is_reference"], local["is_reference"])
    free = ~local["is_reference"].to_numpy()
    for column in ("estimate", "std_error"):
        got, expected = spark[column].to_numpy()[free], local[column].to_numpy()[free]
        assert relative_gap(got, expected) <= 1e-6, column
    pilot = spark_table(spark_warehouse, "negsample_pilot_coefficients", "model, term, level")
    assert set(pilot["model"]) == {"pilot", "information", "information_squared"}
    report(f"negsample_coefficients: {int(free.sum())} fitted coefficients within 1e-6", capsys)


def test_spark_uniform_is_bit_identical_for_integer_and_string_keys(spark_warehouse, capsys):
    draws = spark_table(spark_warehouse, "uniform_draws", "int_key")
    keys = draws["int_key"].to_numpy(dtype=np.int64)
    np.testing.assert_array_equal(draws["u_int"], reference.uniform(keys, 42, "sample"))
    text_keys = np.array(
        [int(hashlib.md5(t.encode()).hexdigest()[:15], 16) for t in draws["text_key"]],
        dtype=np.int64,
    )
    np.testing.assert_array_equal(draws["text_key_value"], text_keys)
    np.testing.assert_array_equal(draws["u_text"], reference.uniform(text_keys, 42, "pilot"))
    by_seed = np.array(
        [
            reference.uniform(np.array([k]), int(s), 3)[0]
            for k, s in zip(keys, draws["seed_value"], strict=True)
        ]
    )
    np.testing.assert_array_equal(draws["u_seed_expression"], by_seed)
    report(f"uniform_draws: {3 * len(draws)} draws equal to the Python twin bit for bit", capsys)


def test_spark_solves_the_exact_budget(spark_warehouse, demo_db):
    spark = spark_table(spark_warehouse, "exact_budget_scale", "n_rows").iloc[0]
    scores = query(demo_db, "select label, sampling_score from negsample_sampling_probs")
    negatives = scores.loc[scores["label"] == 0, "sampling_score"].to_numpy()
    expected = reference.exact_scale(negatives, 0.3, 0.6)
    assert spark["sampling_scale"] == pytest.approx(expected, rel=1e-9)
    pi = np.minimum(1.0, np.maximum(0.6 * 0.3, spark["sampling_scale"] * negatives))
    assert pi.sum() == pytest.approx(0.3 * negatives.size, rel=1e-9)
    assert (pi == 1.0).sum() > 100 and (pi == 0.6 * 0.3).sum() > 1000
