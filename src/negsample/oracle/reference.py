"""A small NumPy reference implementation of the sampling design.

The dbt models compute everything below in SQL; the tests check the SQL
against these functions row by row. Notation follows docs/method.md:
rho is the sampling rate, t the score, w the mean score over negatives,
pi the sampling probability.
"""

from __future__ import annotations

import numpy as np

from negsample.logistic import sigmoid  # noqa: F401 (the reference's sigmoid too)

# The seed and the stream enter the seeded uniform as residues modulo the
# Mersenne prime 2^31 - 1, so that folding any BIGINT seed stays inside BIGINT.
MODULUS = 2_147_483_647
LOW_32 = 0xFFFF_FFFF
STREAMS = {"pilot": 1, "sample": 2}
SCORE_MODES = ("uniform", "p", "l_optimal", "a_optimal", "logit_optimal")
# The least sampling probability recorded: keeps -ln(pi) finite when the floor
# is 0 and a score underflows to 0.
SMALLEST_PROB = 1e-300
BUDGETS = ("paper", "exact")


def stream_id(stream: int | str) -> int:
    """The integer behind a named stream (``pilot``, ``sample``) or an integer stream."""
    if isinstance(stream, str):
        if stream not in STREAMS:
            raise ValueError(f"unknown stream {stream!r}: use an integer or one of {list(STREAMS)}")
        return STREAMS[stream]
    return int(stream)


def uniform_constants(seed: int, stream: int | str) -> tuple[int, int]:
    """The two residues that the seed and the stream contribute to the mixer."""
    sid = stream_id(stream)
    first = ((seed % MODULUS) * 40692 + sid * 69621 + 12345) % MODULUS
    second = ((seed % MODULUS) * 48271 + sid * 16807 + 67890) % MODULUS
    return first, second


