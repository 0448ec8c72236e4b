"""The standard errors users build intervals from: do 95% intervals cover the truth?

Fresh data in every replicate (the normal design of Wang, Zhang & Wang 2021,
true slopes -1), the package's reference steps: pilot (ratio 1, offset
-ln rho0), a_optimal scores from M~^-1, pi at rate 0.01, floor 0.1, the
keep flags from the seeded uniform, then the log-odds corrected fit, with
and without the pilot's negatives (reuse_pilot). The share of slopes whose
interval estimate +- 1.96 std_error holds the true slope must not fall
below 0.90: 40 replicates x 6 slopes put 0.95 about 4 binomial standard
errors above that bound, and an estimator whose standard errors ignored the
sampling (the full-data information) or were half the right size lands
well below it.
"""

from __future__ import annotations

import numpy as np
import pytest

from negsample.oracle import reference, simulations
from negsample.runtime.fit import fit_logistic, information_inverse_matrix, make_design

pytestmark = pytest.mark.stats

REPLICATES = 40
ROWS = 100_000
RATE = 0.01
Z95 = 1.959963984540054


def one_replicate(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data = simulations.simulate("normal", ROWS, seed)
    design = make_design(data, list(simulations.FEATURES), [])
    label = data["label"].to_numpy()
    keys = data["id"].to_numpy(dtype=np.int64)
    n_positive = int(label.sum())
    rho0 = reference.pilot_sampling_rate(n_positive, len(label) - n_positive, 1.0)
    in_pilot = (label == 1) | (reference.uniform(keys, seed, "pilot") < rho0)
    pilot_rows = data[in_pilot]
    pilot = fit_logistic(
        pilot_rows, "label", design, offset=np.full(len(pilot_rows), -np.log(rho0))
    )
    prob = reference.sigmoid(pilot.linear_predictor(data))
    pilot_prob = reference.sigmoid(pilot.linear_predictor(pilot_rows))
    weights = np.where(pilot_rows["label"].to_numpy() == 1, 1.0, 1.0 / rho0)
    inverse = information_inverse_matrix(pilot_rows, design, pilot_prob, weights)
    t = reference.scores(prob, design.matrix(data), "a_optimal", inverse)
    pi, _ = reference.sampling_probability(t, label == 0, RATE, 0.1, "paper")
    main = reference.keep(label, reference.uniform(keys, seed, "sample"), pi)
    star = reference.union_inclusion_probability(pi, rho0)
    out = {}
    for name, kept, prob_kept in (("lcl", main, pi), ("lcl_reuse", main | in_pilot, star)):
        fit = fit_logistic(data[kept], "label", design, offset=-np.log(prob_kept[kept]))
        out[name] = (fit.estimate[1:], fit.std_error[1:])
    return out


def test_corrected_intervals_cover_the_true_slopes():
    truth = simulations.true_coefficients("normal")[1:]
    covered = {"lcl": 0, "lcl_reuse": 0}
    too_narrow = 0
    for r in range(REPLICATES):
        for name, (estimate, std_error) in one_replicate(100 + r).items():
            covered[name] += int((np.abs(estimate - truth) <= Z95 * std_error).sum())
            if name == "lcl":
                too_narrow += int((np.abs(estimate - truth) <= Z95 * std_error / 2).sum())
    intervals = REPLICATES * len(truth)
    for name, n in covered.items():
        assert n / intervals >= 0.90, f"{name}: {n} of {intervals} intervals hold the truth"
    # Half-width intervals would miss often: the check can fail.
    assert too_narrow / intervals < 0.85
