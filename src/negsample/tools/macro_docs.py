"""Write each macro folder's schema.yml from the macros' own header comments.

A macro's description in dbt's docs is the comment above it (``{#- ... -#}``),
so the two cannot drift; only the arguments' types and descriptions are
written by hand in the YAML, and this keeps them. A macro without a header
comment, or whose documented arguments are not its signature's, is an
error. ``python -m negsample.tools.macro_docs [--check]`` rewrites the files,
or with --check exits 1 when one differs (tests/test_docs.py runs it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

MACROS = Path(__file__).resolve().parents[3] / "macros"
# A header comment, then the macro or test it describes.
DEFINITION = re.compile(
    r"(?:\{#-?(?P<comment>(?:(?!#\}).)*?)-?#\}\s*)?"
    r"\{%-?\s*(?P<kind>macro|test)\s+(?P<name>\w+)\s*\((?P<args>.*?)\)\s*-?%\}",
    re.S,
)


class MacroDocError(ValueError):
    """A macro that cannot be documented; the message names it."""


ADAPTERS = {
    "default": "The portable",
    "duckdb": "DuckDB's",
    "spark": "Spark's (and Databricks')",
    "postgres": "PostgreSQL's",
    "redshift": "Redshift's",
    "snowflake": "Snowflake's",
    "bigquery": "BigQuery's",
}
DISPATCHED = re.compile(rf"^({'|'.join(ADAPTERS)})__(\w+)$")


def _description(comment: str | None, name: str, path: Path) -> str:
    """The header comment as one line; a dispatch implementation without one says whose it is."""
    if comment and comment.strip():
        return " ".join(comment.split())
    dispatched = DISPATCHED.match(name)
    if dispatched:
        return (
            f"{ADAPTERS[dispatched[1]]} implementation of {dispatched[2]} (adapter.dispatch); "
            "see that macro."
        )
    raise MacroDocError(f"{path.name}: {name} has no header comment to describe it")


def definitions(folder: Path) -> list[tuple[str, list[str], str]]:
    """(name, argument names, description) of every macro and test in ``folder``'s .sql files."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        for match in DEFINITION.finditer(path.read_text()):
            name = match["name"]
            if match["kind"] == "test":
                name = f"test_{name}"
            args = [a.split("=")[0].strip() for a in match["args"].split(",") if a.strip()]
            found.append((name, args, _description(match["comment"], name, path)))
    return found


class _Dumper(yaml.SafeDumper):
    """Long texts as folded scalars, as the hand-written YAML had them."""


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = ">" if len(data) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text)


def schema_text(folder: Path) -> str:
    """The schema.yml of ``folder``: descriptions from the comments, arguments as documented."""
    path = folder / "schema.yml"
    documented = {}
    if path.exists():
        documented = {m["name"]: m for m in (yaml.safe_load(path.read_text()) or {})["macros"]}
    macros = []
    for name, args, description in definitions(folder):
        arguments = documented.get(name, {}).get("arguments", [])
        if [a["name"] for a in arguments] != args:
            raise MacroDocError(
                f"{folder.name}/schema.yml documents {name}'s arguments as "
                f"{[a['name'] for a in arguments]}, its signature has {args}"
            )
        entry = {"name": name, "description": description}
        if arguments:
            entry["arguments"] = arguments
        macros.append(entry)
    body = yaml.dump({"version": 2, "macros": macros}, Dumper=_Dumper, sort_keys=False, width=88)
    return "# Written by `python -m negsample.tools.macro_docs` from the macros' comments.\n" + body


def folders() -> list[Path]:
    return sorted({path.parent for path in MACROS.rglob("*.sql")})


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for folder in folders():
        text = schema_text(folder)
        path = folder / "schema.yml"
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text)
    for path in stale:
        print(f"{'differs' if check else 'wrote'}: {path}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
