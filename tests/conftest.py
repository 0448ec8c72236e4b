"""Shared fixtures: run dbt against a throwaway DuckDB file and query it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from negsample.tools import demo

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))


class DbtRun:
    """The outcome of one dbt invocation."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.returncode = proc.returncode
        self.output = proc.stdout + proc.stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_env(database: Path, threads: int = 2) -> dict[str, str]:
    """dbt's environment for a build on ``database``: its target/ and logs/ beside it."""
    work = database.parent / f"{database.stem}_dbt"
    return {
        **os.environ,
        "NEGSAMPLE_DUCKDB_PATH": str(database),
        "NEGSAMPLE_THREADS": str(threads),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(
    args: list[str],
    database: Path,
    variables: dict | None = None,
    project_dir: Path = PROJECT_DIR,
    check: bool = True,
    threads: int = 2,
) -> DbtRun:
    """Run ``dbt <args>`` on ``database``, keeping target/ and logs/ beside it."""
    env = dbt_env(database, threads)
    cmd = [DBT, *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if variables:
        cmd += ["--vars", json.dumps(variables)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=project_dir)
    result = DbtRun(proc)
    if check and not result.ok:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.output[-6000:]}")
    return result


def package_project(
    root: Path,
    name: str,
    variables: dict,
    demo_seed: int,
    profiles: str | None = None,
    extra: str = "",
) -> Path:
    """A throwaway dbt project that installs this package with ``local:``.

    It has the given vars, an empty models/ for the caller's sources, and the
    5,000-row demo (drawn with ``demo_seed``) as the seed ``base_events``.
    ``profiles`` replaces the package's profiles.yml when given; ``extra`` is
    appended to its dbt_project.yml.
    """
    project = root / "project"
    (project / "models").mkdir(parents=True)
    (project / "seeds").mkdir()
    if profiles is None:
        shutil.copy(PROJECT_DIR / "profiles.yml", project / "profiles.yml")
    else:
        (project / "profiles.yml").write_text(profiles)
    (project / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n")
    var_lines = "".join(f"  '{key}': {json.dumps(value)}\n" for key, value in variables.items())
    (project / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '0.1.0'\nconfig-version: 2\nprofile: negsample\n"
        f"vars:{'' if var_lines else ' {}'}\n{var_lines}"
        f"seeds:\n  {name}:\n    base_events:\n"
        "      +column_types: {id: bigint, label: integer, channel: varchar}\n" + extra
    )
    demo.generate(5000, seed=demo_seed).to_csv(project / "seeds" / "base_events.csv", index=False)
    return project


def final_scores_sql(design: str = "negsample", id_column: str = "id", label: str = "label") -> str:
    """Every row's pilot and final-fit log odds (before the intercept update) and pi."""
    return (
        f"select s.{id_column}, s.{label}, p.pilot_logit, p.pilot_prob, p.sampling_prob, "
        "p.is_sampled, s.corrected_logit - case when u.is_applied then u.intercept_delta "
        "else 0.0 end as final_logit "
        f"from {design}_scored as s "
        f"inner join {design}_sampling_probs as p on s.{id_column} = p.{id_column} "
        f"cross join {design}_intercept_update as u"
    )


def query(database: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DbtRun]:
    """The demo pipeline built once with default vars (``dbt build``, data tests included).

    The build is not required to pass: tests read its tables, and
    test_pipeline.py holds its data tests to passing, so that a mistake
    they catch fails that test, not every test's set-up.
    """
    database = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return database, run_dbt(["build"], database, check=False)


@pytest.fixture(scope="session")
def demo_db(demo_build: tuple[Path, DbtRun]) -> Path:
    """The demo build's database (every model built; see demo_build)."""
    database, run = demo_build
    if not database.exists():
        raise AssertionError(f"the demo build made no database:\n{run.output[-6000:]}")
    return database


def data_test_results(database: Path) -> dict[str, str]:
    """{data test name: status} of the last dbt build on ``database`` (its run_results.json)."""
    results = dbt_env(database)["DBT_TARGET_PATH"]
    loaded = json.loads((Path(results) / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[2]: r["status"]
        for r in loaded["results"]
        if r["unique_id"].startswith("test.")
    }


@pytest.fixture()
def demo_copy(demo_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the demo database that a test may rebuild parts of."""
    database = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, database)
    yield database


# --------------------------------------------------------------------------
# The fast tier and the workers' schedule

# Test files run first, longest first, so that no long file starts last on
# an otherwise idle worker (pytest --durations on two cores).
LONGEST_FIRST = (
    "tests/test_mutations.py",
    "tests/test_spark.py",
    "tests/test_frozen.py",
    "tests/test_postgres.py",
    "tests/test_guardrails.py",
    "tests/test_score_choice.py",
    "tests/test_designs.py",
    "tests/test_sql_matches_reference.py",
)


def mutation_guards() -> set[str]:
    """The node ids of every guard of the mutation check (tests/test_mutations.py)."""
    from tests.test_mutations import MUTATIONS

    return {guard for mutation in MUTATIONS for guard in mutation.guards}


@cache
def mutation_guard_ids() -> frozenset[str]:
    return frozenset(mutation_guards())


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark each guard of the mutation check `core`, as it is collected (before `-m` selects).

    The fast tier is the guards plus the files marked `core` as a whole,
    so a guard added to the mutation check is in the tier without a second
    edit.
    """
    if item.nodeid in mutation_guard_ids():
        item.add_marker(pytest.mark.core)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first; a stable sort keeps each file's own order.

    `--dist loadscope` hands each file (each class of the mutation check)
    whole to a worker, in this order.
    """
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
