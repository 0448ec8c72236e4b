"""`negsample add-design`: the files of a named design, idempotence, errors, upgrades."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from negsample.tools import cli, scaffold
from tests.conftest import PROJECT_DIR

PROJECT = """name: shop
version: "1.0.0"
config-version: 2
profile: shop
vars:
  "negsample:designs":
    clicks:
      source: stg_clicks
    fraud: {}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text(PROJECT)
    return tmp_path


def add(project: Path, *args: str) -> int:
    return cli.main(["add-design", *args, "--project-dir", str(project)])


def test_writes_thin_model_files_and_a_properties_file(project, capsys):
    assert add(project, "clicks") == 0
    folder = project / "models" / "negsample" / "clicks"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [f"clicks_{kind}.sql" for kind in scaffold.SQL_KINDS]
        + [f"clicks_{kind}.py" for kind in scaffold.PYTHON_KINDS]
        + ["clicks.yml"]
    )
    assert (
        (folder / "clicks_sample.sql")
        .read_text()
        .strip()
        .endswith("{{ negsample.design_model('clicks', 'sample') }}")
    )
    python = (folder / "clicks_final_model.py").read_text()
    # dbt needs the refs literally.
    for ref in ("clicks_source_check", "clicks_sample", "clicks_pilot_coefficients"):
        assert f'dbt.ref("{ref}")' in python
    properties = yaml.safe_load((folder / "clicks.yml").read_text())
    models = {m["name"]: m for m in properties["models"]}
    assert set(models) == {f"clicks_{k}" for k in [*scaffold.SQL_KINDS, *scaffold.PYTHON_KINDS]}
    assert models["clicks_sample"]["config"] == {"materialized": "table"}
    assert models["clicks_scored"]["config"] == {"materialized": "view"}
    assert "clicks" in models["clicks_pilot_model"]["config"]["enabled"]
    assert all(m["description"].strip() for m in models.values())
    assert not (project / "models" / "negsample" / "fraud").exists()
    assert capsys.readouterr().out.count("created:") == len(names)


def test_a_second_run_changes_nothing(project, capsys):
    assert add(project, "--all") == 0
    written = {p: p.read_text() for p in (project / "models").rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in written}
    capsys.readouterr()
    assert add(project, "--all") == 0
    assert {p: p.read_text() for p in written} == written
    assert {p: p.stat().st_mtime_ns for p in written} == mtimes
    out = capsys.readouterr().out
    assert "created" not in out and "updated" not in out
    assert out.count("unchanged:") == len(written) == 2 * (len(scaffold.SQL_KINDS) + 3)


def test_check_reports_out_of_date_files_and_an_upgrade_is_one_command(project, capsys):
    assert add(project, "clicks") == 0
    assert add(project, "clicks", "--check") == 0
    stale = project / "models" / "negsample" / "clicks" / "clicks_scored.sql"
    stale.write_text("-- an older package's text\n")
    capsys.readouterr()
    assert add(project, "clicks", "--check") == 1
    out = capsys.readouterr().out
    assert f"out of date: {stale}" in out
    assert f"1 of {len(scaffold.SQL_KINDS) + len(scaffold.PYTHON_KINDS) + 1} files differ" in out
    assert stale.read_text() == "-- an older package's text\n"  # --check writes nothing
    assert add(project, "clicks") == 0
    assert add(project, "clicks", "--check") == 0


def test_an_upgrade_removes_the_files_the_package_no_longer_writes(project, capsys):
    assert add(project, "clicks") == 0
    directory = project / "models" / "negsample" / "clicks"
    # A model kind an older package wrote and this one does not, and a file of the user's.
    dropped = directory / "clicks_diagnostics_old.sql"
    dropped.write_text(scaffold.sql_text("clicks", "diagnostics_old"))
    own = directory / "clicks_my_mart.sql"
    own.write_text("select * from {{ ref('clicks_scored') }}\n")
    # A copy of a written file, under another name, to customise: the user's.
    copy = directory / "clicks_scored_custom.sql"
    copy.write_text((directory / "clicks_scored.sql").read_text() + "-- my change\n")
    # A dropped kind's file that was edited by hand: reported, never removed.
    edited = directory / "clicks_diagnostics_older.sql"
    edited.write_text(scaffold.sql_text("clicks", "diagnostics_older") + "-- kept\n")
    capsys.readouterr()
    assert add(project, "clicks", "--check") == 1
    out = capsys.readouterr().out
    assert f"obsolete: {dropped}" in out
    assert f"edited by hand (left in place): {edited}" in out
    assert str(own) not in out and str(copy) not in out
    assert f"2 of {len(scaffold.SQL_KINDS) + len(scaffold.PYTHON_KINDS) + 3} files differ" in out
    assert dropped.exists()  # --check writes nothing
    assert add(project, "clicks") == 0
    out = capsys.readouterr().out
    assert f"removed: {dropped}" in out and f"(left in place): {edited}" in out
    assert not dropped.exists() and own.exists() and copy.exists() and edited.exists()
    edited.unlink()
    assert add(project, "clicks", "--check") == 0


