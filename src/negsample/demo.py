"""The demo table shipped as ``seeds/demo_events.csv``.

Rows are drawn from a known logistic model (``TRUE_COEFFICIENTS``) so that the
package's final coefficients can be checked against the truth. The file is
regenerated bit for bit with ``python -m negsample.demo``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

DEMO_ROWS = 50_000
DEMO_SEED = 20211026
CHANNEL_LEVELS = ("web", "app", "store", "partner")
CHANNEL_SHARES = (0.5, 0.3, 0.15, 0.05)

# Population-scale logit: intercept + sum(coef * feature) + channel effect
# (reference level "web"). Chosen so that about 1% of rows are positive.
TRUE_COEFFICIENTS: dict[tuple[str, str | None], float] = {
    ("intercept", None): -6.4,
    ("tenure_months", None): -0.02,
    ("balance", None): 0.0002,
    ("is_mobile", None): 0.8,
    ("sessions_30d", None): 0.15,
    ("channel", "app"): 0.5,
    ("channel", "partner"): 1.0,
    ("channel", "store"): -0.4,
}

NUMERIC_FEATURES = ("tenure_months", "balance", "is_mobile", "sessions_30d")
CATEGORICAL_FEATURES = ("channel",)


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """The population log odds of each row under ``TRUE_COEFFICIENTS``."""
    eta = np.full(len(frame), TRUE_COEFFICIENTS[("intercept", None)])
    for name in NUMERIC_FEATURES:
        eta = eta + TRUE_COEFFICIENTS[(name, None)] * frame[name].to_numpy(dtype=float)
    for (term, level), coef in TRUE_COEFFICIENTS.items():
        if term in CATEGORICAL_FEATURES:
            eta = eta + coef * (frame[term].to_numpy() == level)
    return eta


def generate(rows: int = DEMO_ROWS, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Draw the demo table: ids 1..rows, four numeric features, one categorical."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, rows + 1, dtype=np.int64),
            # Rounded before the label is drawn, so the CSV holds the exact
            # covariates the label depends on.
            "tenure_months": np.round(rng.gamma(2.0, 18.0, rows), 1),
            "balance": np.round(rng.lognormal(8.0, 0.6, rows), 2),
            "is_mobile": rng.binomial(1, 0.4, rows).astype(np.int64),
            "sessions_30d": rng.poisson(6.0, rows).astype(np.int64),
            "channel": rng.choice(np.array(CHANNEL_LEVELS), rows, p=CHANNEL_SHARES),
        }
    )
    prob = 1.0 / (1.0 + np.exp(-true_logit(frame)))
    frame.insert(1, "label", (rng.random(rows) < prob).astype(np.int64))
    return frame


def write_csv(path: Path, rows: int = DEMO_ROWS, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Write the demo table as the dbt seed file and return it."""
    frame = generate(rows, seed)
    frame.to_csv(path, index=False, lineterminator="\n")
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the negsample demo seed.")
    default = Path(__file__).resolve().parents[2] / "seeds" / "demo_events.csv"
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    frame = write_csv(args.out)
    print(f"wrote {len(frame)} rows, {int(frame['label'].sum())} positive, to {args.out}")


if __name__ == "__main__":
    main()
