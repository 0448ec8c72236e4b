"""The files a design needs, and ``negsample add-design``, which writes them.

Every model of a design is a thin file that calls the package: a SQL model
is one call of the macro ``negsample.design_model(design, kind)``, a dbt
Python model (whose ``ref``s dbt needs written literally) calls a function
of ``negsample.runtime.dbt_models``. A properties file describes the design's
models, columns and data tests. The package's own models, the default
design ``negsample``, are written by the same code (``write_package_files``),
so the two cannot drift apart; a test holds the package's files to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from negsample import contract

DEFAULT_DESIGN = "negsample"

#: The SQL models of a design, in build order (macros/config/contract.sql).
SQL_KINDS = tuple(k["kind"] for k in contract.MODEL_KINDS if k["language"] == "sql")
#: The dbt Python models of a design, with the refs each passes on.
PYTHON_KINDS = {
    k["kind"]: tuple(k["refs"]) for k in contract.MODEL_KINDS if k["language"] == "python"
}
#: The materialization of each model (the package's dbt_project.yml and a
#: named design's properties file say it; a project may override it, and a
#: frozen design's stores are incremental).
MATERIALIZED = {k["kind"]: k["materialized"] for k in contract.MODEL_KINDS}
#: Adapters whose dbt Python models run (dbt-duckdb, -databricks, -snowflake, -bigquery).
PYTHON_ADAPTERS = contract.PYTHON_ADAPTERS

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class DesignError(ValueError):
    """A design that cannot be written; the message says why."""


def _settings_expr(design: str) -> str:
    """Jinja for a named design's settings mapping, in a properties file (vars only)."""
    return f"((var('negsample:designs', {{}}) or {{}}).get('{design}') or {{}})"


def _setting_expr(design: str, setting: str, default: str) -> str:
    if design == DEFAULT_DESIGN:
        return f"var('negsample:{setting}', '{default}')"
    return f"{_settings_expr(design)}.get('{setting}', '{default}')"


def _engine_expr(design: str) -> str:
    """Jinja for the design's fit_engine setting, as given (vars only)."""
    if design == DEFAULT_DESIGN:
        return "var('negsample:fit_engine', 'auto')"
    return f"{_settings_expr(design)}.get('fit_engine', 'auto')"


def _declared_expr(design: str) -> str:
    """Jinja: is the design built? (The macro negsample._design_declared says the same.)"""
    if design == DEFAULT_DESIGN:
        return (
            "var('negsample:source', 'demo_events' if project_name == 'negsample' else none)"
            " is not none"
        )
    return f"'{design}' in (var('negsample:designs', {{}}) or {{}})"


def python_enabled_expr(design: str) -> str:
    """Jinja of a Python model's ``enabled``: the design is built with the Python fit engine.

    The engine is `python`, or `auto` on an adapter that runs dbt Python
    models: the rule of the macro negsample._fit_engine, written with the
    vars alone because a properties file cannot call macros. Their SQL
    twins (<design>_*_model_sql) are enabled by that macro itself.
    """
    adapters = ", ".join(f"'{a}'" for a in PYTHON_ADAPTERS)
    engine = _engine_expr(design)
    return (
        f"{{{{ {_declared_expr(design)} and ({engine} == 'python' or "
        f"({engine} == 'auto' and target.type in [{adapters}])) }}}}"
    )


def _setting_doc(design: str, setting: str) -> str:
    if design == DEFAULT_DESIGN:
        return f"`negsample:{setting}`"
    return f"setting `{setting}` of design {design}"


def _config_block(design: str, kind: str, package: bool, configs: dict[str, dict]) -> str:
    """The `config:` of one model in the properties file (indented, with its newline)."""
    config: dict = {}
    if kind in PYTHON_KINDS:
        config["enabled"] = python_enabled_expr(design)
    if not package and kind in MATERIALIZED:
        config["materialized"] = MATERIALIZED[kind]
    config.update(configs.get(f"{design}_{kind}", {}))
    if not config:
        return ""
    text = yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=False, width=1000)
    return "\n" + "".join(f"    {line}\n" for line in text.splitlines()).rstrip("\n")


