"""Score 'auto' and reuse_pilot, built on the demo, against the reference math.

score 'auto': negsample_score_choice holds each mode's estimated criterion
of the objective, equal to negsample.oracle.reference.score_criteria on the
same pilot sample (Sigma~, the logit error's weight, equal to
reference.logit_weight there too); the least is chosen, and the design then
samples exactly as a build with that score fixed would.

reuse_pilot: the sample is the union of the pilot's draw and the main draw,
each row's sampling_prob is pi* = 1 - (1 - rho0)(1 - pi) and its offset
-ln pi*, both fit engines agree on it, and the kept negatives stay within
their standard deviation of the sum of pi*.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.runtime.fit import coefficient_vector, design_from_coefficients
from negsample.tools.settings import DEFAULTS
from tests import by_hand
from tests.conftest import query, run_dbt

pytestmark = pytest.mark.dbt

NUMERIC = ["tenure_months", "balance", "is_mobile", "sessions_30d"]
CATEGORICAL = ["channel"]
BUILD = ["build", "--exclude", "resource_type:seed"]
AUTO = {"negsample:score": "auto"}
# The other branch of each: exact budget, the pilot not reused.
AUTO_EXACT = {
    "negsample:score": "auto",
    "negsample:budget": "exact",
    "negsample:reuse_pilot": False,
    "negsample:objective": "coefficients",
}


def build(demo_db, tmp_path, name, variables):
    """A copy of the demo, rebuilt with ``variables`` (estimated afresh, frozen or not)."""
    database = tmp_path / f"{name}.duckdb"
    shutil.copy(demo_db, database)
    run_dbt([*BUILD, "--full-refresh"], database, variables=variables)
    return database


@pytest.fixture(scope="module")
def auto_db(demo_db, tmp_path_factory):
    """score auto with the other defaults (paper budget, the pilot reused)."""
    return build(demo_db, tmp_path_factory.mktemp("auto"), "auto", AUTO)


@pytest.fixture(scope="module")
def sql_db(demo_db, tmp_path_factory):
    """The defaults (the pilot reused) with the SQL fit engine."""
    return build(demo_db, tmp_path_factory.mktemp("sql"), "sql", {"negsample:fit_engine": "sql"})


def pilot_parts(database):
    """The pilot sample's design matrix, labels, p~, rates, M~^-1 and Sigma~, as stored."""
    table = query(database, "select * from negsample_pilot_coefficients where model = 'pilot'")
    design = design_from_coefficients(table, NUMERIC, CATEGORICAL)
    theta = coefficient_vector(table, design)
    sample = query(database, "select * from negsample_pilot_sample order by id")
    x = design.matrix(sample)
    stored = query(database, "select * from negsample_pilot_coefficients")
    return {
        "design": x,
        "label": sample["label"].to_numpy(),
        "prob": reference.sigmoid(x @ theta),
        "scale_rate": float(sample["scale_rate"].iloc[0]),
        "pilot_rate": float(sample["pilot_rate"].iloc[0]),
        "inverse": by_hand.stored_matrix(stored, "information", design.terms()),
        "weight": by_hand.stored_matrix(stored, "second_moment", design.terms()),
    }


@pytest.mark.parametrize("variables", [AUTO, AUTO_EXACT], ids=["paper-reuse", "exact"])
def test_auto_criteria_match_the_reference_and_the_least_is_chosen(
    auto_db, demo_db, tmp_path, variables
):
    database = auto_db if variables is AUTO else build(demo_db, tmp_path, "exact", variables)
    choice = query(database, "select * from negsample_score_choice order by score")
    assert sorted(choice["score"]) == sorted(reference.SCORE_MODES)
    parts = pilot_parts(database)
    weight = reference.logit_weight(
        parts["design"], parts["label"], parts["prob"], parts["scale_rate"]
    )
    np.testing.assert_allclose(
        parts["weight"], weight, rtol=1e-9, atol=1e-12 * np.abs(weight).max()
    )
    objective = variables.get("negsample:objective", DEFAULTS["objective"])
    expected = reference.score_criteria(
        parts["design"],
        parts["label"],
        parts["prob"],
        parts["scale_rate"],
        parts["inverse"],
        rate=0.05,
        floor=0.1,
        budget=variables.get("negsample:budget", "paper"),
        reuse_pilot=variables.get("negsample:reuse_pilot", DEFAULTS["reuse_pilot"]),
        pilot_rate=parts["pilot_rate"],
        objective=objective,
        weight=weight,
    )
    got = dict(zip(choice["score"], choice["criterion"], strict=True))
    for mode in reference.SCORE_MODES:
        assert got[mode] == pytest.approx(expected[mode], rel=1e-6), mode
    # The criteria differ between modes, so the choice is a real one.
    assert max(got.values()) / min(got.values()) > 1.01
    chosen = choice.loc[choice["is_chosen"], "score"].tolist()
    assert chosen == [min(expected, key=expected.get)]
    assert choice.loc[choice["is_chosen"], "criterion_ratio"].tolist() == [1.0]
    assert set(choice["objective"]) == {objective}
    design = query(database, "select score, score_setting from negsample_design").iloc[0]
    assert (design["score"], design["score_setting"]) == (chosen[0], "auto")


