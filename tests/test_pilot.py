"""The pilot, docs/method.md steps 1-2, against the NumPy reference and statsmodels.

At pilot_ratio 1 (the demo's build) and 3 (the pilot's models rebuilt on a
copy): the SQL pilot rate is the reference's rho0 = min(1, ratio N1 / N0),
the pilot keeps every positive and exactly the negatives whose uniform of
the 'pilot' stream is below rho0, every row carries the offset -ln rho0,
and the pilot coefficients are statsmodels' GLM with that offset on the
pilot sample, and near the true coefficients. The offset is computed here
from the counts, not read from the table: a wrong offset in the SQL moves
the package's fit and not this one.
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
    run_dbt(["run", *PILOT_MODELS], database, variables={"negsample:pilot_ratio": ratio})
    return database, float(ratio)


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


def test_pilot_draw_is_the_pilot_stream_below_rho0(pilot_db):
    database, ratio = pilot_db
    rho0 = reference_rate(database, ratio)
    rows = query(database, "select id, label, negsample_key from negsample_input order by id")
    u = reference.uniform(rows["negsample_key"].to_numpy(), SEED, "pilot")
    label = rows["label"].to_numpy()
    expected = rows.loc[(label == 1) | (u < rho0), "id"].to_numpy()
    pilot = query(
        database,
        "select id, label, pilot_uniform, log_odds_offset from negsample_pilot_sample order by id",
    )
    np.testing.assert_array_equal(pilot["id"].to_numpy(), expected)
    kept = np.isin(rows["id"].to_numpy(), expected)
    np.testing.assert_array_equal(pilot["pilot_uniform"].to_numpy(), u[kept])
    # Every positive, and about rho0 * N0 negatives (binomial, 4 sd).
    assert (pilot["label"] == 1).sum() == (label == 1).sum()
    n0 = int((label == 0).sum())
    drawn = int((pilot["label"] == 0).sum())
    assert abs(drawn - rho0 * n0) <= 4 * np.sqrt(n0 * rho0 * (1 - rho0)), (drawn, rho0 * n0)
    # The offset -ln rho0 on every row, positives included.
    np.testing.assert_allclose(pilot["log_odds_offset"], -np.log(rho0), rtol=1e-15, atol=0)


def statsmodels_pilot(database: Path, ratio: float, terms: list) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' GLM on the pilot sample with offset -ln rho0: estimates and standard errors."""
    import statsmodels.api as sm

    sample = query(database, "select * from negsample_pilot_sample order by id")
    x = by_hand.design_matrix(sample, terms)
    offset = np.full(len(sample), -np.log(reference_rate(database, ratio)))
    fit = sm.GLM(
        sample["label"].to_numpy(dtype=float), x, family=sm.families.Binomial(), offset=offset
    ).fit(tol=1e-12, maxiter=100)
    return np.asarray(fit.params), np.asarray(fit.bse)


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
    sample = query(database, "select channel from negsample_pilot_sample")
    reference_level = table.loc[table["is_reference"].astype(bool), "level"].tolist()
    assert reference_level == [sample["channel"].value_counts().idxmax()]
    estimate, std_error = statsmodels_pilot(database, ratio, terms)
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


def test_pilot_coefficients_are_near_the_truth(pilot_db):
    database, _ = pilot_db
    table = pilot_table(database)
    free = table[~table["is_reference"].astype(bool)]
    assert len(free) == len(demo.TRUE_COEFFICIENTS)
    for row in free.itertuples():
        truth = demo.TRUE_COEFFICIENTS[(row.term, None if pd.isna(row.level) else row.level)]
        gap = abs(row.estimate - truth) / row.std_error
        assert gap < 4, f"pilot {row.term} {row.level}: {row.estimate} vs {truth} ({gap:.1f} SE)"