def properties_text(design: str, package: bool, configs: dict[str, dict] | None = None) -> str:
    """The properties file of ``design`` (descriptions, columns, data tests, configs).

    ``configs`` holds a named design's model configs as its file has them, so
    that a rewrite keeps what the user set there.
    """
    template = resources.files("negsample.tools").joinpath("templates/design.yml").read_text()
    configs = configs or {}
    if design == DEFAULT_DESIGN:
        settings = "the flat vars negsample:<setting>"
        note = "the package's own models are the default design (edit its template)."
    else:
        settings = "settings under var negsample:designs"
        note = f"`negsample add-design {design}` rewrites it and keeps each model's `config:`."
    defaults = {"id_column": "id", "label_column": "label", "source": ""}

    def substitute(match: re.Match[str]) -> str:
        key, arg = match.group(1), match.group(2)
        if key == "design":
            return design
        if key == "settings":
            return settings
        if key == "edit_note":
            return note
        if key == "setting":
            return _setting_doc(design, arg)
        if key == "column":
            return "{{ " + _setting_expr(design, arg, defaults[arg]) + " }}"
        if key == "config":
            return _config_block(design, arg, package, configs)
        raise KeyError(match.group(0))

    return re.sub(r"\$\{(\w+)(?::(\w+))?\}", substitute, template)


#: Models whose SQL sqlfluff's DuckDB grammar cannot parse (GROUP BY GROUPING
#: SETS), linted under the PostgreSQL grammar, which has it, instead.
SQLFLUFF_DIALECT = {"diagnostics_cells": "postgres"}


def sql_text(design: str, kind: str) -> str:
    lint = f"-- sqlfluff:dialect:{SQLFLUFF_DIALECT[kind]}\n" if kind in SQLFLUFF_DIALECT else ""
    return (
        f"{{# Model {kind} of design {design}, written by `negsample add-design`: "
        "the SQL is the package's. #}\n"
        + lint
        + f"{{{{ negsample.design_model('{design}', '{kind}') }}}}\n"
    )


def python_text(design: str, kind: str) -> str:
    refs = PYTHON_KINDS[kind]
    arguments = "".join(f'        {ref}=dbt.ref("{design}_{ref}"),\n' for ref in refs)
    return (
        f'"""Model {kind} of design {design}, written by `negsample add-design`.\n\n'
        "dbt needs a Python model's refs written literally; the body is the package's\n"
        f'(negsample.runtime.dbt_models.{kind}).\n"""\n\n'
        "from typing import Any\n\n"
        "import pandas as pd\n\n"
        f"from negsample.runtime.dbt_models import {kind}\n\n\n"
        "def model(dbt: Any, session: Any) -> pd.DataFrame:\n"
        f"    return {kind}(\n{arguments}    )\n"
    )


@dataclass(frozen=True)
class PlannedFile:
    """A file of a design: where it goes and what it holds."""

    path: Path
    text: str


def _existing_configs(path: Path) -> dict[str, dict]:
    """The `config:` of each model in an existing properties file."""
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text()) or {}
    return {
        model["name"]: model["config"]
        for model in loaded.get("models", [])
        if isinstance(model, dict) and isinstance(model.get("config"), dict)
    }


