"""The diagnostics models against NumPy/SciPy recomputations from the tables they read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from negsample.oracle.reference import sigmoid
from negsample.tools import demo
from tests.conftest import final_scores_sql, query, run_dbt

pytestmark = pytest.mark.dbt

EPS = 1e-15


def reference_auc(label: np.ndarray, predicted: np.ndarray) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    ranks = rankdata(predicted, method="average")
    n1 = int(label.sum())
    n0 = len(label) - n1
    return (ranks[label == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def reference_log_loss(label: np.ndarray, predicted: np.ndarray) -> float:
    p = np.clip(predicted, EPS, 1 - EPS)
    return float(-np.mean(label * np.log(p) + (1 - label) * np.log(1 - p)))


LOGIT_LIMIT = 34.538776394910684  # the logit of 1 - 1e-15


def score_cells(logit: np.ndarray) -> np.ndarray:
    """negsample._logit_cell: the 1/10000 log-odds grid cell of each log odds."""
    return np.floor(10000.0 * np.clip(logit, -LOGIT_LIMIT, LOGIT_LIMIT))


def reference_deciles(label: np.ndarray, logit: np.ndarray) -> pd.DataFrame:
    """Deciles as the model cuts them: whole cells, each in the decile of its first row."""
    predicted = sigmoid(logit)
    frame = pd.DataFrame({"cell": score_cells(logit), "label": label, "p": predicted})
    cells = frame.groupby("cell").agg(n=("label", "size"), pos=("label", "sum"), sp=("p", "sum"))
    below = cells["n"].cumsum() - cells["n"]
    cells["decile"] = np.minimum(10, 1 + np.floor(10.0 * below / len(frame))).astype(int)
    out = cells.groupby("decile").agg(n_rows=("n", "sum"), pos=("pos", "sum"), sp=("sp", "sum"))
    return pd.DataFrame(
        {
            "n_rows": out["n_rows"],
            "mean_predicted": out["sp"] / out["n_rows"],
            "observed_rate": out["pos"] / out["n_rows"],
            "largest_cell": cells.groupby("decile")["n"].max(),
        }
    )


def final_scores(database) -> pd.DataFrame:
    """label, the pilot's and the final fit's log odds and probabilities and the uncorrected
    score of every row (the demo's scale sample holds every row, so its estimates are exact)."""
    rows = query(database, final_scores_sql())
    rows["final_prob"] = sigmoid(rows["final_logit"].to_numpy())
    rows["uncorrected_logit"] = rows["final_logit"] - np.log(rows["sampling_prob"])
    rows["uncorrected_prob"] = sigmoid(rows["uncorrected_logit"].to_numpy())
    return rows


def check_fit_table(database) -> None:
    scored = final_scores(database)
    fit = query(database, "select * from negsample_diagnostics_fit").set_index("model")
    assert sorted(fit.index) == ["final", "pilot"]
    label = scored["label"].to_numpy()
    for model, column in (("pilot", "pilot_prob"), ("final", "final_prob")):
        predicted = scored[column].to_numpy()
        row = fit.loc[model]
        assert row["n_rows"] == len(scored)
        assert row["n_positive"] == label.sum()
        # Pairs in one grid cell count as ties: the bound covers the difference.
        assert abs(row["auc"] - reference_auc(label, predicted)) <= row["auc_tie_bound"] + 1e-12
        assert row["log_loss"] == pytest.approx(reference_log_loss(label, predicted), rel=1e-10)
        assert row["mean_predicted"] == pytest.approx(predicted.mean(), rel=1e-12)
        assert row["observed_rate"] == pytest.approx(label.mean(), rel=1e-12)


def test_fit_log_loss_and_auc_match_the_reference(demo_db):
    check_fit_table(demo_db)
    fit = query(demo_db, "select * from negsample_diagnostics_fit").set_index("model")
    # The demo's features carry real signal and the corrected score is
    # calibrated: AUC well above chance, log loss below the constant model's.
    rate = fit.loc["final", "observed_rate"]
    constant = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))
    for model in ("pilot", "final"):
        assert 0.65 < fit.loc[model, "auc"] < 0.9
        assert fit.loc[model, "log_loss"] < constant
        # The 1/10000 grid merges some unequal scores: the bound is small, not 0.
        assert 0 < fit.loc[model, "auc_tie_bound"] < 2e-5


