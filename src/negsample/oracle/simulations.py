"""The simulation designs of Wang, Zhang & Wang (2021), section 5.

Six covariates with covariance 0.5^|i-j| / 4, all slopes -1, about one
positive per 400 negatives: (a) normal covariates, intercept -7.65;
(b) log-normal (exp of that normal), intercept -0.5; (c) multivariate t with
3 degrees of freedom (covariance Sigma), intercept -7. With these intercepts
the t3 design has about one positive per 140 negatives, not 400.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from negsample.logistic import sigmoid

FEATURES = tuple(f"x{i}" for i in range(1, 7))
SLOPE = -1.0
INTERCEPTS = {"normal": -7.65, "lognormal": -0.5, "t3": -7.0}


def covariance(dim: int = 6) -> np.ndarray:
    i = np.arange(dim)
    return 0.5 ** np.abs(i[:, None] - i[None, :]) / 4.0


def true_coefficients(design: str) -> np.ndarray:
    """(intercept, slope_1, ..., slope_6)."""
    return np.array([INTERCEPTS[design], *([SLOPE] * len(FEATURES))])


def simulate(design: str, rows: int, seed: int) -> pd.DataFrame:
    """Ids 0..rows-1, a 0/1 label and x1..x6 drawn from ``design``."""
    if design not in INTERCEPTS:
        raise ValueError(f"unknown design {design!r}; expected one of {sorted(INTERCEPTS)}")
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(len(FEATURES)), covariance(), size=rows)
    if design == "lognormal":
        x = np.exp(z)
    elif design == "t3":
        # Multivariate t with 3 degrees of freedom and covariance (not scale)
        # Sigma: the scale matrix is Sigma / 3, so x = z / sqrt(chi2_3).
        x = z / np.sqrt(rng.chisquare(3, size=rows))[:, None]
    else:
        x = z
    theta = true_coefficients(design)
    prob = sigmoid(theta[0] + x @ theta[1:])
    frame = pd.DataFrame(x, columns=list(FEATURES))
    frame.insert(0, "id", np.arange(rows, dtype=np.int64))
    frame.insert(1, "label", (rng.random(rows) < prob).astype(np.int64))
    return frame


#: Beyond the paper: a design whose scores cap heavily. Multivariate t
#: covariates with 2 degrees of freedom (scale matrix the covariance above,
#: so the tails are far heavier than t3's), all slopes -1, intercept -8:
#: about 3 positives per 100 rows. At sampling rates near that base rate
#: many negatives' rho * t / w exceeds 1, so pi is capped and budget 'paper'
#: keeps visibly fewer than rho * N0 negatives.
HEAVY_TAILED_INTERCEPT = -8.0


def heavy_tailed_coefficients() -> np.ndarray:
    """(intercept, slope_1, ..., slope_6) of the heavy-tailed design."""
    return np.array([HEAVY_TAILED_INTERCEPT, *([SLOPE] * len(FEATURES))])


def simulate_heavy_tailed(rows: int, seed: int) -> pd.DataFrame:
    """Ids 0..rows-1, a 0/1 label and x1..x6 from the heavy-tailed (t2) design."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(len(FEATURES)), covariance(), size=rows)
    x = z / np.sqrt(rng.chisquare(2, size=rows) / 2.0)[:, None]
    theta = heavy_tailed_coefficients()
    prob = sigmoid(theta[0] + x @ theta[1:])
    frame = pd.DataFrame(x, columns=list(FEATURES))
    frame.insert(0, "id", np.arange(rows, dtype=np.int64))
    frame.insert(1, "label", (rng.random(rows) < prob).astype(np.int64))
    return frame
