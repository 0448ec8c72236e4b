"""Write src/negsample/contract.json from the dbt package's macro negsample._contract.

The lists both sides must agree on (defaults, model kinds, Python adapters,
score modes, the fits' limits and messages) are declared once, in
macros/config/contract.sql; the Python package reads them from the JSON this
writes. ``python -m negsample.tools.contract [--check]`` rewrites it, or with
--check exits 1 when it differs (tests/test_contract.py runs the check).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from negsample.tools.dbt_inline import compile_inline

PACKAGE_ROOT = Path(__file__).resolve().parents[3]
# Where negsample.contract reads it (not imported: it may not parse yet).
CONTRACT_PATH = Path(__file__).resolve().parents[1] / "contract.json"


def rendered_contract(project_dir: Path = PACKAGE_ROOT) -> str:
    """The contract as the macros declare it, as the JSON text the package ships."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "NEGSAMPLE_DUCKDB_PATH": str(Path(tmp) / "contract.duckdb"),
            "DBT_TARGET_PATH": str(Path(tmp) / "target"),
            "DBT_LOG_PATH": str(Path(tmp) / "logs"),
        }
        text = compile_inline("{{ tojson(negsample._contract()) }}", project_dir, env)
    return json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"


def main() -> int:
    text = rendered_contract()
    if "--check" in sys.argv[1:]:
        same = CONTRACT_PATH.read_text() == text
        print("contract.json is current" if same else "contract.json differs from the macros")
        return 0 if same else 1
    CONTRACT_PATH.write_text(text)
    print(f"wrote {CONTRACT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
