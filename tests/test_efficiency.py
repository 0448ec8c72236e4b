"""A small version of bench/efficiency.py: the ordering the paper predicts must hold.

Runs the package's sampling SQL (many seeds in one query) and its fits on
200,000 rows with 30 replicates, at rho = 0.005, for the uniform design and
the package's default setting (negsample.tools.settings.DEFAULTS, which the macros share).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from negsample.tools.settings import DEFAULTS
from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import efficiency  # noqa: E402

pytestmark = [pytest.mark.stats, pytest.mark.dbt]

RATE = 0.005


def default_setting() -> efficiency.Setting:
    return efficiency.Setting(DEFAULTS["score"], float(DEFAULTS["floor"]), DEFAULTS["budget"])


@pytest.fixture(scope="module")
def templates() -> dict[str, str]:
    return efficiency.compile_templates()


REPLICATES = 30


def mse_ratio(runs, method: str, trace: float) -> tuple[float, float]:
    """MSE ratio to the full-data fit and its Monte Carlo SE, over the fits that succeeded."""
    every = runs[runs["method"] == method]
    assert len(every) == REPLICATES, (method, len(every))
    part = every[~every["failed"].astype(bool)]
    # Bench.run stops beyond this many failed fits; none is expected here.
    assert len(every) - len(part) <= np.ceil(efficiency.MAX_DROPPED_FRACTION * REPLICATES)
    excess = part["excess_sq"].to_numpy()
    return 1 + excess.mean() / trace, excess.std(ddof=1) / np.sqrt(excess.size) / trace


@pytest.mark.parametrize(("design", "margin"), [("normal", 1.3), ("t3", 3.0)])
def test_default_beats_uniform_and_correction_beats_weighting(templates, design, margin, capsys):
    bench = efficiency.Bench(design, rows=200_000, replicates=REPLICATES, sql=templates)
    bench.prepare_pilot(1.0)
    uniform = bench.run(efficiency.Setting("uniform", 1.0, "paper"), RATE)
    default = bench.run(default_setting(), RATE)
    dropped = sum(efficiency.check_dropped(runs, design) for runs in (uniform, default))
    with capsys.disabled():
        print(f"\n[stats] {design}: {dropped} of {4 * REPLICATES} fits failed and were left out")
    trace = bench.trace_full
    uniform_lcl, uniform_lcl_se = mse_ratio(uniform, "lcl", trace)
    uniform_ipw, _ = mse_ratio(uniform, "ipw", trace)
    default_lcl, default_lcl_se = mse_ratio(default, "lcl", trace)

    # Theorem 5: under uniform sampling the corrected likelihood is far better than IPW.
    assert uniform_ipw > 1.5 * uniform_lcl, (uniform_ipw, uniform_lcl)
    # On the same samples, correction is never worse than weighting beyond 2 SE.
    for runs in (uniform, default):
        gap, se = efficiency.paired_gap(runs, trace)
        assert gap <= 2 * se, (gap, se)
    # Non-uniform sampling beats uniform sampling at the same expected size.
    assert uniform_lcl > margin * default_lcl, (uniform_lcl, default_lcl)
    assert uniform_lcl - 2 * uniform_lcl_se > default_lcl + 2 * default_lcl_se
    # Calibration in the large after the one-pass intercept update.
    calibrated = default[default["method"] == "lcl"]["calibration_updated"].mean()
    assert abs(calibrated - 1) < 0.02, calibrated


def test_too_many_failed_fits_stop_the_bench():
    def runs(failed: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "method": ["lcl"] * REPLICATES,
                "failed": [True] * failed + [False] * (REPLICATES - failed),
            }
        )

    allowed = int(np.ceil(efficiency.MAX_DROPPED_FRACTION * REPLICATES))
    assert efficiency.check_dropped(runs(allowed), "cell") == allowed
    with pytest.raises(RuntimeError, match=f"{allowed + 1} of {REPLICATES} lcl fits failed"):
        efficiency.check_dropped(runs(allowed + 1), "cell")
