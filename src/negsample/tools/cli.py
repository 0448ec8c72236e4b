"""The ``negsample`` command: ``report``, ``simulate`` and ``add-design``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from negsample.tools import demo


def _positive_int(text: str) -> int:
    # int() accepts 300_000_000; a float spelling such as 3e8 is accepted when exact.
    try:
        value = int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
        value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="negsample",
        description="Designs, diagnostics report and demo data for the negsample dbt package.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    report = commands.add_parser(
        "report",
        help="write an HTML report of the diagnostics tables",
        description="Read the tables `dbt build` wrote to a DuckDB file and write "
        "DIR/report.html, self-contained (figures embedded as PNG).",
    )
    report.add_argument("--database", type=Path, required=True, help="DuckDB file dbt built")
    report.add_argument("--out", type=Path, required=True, help="directory for report.html")
    report.add_argument("--schema", default="main", help="schema of the tables (default: main)")
    report.add_argument(
        "--design",
        default="negsample",
        help="the design whose tables to read (default: negsample, the default design)",
    )
    report.add_argument(
        "--save-figures",
        action="store_true",
        help="also write each figure as DIR/<name>.png",
    )

    simulate = commands.add_parser(
        "simulate",
        help="write demo data of any size to Parquet",
        description="Draw rows from the demo's known logistic model "
        "(negsample.tools.demo.TRUE_COEFFICIENTS) and write them to Parquet in chunks, "
        "so any number of rows fits in memory. With --rows up to --chunk-rows "
        "the rows are those of the demo seed's generator for the same --seed.",
    )
    simulate.add_argument("--rows", type=_positive_int, required=True, help="rows to write")
    simulate.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    simulate.add_argument("--seed", type=int, default=demo.DEMO_SEED, help="generator seed")
    simulate.add_argument(
        "--chunk-rows",
        type=_positive_int,
        default=demo.CHUNK_ROWS,
        help=f"rows per chunk and Parquet row group (default {demo.CHUNK_ROWS:_})",
    )
    simulate.add_argument("--quiet", action="store_true", help="no progress bar")

    add = commands.add_parser(
        "add-design",
        help="write the model files of named designs",
        description="Write the files that the designs NAME (declared in var "
        "negsample:designs of dbt_project.yml) need: thin model files that call the "
        "package, and a properties file, under models/negsample/NAME/. Idempotent: a "
        "file that already holds its text is left alone; a rewrite keeps each model's "
        "`config:` in the properties file; a file it once wrote, unchanged since, that the "
        "installed package no longer writes is removed (one edited by hand is reported and "
        "left), and with --all so are the files of designs no longer declared. With "
        "--check, only report files that differ from what the installed package writes, "
        "or are obsolete (exit status 1 if any).",
    )
    add.add_argument("names", nargs="*", metavar="NAME", help="design names")
    add.add_argument("--all", action="store_true", help="every declared design")
    add.add_argument(
        "--project-dir", type=Path, default=Path("."), help="root of the dbt project (default: .)"
    )
    add.add_argument(
        "--check", action="store_true", help="report out-of-date and obsolete files, write nothing"
    )
    return parser


def _add_design(args: argparse.Namespace) -> int:
    from negsample.tools.scaffold import (
        DesignError,
        add_design,
        declared_designs,
        remove_undeclared,
    )

    try:
        names = list(args.names)
        if args.all:
            declared = declared_designs(args.project_dir)
            if not declared and not names:
                raise DesignError(
                    "var 'negsample:designs' in dbt_project.yml declares no design; "
                    "declare one there with its settings first"
                )
            names += [n for n in declared if n not in names]
        if not names:
            raise DesignError("name at least one design, or give --all")
        changes = [
            change for name in names for change in add_design(name, args.project_dir, args.check)
        ]
        if args.all:
            changes += remove_undeclared(args.project_dir, args.check)
    except DesignError as err:
        print(f"negsample add-design: {err}", file=sys.stderr)
        return 2
    stale = [c for c in changes if c.state != "unchanged"]
    for change in changes:
        verb = {"created": "would create", "updated": "out of date"} if args.check else {}
        verb["edited"] = "no longer written, but edited by hand (left in place)"
        if change.state != "unchanged" or not args.check:
            print(f"{verb.get(change.state, change.state)}: {change.path}")
    if args.check:
        print(f"{len(stale)} of {len(changes)} files differ from the installed package")
        return 1 if stale else 0
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``negsample`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "add-design":
        return _add_design(args)
    if args.command == "report":
        # Imported here so that `negsample simulate` does not pay for matplotlib.
        from negsample.tools.report import write_report

        try:
            path = write_report(
                args.database, args.out, args.schema, args.save_figures, args.design
            )
        except (FileNotFoundError, LookupError) as err:
            print(f"negsample report: {err}", file=sys.stderr)
            return 1
        print(f"wrote {path}")
        return 0
    if args.out.parent and not args.out.parent.exists():
        args.out.parent.mkdir(parents=True)
    rows, positives = demo.write_parquet(
        args.out, args.rows, args.seed, args.chunk_rows, progress=not args.quiet
    )
    print(f"wrote {rows:,} rows, {positives:,} positive, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
