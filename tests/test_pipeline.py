"""End to end on the demo: data tests, true coefficients, calibration, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from negsample.runtime.fit import fit_logistic, make_design
from negsample.tools import demo
from tests import by_hand
from tests.conftest import data_test_results, query, run_dbt

pytestmark = pytest.mark.dbt


def test_every_data_test_of_the_demo_build_passes(demo_build):
    database, run = demo_build
    assert run.ok, run.output[-6000:]
    results = data_test_results(database)
    assert len(results) >= 15
    assert set(results.values()) == {"pass"}, {k: v for k, v in results.items() if v != "pass"}


def test_demo_build_creates_every_contract_model(demo_db):
    tables = set(query(demo_db, "select table_name from information_schema.tables")["table_name"])
    for name in [
        "negsample_sample",
        "negsample_coefficients",
        "negsample_design",
        "negsample_scored",
        "negsample_sampling_probs",
        "negsample_diagnostics",
    ]:
        assert name in tables
    features = [*demo.NUMERIC_FEATURES, *demo.CATEGORICAL_FEATURES]
    sample = query(demo_db, "select * from negsample_sample limit 1")
    assert {"id", "label", *features, "sampling_prob", "log_odds_offset", "ipw_weight"} <= set(
        sample.columns
    )
    scored = query(demo_db, "select * from negsample_scored limit 1")
    assert list(scored.columns) == ["id", "label", *features, "corrected_logit", "corrected_prob"]
    probs = query(demo_db, "select * from negsample_sampling_probs limit 1")
    assert {"id", "pilot_prob", "sampling_prob", "is_sampled"} <= set(probs.columns)
    kinds = query(
        demo_db,
        "select table_name, table_type from information_schema.tables "
        "where table_name in ('negsample_scored', 'negsample_sampling_probs')",
    )
    assert set(kinds["table_type"]) == {"VIEW"}


def test_offsets_on_every_kept_row_including_positives(demo_db):
    sample = query(
        demo_db, "select label, sampling_prob, log_odds_offset, ipw_weight from negsample_sample"
    )
    np.testing.assert_allclose(
        sample["log_odds_offset"], -np.log(sample["sampling_prob"]), rtol=0, atol=1e-12
    )
    positives = sample[sample["label"] == 1]
    assert (positives["log_odds_offset"] > 0).mean() > 0.5  # not a silent zero on positives
    assert (positives["ipw_weight"] == 1).all()
    source_positives = query(demo_db, "select count(*) as n from demo_events where label = 1")
    assert len(positives) == source_positives["n"].iloc[0]


def final_fit(database):
    """The final fit's free terms, estimates and whole covariance, from the tables."""
    table = query(database, "select * from negsample_coefficients")
    terms = by_hand.free_terms(table, "final", demo.NUMERIC_FEATURES)
    estimate = by_hand.coefficients_of(table, "final")
    covariance = query(
        database, "select * from negsample_final_model where model = 'final_covariance'"
    )
    index = {term: i for i, term in enumerate(terms)}
    matrix = np.zeros((len(terms), len(terms)))
    for row in covariance.itertuples():
        level = None if row.level is None or row.level != row.level else row.level
        col_level = (
            None if row.col_level is None or row.col_level != row.col_level else row.col_level
        )
        matrix[index[(row.term, level)], index[(row.col_term, col_level)]] = row.estimate
    return terms, np.array([estimate[t] for t in terms]), matrix


def test_final_coefficients_are_jointly_consistent_with_the_truth(demo_db):
    """A Wald chi-squared test of every coefficient against the demo's true ones.

    (theta^ - theta)' V^-1 (theta^ - theta) is chi-squared with k degrees of
    freedom when the fit is unbiased and V its covariance; the demo's seed is
    fixed, and the test fails at the 0.999 quantile.
    """
    terms, theta, covariance = final_fit(demo_db)
    truth = np.array([demo.TRUE_COEFFICIENTS[t] for t in terms])
    gap = theta - truth
    statistic = float(gap @ np.linalg.solve(covariance, gap))
    assert statistic < chi2.ppf(0.999, len(terms)), (statistic, dict(zip(terms, gap, strict=True)))
    # The covariance's diagonal is the reported standard errors.
    table = query(demo_db, "select * from negsample_coefficients where model = 'final'")
    table["estimate"] = table["std_error"]
    std_error = by_hand.coefficients_of(table, "final")
    reported = np.array([std_error[t] for t in terms])
    np.testing.assert_allclose(np.sqrt(np.diag(covariance)), reported, rtol=1e-9)