def test_deciles_cut_whole_grid_cells_close_to_equal_counts(demo_db):
    scored = final_scores(demo_db)
    diag = query(demo_db, "select * from negsample_diagnostics order by score, decile")
    label = scored["label"].to_numpy()
    for score in ("final", "uncorrected"):
        table = diag[diag["score"] == score].set_index("decile")
        expected = reference_deciles(label, scored[f"{score}_logit"].to_numpy())
        assert list(table.index) == list(expected.index) == list(range(1, 11))
        np.testing.assert_array_equal(table["n_rows"], expected["n_rows"])
        np.testing.assert_allclose(table["mean_predicted"], expected["mean_predicted"], rtol=1e-9)
        np.testing.assert_allclose(table["observed_rate"], expected["observed_rate"], rtol=1e-12)
        # Each decile is a tenth of the rows, give or take one cell.
        assert (abs(table["n_rows"] - len(label) / 10) <= expected["largest_cell"] + 1).all()


def test_fit_auc_gives_ties_their_average_rank(tmp_path):
    # With only discrete features the scores take a few hundred values over
    # 50,000 rows, so ties decide the AUC: first-rank or row-order ranking
    # would be off by far more than the tolerance.
    database = tmp_path / "ties.duckdb"
    run_dbt(
        [
            "build",
            "--select",
            "+negsample_diagnostics_fit",
            "+negsample_scored",
            "+negsample_sampling_probs",
        ],
        database,
        variables={"negsample:numeric_features": ["is_mobile", "sessions_30d"]},
    )
    scored = final_scores(database)
    assert scored["final_prob"].nunique() < len(scored) / 50
    check_fit_table(database)
    # Every grid cell holds one score here, so the AUC is exact: no bound.
    fit = query(database, "select * from negsample_diagnostics_fit")
    assert (fit["auc_tie_bound"] == 0).all()
    label = scored["label"].to_numpy()
    predicted = scored["final_prob"].to_numpy()
    first_rank = rankdata(predicted, method="min")
    n1 = label.sum()
    naive = (first_rank[label == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(label) - n1))
    assert abs(naive - reference_auc(label, predicted)) > 1e-3


def test_sample_size_checks_match_the_design_and_the_sample(demo_db):
    design = query(demo_db, "select * from negsample_design").iloc[0]
    sd = np.sqrt(design["kept_negatives_variance"])
    assert design["kept_negatives_sd"] == pytest.approx(sd, rel=1e-12)
    assert design["expected_negatives_lower"] == pytest.approx(
        design["expected_negatives"] - 1.959963984540054 * sd, rel=1e-12
    )
    assert design["kept_negatives_z"] == pytest.approx(
        (design["kept_negatives"] - design["expected_negatives"]) / sd, rel=1e-12
    )
    weights = query(demo_db, "select ipw_weight from negsample_sample")["ipw_weight"].to_numpy()
    kish = weights.sum() ** 2 / (weights**2).sum()
    assert design["ipw_effective_sample_size"] == pytest.approx(kish, rel=1e-10)
    assert design["ipw_effective_fraction"] == pytest.approx(kish / len(weights), rel=1e-10)
    # Weights differ (pi is not uniform), so weighting costs effective rows.
    assert design["ipw_effective_sample_size"] < 0.9 * len(weights)
    # The IPW weights sum to N1 plus the Horvitz-Thompson estimate of N0:
    # each negative adds 1/pi with probability pi, a variance of (1 - pi)/pi
    # per negative of the source. 4 sd (the draw's own spread is about 3%).
    negatives = query(
        demo_db, "select sampling_prob, is_sampled from negsample_sampling_probs where label = 0"
    )
    assert len(negatives) == design["n_negative"]
    pi = negatives["sampling_prob"].to_numpy()
    kept = negatives["is_sampled"].to_numpy(dtype=bool)
    assert weights.sum() == pytest.approx(design["n_positive"] + (1 / pi[kept]).sum(), rel=1e-12)
    spread = np.sqrt(((1 - pi) / pi).sum())
    assert abs(weights.sum() - design["n_rows"]) <= 4 * spread, (spread, design["n_rows"])
    # Capped negatives are all kept, and counted exactly.
    capped = query(
        demo_db,
        "select count(*) as n from negsample_sampling_probs where label = 0 and is_capped",
    )["n"].iloc[0]
    assert design["n_capped"] == capped > 0


