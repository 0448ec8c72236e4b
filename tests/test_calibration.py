"""Calibration in the large of the final fit, without the intercept update.

With recalibrate_intercept false the scored view shows the final (offset)
fit as fitted, and its calibration in the large tests the whole method:
delta = (N1 - sum p) / sum p(1 - p) over every row is one Newton step of
the full table's score equation for the intercept. Its sampling standard
deviation is sqrt(a' V a - 1 / sum p(1 - p)), with V the final fit's
covariance and a = sum p(1 - p) x-dot / sum p(1 - p): the variance of
a' (theta_sample - theta_full), the full-table MLE being efficient
(a' V_full a is exactly 1 / sum p(1 - p)). The package's data test holds
delta to sqrt(a' V a) (a little larger: it does not subtract the full
table's own share), with a estimated on the scale sample. The demo's fit
lies within 4 of them; a final logit shifted by +0.35, which predicts 1.36
times the observed positives, lies far beyond, and the data test fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from negsample.tools import demo
from tests import by_hand
from tests.conftest import data_test_results, query, run_dbt

pytestmark = pytest.mark.dbt

NOT_RECALIBRATED = {"negsample:recalibrate_intercept": False}
SHIFT = 0.35
UPDATE_TEST = (
    "negsample_negsample_expression_is_true_negsample_intercept_update_abs_intercept_delta_z_4"
)


def rebuilt(demo_db: Path, folder: Path, shift: float = 0.0, check: bool = True):
    """A copy of the demo whose final intercept is moved by ``shift``, rebuilt from there on."""
    database = folder / "calibration.duckdb"
    shutil.copy(demo_db, database)
    if shift:
        import duckdb

        with duckdb.connect(str(database)) as con:
            con.execute(
                "update negsample_final_model set estimate = estimate + ? "
                "where model = 'final' and term = 'intercept'",
                [shift],
            )
    run = run_dbt(
        ["build", "--select", "negsample_coefficients+"],
        database,
        variables=NOT_RECALIBRATED,
        check=check,
    )
    return database, run


@pytest.fixture(scope="module")
def as_fitted(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rebuilt(demo_db, tmp_path_factory.mktemp("as_fitted"))[0]


@pytest.fixture(scope="module")
def shifted(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rebuilt(demo_db, tmp_path_factory.mktemp("shifted"), SHIFT, check=False)[0]


def calibration(database: Path) -> dict[str, float]:
    """delta, its standard deviation and the ratio of predicted to observed positives, by hand."""
    table = query(database, "select * from negsample_coefficients")
    numeric = list(demo.NUMERIC_FEATURES)
    terms = by_hand.free_terms(table, "final", numeric)
    coefficients = by_hand.coefficients_of(table, "final")
    theta = np.array([coefficients[t] for t in terms])
    rows = query(database, "select * from negsample_input order by id")
    assert len(rows) == demo.DEMO_ROWS
    x = by_hand.design_matrix(rows, terms)
    p = by_hand.sigmoid(x @ theta)
    variance = p * (1 - p)
    n_positive = rows["label"].sum()
    delta = (n_positive - p.sum()) / variance.sum()
    # The final fit's covariance: the inverse information of the offset
    # likelihood on the kept rows, at its estimate.
    sample = query(database, "select * from negsample_sample order by id")
    xs = by_hand.design_matrix(sample, terms)
    mu = by_hand.sigmoid(xs @ theta + sample["log_odds_offset"].to_numpy())
    covariance = np.linalg.inv(xs.T @ (xs * (mu * (1 - mu))[:, None]))
    a = (x * variance[:, None]).sum(axis=0) / variance.sum()
    excess = a @ covariance @ a - 1 / variance.sum()
    assert excess > 0, excess  # the sample fit is less precise than the full one
    return {
        "delta": delta,
        "sd": float(np.sqrt(excess)),
        "ratio": p.sum() / n_positive,
        "mean_prob": p.mean(),
        "sum_variance": variance.sum(),
    }


def test_without_the_update_the_scores_are_the_final_fit(as_fitted):
    update = query(as_fitted, "select * from negsample_intercept_update")
    assert len(update) == 1 and not update["is_applied"].iloc[0]
    table = query(as_fitted, "select * from negsample_coefficients")
    rows = query(as_fitted, "select * from negsample_scored order by id")
    assert len(rows) == demo.DEMO_ROWS
    expected = by_hand.logit(
        rows,
        by_hand.coefficients_of(table, "final"),
        demo.NUMERIC_FEATURES,
        demo.CATEGORICAL_FEATURES,
    )
    np.testing.assert_allclose(rows["corrected_logit"], expected, rtol=1e-12, atol=1e-12)


def test_final_fit_is_calibrated_within_its_standard_error(as_fitted):
    got = calibration(as_fitted)
    update = query(as_fitted, "select * from negsample_intercept_update").iloc[0]
    # The table's numbers are the ones computed here.
    assert update["intercept_delta"] == pytest.approx(got["delta"], rel=1e-9)
    assert update["mean_prob"] == pytest.approx(got["mean_prob"], rel=1e-12)
    scored = query(as_fitted, "select avg(corrected_prob) as p from negsample_scored")
    assert scored["p"].iloc[0] == pytest.approx(got["mean_prob"], rel=1e-12)
    assert abs(got["delta"]) <= 4 * got["sd"], got
    # The data test's sd is sqrt(a' V a): the same up to the full table's
    # share, with a from the scale sample (here every row: the demo's
    # negatives are fewer than scale_sample_size).
    full_share = got["sd"] ** 2 + 1 / got["sum_variance"]
    assert update["intercept_delta_sd"] ** 2 == pytest.approx(full_share, rel=1e-6)
    assert update["delta_sd_source"] == "covariance"


def test_a_shifted_final_logit_fails_the_calibration_check(shifted):
    got = calibration(shifted)
    assert got["ratio"] > 1.3, got  # over-predicts about 1.36 times
    update = query(shifted, "select intercept_delta from negsample_intercept_update").iloc[0]
    assert update["intercept_delta"] == pytest.approx(got["delta"], rel=1e-9)
    assert abs(got["delta"]) > 4 * got["sd"], got


def test_the_update_size_data_test_fails_on_a_shifted_logit(demo_db, tmp_path):
    database, run = rebuilt(demo_db, tmp_path, shift=SHIFT, check=False)
    assert not run.ok
    failed = [name for name, status in data_test_results(database).items() if status == "fail"]
    assert failed == [UPDATE_TEST], run.output[-3000:]
