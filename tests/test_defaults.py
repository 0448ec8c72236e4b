"""The defaults of reuse_pilot and score follow the measured verdicts.

bench/efficiency.py --beyond writes bench/results/efficiency_beyond.json:
whether reusing the pilot sample was never worse than the paper's fit
beyond two Monte Carlo standard errors (every score, design and rate), and
whether score 'auto' was never worse than the best fixed score beyond them.
Each becomes the default only then; a rerun that changes a verdict fails
here until the default (macros/config/settings.sql, and its Python twin)
follows it.
"""

from __future__ import annotations

import json

from negsample.tools.settings import DEFAULTS
from tests.conftest import PROJECT_DIR

VERDICTS = json.loads((PROJECT_DIR / "bench" / "results" / "efficiency_beyond.json").read_text())


def test_reuse_pilot_is_the_default_only_if_never_worse():
    assert DEFAULTS["reuse_pilot"] is VERDICTS["reuse_never_worse"]


def test_score_auto_is_the_default_only_if_never_worse_than_the_best_fixed_score():
    assert (DEFAULTS["score"] == "auto") is VERDICTS["auto_never_worse"]


def test_corrected_intervals_cover_within_monte_carlo_error():
    # 600 intervals per cell: a binomial SE of 0.009 around 0.95; the slopes of
    # one replicate are correlated, so allow three of them.
    assert VERDICTS["lcl_coverage_min"] >= 0.95 - 3 * 0.009
