"""Passes over source-sized relations per `dbt build`, counted from DuckDB's profiles.

dbt writes every statement it sends to the warehouse to its debug log
(`--log-format-file json --log-level-file debug`, events SQLQuery, with the
node that sent it). This module runs a build that way, then replays the
statements in order on a fresh DuckDB file of the same name with DuckDB's
JSON profiling on, one profile per statement, and counts the scans
(TABLE_SCAN operators: tables, views' tables, Parquet) that read at least
90% as many rows as the source has: each such scan is a pass (the scale
sample, the samples and the diagnostics' cells are far smaller, from 1M
rows up). A pass is heavy when an operator above its scan computes the
pilot score t (the column sampling_score). The build uses the SQL fit engine so that
every statement, the fits' too, is in the log (the Python fits read only
the samples either way). Used by bench/scale.py and tests/test_passes.py;
`python bench/passes.py PROJECT_DIR ROWS` runs it alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

TRANSACTIONS = {"begin", "commit", "rollback", "begin transaction"}
#: A scan reading at least this share of the source's rows is a pass.
PASS_SHARE = 0.9
#: The column the pilot score t is computed into: a pass below it is heavy.
SCORE_COLUMN = "sampling_score"


def logged_statements(log: Path) -> list[tuple[str, str]]:
    """(node name, SQL) of every statement in a dbt JSON debug log, in order."""
    out = []
    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("info", {}).get("name") != "SQLQuery":
            continue
        data = event.get("data", {})
        node = (data.get("node_info") or {}).get("node_name") or data.get("conn_name", "")
        sql = data.get("sql", "").strip()
        if sql and sql.lower().rstrip(";") not in TRANSACTIONS:
            out.append((node, sql))
    return out


def _scans(operator: dict, scored: bool = False) -> list[tuple[str, int, bool]]:
    """(name, rows read, whether an operator above it computes the pilot score t) of each scan."""
    extra = operator.get("extra_info", {})
    scored = scored or SCORE_COLUMN in str(extra.get("Projections", ""))
    found = []
    if operator.get("type") == "TABLE_SCAN":
        name = extra.get("Table") or extra.get("Function") or operator.get("name", "")
        found.append((str(name), int(operator.get("rows_scanned", 0)), scored))
    for child in operator.get("children", []):
        found += _scans(child, scored)
    return found


def replay(
    statements: list[tuple[str, str]], database: Path, settings: dict[str, str], profiles: Path
) -> list[tuple[str, list[tuple[str, int]]]]:
    """Run ``statements`` on ``database`` with one JSON profile each; the scans of each."""
    profiles.mkdir(parents=True, exist_ok=True)
    out = []
    with duckdb.connect(str(database)) as con:
        for key, value in settings.items():
            con.execute(f"set {key} = '{value}'")
        con.execute("pragma enable_profiling = 'json'")
        for index, (node, sql) in enumerate(statements):
            target = profiles / f"{index:05d}.json"
            con.execute(f"pragma profiling_output = '{target}'")
            # A select streams its rows: fetch them, so the query runs to its end.
            con.execute(sql).fetchall()
            scans = []
            if target.exists():
                profile = json.loads(target.read_text())
                for operator in profile.get("operator", []):
                    scans += _scans(operator)
                target.unlink()
            out.append((node, scans))
    return out


def count_passes(
    project: Path,
    work: Path,
    env: dict[str, str],
    rows: int,
    extra_vars: dict | None = None,
    build_args: tuple[str, ...] = (),
    start_from: Path | None = None,
) -> dict:
    """Build ``project`` (SQL fit engine) logging every statement; count each node's passes.

    ``extra_vars`` are passed to the build with the fit engine (e.g. a setting
    whose passes are compared), ``build_args`` too (e.g. an --exclude).
    ``start_from`` is a database file the replay starts from (tables the
    build reads but does not make, such as seeds loaded before it).
    """
    import shutil

    dbt = str(Path(sys.executable).with_name("dbt"))
    logs = work / "pass-logs"
    shutil.rmtree(logs, ignore_errors=True)
    env = {**env, "DBT_LOG_PATH": str(logs)}
    variables = json.dumps({"negsample:fit_engine": "sql", **(extra_vars or {})})
    common = ["--project-dir", str(project), "--profiles-dir", str(project)]
    subprocess.run(
        [
            dbt,
            "--log-format-file",
            "json",
            "--log-level-file",
            "debug",
            "build",
            "--vars",
            variables,
            *build_args,
            *common,
        ],
        env=env,
        cwd=project,
        check=True,
        capture_output=True,
    )
    statements = logged_statements(logs / "dbt.log")
    database = Path(env["NEGSAMPLE_DUCKDB_PATH"])
    replayed = work / "replay" / database.name
    replayed.parent.mkdir(parents=True, exist_ok=True)
    replayed.unlink(missing_ok=True)
    if start_from is not None:
        shutil.copy(start_from, replayed)
    settings = {
        "memory_limit": env.get("NEGSAMPLE_MEMORY_LIMIT", "3GB"),
        "preserve_insertion_order": "false",
    }
    passes: Counter[str] = Counter()
    heavy: Counter[str] = Counter()
    replayed_scans = replay(statements, replayed, settings, work / "profiles")
    for node, scans in replayed_scans:
        full = [scored for _, scanned, scored in scans if scanned >= PASS_SHARE * rows]
        passes[node] += len(full)
        heavy[node] += sum(full)
    return {
        "total": sum(passes.values()),
        "heavy": sum(heavy.values()),
        "by_node": {n: c for n, c in sorted(passes.items()) if c},
        "heavy_by_node": {n: c for n, c in sorted(heavy.items()) if c},
    }


def main() -> None:
    project, rows = Path(sys.argv[1]), int(float(sys.argv[2]))
    work = project.parent
    import os

    result = count_passes(project, work, dict(os.environ), rows)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
