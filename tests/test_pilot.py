"""The pilot, docs/method.md steps 1-2, against the NumPy reference and statsmodels.

At pilot_ratio 1 (the demo's build, whose scale sample holds every row)
and 3 with scale_sample_size 10,000 (the pilot's models rebuilt on a copy,
the scale sample a fifth of the negatives): the SQL pilot rate is the
reference's rho0 = min(1, ratio N1 / N0), the pilot sample keeps every
positive and exactly the negatives whose uniform of the 'pilot' stream is
below rho_s, the pilot's rows are those below rho0, every row carries the
offset -ln rho0, the pilot coefficients are statsmodels' GLM with that
offset on the pilot's rows, jointly consistent with the true coefficients,
and M~^-1 is the inverse of the information estimated on the whole pilot
sample with its negatives weighted 1/rho_s. Rates and offsets are computed
here from the counts, not read from the table: a wrong offset in the SQL
moves the package's fit and not this one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.tools import demo
from tests import by_hand
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt

SEED = 42  # the demo's negsample:seed (package default)
PILOT_MODELS = [
    "--select",
    "negsample_source_check",
    "negsample_input",
    "negsample_pilot_sample",
    "negsample_pilot_model",
    "negsample_pilot_coefficients",
]
SMALL_SCALE = 10_000


@pytest.fixture(scope="module", params=[1, 3], ids=["ratio1", "ratio3"])
def pilot_db(
    request: pytest.FixtureRequest, demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, float]:
    """A database whose pilot was built with the given pilot_ratio, and that ratio."""
    ratio = request.param
    if ratio == 1:
        return demo_db, 1.0  # the package default: the demo's own build
    database = tmp_path_factory.mktemp(f"pilot{ratio}") / "pilot.duckdb"
    shutil.copy(demo_db, database)
    run_dbt(
        ["run", *PILOT_MODELS],
        database,
        variables={"negsample:pilot_ratio": ratio, "negsample:scale_sample_size": SMALL_SCALE},
    )
    return database, float(ratio)


def reference_scale_rate(database: Path, ratio: float) -> float:
    """rho_s = min(1, max(rho0, scale_sample_size / N0)), counted here."""
    n0 = query(database, "select count(*) as n0 from demo_events where label = 0")["n0"].iloc[0]
    size = SMALL_SCALE if ratio != 1 else 200_000
    return min(1.0, max(reference_rate(database, ratio), size / n0))


def reference_rate(database: Path, ratio: float) -> float:
    """rho0 from the source's class counts, counted here."""
    counts = query(
        database, "select sum(label) as n1, count(*) - sum(label) as n0 from demo_events"
    ).iloc[0]
    return reference.pilot_sampling_rate(int(counts["n1"]), int(counts["n0"]), ratio)


def test_sql_pilot_rate_is_the_reference_rate(pilot_db):
    database, ratio = pilot_db
    rho0 = reference_rate(database, ratio)
    assert 0 < rho0 < 1  # the demo's pilot is a true subsample at both ratios
    sql = query(database, "select pilot_rate from negsample_source_check")["pilot_rate"]
    assert len(sql) == 1
    assert sql.iloc[0] == pytest.approx(rho0, rel=1e-15)


def test_pilot_draw_is_the_pilot_stream_below_rho0_in_a_scale_sample_below_rho_s(pilot_db):
    database, ratio = pilot_db
    rho0, rho_s = reference_rate(database, ratio), reference_scale_rate(database, ratio)
    assert rho0 < rho_s
    rows = query(database, "select id, label, negsample_key from negsample_input order by id")
    u = reference.uniform(rows["negsample_key"].to_numpy(), SEED, "pilot")
    label = rows["label"].to_numpy()
    in_sample = (label == 1) | (u < rho_s)
    in_pilot = (label == 1) | (u < rho0)
    pilot = query(
        database,
        "select id, label, pilot_uniform, is_pilot_row, log_odds_offset, scale_rate "
        "from negsample_pilot_sample order by id",
    )
    np.testing.assert_array_equal(pilot["id"].to_numpy(), rows["id"].to_numpy()[in_sample])
    np.testing.assert_array_equal(pilot["pilot_uniform"].to_numpy(), u[in_sample])
    np.testing.assert_array_equal(pilot["is_pilot_row"].to_numpy(), in_pilot[in_sample])
    assert pilot["scale_rate"].iloc[0] == pytest.approx(rho_s, rel=1e-15)
    # Every positive, and about rho0 * N0 negatives for the pilot (binomial, 4 sd).
    assert (pilot["label"] == 1).sum() == (label == 1).sum()
    n0 = int((label == 0).sum())
    drawn = int(((pilot["label"] == 0) & pilot["is_pilot_row"]).sum())
    assert abs(drawn - rho0 * n0) <= 4 * np.sqrt(n0 * rho0 * (1 - rho0)), (drawn, rho0 * n0)
    # The offset -ln rho0 on every row, positives included.
    np.testing.assert_allclose(pilot["log_odds_offset"], -np.log(rho0), rtol=1e-15, atol=0)


