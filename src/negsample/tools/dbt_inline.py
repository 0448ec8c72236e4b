"""Render SQL with the package's macros through `dbt compile --inline`, building nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def compile_inline(sql: str, project_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The SQL that ``dbt compile --inline`` renders from ``sql`` in ``project_dir``.

    ``env`` adds to the environment (e.g. NEGSAMPLE_DUCKDB_PATH, DBT_TARGET_PATH
    to keep dbt's files out of the project). dbt is the one beside this Python.
    """
    dbt = str(Path(sys.executable).with_name("dbt"))
    command = [dbt, "compile", "--quiet", "--inline", sql]
    command += ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=project_dir,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt compile --inline failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout.strip()
