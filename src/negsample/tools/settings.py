"""A design's settings and their package defaults, as the Python side knows them.

The SQL side resolves settings in the macro ``negsample._config`` (defaults in
``negsample._defaults``); the benchmarks and the tests read the defaults
here. ``tests/test_settings.py`` holds the two to the same values.
"""

from __future__ import annotations

from typing import Any

#: The package default of every setting of a design (the default design's
#: source is the demo's only where this package is the root project).
DEFAULTS: dict[str, Any] = {
    "source": None,
    "id_column": "id",
    "label_column": "label",
    "numeric_features": ["tenure_months", "balance", "is_mobile", "sessions_30d"],
    "categorical_features": ["channel"],
    "passthrough_columns": [],
    "sampling_rate": 0.05,
    "pilot_ratio": 1,
    "score": "a_optimal",
    "floor": 0.1,
    "budget": "paper",
    "seed": 42,
    "pilot_score_column": None,
    "fit_engine": "auto",
    "freeze_design": False,
    "recalibrate_intercept": True,
    "persist_scores": True,
    "reuse_pilot": True,
    "max_levels": 100,
    "null_features": "error",
    "pilot_coefficients": None,
    "pilot_information": None,
    "final_coefficients": None,
}


def flat_var(setting: str) -> str:
    """The default design's var for a setting: ``negsample:<setting>``."""
    if setting not in DEFAULTS:
        raise KeyError(f"unknown setting {setting!r}; the settings are {sorted(DEFAULTS)}")
    return f"negsample:{setting}"