def design_files(design: str, root: Path, package: bool = False) -> list[PlannedFile]:
    """Every file of ``design``, with the text the installed package gives it.

    A named design's files go to ``models/negsample/<design>/`` under the
    project ``root``; the package's own (``package=True``) to ``models/`` and
    ``python_models/``.
    """
    if package:
        sql_dir = root / "models"
        python_dir = root / "python_models"
        properties = root / "models" / "negsample.yml"
    else:
        sql_dir = python_dir = root / "models" / "negsample" / design
        properties = sql_dir / f"{design}.yml"
    planned = [
        PlannedFile(sql_dir / f"{design}_{kind}.sql", sql_text(design, kind)) for kind in SQL_KINDS
    ]
    planned += [
        PlannedFile(python_dir / f"{design}_{kind}.py", python_text(design, kind))
        for kind in PYTHON_KINDS
    ]
    configs = {} if package else _existing_configs(properties)
    planned.append(PlannedFile(properties, properties_text(design, package, configs)))
    return planned


def declared_designs(root: Path) -> dict:
    """The designs that ``dbt_project.yml`` under ``root`` declares (var ``negsample:designs``)."""
    project = root / "dbt_project.yml"
    if not project.exists():
        raise DesignError(
            f"no dbt_project.yml in {root}; run `negsample add-design` in the root of your "
            "dbt project"
        )
    loaded = yaml.safe_load(project.read_text()) or {}
    designs = (loaded.get("vars") or {}).get("negsample:designs") or {}
    if not isinstance(designs, dict):
        raise DesignError("var 'negsample:designs' in dbt_project.yml is not a mapping of designs")
    return designs


def check_name(design: str, root: Path) -> None:
    """Refuse a design name that add-design cannot write, saying why."""
    if design == DEFAULT_DESIGN:
        raise DesignError(
            "'negsample' is the default design (the package's own models, set by the flat "
            "vars negsample:<setting>); give a named design another name"
        )
    if not NAME.match(design):
        raise DesignError(
            f"'{design}' is not a lowercase identifier (a-z, 0-9 and _, not starting with a "
            "digit); a design's name prefixes its models' names"
        )
    if design not in declared_designs(root):
        raise DesignError(
            f"design '{design}' is not declared in var 'negsample:designs' in "
            f"{root / 'dbt_project.yml'}; declare it there with its settings first"
        )


@dataclass(frozen=True)
class Change:
    """What add-design did, or would do, to one file."""

    path: Path
    # 'created', 'updated', 'unchanged', 'removed' (with check: 'obsolete'), or
    # 'edited': a file it no longer writes, changed by hand, left in place.
    state: str


#: The first line of every model file add-design writes: the kind and the design.
HEADER = re.compile(r"Model (\w+) of design (\w+), written by `negsample add-design`")


def _without_lint_line(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("-- sqlfluff:"))


def _ownership(path: Path) -> str:
    """'written' for a file exactly as add-design writes it, 'edited' for one it
    wrote that was changed since, 'other' for anything else (the user's).

    A model file is add-design's when its name is the one its header gives
    (a copy under another name is the user's); a properties file when it is
    named after its folder's design and says add-design wrote it.
    """
    if not path.is_file():
        return "other"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return "other"
    design = path.parent.name
    if path.suffix == ".yml":
        if path.name != f"{design}.yml" or "Written by `negsample add-design`" not in text:
            return "other"
        ours = properties_text(design, package=False, configs=_existing_configs(path))
        return "written" if text == ours else "edited"
    match = HEADER.search(text[:500])
    if not match or path.name != f"{match.group(2)}_{match.group(1)}{path.suffix}":
        return "other"
    kind, named = match.group(1), match.group(2)
    if path.suffix == ".sql":
        ours = sql_text(named, kind)
    elif kind in PYTHON_KINDS:
        ours = python_text(named, kind)
    else:  # a Python model kind this package no longer has: only its shape is known
        ours = text if f"from negsample.runtime.dbt_models import {kind}\n" in text else None
    same = ours is not None and _without_lint_line(text) == _without_lint_line(ours)
    return "written" if same else "edited"