def _lowbias32(x: np.ndarray) -> np.ndarray:
    """The lowbias32 finalizer on values in [0, 2^32), in int64 exactly as the SQL computes it."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & LOW_32
    x = x ^ (x >> 15)
    x = (x * (0x846CA68B - 2**32)) & LOW_32  # same low 32 bits, product inside int64
    return x ^ (x >> 16)


def uniform(keys: np.ndarray, seed: int, stream: int | str) -> np.ndarray:
    """Seeded uniform in [0, 1) for integer keys, bit for bit what the SQL macro returns.

    The key's low and high 32 bits pass in turn through the lowbias32
    finalizer, each XORed with a residue of the seed and the stream.
    """
    k = np.asarray(keys, dtype=np.int64)
    c1, c2 = uniform_constants(seed, stream)
    low = k & LOW_32
    high = (k >> 32) & LOW_32
    mixed = _lowbias32(_lowbias32(low ^ c1) ^ (high ^ c2))
    return mixed.astype(np.float64) / 4294967296.0


def pilot_sampling_rate(n_positive: int, n_negative: int, pilot_ratio: float) -> float:
    """rho0 = min(1, pilot_ratio * N1 / N0): the pilot keeps each negative with this rate."""
    return min(1.0, pilot_ratio * n_positive / n_negative)


def scores(
    prob: np.ndarray,
    design: np.ndarray,
    mode: str,
    information_inverse: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """The score t(x) of every row. ``design`` holds the intercept column first.

    a_optimal needs M~^-1 (``information_inverse``); logit_optimal also needs
    Sigma~ (``weight``, see logit_weight): t = p~ ||Sigma~^1/2 M~^-1 x-dot||.
    """
    prob = np.asarray(prob, dtype=float)
    if mode == "uniform":
        return np.ones_like(prob)
    if mode == "p":
        return prob
    if mode == "l_optimal":
        return prob * np.sqrt((design**2).sum(axis=1))
    if mode in ("a_optimal", "logit_optimal"):
        if information_inverse is None:
            raise ValueError(f"{mode} needs the inverse pilot information matrix")
        projected = design @ information_inverse.T
        if mode == "a_optimal":
            return prob * np.sqrt((projected**2).sum(axis=1))
        if weight is None:
            raise ValueError("logit_optimal needs Sigma~ (weight)")
        return prob * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", projected, weight, projected), 0))
    raise ValueError(f"unknown score mode {mode!r}; expected one of {SCORE_MODES}")


def logit_weight(
    design: np.ndarray,
    label: np.ndarray,
    prob: np.ndarray,
    scale_rate: float,
    recalibrate_intercept: bool = True,
) -> np.ndarray:
    """Sigma~: the weight of the corrected logit's mean squared error, from a scale sample.

    E[(x-dot - a)(x-dot - a)'] over the population, each negative of the
    sample standing for 1/scale_rate rows, with a = E[p (1 - p) x-dot] /
    E[p (1 - p)] at the pilot's ``prob`` when the intercept update is
    applied (it takes the error along a out of every logit), a = 0 when not.
    """
    w = np.where(np.asarray(label) == 1, 1.0, 1.0 / scale_rate)
    moments = (design * w[:, None]).T @ design / w.sum()
    mean = moments[:, 0]
    if recalibrate_intercept:
        h = w * prob * (1.0 - prob)
        centre = (design * h[:, None]).sum(axis=0) / h.sum()
    else:
        centre = np.zeros(design.shape[1])
    return moments - np.outer(centre, mean) - np.outer(mean, centre) + np.outer(centre, centre)


def exact_scale(t_negative: np.ndarray, rate: float, floor: float) -> float:
    """The c for which sum(min(1, max(floor*rate, c*t))) over negatives is rate*N0.

    The sum is piecewise linear and non-decreasing in c. A row leaves the
    floor at c = floor*rate/t (its slope t starts to count, its floor stops)
    and reaches the cap at c = 1/t (its slope stops, 1 counts). Sorting those
    events gives the sum at every kink; the target lies on one segment.
    """
    t = np.asarray(t_negative, dtype=float)
    lower = floor * rate
    target = rate * len(t)
    moving = t[t > 0]
    at = np.concatenate([lower / moving, 1.0 / moving])
    d_slope = np.concatenate([moving, -moving])
    d_const = np.concatenate([np.full(moving.size, -lower), np.ones(moving.size)])
    order = np.argsort(at, kind="stable")
    at, d_slope, d_const = at[order], d_slope[order], d_const[order]
    # Events at the same c apply together: keep the last cumulative value of each run.
    slope = np.cumsum(d_slope)
    const = lower * len(t) + np.cumsum(d_const)
    last_of_run = np.append(at[1:] != at[:-1], True)
    at, slope, const = at[last_of_run], slope[last_of_run], const[last_of_run]
    total = const + slope * at
    i = np.flatnonzero(total <= target)[-1]
    return float((target - const[i]) / slope[i]) if slope[i] > 0 else float(at[i])


def sampling_probability(
    t: np.ndarray,
    is_negative: np.ndarray,
    rate: float,
    floor: float,
    budget: str = "paper",
) -> tuple[np.ndarray, float]:
    """pi(x) for every row and the scale c with pi = min(1, max(floor*rate, c*t))."""
    t = np.asarray(t, dtype=float)
    neg = np.asarray(is_negative, dtype=bool)
    if budget == "paper":
        scale = rate / t[neg].mean()
    elif budget == "exact":
        scale = exact_scale(t[neg], rate, floor)
    else:
        raise ValueError(f"unknown budget {budget!r}; expected one of {BUDGETS}")
    return np.minimum(
        1.0,
        np.maximum.reduce(
            [np.full_like(t, floor * rate), scale * t, np.full_like(t, SMALLEST_PROB)]
        ),
    ), scale


def keep(label: np.ndarray, u: np.ndarray, sampling_prob: np.ndarray) -> np.ndarray:
    """Every positive is kept; a negative is kept iff u < pi."""
    return (np.asarray(label) == 1) | (np.asarray(u) < np.asarray(sampling_prob))


def correct_log_odds(prob: np.ndarray, sampling_prob: np.ndarray) -> np.ndarray:
    """Population log odds from a sample-scale probability: logit(s) + ln(pi)."""
    prob = np.asarray(prob, dtype=float)
    return np.log(prob) - np.log1p(-prob) + np.log(sampling_prob)


def union_inclusion_probability(sampling_prob: np.ndarray, pilot_rate: float) -> np.ndarray:
    """pi* = 1 - (1 - rho0)(1 - pi): in the pilot's draw or the main one (independent)."""
    return 1.0 - (1.0 - pilot_rate) * (1.0 - np.asarray(sampling_prob, dtype=float))


def corrected_variance(
    design: np.ndarray,
    label: np.ndarray,
    prob: np.ndarray,
    sampling_prob: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """Lambda^-1: the log-odds corrected estimator's asymptotic variance.

    Lambda = sum_i weight_i p_i (1 - p_i) s_i x_i x_i^T with s_i = 1 for a
    positive (always kept) and pi / (p + (1 - p) pi) for a negative kept with
    probability pi: the expected information of the offset likelihood on the
    sample (Wang, Zhang & Wang 2021). ``weight`` is the number of population
    rows each row stands for (1/rho0 for a pilot sample's negatives).
    """
    p = np.asarray(prob, dtype=float)
    pi = np.asarray(sampling_prob, dtype=float)
    share = np.where(np.asarray(label) == 1, 1.0, pi / (p + (1.0 - p) * pi))
    h = np.asarray(weight, dtype=float) * p * (1.0 - p) * share
    return np.linalg.inv((design * h[:, None]).T @ design)


def score_criteria(
    design: np.ndarray,
    label: np.ndarray,
    prob: np.ndarray,
    scale_rate: float,
    information_inverse: np.ndarray,
    rate: float,
    floor: float,
    budget: str = "paper",
    reuse_pilot: bool = False,
    pilot_rate: float = 0.0,
    objective: str = "scores",
    weight: np.ndarray | None = None,
) -> dict[str, float]:
    """Each score mode's estimated criterion of ``objective``, from a scale sample.

    ``design`` (intercept first), ``label`` and ``prob`` (the pilot's p~) are
    the sample's rows; its negatives are a uniform ``scale_rate`` share of the
    population's, so w and the exact budget's scale are solved over them, and
    each stands for 1/scale_rate rows. With ``reuse_pilot`` a negative's
    probability is the union's pi* at ``pilot_rate``. objective 'scores':
    tr(Sigma~ V) with ``weight`` = Sigma~ (logit_weight); 'coefficients':
    the trace of V over the slopes. What score 'auto' compares.
    """
    label = np.asarray(label)
    negative = label == 0
    population = np.where(negative, 1.0 / scale_rate, 1.0)
    out = {}
    for mode in SCORE_MODES:
        t = scores(prob, design, mode, information_inverse, weight)
        pi, _ = sampling_probability(t, negative, rate, floor, budget)
        if reuse_pilot:
            pi = union_inclusion_probability(pi, pilot_rate)
        variance = corrected_variance(design, label, prob, pi, population)
        if objective == "scores":
            out[mode] = float(np.trace(weight @ variance))
        else:
            out[mode] = float(np.trace(variance[1:, 1:]))
    return out


def scale_estimates(
    pi_negative: np.ndarray, n_negative: int, scale_rate: float
) -> dict[str, float]:
    """What a scale sample's negatives' pi~ say of the draw over every negative.

    expected: the estimated sum of pi~ over the table's ``n_negative``
    negatives; binomial: of pi~ (1 - pi~), the draw's variance; estimate:
    the variance of ``expected`` as an estimate, (1 - rho_s) N0^2 var(pi~) / n.
    The sample-size check's variance is binomial + estimate.
    """
    pi = np.asarray(pi_negative, dtype=float)
    n = len(pi)
    return {
        "expected": n_negative * pi.mean(),
        "binomial": n_negative * (pi * (1.0 - pi)).mean(),
        "estimate": (1.0 - scale_rate) * n_negative**2 * pi.var(ddof=1) / n,
    }


def intercept_update(logit: np.ndarray, label: np.ndarray) -> float:
    """delta = (N1 - sum p) / sum p (1 - p): one Newton step on the intercept over the table.

    ``logit`` is the final fit's theta^ . x-dot of every row of the table;
    the served score is logit + delta when recalibrate_intercept is on
    (<design>_intercept_update computes the same sums in SQL).
    """
    prob = sigmoid(np.asarray(logit, dtype=float))
    return float((np.sum(label) - prob.sum()) / (prob * (1.0 - prob)).sum())


def score_criteria_at_scales(
    design: np.ndarray,
    label: np.ndarray,
    prob: np.ndarray,
    scale_rate: float,
    information_inverse: np.ndarray,
    scales: dict[str, float],
    floor_prob: float,
    reuse_pilot: bool = False,
    pilot_rate: float = 0.0,
    weight: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """score_criteria under both objectives, {objective: {mode: criterion}}, at given scales.

    ``scales`` holds each mode's c of pi = min(1, max(floor_prob, c t)), as
    the design's SQL solved it on the same scale sample (w or the exact
    budget's solve), instead of solving it again here; the rest is
    score_criteria's: each mode's V once, then tr(Sigma~ V) ('scores') and
    the trace of V over the slopes ('coefficients').
    """
    label = np.asarray(label)
    negative = label == 0
    population = np.where(negative, 1.0 / scale_rate, 1.0)
    out: dict[str, dict[str, float]] = {"scores": {}, "coefficients": {}}
    for mode, scale in scales.items():
        t = scores(prob, design, mode, information_inverse, weight)
        pi = np.minimum(
            1.0,
            np.maximum.reduce(
                [np.full_like(t, floor_prob), scale * t, np.full_like(t, SMALLEST_PROB)]
            ),
        )
        if reuse_pilot:
            pi = union_inclusion_probability(pi, pilot_rate)
        variance = corrected_variance(design, label, prob, pi, population)
        out["scores"][mode] = float(np.trace(weight @ variance))
        out["coefficients"][mode] = float(np.trace(variance[1:, 1:]))
    return out
