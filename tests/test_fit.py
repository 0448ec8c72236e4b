"""The offset logistic fit used by the Python models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from negsample.fit import FitError, fit_logistic, make_design, to_pandas
from negsample.reference import sigmoid, uniform


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
    # Without the offset the intercept is off by about ln(rho).
    naive = fit_logistic(kept, "label", design)
    assert naive.estimate[0] - fit.estimate[0] == pytest.approx(-np.log(rho), abs=0.3)


def test_standardization_does_not_change_the_answer():
    frame = simulate(50_000, 4)
    design = make_design(frame, ["balance", "flag"], ["colour"])
    fit = fit_logistic(frame, "label", design)
    import statsmodels.api as sm

    raw = sm.GLM(frame["label"], design.matrix(frame), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.estimate, raw.params, rtol=1e-6)
    np.testing.assert_allclose(fit.std_error, raw.bse, rtol=1e-5)


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