def test_the_uncorrected_fit_is_badly_miscalibrated_and_the_corrected_one_is_not(demo_db):
    """Refit the kept rows with and without the offset: only the offset fit is calibrated."""
    sample = query(demo_db, "select * from negsample_sample")
    full = query(demo_db, "select * from negsample_input")
    design = make_design(
        sample, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES, reference={"channel": "web"}
    )
    naive = fit_logistic(sample, "label", design)
    corrected = fit_logistic(sample, "label", design, offset=sample["log_odds_offset"].to_numpy())
    observed = full["label"].mean()
    naive_ratio = by_hand.sigmoid(naive.linear_predictor(full)).mean() / observed
    corrected_ratio = by_hand.sigmoid(corrected.linear_predictor(full)).mean() / observed
    assert naive_ratio > 5, naive_ratio
    # The package's own final model is the corrected fit (before the intercept update).
    final = query(demo_db, "select mean_prob from negsample_intercept_update")
    assert final["mean_prob"].iloc[0] / observed == pytest.approx(corrected_ratio, rel=1e-6)


def test_the_intercept_update_is_the_same_shift_on_every_row(demo_db):
    update = query(demo_db, "select * from negsample_intercept_update").iloc[0]
    assert update["is_applied"]
    rows = query(demo_db, "select * from negsample_input order by id")
    table = query(demo_db, "select * from negsample_coefficients")
    own = by_hand.logit(
        rows,
        by_hand.coefficients_of(table, "final"),
        demo.NUMERIC_FEATURES,
        demo.CATEGORICAL_FEATURES,
    )
    scored = query(demo_db, "select corrected_logit from negsample_scored order by id")
    np.testing.assert_allclose(
        scored["corrected_logit"] - own, update["intercept_delta"], rtol=0, atol=1e-12
    )
    # delta closes the gap to second order: the mean corrected probability
    # is the observed rate within a small share of the gap it closed.
    p_before = by_hand.sigmoid(own)
    p_after = by_hand.sigmoid(own + update["intercept_delta"])
    observed = rows["label"].mean()
    assert abs(p_after.mean() - observed) < 0.05 * abs(p_before.mean() - observed)


def test_kept_negatives_match_the_expected_size(demo_db):
    d = query(demo_db, "select * from negsample_design").iloc[0]
    assert d["n_rows"] == demo.DEMO_ROWS
    flags = query(
        demo_db,
        "select count(*) as kept_rows, sum(1 - label) as kept_negatives "
        "from negsample_sampling_probs where is_sampled",
    ).iloc[0]
    assert d["kept_rows"] == flags["kept_rows"]
    assert d["kept_negatives"] == flags["kept_negatives"]
    # The demo's negatives are fewer than scale_sample_size: the scale sample
    # holds them all, and the expected count is the exact sum of pi.
    assert d["scale_rate"] == 1.0 and d["expected_negatives_variance"] == 0.0
    probs = query(demo_db, "select sampling_prob from negsample_sampling_probs where label = 0")[
        "sampling_prob"
    ]
    assert d["expected_negatives"] == pytest.approx(probs.sum(), rel=1e-12)
    assert d["kept_negatives_variance"] == pytest.approx((probs * (1 - probs)).sum(), rel=1e-12)
    assert abs(d["kept_negatives"] - d["expected_negatives"]) <= 4 * d["kept_negatives_sd"]


def test_same_seed_same_sample_and_other_seed_other_sample(demo_db, tmp_path):
    other = tmp_path / "other.duckdb"
    run_dbt(["build"], other, variables={"negsample:seed": 7})
    first_neg = set(query(demo_db, "select id from negsample_sample where label = 0")["id"])
    third_neg = set(query(other, "select id from negsample_sample where label = 0")["id"])
    overlap = len(first_neg & third_neg) / len(first_neg)
    assert overlap < 0.5, overlap  # a different draw, not the same rows
    d1 = query(demo_db, "select * from negsample_design").iloc[0]
    d3 = query(other, "select * from negsample_design").iloc[0]
    assert d3["seed"] == 7
    assert abs(d3["kept_negatives"] - d3["expected_negatives"]) <= 4 * d3["kept_negatives_sd"]
    # The pilot differs with the seed, and so does pi; the budget does not.
    assert d3["expected_negatives"] == pytest.approx(d1["expected_negatives"], rel=0.05)