def _obsolete(planned: list[PlannedFile], candidates: list[Path]) -> list[tuple[Path, str]]:
    """Files add-design wrote once that the installed package no longer writes,
    each with its ownership ('written' or 'edited').

    A model kind the package dropped or renamed would otherwise stay behind
    and still build. Only a file exactly as add-design wrote it is removed;
    one edited since is reported and left, and the user's own files are
    never listed.
    """
    kept = {item.path.resolve() for item in planned}
    found = []
    for path in sorted(candidates):
        if path.resolve() in kept:
            continue
        owner = _ownership(path)
        if owner != "other":
            found.append((path, owner))
    return found


def _apply(
    planned: list[PlannedFile], check: bool, obsolete: list[tuple[Path, str]] = ()
) -> list[Change]:
    """Write each planned file whose text differs and remove each obsolete one
    (unless ``check``); say what changed."""
    changes = []
    for item in planned:
        current = item.path.read_text() if item.path.exists() else None
        if current == item.text:
            changes.append(Change(item.path, "unchanged"))
            continue
        changes.append(Change(item.path, "created" if current is None else "updated"))
        if not check:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_text(item.text)
    for path, owner in obsolete:
        if owner == "edited":
            changes.append(Change(path, "edited"))
            continue
        changes.append(Change(path, "obsolete" if check else "removed"))
        if not check:
            path.unlink()
    return changes


def _design_dir(root: Path, design: str) -> Path:
    return root / "models" / "negsample" / design


def _files_in(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.is_dir() else []


def add_design(design: str, root: Path, check: bool = False) -> list[Change]:
    """Write design ``design``'s files under ``root`` (or, with ``check``, only compare).

    Idempotent: a file that already holds its text is left alone. Returns
    what happened (or would happen) to each file.
    """
    root = root.resolve()
    check_name(design, root)
    planned = design_files(design, root)
    return _apply(planned, check, _obsolete(planned, _files_in(_design_dir(root, design))))


def remove_undeclared(root: Path, check: bool = False) -> list[Change]:
    """The files add-design wrote for designs no longer declared: removed (or, with
    ``check``, reported), so that dropping a design from the var is one command."""
    root = root.resolve()
    declared = declared_designs(root)
    parent = root / "models" / "negsample"
    candidates = [
        path
        for directory in _files_in(parent)
        if directory.is_dir() and directory.name not in declared
        for path in _files_in(directory)
    ]
    changes = _apply([], check, _obsolete([], candidates))
    if not check:
        for directory in {change.path.parent for change in changes}:
            if not any(directory.iterdir()):
                directory.rmdir()
    return changes


def project_text(current: str) -> str:
    """The package's dbt_project.yml with its models' materializations from MATERIALIZED.

    The block under ``models: negsample:`` is the default design's
    materializations, one line per kind in build order; the rest of the file
    is kept as it is.
    """
    lines = [
        f"    {DEFAULT_DESIGN}_{kind}: {{+materialized: {materialized}}}\n"
        for kind, materialized in MATERIALIZED.items()
    ]
    block = re.compile(r"(^models:\n  negsample:\n)((?:    .*\n)*)", re.M)
    if not block.search(current):
        raise DesignError("dbt_project.yml has no `models: negsample:` block to write")
    return block.sub(lambda m: m.group(1) + "".join(lines), current, count=1)


def write_package_files(root: Path, check: bool = False) -> list[Change]:
    """The package's own model files (the default design) and materializations, written
    or compared."""
    project = root / "dbt_project.yml"
    planned = design_files(DEFAULT_DESIGN, root, package=True)
    planned.append(PlannedFile(project, project_text(project.read_text())))
    candidates = [
        *(root / "models").glob("negsample_*"),
        *(root / "python_models").glob("negsample_*"),
    ]
    return _apply(planned, check, _obsolete(planned, candidates))


def main() -> None:
    """Rewrite the package's own model files: ``python -m negsample.tools.scaffold [ROOT]``."""
    import sys

    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    for change in write_package_files(root):
        if change.state != "unchanged":
            print(f"{change.state}: {change.path}")


if __name__ == "__main__":
    main()
