"""The method's steps against their definitions, not against negsample.oracle.reference.

The row-by-row tests hold the SQL to the NumPy reference, which is package
code: a mistake made in both would pass them. These tests check each step
against what it is by definition, computed here from the built tables or
simulated: w as the mean score over the negatives, c = rho / w, the scores
written out for single rows, the union of two independent draws, the
corrected estimator's variance against the spread of its fits over
replicates, and the correction of an external model's score.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.runtime.fit import Design, fit_logistic
from negsample.tools import demo
from negsample.tools.dbt_inline import compile_inline
from tests import by_hand
from tests.conftest import PROJECT_DIR, dbt_env, query

pytestmark = pytest.mark.core


def three_row_scores(database, ids: tuple[int, int, int]):
    """The stored pilot table and terms, x-dot and p~ of three rows by hand, and their stored t."""
    pilot = query(database, "select * from negsample_pilot_coefficients")
    terms = by_hand.free_terms(pilot, "pilot", demo.NUMERIC_FEATURES)
    coefficients = by_hand.coefficients_of(pilot, "pilot")
    theta = np.array([coefficients[t] for t in terms])
    rows = query(database, f"select * from negsample_input where id in {ids} order by id")
    scores = query(
        database,
        f"select id, sampling_score from negsample_sampling_probs where id in {ids} order by id",
    )
    x = by_hand.design_matrix(rows, terms)
    return pilot, terms, x, by_hand.sigmoid(x @ theta), scores


@pytest.mark.dbt
def test_w_is_the_mean_score_over_the_negatives_and_c_is_rho_over_w(demo_db):
    """On the demo the scale sample holds every row: w is the plain mean over label 0."""
    scale = query(demo_db, "select * from negsample_sampling_scale").iloc[0]
    rows = query(demo_db, "select label, sampling_score from negsample_sampling_probs")
    negatives = rows.loc[rows["label"] == 0, "sampling_score"]
    positives = rows.loc[rows["label"] == 1, "sampling_score"]
    # A w over every row would differ: the positives' scores are far higher.
    assert positives.mean() > 2 * negatives.mean()
    assert scale["w"] == pytest.approx(negatives.mean(), rel=1e-12)
    assert scale["sampling_scale"] == pytest.approx(0.05 / negatives.mean(), rel=1e-12)


@pytest.mark.dbt
def test_the_scores_of_three_rows_are_their_definitions(demo_db):
    """t = p~ ||x-dot||, p~ ||M~^-1 x-dot|| and p~ ||Sigma~^1/2 M~^-1 x-dot||, row by row.

    x-dot is written out here from the row's values and the stored pilot;
    M~^-1 and Sigma~ are the stored matrices (their own definitions are
    tested in test_pilot.py and test_score_choice.py).
    """
    pilot, terms, x, p, scores = three_row_scores(demo_db, (3, 1234, 45678))
    inverse = by_hand.stored_matrix(pilot, "information", terms)
    a_optimal = np.array([p[i] * np.sqrt(np.sum((inverse @ x[i]) ** 2)) for i in range(3)])
    # The demo samples with the default score, a_optimal.
    np.testing.assert_allclose(scores["sampling_score"], a_optimal, rtol=1e-10)
    l_optimal = np.array([p[i] * np.sqrt(np.sum(x[i] ** 2)) for i in range(3)])
    assert not np.allclose(l_optimal, a_optimal)


@pytest.mark.dbt
@pytest.mark.parametrize("score", ["l_optimal", "logit_optimal"])
def test_the_score_of_three_rows_is_its_definition(tmp_path, demo_db, score):
    """t = p~ ||x-dot|| (l_optimal) and p~ ||Sigma~^1/2 M~^-1 x-dot|| (logit_optimal)."""
    import shutil

    from tests.conftest import run_dbt

    database = tmp_path / f"{score}.duckdb"
    shutil.copy(demo_db, database)
    run_dbt(
        ["run", "--select", "negsample_pilot_coefficients+", "--exclude", "negsample_scored+"],
        database,
        variables={"negsample:score": score},
    )
    pilot, terms, x, p, scores = three_row_scores(database, (7, 777, 7777))
    if score == "l_optimal":
        # ||x-dot|| includes the intercept's 1.
        expected = [p[i] * np.sqrt(x[i] @ x[i]) for i in range(3)]
    else:
        inverse = by_hand.stored_matrix(pilot, "information", terms)
        weight = by_hand.stored_matrix(pilot, "second_moment", terms)
        # ||Sigma^1/2 v||^2 = v' Sigma v for v = M~^-1 x-dot.
        expected = [p[i] * np.sqrt((inverse @ x[i]) @ weight @ (inverse @ x[i])) for i in range(3)]
        # Sigma~ is a covariance about a (the intercept's row and column vanish).
        assert np.allclose(weight[0], 0, atol=1e-9 * np.abs(weight).max())
    np.testing.assert_allclose(scores["sampling_score"], expected, rtol=1e-10)


def test_the_union_probability_is_that_of_two_independent_draws(tmp_path):
    """Keep with probability rho0 or (independently) with pi: simulated, against pi*.

    pi* is read from the macro that computes it in the warehouse
    (union_inclusion_probability) and from the reference, which the
    row-by-row tests hold the SQL to.
    """
    rng = np.random.default_rng(11)
    pi = np.array([0.0, 0.01, 0.2, 0.5, 0.9, 1.0])
    rho0 = 0.03
    draws = 400_000
    pilot = rng.random((draws, 1)) < rho0
    main = rng.random((draws, len(pi))) < pi
    share = (pilot | main).mean(axis=0)
    sql = compile_inline(
        f"select {{{{ negsample.union_inclusion_probability('pi', {rho0}) }}}} as pi_star "
        "from probabilities",
        PROJECT_DIR,
        dbt_env(tmp_path / "inline.duckdb"),
    )
    with duckdb.connect() as con:
        con.register("probabilities", pd.DataFrame({"pi": pi}))
        macro = con.sql(sql).df()["pi_star"].to_numpy()
    for expected in (macro, reference.union_inclusion_probability(pi, rho0)):
        sd = np.sqrt(expected * (1 - expected) / draws)
        assert (np.abs(share - expected) <= 4 * sd + 1e-12).all(), (share, expected)
    # Adding the two would overcount the overlap.
    assert not np.allclose(macro[2:5], np.minimum(1, pi + rho0)[2:5])


@pytest.mark.stats
def test_the_corrected_estimators_variance_is_its_spread_over_replicates():
    """Lambda^-1 (what score 'auto' compares) against the fits' covariance over draws.

    A fixed design of 40,000 rows, labels drawn afresh from the true model in
    each replicate, negatives kept with pi = min(1, rho t / w), t = p: the
    covariance of the offset fit's estimates over 300 replicates against
    the asymptotic variance. Its trace and its diagonal agree within the
    Monte Carlo error (about 8% relative for a variance from 300 draws).
    """
    rng = np.random.default_rng(3)
    rows, replicates, rate = 40_000, 300, 0.05
    x = rng.normal(size=(rows, 2))
    design = np.column_stack([np.ones(rows), x])
    theta = np.array([-4.5, 1.0, -0.7])
    p = reference.sigmoid(design @ theta)
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1]})
    spec = Design(("x1", "x2"), (), {}, {})
    estimates = []
    for _ in range(replicates):
        label = (rng.random(rows) < p).astype(int)
        negative = label == 0
        pi, _ = reference.sampling_probability(p, negative, rate, 0.0)
        kept = (~negative) | (rng.random(rows) < pi)
        sample = frame[kept].assign(label=label[kept])
        fit = fit_logistic(sample, "label", spec, offset=-np.log(pi[kept]))
        estimates.append(fit.estimate)
    spread = np.cov(np.array(estimates).T)
    # The expected Lambda over the label's distribution at each row.
    share_negative = pi / (p + (1 - p) * pi)
    h = p * (1 - p) * (p * 1.0 + (1 - p) * share_negative)
    expected = np.linalg.inv((design * h[:, None]).T @ design)
    tolerance = 4 * np.sqrt(2 / (replicates - 1))
    assert abs(np.trace(spread) / np.trace(expected) - 1) < tolerance
    np.testing.assert_allclose(np.diag(spread), np.diag(expected), rtol=tolerance)
    # The reference's variance (score_criteria's) is this one at the realised labels.
    label = (rng.random(rows) < p).astype(int)
    pi, _ = reference.sampling_probability(p, label == 0, rate, 0.0)
    at_labels = reference.corrected_variance(design, label, p, pi, np.ones(rows))
    assert abs(np.trace(at_labels) / np.trace(expected) - 1) < 0.15


def test_correct_log_odds_corrects_an_external_models_score(tmp_path):
    """The public macro of step 8 on a model's sample-scale probability: logit(s) + ln(pi)."""
    scores = pd.DataFrame(
        {
            "model_prob": [0.5, 0.9, 0.05, 0.3, 0.999],
            "sampling_prob": [0.05, 0.2, 1.0, 0.011, 0.5],
        }
    )
    sql = compile_inline(
        "select {{ negsample.correct_log_odds('model_prob', 'sampling_prob') }} "
        "as population_logit from external_scores",
        PROJECT_DIR,
        dbt_env(tmp_path / "inline.duckdb"),
    )
    with duckdb.connect() as con:
        con.register("external_scores", scores)
        got = con.sql(sql).df()["population_logit"].to_numpy()
    s, pi = scores["model_prob"].to_numpy(), scores["sampling_prob"].to_numpy()
    np.testing.assert_allclose(got, np.log(s / (1 - s)) + np.log(pi), rtol=1e-12)
    # A model fitted on rows kept with probability pi over-predicts by 1/pi
    # in odds: the corrected probability is the population's.
    population = 1 / (1 + np.exp(-got))
    odds = population / (1 - population)
    np.testing.assert_allclose(odds, s / (1 - s) * pi, rtol=1e-12)
