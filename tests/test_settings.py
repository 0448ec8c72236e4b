"""One configuration path: settings normalised and checked once, meaning the same everywhere.

A list given as one name is a one-element list and a null list is empty;
booleans are YAML booleans or true/false text in any case, in SQL, in Python
and in the materialization rules alike; a project that installs negsample
without a source builds no negsample relation; its materializations can be
overridden from the project.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, package_project, query, run_dbt

pytestmark = pytest.mark.dbt

OVERRIDE = """models:
  negsample:
    negsample_scored:
      +materialized: table
"""


@pytest.fixture(scope="module")
def settings_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project installing negsample on base_events, seeded; returns (project, database)."""
    root = tmp_path_factory.mktemp("settings")
    project = package_project(
        root, "settings", {"negsample:source": "base_events"}, demo_seed=8, extra=OVERRIDE
    )
    database = root / "settings.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["seed"], database, project_dir=project)
    return project, database


def model_configs(project: Path, database: Path, variables: dict) -> dict[str, dict]:
    run = run_dbt(
        ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "name config"],
        database,
        variables=variables,
        project_dir=project,
    )
    nodes = [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]
    return {node["name"]: node["config"] for node in nodes}


@pytest.mark.parametrize(
    ("value", "frozen"),
    [(False, False), ("false", False), ("FALSE", False), (True, True), ("True", True)],
)
def test_booleans_mean_the_same_in_every_rule(settings_project, value, frozen):
    project, database = settings_project
    configs = model_configs(project, database, {"negsample:freeze_design": value})
    expected = "incremental" if frozen else "table"
    assert configs["negsample_pilot_coefficients"]["materialized"] == expected
    assert configs["negsample_sampling_scale"]["materialized"] == expected


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"negsample:freeze_design": "yes"},
            "var 'negsample:freeze_design' is 'yes'; expected true or false",
        ),
        (
            {"negsample:recalibrate_intercept": 1},
            "var 'negsample:recalibrate_intercept' is '1'; expected true or false",
        ),
        (
            {"negsample:numeric_features": {"a": 1}},
            "var 'negsample:numeric_features' is {'a': 1}; expected a list of column names",
        ),
        (
            {"negsample:source": "source:raw"},
            "var 'negsample:source' is 'source:raw'; expected the name of a model or seed, "
            "or source:<source_name>.<table_name>",
        ),
        (
            {"negsample:designs": {"Clicks": {"source": "base_events"}}},
            "var 'negsample:designs' declares the design 'Clicks'; a design's name must be a "
            "lowercase identifier",
        ),
        (
            {"negsample:designs": {"negsample": {"source": "base_events"}}},
            "var 'negsample:designs' declares a design named 'negsample'",
        ),
        ({"negsample:designs": ["clicks"]}, "var 'negsample:designs' is ['clicks']; expected a"),
    ],
    ids=[
        "boolean",
        "boolean-number",
        "list",
        "source",
        "design-name",
        "design-negsample",
        "designs",
    ],
)
def test_a_bad_setting_stops_parsing_and_names_the_var(settings_project, variables, message):
    project, database = settings_project
    run = run_dbt(["parse"], database, variables=variables, project_dir=project, check=False)
    assert not run.ok
    assert message in " ".join(run.output.split()), run.output[-2000:]


def test_one_name_is_a_list_a_null_list_is_empty_and_false_text_is_false(
    settings_project, tmp_path
):
    project, database = settings_project
    copy = tmp_path / "list.duckdb"
    shutil.copy(database, copy)
    variables = {
        "negsample:numeric_features": "balance",
        "negsample:categorical_features": None,
        "negsample:recalibrate_intercept": "False",
    }
    run_dbt(["build", "--exclude", "resource_type:seed"], copy, variables, project)
    terms = query(copy, "select distinct model, term from negsample_coefficients")
    for model in ("pilot", "final", "ipw"):
        assert sorted(terms.loc[terms["model"] == model, "term"]) == ["balance", "intercept"]
    update = query(copy, "select * from negsample_intercept_update").iloc[0]
    assert not update["is_applied"] and update["intercept_delta"] != 0
    gap = query(
        copy,
        "select max(abs(s.corrected_logit - (c.estimate + b.estimate * s.balance))) as gap "
        "from negsample_scored as s "
        "cross join (select estimate from negsample_coefficients "
        "where model = 'final' and term = 'intercept') as c "
        "cross join (select estimate from negsample_coefficients "
        "where model = 'final' and term = 'balance') as b",
    )
    assert gap["gap"].iloc[0] < 1e-12  # no update added


def test_materialization_is_overridden_from_the_installing_project(settings_project, tmp_path):
    project, database = settings_project
    copy = tmp_path / "override.duckdb"
    shutil.copy(database, copy)
    run_dbt(["build", "--exclude", "resource_type:seed"], copy, project_dir=project)
    kinds = query(
        copy,
        "select table_name, table_type from information_schema.tables "
        "where table_name in ('negsample_scored', 'negsample_sampling_probs')",
    )
    assert dict(zip(kinds["table_name"], kinds["table_type"], strict=True)) == {
        "negsample_scored": "BASE TABLE",  # the project's override
        "negsample_sampling_probs": "VIEW",  # the package's own choice
    }
    assert query(copy, "select count(*) as n from negsample_scored")["n"].iloc[0] == 5000


def test_without_a_source_the_package_builds_nothing(settings_project):
    project, database = settings_project
    configs = model_configs(project, database, {"negsample:source": None})
    assert not [name for name in configs if name.startswith("negsample_")]
    seeds = run_dbt(
        ["ls", "--resource-type", "seed", "--output", "name"],
        database,
        variables={"negsample:source": None},
        project_dir=project,
    )
    assert "demo_events" not in seeds.output and "base_events" in seeds.output


def test_an_unknown_setting_of_a_design_is_named(settings_project, tmp_path):
    project, database = settings_project
    copy = tmp_path / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("target", "logs"))
    settings = yaml.safe_load((copy / "dbt_project.yml").read_text())
    settings["vars"]["negsample:designs"] = {"shop": {"source": "base_events"}}
    (copy / "dbt_project.yml").write_text(yaml.safe_dump(settings))
    from negsample.tools import cli

    assert cli.main(["add-design", "shop", "--project-dir", str(copy)]) == 0
    variables = {"negsample:designs": {"shop": {"source": "base_events", "sampling_rte": 0.1}}}
    run = run_dbt(["parse"], database, variables=variables, project_dir=copy, check=False)
    assert not run.ok
    assert "design 'shop' (var 'negsample:designs') has unknown settings: sampling_rte" in " ".join(
        run.output.split()
    )
    # Undeclared, its files stop the parse with the way out.
    run = run_dbt(
        ["parse"], database, variables={"negsample:designs": {}}, project_dir=copy, check=False
    )
    assert "design 'shop' has models in this project" in " ".join(run.output.split())


def test_required_dbt_version_is_the_one_the_tests_run_on():
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    pin = re.search(r'"dbt-core(>=[\d.]+,<[\d.]+)"', (PROJECT_DIR / "pyproject.toml").read_text())
    low, high = pin.group(1).split(",")
    assert project["require-dbt-version"] == [f"{low}.0", f"{high}.0"]
    from dbt.version import __version__

    assert __version__.startswith(low.removeprefix(">=") + ".")
