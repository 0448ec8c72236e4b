"""The NumPy reference of docs/method.md, The eight steps, checked against first principles."""

from __future__ import annotations

import numpy as np
import pytest

from negsample.oracle import reference


def test_pilot_rate_balances_the_classes_and_caps_at_one():
    assert reference.pilot_sampling_rate(100, 10_000, 1) == pytest.approx(0.01)
    assert reference.pilot_sampling_rate(100, 10_000, 3) == pytest.approx(0.03)
    assert reference.pilot_sampling_rate(600, 1_000, 2) == 1.0


def test_paper_budget_expects_rho_n0_before_capping():
    rng = np.random.default_rng(0)
    t = rng.uniform(0.01, 0.02, 10_000)  # narrow: nothing capped or floored
    pi, scale = reference.sampling_probability(t, np.ones(t.size, bool), 0.1, 0.1, "paper")
    assert scale == pytest.approx(0.1 / t.mean())
    assert pi.sum() == pytest.approx(0.1 * t.size, rel=1e-12)


@pytest.mark.parametrize("floor", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("rate", [0.002, 0.05, 0.5, 0.95])
def test_exact_budget_sums_to_the_target(rate, floor):
    rng = np.random.default_rng(1)
    t = rng.lognormal(0, 2, 20_000)
    t[:50] = 0.0
    pi, _ = reference.sampling_probability(t, np.ones(t.size, bool), rate, floor, "exact")
    assert pi.sum() == pytest.approx(rate * t.size, rel=1e-9)
    assert pi.min() >= floor * rate and pi.max() <= 1


def test_exact_scale_with_ties():
    t = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 4.0])
    c = reference.exact_scale(t, 0.5, 0.2)
    pi = np.minimum(1, np.maximum(0.1, c * t))
    assert pi.sum() == pytest.approx(3.0)


def test_positives_always_kept_and_negatives_by_uniform():
    label = np.array([1, 1, 0, 0, 0])
    u = np.array([0.99, 0.5, 0.2, 0.5, 0.7])
    pi = np.array([0.1, 0.1, 0.3, 0.3, 0.3])
    np.testing.assert_array_equal(reference.keep(label, u, pi), [True, True, True, False, False])


def test_correct_log_odds_inverts_the_sampling_shift():
    p = np.array([1e-5, 0.01, 0.2])
    pi = np.array([0.01, 0.05, 0.9])
    sample_prob = p / (p + (1 - p) * pi)  # P(y=1 | x, kept)
    np.testing.assert_allclose(
        reference.correct_log_odds(sample_prob, pi), np.log(p / (1 - p)), rtol=1e-10
    )


def test_sigmoid_survives_extreme_logits():
    out = reference.sigmoid(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_scores_modes():
    p = np.array([0.1, 0.2])
    x = np.array([[1.0, 3.0], [1.0, 0.0]])
    np.testing.assert_array_equal(reference.scores(p, x, "uniform"), [1, 1])
    np.testing.assert_array_equal(reference.scores(p, x, "p"), p)
    np.testing.assert_allclose(reference.scores(p, x, "l_optimal"), [0.1 * np.sqrt(10), 0.2])
    inv = np.array([[2.0, 0.0], [0.0, 0.5]])
    np.testing.assert_allclose(
        reference.scores(p, x, "a_optimal", inv), [0.1 * np.sqrt(4 + 2.25), 0.2 * 2]
    )
    with pytest.raises(ValueError, match="unknown score mode 'q'"):
        reference.scores(p, x, "q")
