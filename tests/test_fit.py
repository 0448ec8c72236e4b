"""The offset logistic fit used by the Python models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import simulations
from negsample.oracle.reference import sigmoid, uniform
from negsample.runtime.fit import (
    FitError,
    FitSpec,
    fit_logistic,
    fit_logistic_together,
    information_inverse_matrix,
    make_design,
    pilot_information_inverse,
)
from negsample.runtime.rows import Rows, rows_of, to_pandas


def simulate(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "balance": rng.lognormal(8, 0.5, rows),  # thousands
            "flag": rng.binomial(1, 0.5, rows).astype(float),
            "colour": rng.choice(["red", "blue", "green"], rows, p=[0.5, 0.3, 0.2]),
        }
    )
    eta = (
        -5.0
        + 0.0003 * frame["balance"]
        + 0.7 * frame["flag"]
        + 0.8 * (frame["colour"] == "blue")
        - 0.5 * (frame["colour"] == "green")
    )
    frame["label"] = (rng.random(rows) < sigmoid(eta.to_numpy())).astype(int)
    return frame


TRUTH = np.array([-5.0, 0.0003, 0.7, 0.8, -0.5])  # intercept, balance, flag, blue, green


def test_offset_fit_on_a_uniform_subsample_recovers_population_coefficients():
    frame = simulate(200_000, 3)
    rho = 0.05
    u = uniform(np.arange(len(frame)), 9, "sample")
    kept = frame[(frame["label"] == 1) | (u < rho)].reset_index(drop=True)
    offset = np.full(len(kept), -np.log(rho))
    design = make_design(kept, ["balance", "flag"], ["colour"], reference={"colour": "red"})
    fit = fit_logistic(kept, "label", design, offset=offset)
    assert [t for t in design.terms()] == [
        ("intercept", None),
        ("balance", None),
        ("flag", None),
        ("colour", "blue"),
        ("colour", "green"),
    ]
    z = np.abs(fit.estimate - TRUTH) / fit.std_error
    assert (z < 3.5).all(), z
    # A constant offset is absorbed by the intercept: without it the fit is
    # the same model, its intercept higher by exactly -ln(rho) (to the
    # fits' convergence, far below a standard error) and its slopes equal.
    naive = fit_logistic(kept, "label", design)
    shift = naive.estimate - fit.estimate
    assert shift[0] == pytest.approx(-np.log(rho), abs=1e-6 * fit.std_error[0])
    np.testing.assert_allclose(shift[1:], 0.0, atol=1e-6 * fit.std_error[1:].min())
    np.testing.assert_allclose(naive.std_error, fit.std_error, rtol=1e-6)


def test_standardization_does_not_change_the_answer():
    frame = simulate(50_000, 4)
    design = make_design(frame, ["balance", "flag"], ["colour"])
    fit = fit_logistic(frame, "label", design)
    import statsmodels.api as sm

    raw = sm.GLM(frame["label"], design.matrix(frame), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.estimate, raw.params, rtol=1e-6)
    np.testing.assert_allclose(fit.std_error, raw.bse, rtol=1e-5)


def test_offset_and_weighted_fits_match_statsmodels():
    import statsmodels.api as sm

    frame = simulate(60_000, 7)
    rng = np.random.default_rng(8)
    offset = rng.uniform(0, 3, len(frame))
    weights = np.where(frame["label"] == 1, 1.0, rng.uniform(1, 20, len(frame)))
    design = make_design(frame, ["balance", "flag"], ["colour"])
    x = design.matrix(frame)
    binomial = sm.families.Binomial()

    fit = fit_logistic(frame, "label", design, offset=offset)
    raw = sm.GLM(frame["label"], x, family=binomial, offset=offset).fit()
    np.testing.assert_allclose(fit.estimate, raw.params, rtol=1e-7)
    np.testing.assert_allclose(fit.std_error, raw.bse, rtol=1e-6)

    fit = fit_logistic(frame, "label", design, weights=weights)
    raw = sm.GLM(frame["label"], x, family=binomial, var_weights=weights).fit(cov_type="HC0")
    np.testing.assert_allclose(fit.estimate, raw.params, rtol=1e-7)
    np.testing.assert_allclose(fit.std_error, raw.bse, rtol=1e-6)


def test_chunk_size_does_not_change_the_answer():
    frame = simulate(30_000, 9)
    frame["offset"] = np.random.default_rng(10).uniform(0, 2, len(frame))
    whole = make_design(frame, ["balance", "flag"], ["colour"])
    chunked = make_design(rows_of(frame, chunk_rows=997), ["balance", "flag"], ["colour"])
    assert chunked == whole
    one = fit_logistic(frame, "label", whole, offset="offset", chunk_rows=len(frame))
    many = fit_logistic(frame, "label", whole, offset="offset", chunk_rows=997)
    np.testing.assert_allclose(many.estimate, one.estimate, rtol=1e-10)
    np.testing.assert_allclose(many.covariance, one.covariance, rtol=1e-8)


def test_fits_that_share_passes_give_the_bits_of_separate_fits():
    frame = simulate(40_000, 13)
    rng = np.random.default_rng(14)
    frame["offset"] = rng.uniform(0, 3, len(frame))
    frame["weight"] = np.where(frame["label"] == 1, 1.0, rng.uniform(1, 50, len(frame)))
    design = make_design(frame, ["balance", "flag"], ["colour"])
    rows = rows_of(frame, chunk_rows=5000)
    specs = [
        FitSpec(offset="offset", what="offset fit"),
        FitSpec(weights="weight", what="weighted fit"),
        FitSpec(what="plain fit"),
    ]
    together = fit_logistic_together(rows, "label", design, specs)
    for spec, shared in zip(specs, together, strict=True):
        alone = fit_logistic(rows, "label", design, spec.offset, spec.weights, spec.what)
        assert np.array_equal(shared.estimate, alone.estimate), spec.what
        assert np.array_equal(shared.covariance, alone.covariance), spec.what
    # The passes are shared: the rows are read once per Newton step of the
    # slowest fit (plus the first pass), not once per step of every fit.
    reads = 0
    inner = rows.chunks

    def counted_chunks():
        nonlocal reads
        reads += 1
        return inner()

    counting = Rows(counted_chunks)
    fit_logistic_together(counting, "label", design, specs)
    shared_reads = reads
    reads = 0
    for spec in specs:
        fit_logistic(counting, "label", design, spec.offset, spec.weights, spec.what)
    assert shared_reads < reads - 2 * (len(specs) - 1)


def test_a_failing_fit_among_shared_fits_names_itself():
    frame = simulate(5_000, 15)
    frame["offset"] = 0.0
    design = make_design(frame, ["balance", "flag"], ["colour"])
    frame["weight"] = np.where(frame["label"] == 1, 0.0, 1.0)  # no positive carries weight
    with pytest.raises(FitError, match="weighted fit: the fitted rows hold only one label value"):
        fit_logistic_together(
            frame,
            "label",
            design,
            [
                FitSpec(offset="offset", what="offset fit"),
                FitSpec(weights="weight", what="weighted fit"),
            ],
        )


def test_a_duckdb_relation_streams_the_same_bits_as_the_sorted_frame():
    import duckdb

    frame = simulate(20_000, 11)
    frame["id"] = np.random.default_rng(12).permutation(len(frame)) * 7 + 3
    frame["offset"] = np.log1p(frame["id"] % 5)
    con = duckdb.connect()
    con.execute("set threads = 2")
    con.register("source_frame", frame)
    relation = con.sql("select * from source_frame")
    columns = ["id", "label", "balance", "flag", "colour", "offset"]
    streamed = rows_of(relation, order_by="id", columns=columns, chunk_rows=4096)
    in_memory = rows_of(frame, order_by="id", columns=columns, chunk_rows=4096)
    sizes = [len(chunk) for chunk in streamed.chunks()]
    assert sizes == [4096] * 4 + [20_000 - 4 * 4096]
    assert np.all(np.diff(pd.concat(streamed.chunks())["id"].to_numpy()) > 0)
    design = make_design(streamed, ["balance", "flag"], ["colour"])
    assert design == make_design(frame, ["balance", "flag"], ["colour"])
    a = fit_logistic(streamed, "label", design, offset="offset")
    b = fit_logistic(in_memory, "label", design, offset="offset")
    assert np.array_equal(a.estimate, b.estimate)
    assert np.array_equal(a.covariance, b.covariance)
    theta = a.estimate
    prob = sigmoid(design.matrix(frame) @ theta)
    weights = np.where(frame["label"] == 1, 1.0, 1 / 0.25)
    frame["rate"] = 0.25
    np.testing.assert_allclose(
        pilot_information_inverse(rows_of(frame, chunk_rows=3000), design, theta, "label", "rate"),
        information_inverse_matrix(frame, design, prob, weights),
        rtol=1e-10,
    )


def test_collinear_features_are_reported():
    frame = simulate(5_000, 13)
    frame["double_flag"] = 2 * frame["flag"] + 1
    design = make_design(frame, ["balance", "flag", "double_flag"], [])
    with pytest.raises(FitError, match="collinear"):
        fit_logistic(frame, "label", design)


def test_coefficient_table_reports_the_reference_level():
    frame = simulate(20_000, 5)
    design = make_design(frame, ["balance"], ["colour"])
    assert design.reference == {"colour": "red"}  # most frequent
    table = fit_logistic(frame, "label", design).coefficient_table("final")
    ref = table[table["is_reference"]]
    assert list(ref["level"]) == ["red"] and (ref["estimate"] == 0).all()
    assert ref["std_error"].isna().all()


def test_separable_data_fail_with_a_clear_message():
    frame = pd.DataFrame({"x": np.arange(200, dtype=float)})
    frame["label"] = (frame["x"] > 100).astype(int)
    design = make_design(frame, ["x"], [])
    with pytest.raises(FitError, match="separa"):
        fit_logistic(frame, "label", design, what="pilot")


def test_constant_feature_is_named():
    frame = simulate(5_000, 6)
    frame["flag"] = 1.0
    design = make_design(frame, ["balance", "flag"], [])
    with pytest.raises(FitError, match="numeric feature 'flag' is constant"):
        fit_logistic(frame, "label", design)


def test_to_pandas_takes_what_dbt_ref_returns_on_each_adapter():
    frame = pd.DataFrame({"a": [1, 2]})

    class SparkLike:  # pyspark.sql.DataFrame
        def toPandas(self):
            return frame

    class SnowparkLike:
        def to_pandas(self):
            return frame

    assert to_pandas(frame) is frame
    assert to_pandas(SparkLike()) is frame
    assert to_pandas(SnowparkLike()) is frame
    with pytest.raises(TypeError, match="cannot turn a list"):
        to_pandas([1, 2])


def test_ipw_with_a_weight_of_a_million_converges_to_statsmodels():
    """Floor 0 gives some kept negatives weights near 1e6; the first Newton step may overshoot."""
    import statsmodels.api as sm

    data = simulations.simulate("t3", 100_000, 0)
    features = [c for c in data.columns if c.startswith("x")]
    x_all = np.column_stack([np.ones(len(data))] + [data[c] for c in features])
    p = sigmoid(x_all @ simulations.true_coefficients("t3"))
    negative = data["label"].to_numpy() == 0
    pi = np.minimum(1.0, 0.005 * p / p[negative].mean())
    pi[negative & (p < 1e-8)] = 1e-6  # the least likely negatives: pi at 1e-6
    keep = ~negative | (uniform(data["id"].to_numpy(), 0, "sample") < pi)
    keep[np.flatnonzero(negative & (pi == 1e-6))[:3]] = True
    part = data[keep].reset_index(drop=True)
    weights = np.where(part["label"] == 1, 1.0, 1.0 / pi[keep])
    assert weights.max() == pytest.approx(1e6)
    design = make_design(part, features, [])
    fit = fit_logistic(part, "label", design, weights=weights)
    raw = sm.GLM(
        part["label"], design.matrix(part), family=sm.families.Binomial(), var_weights=weights
    ).fit(cov_type="HC0")
    np.testing.assert_allclose(fit.estimate, raw.params, rtol=1e-6)


def test_the_pilot_information_check_sees_collinearity_not_units():
    """M~ is refused when ill conditioned with every term in its own scale: units do not matter."""
    frame = simulate(20_000, 21)
    weights = np.where(frame["label"] == 1, 1.0, 4.0)
    design = make_design(frame, ["balance", "flag"], ["colour"])
    prob = sigmoid(design.matrix(frame) @ TRUTH)
    inverse = information_inverse_matrix(frame, design, prob, weights)
    # The balance in millionths: M~ has entries 1e12 times larger, and passes.
    micro = frame.assign(balance=frame["balance"] * 1e6)
    scaled = information_inverse_matrix(micro, design, prob, weights)
    np.testing.assert_allclose(scaled[1, 1] * 1e12, inverse[1, 1], rtol=1e-8)
    # A copy of the balance up to one part in 1e8: positive definite, but not identified.
    rng = np.random.default_rng(22)
    near = frame.assign(near=frame["balance"] * (1 + 1e-8 * rng.standard_normal(len(frame))))
    near_design = make_design(near, ["balance", "near", "flag"], ["colour"])
    with pytest.raises(FitError, match="the pilot information matrix is singular"):
        information_inverse_matrix(near, near_design, prob, weights)
