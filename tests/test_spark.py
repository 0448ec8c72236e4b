"""The whole pipeline on Apache Spark, fits included, draws the DuckDB sample.

tests/spark is a dbt project that installs negsample and runs it on a local
Spark through dbt-spark's ``session`` method (the ``spark`` extra: pyspark;
Java 17). dbt Python models do not run there, so the pilot and the final
model are fitted by the SQL engine (Newton steps as Spark aggregates), with
no coefficient vars; the demo rows come from the DuckDB demo run, exported
as parquet. One ``dbt build`` (one Spark session) builds every model and
runs the data tests; the tables' parquet files are then read back with
DuckDB and compared with the DuckDB run (Python fits) row by row.

Three named designs ride on the same build, so that between them and the
default design (a_optimal, paper budget) every score mode, both budgets,
p~ from a column and a frozen design run on Spark; each is compared with
the NumPy reference of the draw and with statsmodels' fit of its sample.
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
import yaml

from negsample.oracle import reference
from negsample.tools import cli, demo
from negsample.tools.settings import DEFAULTS
from tests import by_hand
from tests.conftest import PROJECT_DIR, query, run_dbt

pytestmark = [pytest.mark.spark, pytest.mark.dbt]

SPARK_PROJECT = Path(__file__).resolve().parent / "spark"

# Integer keys at the edges of the uniform's arithmetic, then ordinary ones.
EDGE_KEYS = [0, 1, -1, 2**31 - 2, 2**31 - 1, 2**31, -(2**31), 2**62, -(2**62)]
EDGE_KEYS += [2**63 - 2**32, -(2**63) + 2**32]

SOURCE = "demo_events_from_duckdb"
# A logged score for the designs that take p~ from a column (exported with the rows).
LOGGED_SCORE = "0.002 + 0.001 * sessions_30d"
# Named designs beside the default one (a_optimal, paper, pilot fitted): the
# other score modes, the exact budget, p~ from a column (no pilot fit, so no
# pilot sample to reuse) and a frozen design's stores as Spark incremental
# tables. Rate, floor, seed and pilot ratio are the package defaults.
# The exact budget goes with p~ from a column: Spark inlines the CTE of the
# scores at each of the solve's references, which re-scores every row with
# the pilot each time (minutes for a fitted pilot's l_optimal score).
NO_PILOT = {"pilot_score_column": "logged_score", "reuse_pilot": False}
DESIGNS = {
    "lopt": {"score": "l_optimal", "budget": "paper", "freeze_design": True},
    "pcol": {"score": "p", "budget": "exact", **NO_PILOT},
    "unif": {"score": "uniform", "budget": "paper", **NO_PILOT},
}
RATE, FLOOR, SEED = (DEFAULTS[k] for k in ("sampling_rate", "floor", "seed"))


def export_from_duckdb(database: Path, exports: Path) -> None:
    """The Spark run's inputs, as the DuckDB run read or fitted them (parquet keeps the bits)."""
    exports.mkdir()
    with duckdb.connect(str(database), read_only=True) as con:
        con.sql(
            f"copy (select *, {LOGGED_SCORE} as logged_score from demo_events) "
            f"to '{exports / 'demo_events.parquet'}'"
        )
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
    settings = yaml.safe_load((project / "dbt_project.yml").read_text())
    settings["vars"]["negsample:designs"] = {
        name: {"source": SOURCE, **values} for name, values in DESIGNS.items()
    }
    (project / "dbt_project.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    assert cli.main(["add-design", "--all", "--project-dir", str(project)]) == 0
    export_from_duckdb(demo_db, root / "exports")
    (root / "spark" / "tmp").mkdir(parents=True)
    env = {
        "NEGSAMPLE_SPARK_DIR": str(root / "spark"),
        "NEGSAMPLE_SPARK_EXPORTS": str(root / "exports"),
    }
    with mock.patch.dict(os.environ, env):
        run_dbt(["deps"], root / "spark.duckdb", project_dir=project)
        run_dbt(["build"], root / "spark.duckdb", project_dir=project, threads=1)
    warehouse = root / "spark" / "warehouse" / "negsample.db"
    # The rows every design sampled, as Spark read them.
    shutil.copy(root / "exports" / "demo_events.parquet", warehouse / "source_rows.parquet")
    return warehouse


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
    # -ln(pi): an absolute gap of 1e-12 is a relative one of pi (near 1, -ln pi is near 0).
    np.testing.assert_allclose(
        spark["log_odds_offset"], local["log_odds_offset"], rtol=0, atol=1e-12
    )
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
    local = query(
        demo_db,
        "select s.*, p.sampling_prob, p.is_sampled from negsample_scored as s "
        "inner join negsample_sampling_probs as p on s.id = p.id order by s.id",
    )
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
    assert set(pilot["model"]) == {"pilot", "information", "quadratic_a_optimal"}
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


def source_rows(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(
            f"select * from read_parquet('{warehouse / 'source_rows.parquet'}') order by id"
        ).df()


def reference_draw(warehouse: Path, design: str) -> tuple[pd.DataFrame, float]:
    """docs/method.md steps 3-6 in NumPy, from the stored pilot (or logged score) and rows."""
    settings = DESIGNS[design]
    rows = source_rows(warehouse)
    if "pilot_score_column" in settings:
        prob = rows["logged_score"].to_numpy()
        x = None
    else:
        pilot = spark_table(warehouse, f"{design}_pilot_coefficients", "model, term, level")
        terms = by_hand.free_terms(pilot, "pilot", demo.NUMERIC_FEATURES)
        coefficients = by_hand.coefficients_of(pilot, "pilot")
        x = by_hand.design_matrix(rows, terms)
        prob = by_hand.sigmoid(x @ np.array([coefficients[t] for t in terms]))
    t = reference.scores(prob, x, settings["score"])
    label = rows["label"].to_numpy()
    pi, scale = reference.sampling_probability(t, label == 0, RATE, FLOOR, settings["budget"])
    keys = rows["id"].to_numpy()  # integer ids key the uniform as they are
    kept = reference.keep(label, reference.uniform(keys, SEED, "sample"), pi)
    main = pi
    if settings.get("reuse_pilot", DEFAULTS["reuse_pilot"]):
        # The union with the pilot's draw: 1 - (1 - rho0)(1 - pi).
        n1, n0 = int(label.sum()), int((label == 0).sum())
        rho0 = reference.pilot_sampling_rate(n1, n0, DEFAULTS["pilot_ratio"])
        kept = kept | (reference.uniform(keys, SEED, "pilot") < rho0)
        pi = 1.0 - (1.0 - rho0) * (1.0 - main)
    draw = pd.DataFrame(
        {"id": rows["id"], "label": label, "main": main, "sampling_prob": pi, "kept": kept}
    )
    return draw, scale


@pytest.mark.parametrize("design", list(DESIGNS))
def test_spark_design_draws_the_reference_sample(spark_warehouse, design, capsys):
    draw, scale = reference_draw(spark_warehouse, design)
    stored = spark_table(spark_warehouse, f"{design}_sampling_scale", "sampling_scale")
    assert len(stored) == 1
    assert stored["sampling_scale"].iloc[0] == pytest.approx(scale, rel=1e-9)
    kept = draw[draw["kept"]]
    sample = spark_table(spark_warehouse, f"{design}_sample", "id")
    np.testing.assert_array_equal(sample["id"], kept["id"])
    np.testing.assert_allclose(sample["sampling_prob"], kept["sampling_prob"], rtol=1e-9)
    np.testing.assert_allclose(sample["log_odds_offset"], -np.log(kept["sampling_prob"]), rtol=1e-9)
    negatives = draw[draw["label"] == 0]
    design_row = spark_table(spark_warehouse, f"{design}_design", "n_rows").iloc[0]
    assert design_row["score"] == DESIGNS[design]["score"]
    assert design_row["budget"] == DESIGNS[design]["budget"]
    assert int(design_row["kept_negatives"]) == int(negatives["kept"].sum())
    assert design_row["expected_negatives"] == pytest.approx(
        negatives["sampling_prob"].sum(), rel=1e-9
    )
    if DESIGNS[design]["budget"] == "exact":
        # The budget is the main draw's (a reused pilot adds its rows on top).
        assert negatives["main"].sum() == pytest.approx(RATE * len(negatives), rel=1e-9)
    if DESIGNS[design].get("freeze_design"):
        # The first build of a frozen design estimates it and stores what it expects.
        assert bool(design_row["is_frozen_design"]) and bool(stored["is_frozen_store"].iloc[0])
        assert stored["expected_rate"].iloc[0] * len(negatives) == pytest.approx(
            negatives["sampling_prob"].sum(), rel=1e-9
        )
    report(f"{design}_sample: {len(sample)} kept rows equal to the NumPy reference", capsys)


@pytest.mark.parametrize("design", list(DESIGNS))
def test_spark_design_fits_are_statsmodels_fits_of_its_sample(spark_warehouse, design):
    import statsmodels.api as sm

    table = spark_table(spark_warehouse, f"{design}_coefficients", "model, term, level")
    terms = by_hand.free_terms(table, "final", demo.NUMERIC_FEATURES)
    assert len(terms) == len(demo.TRUE_COEFFICIENTS)
    sample = spark_table(spark_warehouse, f"{design}_sample", "id")
    fit = sm.GLM(
        sample["label"].to_numpy(dtype=float),
        by_hand.design_matrix(sample, terms),
        family=sm.families.Binomial(),
        offset=sample["log_odds_offset"].to_numpy(),
    ).fit(tol=1e-12, maxiter=100)
    final = by_hand.coefficients_of(table, "final")
    errors = {
        (row.term, None if pd.isna(row.level) else row.level): row.std_error
        for row in table[table["model"] == "final"].itertuples()
    }
    for i, term in enumerate(terms):
        assert abs(final[term] - fit.params[i]) <= 1e-6 * fit.bse[i], term
        assert errors[term] == pytest.approx(fit.bse[i], rel=1e-6), term


def test_spark_pilot_of_a_named_design_is_duckdbs_pilot(spark_warehouse, demo_db):
    """Same rows, ratio and seed: the same pilot sample, so the same pilot fit."""
    spark = spark_table(spark_warehouse, "lopt_pilot_coefficients", "model, term, level")
    local = query(demo_db, "select * from negsample_pilot_coefficients")
    spark_fit = by_hand.coefficients_of(spark, "pilot")
    local_fit = by_hand.coefficients_of(local, "pilot")
    assert spark_fit.keys() == local_fit.keys()
    assert len(spark_fit) == len(demo.TRUE_COEFFICIENTS) + 1
    for term, value in local_fit.items():
        assert spark_fit[term] == pytest.approx(value, rel=1e-6, abs=1e-12), term