def test_sampling_prob_histogram_counts_every_negative_in_its_log_bin(demo_db):
    hist = query(demo_db, "select * from negsample_diagnostics_sampling_probs order by bin")
    negatives = query(
        demo_db, "select sampling_prob, is_sampled from negsample_sampling_probs where label = 0"
    )
    pi = negatives["sampling_prob"].to_numpy()
    ln_lowest = np.log(pi.min())
    position = (np.log(pi) - ln_lowest) / -ln_lowest
    bins = np.minimum(30, 1 + np.floor(30 * position)).astype(int)
    counts = np.bincount(bins, minlength=31)
    kept = np.bincount(bins, weights=negatives["is_sampled"].to_numpy(dtype=float), minlength=31)
    assert list(hist["bin"]) == [b for b in range(1, 31) if counts[b] > 0]
    # The demo's scale sample holds every negative: the estimates are counts.
    np.testing.assert_array_equal(hist["n_negatives"], counts[hist["bin"]])
    np.testing.assert_array_equal(hist["n_sampled"], counts[hist["bin"]])
    np.testing.assert_array_equal(hist["n_kept"], kept[hist["bin"]])
    assert hist["bin_lower"].iloc[0] == pytest.approx(pi.min(), rel=1e-12)
    assert hist["bin_upper"].iloc[-1] == pytest.approx(1.0, rel=1e-12)
    assert (hist["mean_sampling_prob"] >= hist["bin_lower"] * (1 - 1e-12)).all()
    assert (hist["mean_sampling_prob"] <= hist["bin_upper"] * (1 + 1e-12)).all()
    design = query(demo_db, "select * from negsample_design").iloc[0]
    assert hist["n_kept"].sum() == design["kept_negatives"] == negatives["is_sampled"].sum()
    # The floor binds in the demo: the lowest bin starts at floor * rho (with
    # reuse_pilot, at the union's 1 - (1 - rho0)(1 - floor * rho)).
    assert design["n_floored"] > 0
    lowest = design["floor_prob"]
    if design["is_pilot_reused"]:
        lowest = 1 - (1 - design["pilot_sampling_rate"]) * (1 - lowest)
    assert hist["bin_lower"].iloc[0] == pytest.approx(lowest, rel=1e-12)


def test_coefficient_table_puts_pilot_final_and_ipw_side_by_side(demo_db):
    wide = query(demo_db, "select * from negsample_diagnostics_coefficients")
    long = query(demo_db, "select * from negsample_coefficients")
    assert len(wide) == len(long) / 3
    for model in ("pilot", "final", "ipw"):
        part = long[long["model"] == model]
        merged = wide.merge(part, on=["term", "level"], how="outer", validate="one_to_one")
        assert len(merged) == len(wide)
        np.testing.assert_array_equal(merged[f"{model}_estimate"], merged["estimate"])
        np.testing.assert_array_equal(merged[f"{model}_std_error"], merged["std_error"])
    order = ["intercept", *demo.NUMERIC_FEATURES, *demo.CATEGORICAL_FEATURES]
    assert [order[i] for i in wide["term_index"]] == list(wide["term"])
    free = wide[~wide["is_reference"]]
    np.testing.assert_allclose(
        free["ipw_to_final_se_ratio"], free["ipw_std_error"] / free["final_std_error"]
    )
    np.testing.assert_allclose(
        free["final_minus_pilot"], free["final_estimate"] - free["pilot_estimate"]
    )