def test_all_removes_the_files_of_a_design_no_longer_declared(project, capsys):
    assert add(project, "--all") == 0
    fraud = project / "models" / "negsample" / "fraud"
    written = sorted(fraud.iterdir())
    assert len(written) == len(scaffold.SQL_KINDS) + len(scaffold.PYTHON_KINDS) + 1
    (project / "dbt_project.yml").write_text(PROJECT.replace("    fraud: {}\n", ""))
    capsys.readouterr()
    assert add(project, "--all", "--check") == 1
    out = capsys.readouterr().out
    assert all(f"obsolete: {path}" in out for path in written)
    assert "clicks_" not in out  # the declared design is current
    assert add(project, "--all") == 0
    assert not fraud.exists()
    assert (project / "models" / "negsample" / "clicks").is_dir()
    assert add(project, "--all", "--check") == 0


def test_a_properties_file_edited_by_hand_outlives_its_design(project, capsys):
    assert add(project, "--all") == 0
    properties = project / "models" / "negsample" / "fraud" / "fraud.yml"
    properties.write_text(properties.read_text() + "# a note of the team's\n")
    (project / "dbt_project.yml").write_text(PROJECT.replace("    fraud: {}\n", ""))
    capsys.readouterr()
    assert add(project, "--all") == 0
    out = capsys.readouterr().out
    assert f"edited by hand (left in place): {properties}" in out
    assert properties.exists()
    assert [p.name for p in properties.parent.iterdir()] == ["fraud.yml"]


def test_all_without_a_declared_design_says_so(tmp_path, capsys):
    (tmp_path / "dbt_project.yml").write_text("name: shop\nconfig-version: 2\n")
    assert add(tmp_path, "--all") == 2
    assert "declares no design" in capsys.readouterr().err


def test_a_rewrite_keeps_the_configs_set_in_the_properties_file(project):
    assert add(project, "clicks") == 0
    path = project / "models" / "negsample" / "clicks" / "clicks.yml"
    loaded = yaml.safe_load(path.read_text())
    for model in loaded["models"]:
        if model["name"] == "clicks_scored":
            model["config"] = {"materialized": "table", "tags": ["bi"]}
        if model["name"] == "clicks_sample":
            model["description"] = "edited by hand"
    path.write_text(yaml.safe_dump(loaded, sort_keys=False))
    assert add(project, "clicks") == 0
    models = {m["name"]: m for m in yaml.safe_load(path.read_text())["models"]}
    assert models["clicks_scored"]["config"] == {"materialized": "table", "tags": ["bi"]}
    # Everything else is the package's again.
    assert models["clicks_sample"]["description"] != "edited by hand"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("orders", "design 'orders' is not declared in var 'negsample:designs'"),
        ("Clicks", "'Clicks' is not a lowercase identifier"),
        ("1clicks", "'1clicks' is not a lowercase identifier"),
        ("negsample", "'negsample' is the default design"),
    ],
)
def test_refuses_a_name_it_cannot_write_and_says_why(project, capsys, name, message):
    assert add(project, name) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert not (project / "models").exists()


def test_needs_a_dbt_project(tmp_path, capsys):
    assert add(tmp_path, "clicks") == 2
    assert "no dbt_project.yml" in capsys.readouterr().err


def test_the_package_models_are_the_default_design_written_by_the_same_code():
    changes = scaffold.write_package_files(PROJECT_DIR, check=True)
    # Every model file, the properties file and dbt_project.yml's materializations.
    assert len(changes) == len(scaffold.SQL_KINDS) + len(scaffold.PYTHON_KINDS) + 2
    stale = [str(c.path) for c in changes if c.state != "unchanged"]
    assert not stale, f"run `python -m negsample.tools.scaffold .`: {stale}"


def test_the_package_materializations_are_the_scaffolds():
    # The default design's in dbt_project.yml, a named design's in its
    # properties file: one table (scaffold.MATERIALIZED) says both.
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    models = project["models"]["negsample"]
    configured = {
        name.removeprefix("negsample_"): config["+materialized"]
        for name, config in models.items()
        if isinstance(config, dict) and "+materialized" in config
    }
    assert configured == scaffold.MATERIALIZED
    assert set(configured) == set(scaffold.SQL_KINDS) | set(scaffold.PYTHON_KINDS)
