"""The SQL sampling design equals the NumPy reference (docs/method.md), row by row."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.runtime.fit import coefficient_vector, design_from_coefficients
from negsample.tools import demo
from negsample.tools.settings import DEFAULTS
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt

# The draw's models: its table (the scale) and the view over every row.
REDRAW = [
    "--select",
    "negsample_pilot_coefficients",
    "negsample_sampling_scale",
    "negsample_sampling_probs",
]


@pytest.fixture(scope="module")
def modes_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("modes") / "modes.duckdb"
    shutil.copy(demo_db, database)
    return database


def information_matrix(table: pd.DataFrame, terms: list) -> np.ndarray:
    def key(term, level):
        return (term, None if pd.isna(level) else level)

    index = {t: i for i, t in enumerate(terms)}
    # One row per entry: a missing or repeated entry would leave a NaN or
    # hide behind the last value written.
    assert len(table) == len(terms) ** 2, (len(table), len(terms))
    out = np.full((len(terms), len(terms)), np.nan)
    for row in table.itertuples():
        out[index[key(row.row_term, row.row_level)], index[key(row.col_term, row.col_level)]] = (
            row.value
        )
    assert not np.isnan(out).any()
    return out


def reference_draw(
    database: Path,
    score: str,
    budget: str,
    rate: float,
    floor: float,
    seed: int,
    reuse_pilot: bool = DEFAULTS["reuse_pilot"],
) -> pd.DataFrame:
    """Everything docs/method.md steps 3-6 say, from the stored pilot and the input rows.

    With reuse_pilot the sample is the union of the main draw (pi) and the
    pilot's (rho0, 'pilot' stream): sampling_prob is 1 - (1 - rho0)(1 - pi).
    """
    rows = query(database, "select * from negsample_input order by id")
    pilot = query(database, "select * from negsample_pilot_coefficients where model = 'pilot'")
    design = design_from_coefficients(pilot, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES)
    x = design.matrix(rows)
    prob = reference.sigmoid(x @ coefficient_vector(pilot, design))
    inverse = information_matrix(
        query(
            database,
            "select term as row_term, level as row_level, col_term, col_level, estimate as value "
            "from negsample_pilot_model where model = 'information'",
        ),
        design.terms(),
    )
    t = reference.scores(prob, x, score, inverse)
    label = rows["label"].to_numpy()
    pi, scale = reference.sampling_probability(t, label == 0, rate, floor, budget)
    keys = rows["negsample_key"].to_numpy()
    u = reference.uniform(keys, seed, "sample")
    is_sampled = reference.keep(label, u, pi)
    sampling_prob = pi
    if reuse_pilot:
        n1, n0 = int(label.sum()), int((label == 0).sum())
        rho0 = reference.pilot_sampling_rate(n1, n0, float(DEFAULTS["pilot_ratio"]))
        is_sampled = is_sampled | (reference.uniform(keys, seed, "pilot") < rho0)
        sampling_prob = 1.0 - (1.0 - rho0) * (1.0 - pi)
    return pd.DataFrame(
        {
            "id": rows["id"],
            "label": label,
            "pilot_prob": prob,
            "sampling_score": t,
            "sampling_prob": sampling_prob,
            "sample_uniform": u,
            "is_sampled": is_sampled,
            "scale": scale,
        }
    )


def redraw(database: Path, **settings) -> pd.DataFrame:
    variables = {f"negsample:{k}": v for k, v in settings.items()}
    run_dbt(["run", *REDRAW], database, variables=variables)
    probs = query(database, "select * from negsample_sampling_probs order by id")
    # The main draw's pi, which the budget is about: sampling_prob itself, or
    # with a reused pilot what is left of the union's 1 - (1 - rho0)(1 - pi).
    probs["main_sampling_prob"] = probs["sampling_prob"]
    if settings.get("reuse_pilot", DEFAULTS["reuse_pilot"]):
        rho0 = query(database, "select pilot_rate from negsample_source_check")["pilot_rate"][0]
        probs["main_sampling_prob"] = 1.0 - (1.0 - probs["sampling_prob"]) / (1.0 - rho0)
    return probs


@pytest.mark.parametrize("budget", ["paper", "exact"])
@pytest.mark.parametrize("score", ["uniform", "p", "l_optimal", "a_optimal"])
def test_sql_equals_reference_row_by_row(modes_db, score, budget):
    sql = redraw(modes_db, score=score, budget=budget)
    ref = reference_draw(modes_db, score, budget, rate=0.05, floor=0.1, seed=42)
    np.testing.assert_array_equal(sql["id"], ref["id"])
    np.testing.assert_allclose(sql["pilot_prob"], ref["pilot_prob"], rtol=1e-10)
    np.testing.assert_allclose(sql["sampling_score"], ref["sampling_score"], rtol=1e-10)
    np.testing.assert_allclose(sql["sampling_prob"], ref["sampling_prob"], rtol=1e-9)
    np.testing.assert_array_equal(sql["sample_uniform"], ref["sample_uniform"])
    np.testing.assert_array_equal(sql["is_sampled"], ref["is_sampled"])
    scale = query(modes_db, "select sampling_scale from negsample_sampling_scale")
    assert scale["sampling_scale"].iloc[0] == pytest.approx(ref["scale"].iloc[0], rel=1e-9)
    if score == "uniform":
        np.testing.assert_allclose(sql["main_sampling_prob"], 0.05, rtol=1e-12)


@pytest.mark.parametrize(
    ("rate", "floor", "what"),
    [
        # The two that guard the floor and the cap are in the fast tier.
        pytest.param(0.5, 0.1, "capped", marks=pytest.mark.core),
        pytest.param(0.05, 0.9, "floored", marks=pytest.mark.core),
        (0.3, 0.6, "both"),
        (0.05, 0.0, "no floor"),
    ],
)
def test_exact_budget_hits_the_target_with_many_capped_or_floored(modes_db, rate, floor, what):
    sql = redraw(modes_db, score="l_optimal", budget="exact", sampling_rate=rate, floor=floor)
    negatives = sql[sql["label"] == 0]
    target = rate * len(negatives)
    # The budget is the main draw's (a reused pilot adds its own rows on top).
    assert negatives["main_sampling_prob"].sum() == pytest.approx(target, rel=1e-6)
    capped = int(negatives["is_capped"].sum())
    floored = int(negatives["is_floored"].sum())
    if what in ("capped", "both"):
        assert capped > 1000
    if what in ("floored", "both"):
        assert floored > 1000
    ref = reference_draw(modes_db, "l_optimal", "exact", rate, floor, 42)
    np.testing.assert_allclose(sql["sampling_prob"], ref["sampling_prob"], rtol=1e-9)


def test_paper_budget_misses_the_target_when_rows_are_capped(modes_db):
    """Why `exact` exists: under `paper`, capping loses expected rows."""
    sql = redraw(modes_db, score="l_optimal", budget="paper", sampling_rate=0.5, floor=0.1)
    negatives = sql[sql["label"] == 0]
    assert negatives["main_sampling_prob"].sum() < 0.97 * 0.5 * len(negatives)
