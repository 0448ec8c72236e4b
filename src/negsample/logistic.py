"""The logistic function, shared by the fits and the reference."""

from __future__ import annotations

import numpy as np


def sigmoid(eta: np.ndarray) -> np.ndarray:
    """Logistic function that does not overflow for large |eta|."""
    eta = np.asarray(eta, dtype=float)
    out = np.empty_like(eta)
    pos = eta >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-eta[pos]))
    ez = np.exp(eta[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out
