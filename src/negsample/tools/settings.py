"""A design's settings and their package defaults, as the Python side knows them.

The SQL side resolves settings in the macro ``negsample._config`` (defaults in
``negsample._defaults``); the benchmarks and the tests read the defaults
here, from negsample.contract, which is written from the macros.
"""

from __future__ import annotations

from typing import Any

from negsample import contract

#: The package default of every setting of a design, as the macro
#: negsample._defaults declares it (the default design's source is the demo's
#: only where this package is the root project).
DEFAULTS: dict[str, Any] = contract.DEFAULTS


def flat_var(setting: str) -> str:
    """The default design's var for a setting: ``negsample:<setting>``."""
    if setting not in DEFAULTS:
        raise KeyError(f"unknown setting {setting!r}; the settings are {sorted(DEFAULTS)}")
    return f"negsample:{setting}"