def test_the_information_matrix_weighs_the_scale_sample_by_its_rate(pilot_db):
    database, ratio = pilot_db
    rho_s = reference_scale_rate(database, ratio)
    table = query(database, "select * from negsample_pilot_coefficients")
    terms = by_hand.free_terms(table, "pilot", demo.NUMERIC_FEATURES)
    coefficients = by_hand.coefficients_of(table, "pilot")
    theta = np.array([coefficients[t] for t in terms])
    sample = query(database, "select * from negsample_pilot_sample order by id")
    x = by_hand.design_matrix(sample, terms)
    p = by_hand.sigmoid(x @ theta)
    w = np.where(sample["label"] == 1, 1.0, 1.0 / rho_s)
    information = (x * (w * p * (1 - p))[:, None]).T @ x / w.sum()
    stored = table[table["model"] == "information"]
    index = {t: i for i, t in enumerate(terms)}
    inverse = np.zeros((len(terms), len(terms)))
    for row in stored.itertuples():
        level = None if pd.isna(row.level) else row.level
        col_level = None if pd.isna(row.col_level) else row.col_level
        inverse[index[(row.term, level)], index[(row.col_term, col_level)]] = row.estimate
    np.testing.assert_allclose(inverse @ information, np.eye(len(terms)), atol=1e-8)


def statsmodels_pilot(database: Path, ratio: float, terms: list) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' GLM on the pilot sample with offset -ln rho0: estimates and standard errors."""
    import statsmodels.api as sm

    sample = query(database, "select * from negsample_pilot_sample where is_pilot_row order by id")
    x = by_hand.design_matrix(sample, terms)
    offset = np.full(len(sample), -np.log(reference_rate(database, ratio)))
    fit = sm.GLM(
        sample["label"].to_numpy(dtype=float), x, family=sm.families.Binomial(), offset=offset
    ).fit(tol=1e-12, maxiter=100)
    return np.asarray(fit.params), np.asarray(fit.bse), np.asarray(fit.cov_params())


def pilot_table(database: Path) -> pd.DataFrame:
    return query(
        database,
        "select * from negsample_pilot_coefficients where model = 'pilot' order by term, level",
    )


def test_pilot_coefficients_are_statsmodels_with_the_pilot_offset(pilot_db):
    database, ratio = pilot_db
    table = pilot_table(database)
    terms = by_hand.free_terms(table, "pilot", demo.NUMERIC_FEATURES)
    assert len(terms) == len(demo.TRUE_COEFFICIENTS)
    # The reference level is the pilot sample's most frequent one.
    sample = query(database, "select channel from negsample_pilot_sample where is_pilot_row")
    reference_level = table.loc[table["is_reference"].astype(bool), "level"].tolist()
    assert reference_level == [sample["channel"].value_counts().idxmax()]
    estimate, std_error, _ = statsmodels_pilot(database, ratio, terms)
    fitted = by_hand.coefficients_of(table, "pilot")
    errors = {
        (row.term, None if pd.isna(row.level) else row.level): row.std_error
        for row in table.itertuples()
    }
    assert len(fitted) == len(terms) + 1  # and the reference level, estimate 0
    for i, term in enumerate(terms):
        # Both fits converge far below their standard errors: 1e-6 of one SE.
        assert abs(fitted[term] - estimate[i]) <= 1e-6 * std_error[i], term
        assert errors[term] == pytest.approx(std_error[i], rel=1e-6), term


def test_pilot_coefficients_are_jointly_consistent_with_the_truth(pilot_db):
    """A Wald chi-squared test at the 0.999 quantile, with statsmodels' covariance."""
    from scipy.stats import chi2

    database, ratio = pilot_db
    table = pilot_table(database)
    terms = by_hand.free_terms(table, "pilot", demo.NUMERIC_FEATURES)
    _, _, covariance = statsmodels_pilot(database, ratio, terms)
    fitted = by_hand.coefficients_of(table, "pilot")
    gap = np.array([fitted[t] - demo.TRUE_COEFFICIENTS[t] for t in terms])
    statistic = float(gap @ np.linalg.solve(covariance, gap))
    assert statistic < chi2.ppf(0.999, len(terms)), statistic
