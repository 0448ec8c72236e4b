"""End to end on the demo: data tests, true coefficients, calibration, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from negsample.oracle.reference import sigmoid
from negsample.runtime.fit import (
    coefficient_vector,
    design_from_coefficients,
    fit_logistic,
    make_design,
)
from negsample.tools import demo
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt


def test_demo_build_creates_every_contract_model(demo_db):
    tables = set(query(demo_db, "select table_name from information_schema.tables")["table_name"])
    for name in [
        "negsample_sample",
        "negsample_coefficients",
        "negsample_design",
        "negsample_scored",
        "negsample_diagnostics",
    ]:
        assert name in tables
    sample = query(demo_db, "select * from negsample_sample")
    for column in [
        "id",
        "label",
        *demo.NUMERIC_FEATURES,
        *demo.CATEGORICAL_FEATURES,
        "sampling_prob",
        "log_odds_offset",
        "ipw_weight",
    ]:
        assert column in sample.columns
    scored = query(demo_db, "select * from negsample_scored limit 1")
    for column in [
        "id",
        "label",
        "pilot_prob",
        "sampling_prob",
        "is_sampled",
        "sample_logit",
        "corrected_logit",
        "corrected_prob",
    ]:
        assert column in scored.columns


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


def test_final_coefficients_within_three_standard_errors_of_truth(demo_db):
    table = query(
        demo_db, "select * from negsample_coefficients where model = 'final' and not is_reference"
    )
    assert len(table) == len(demo.TRUE_COEFFICIENTS)
    for row in table.itertuples():
        level = None if row.level is None or row.level != row.level else row.level
        truth = demo.TRUE_COEFFICIENTS[(row.term, level)]
        gap = abs(row.estimate - truth) / row.std_error
        assert gap < 3, (
            f"{row.term} {level}: estimate {row.estimate} vs true {truth} ({gap:.1f} SE)"
        )


def test_corrected_scores_are_calibrated_and_uncorrected_are_not(demo_db):
    scored = query(demo_db, "select label, corrected_prob, sample_logit from negsample_scored")
    observed = scored["label"].mean()
    assert abs(scored["corrected_prob"].mean() / observed - 1) < 0.05
    # The sample-scale score ignores the correction: far too high.
    assert sigmoid(scored["sample_logit"].to_numpy()).mean() > 5 * observed


def test_the_same_fit_without_offset_is_badly_miscalibrated(demo_db):
    """Refit the kept rows without the offset: the calibration check must tell the two apart."""
    sample = query(demo_db, "select * from negsample_sample")
    full = query(demo_db, "select * from negsample_input")
    design = make_design(
        sample, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES, reference={"channel": "web"}
    )
    naive = fit_logistic(sample, "label", design)
    corrected = fit_logistic(sample, "label", design, offset=sample["log_odds_offset"].to_numpy())
    observed = full["label"].mean()
    naive_ratio = sigmoid(naive.linear_predictor(full)).mean() / observed
    corrected_ratio = sigmoid(corrected.linear_predictor(full)).mean() / observed
    assert abs(corrected_ratio - 1) < 0.05
    assert naive_ratio > 5, naive_ratio
    # The package's own final model is the corrected fit (before the intercept update).
    final = query(demo_db, "select mean_prob, observed_rate from negsample_intercept_update")
    assert final["mean_prob"].iloc[0] / observed == pytest.approx(corrected_ratio, rel=1e-6)


def test_intercept_update_closes_the_calibration_gap(demo_db):
    update = query(demo_db, "select * from negsample_intercept_update").iloc[0]
    assert update["is_applied"]
    before = update["mean_prob"] / update["observed_rate"]
    after = query(demo_db, "select avg(corrected_prob) / avg(label) as r from negsample_scored")
    assert abs(after["r"].iloc[0] - 1) < 1e-3 < abs(before - 1)
    # The update is the same shift on every row: corrected minus the final
    # fit's own log odds (computed here from the coefficients).
    rows = query(demo_db, "select * from negsample_input order by id")
    final = query(demo_db, "select * from negsample_coefficients where model = 'final'")
    design = design_from_coefficients(final, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES)
    own = design.matrix(rows) @ coefficient_vector(final, design)
    scored = query(demo_db, "select corrected_logit from negsample_scored order by id")
    np.testing.assert_allclose(
        scored["corrected_logit"] - own, update["intercept_delta"], rtol=0, atol=1e-12
    )


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
    assert abs(d["kept_negatives"] - d["expected_negatives"]) <= 4 * np.sqrt(
        d["kept_negatives_variance"]
    )
    # Paper budget: before capping and flooring the main draw's expectation is
    # rho * N0; the union with the pilot's draw (reuse_pilot) adds rho0 (1 - rho).
    rho0 = d["pilot_sampling_rate"]
    rate = 1 - (1 - 0.05) * (1 - rho0) if d["is_pilot_reused"] else 0.05
    assert d["expected_negatives"] == pytest.approx(rate * d["n_negative"], rel=0.05)


def test_diagnostics_show_corrected_on_and_uncorrected_off_the_diagonal(demo_db):
    diag = query(demo_db, "select * from negsample_diagnostics")
    corrected = diag[diag["score"] == "final"]
    uncorrected = diag[diag["score"] == "uncorrected"]
    assert len(corrected) == len(uncorrected) == 10
    inside = (corrected["mean_predicted"] >= corrected["observed_lower"]) & (
        corrected["mean_predicted"] <= corrected["observed_upper"]
    )
    assert inside.sum() >= 8
    assert (uncorrected["mean_predicted"] > uncorrected["observed_upper"]).all()


def test_same_seed_same_sample_and_other_seed_other_sample(demo_db, tmp_path):
    again = tmp_path / "again.duckdb"
    run_dbt(["build"], again)
    first = query(demo_db, "select id, sampling_prob from negsample_sample order by id")
    second = query(again, "select id, sampling_prob from negsample_sample order by id")
    assert first.equals(second)

    other = tmp_path / "other.duckdb"
    run_dbt(["build"], other, variables={"negsample:seed": 7})
    third = query(other, "select id, sampling_prob from negsample_sample order by id")
    first_neg = set(query(demo_db, "select id from negsample_sample where label = 0")["id"])
    third_neg = set(query(other, "select id from negsample_sample where label = 0")["id"])
    overlap = len(first_neg & third_neg) / len(first_neg)
    assert overlap < 0.5, overlap  # a different draw, not the same rows
    d1 = query(demo_db, "select * from negsample_design").iloc[0]
    d3 = query(other, "select * from negsample_design").iloc[0]
    assert d3["seed"] == 7
    assert d3["expected_negatives"] == pytest.approx(d1["expected_negatives"], rel=0.02)
    sd = np.sqrt(d3["kept_negatives_variance"])
    assert abs(len(third) - d3["n_positive"] - d3["expected_negatives"]) <= 4 * sd
