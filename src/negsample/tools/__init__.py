"""Tooling around the package: the command line, add-design, the report, the demo data."""