def test_auto_samples_as_the_chosen_score_would(auto_db, demo_db, tmp_path):
    auto = auto_db
    chosen = query(auto, "select score from negsample_score_choice where is_chosen")["score"][0]
    # The demo is built with the default score; another choice needs its own build.
    fixed = (
        demo_db
        if chosen == DEFAULTS["score"]
        else build(demo_db, tmp_path, "fixed", {"negsample:score": chosen})
    )
    kept = "select id, sampling_prob from negsample_sample order by id"
    pd.testing.assert_frame_equal(query(auto, kept), query(fixed, kept))
    coefficients = "select model, term, level, estimate from negsample_coefficients order by all"
    pd.testing.assert_frame_equal(query(auto, coefficients), query(fixed, coefficients))
    one_row = query(fixed, "select * from negsample_score_choice")
    assert one_row["score"].tolist() == [chosen] and one_row["is_chosen"].tolist() == [True]


@pytest.mark.parametrize("engine", ["python", "sql"])
def test_reuse_pilot_keeps_the_union_with_pi_star(demo_db, sql_db, engine):
    # reuse_pilot is the default: the demo's build (Python fits) reuses the pilot.
    database = demo_db if engine == "python" else sql_db
    rows = query(
        database,
        "select p.id, p.label, p.sampling_prob, p.sample_uniform, p.is_sampled, "
        "s.pilot_rate, s.sampling_scale, s.floor_prob, p.sampling_score "
        "from negsample_sampling_probs as p cross join negsample_sampling_scale as s order by p.id",
    )
    rate = float(rows["pilot_rate"].iloc[0])
    pi = np.minimum(
        1.0,
        np.maximum(rows["floor_prob"], rows["sampling_scale"] * rows["sampling_score"]),
    ).to_numpy()
    star = reference.union_inclusion_probability(pi, rate)
    np.testing.assert_allclose(rows["sampling_prob"], star, rtol=1e-12)
    keys = rows["id"].to_numpy(dtype=np.int64)
    pilot_drawn = reference.uniform(keys, 42, "pilot") < rate
    main_drawn = rows["sample_uniform"].to_numpy() < pi
    expected = (rows["label"].to_numpy() == 1) | pilot_drawn | main_drawn
    assert (rows["is_sampled"].to_numpy() == expected).all()
    # The union adds the pilot's negatives the main draw left out.
    assert (pilot_drawn & ~main_drawn & (rows["label"].to_numpy() == 0)).sum() > 100
    pilot_ids = set(
        query(database, "select id from negsample_pilot_sample where is_pilot_row")["id"]
    )
    sample = query(database, "select id, sampling_prob, log_odds_offset from negsample_sample")
    assert pilot_ids <= set(sample["id"])
    assert len(sample) == int(expected.sum())
    np.testing.assert_allclose(sample["log_odds_offset"], -np.log(sample["sampling_prob"]))
    design = query(database, "select * from negsample_design").iloc[0]
    assert bool(design["is_pilot_reused"])
    negatives = rows["label"].to_numpy() == 0
    assert design["expected_negatives"] == pytest.approx(star[negatives].sum(), rel=1e-9)
    sd = np.sqrt((star * (1 - star))[negatives].sum())
    assert abs(design["kept_negatives"] - star[negatives].sum()) < 4 * sd


def test_reuse_pilot_engines_agree(demo_db, sql_db):
    coefficients = "select model, term, level, estimate from negsample_coefficients order by all"
    a, b = query(demo_db, coefficients), query(sql_db, coefficients)
    np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=1e-8, atol=1e-12)


def test_a_frozen_design_keeps_its_choice(demo_db, tmp_path):
    variables = {"negsample:score": "auto", "negsample:freeze_design": True}
    database = build(demo_db, tmp_path, "frozen", variables)
    choice = "select * from negsample_score_choice order by score"
    kept = "select id, sampling_prob from negsample_sample order by id"
    before, sample = query(database, choice), query(database, kept)
    assert before["is_chosen"].sum() == 1 and before["criterion"].notna().all()
    run_dbt(BUILD, database, variables=variables)
    pd.testing.assert_frame_equal(query(database, choice), before)
    pd.testing.assert_frame_equal(query(database, kept), sample)
    frozen = query(database, "select is_frozen_design, score from negsample_design").iloc[0]
    assert bool(frozen["is_frozen_design"])
    assert frozen["score"] == before.loc[before["is_chosen"], "score"].iloc[0]
