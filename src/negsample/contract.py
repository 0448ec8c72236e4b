"""The lists the SQL and the Python side share, as the dbt package declares them.

src/negsample/contract.json is written from the macro negsample._contract
(macros/config/contract.sql) by ``python -m negsample.tools.contract``; a
test fails when it differs. Read it here, never restate it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).with_name("contract.json")
CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text())

#: Every setting's package default (a named design's: no source).
DEFAULTS: dict[str, Any] = CONTRACT["defaults"]
#: The model kinds of a design, in build order (kind, language, materialized, refs).
MODEL_KINDS: list[dict[str, Any]] = CONTRACT["model_kinds"]
#: The adapters whose dbt Python models run (the Python fit engine).
PYTHON_ADAPTERS: tuple[str, ...] = tuple(CONTRACT["python_adapters"])
#: The score modes, simplest first.
SCORE_MODES: tuple[str, ...] = tuple(CONTRACT["score_modes"])
#: The fits' limits (both engines).
FIT_LIMITS: dict[str, float] = CONTRACT["fit_limits"]
#: The fits' failure messages: {what} names the fit, {name} a column, {limit} a limit.
FIT_MESSAGES: dict[str, str] = CONTRACT["fit_messages"]
