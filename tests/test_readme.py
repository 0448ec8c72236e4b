"""Every figure the documents quote is what its script computes from its results.

The demo's figures (docs/reference.md) against a fresh build; the
benchmark blocks (docs/benchmarks.md) against their results files; the
README's headline figures and suite times against the results they are
written from; the README's own commands and length.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import demo_figures  # noqa: E402

pytestmark = pytest.mark.dbt


def test_readme_demo_figures_match_a_fresh_build(demo_db, capsys):
    status = demo_figures.main(["--database", str(demo_db), "--check"])
    assert status == 0, (
        f"{capsys.readouterr().out}regenerate: .venv/bin/dbt build && "
        ".venv/bin/python bench/demo_figures.py"
    )


def test_the_block_names_what_it_quotes(demo_db):
    figures = demo_figures.figures(demo_db)
    text = demo_figures.block(figures)
    assert f"{figures['kept_negatives']:,}" in text and f"{figures['n_rows']:,} rows" in text
    # The quoted z is the design's, to two decimals.
    assert f"z = {figures['kept_z']:+.2f}" in text


sys.path.insert(0, str(PROJECT_DIR / "bench"))
from readme_blocks import read_block  # noqa: E402


@pytest.mark.parametrize(
    ("block", "results"),
    [
        ("scale-benchmark", "scale.md"),
        ("scale-targets", "scale_targets.md"),
        ("fit-engines", "fit_engines.md"),
    ],
)
def test_benchmark_blocks_are_what_their_scripts_wrote(block, results):
    text = (PROJECT_DIR / "bench" / "results" / results).read_text()
    # The results file opens with a title the README's section already has.
    body = text.split("\n", 2)[2] if text.startswith("# ") else text
    assert read_block(block) == body.strip()


@pytest.mark.parametrize("block", ["efficiency-summary", "efficiency-beyond", "efficiency-scale"])
def test_the_efficiency_blocks_are_what_the_committed_results_give(block):
    import efficiency_readme

    assert read_block(block) == efficiency_readme.blocks()[block]


def test_the_efficiency_blocks_quote_the_results():
    import json

    import pandas as pd

    import efficiency_readme

    results = PROJECT_DIR / "bench" / "results"
    suffix = efficiency_readme.published_suffix()
    summary = pd.read_csv(results / f"efficiency{suffix}.csv")
    cell = summary[
        (summary["table"] == "t3")
        & (summary["rate"] == summary[summary["table"] == "t3"]["rate"].min())
        & (summary["setting"] == "a_optimal paper floor=0.1")
        & (summary["method"] == "lcl_reuse")
    ].iloc[0]
    blocks = efficiency_readme.blocks()
    assert f"{cell['slopes']:.2f} / {cell['logit']:.2f}" in blocks["efficiency-summary"]
    verdicts = json.loads((results / f"efficiency_beyond{suffix}.json").read_text())
    assert f"score `{verdicts['score']}`" in blocks["efficiency-beyond"]


def test_the_benchmarks_page_quotes_no_efficiency_figure_outside_its_blocks():
    # Between the section's heading and the next one, every measured figure
    # (a ratio such as 2.18x, a share such as 1.1%, an estimate ± its SE, a
    # count such as 11 of 12) is inside a generated block.
    import re

    text = (PROJECT_DIR / "docs" / "benchmarks.md").read_text()
    section = text.split("## Statistical efficiency", 1)[1].split("\n## ", 1)[0]
    for name in ("efficiency-summary", "efficiency-beyond", "efficiency-scale"):
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        assert begin in section, name
        section = section.split(begin, 1)[0] + section.split(end, 1)[1]
    figure = r"\b\d+(?:\.\d+)?x\b|\d+\.\d+%|\d+\.\d+ ± \d+\.\d+|\b\d+ of (?:the )?\d+\b"
    assert re.findall(figure, read_block("efficiency-summary"))
    quoted = re.findall(figure, section)
    assert not quoted, quoted


@pytest.mark.core
def test_the_readmes_headlines_and_suite_times_are_what_the_results_give():
    import headlines

    for name, text in headlines.blocks().items():
        assert read_block(name) == text, f"run `python bench/headlines.py` ({name})"
    assert read_block("headlines").count("\n") >= 6  # the header and at least five figures


@pytest.mark.core
def test_the_readme_is_a_guide_of_at_most_250_lines_with_two_fresh_machine_commands():
    import re

    text = (PROJECT_DIR / "README.md").read_text()
    assert len(text.splitlines()) <= 250
    quick = text.split("## Quick start (fresh machine)", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert commands[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/dbt build",
        ".venv/bin/pip install -q -e '.[test,spark,postgres]' && .venv/bin/python -m pytest",
    ]
    # CI runs the same test command.
    ci = (PROJECT_DIR / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_the_readmes_look_at_the_result_command_prints_the_coefficients(demo_copy):
    import re
    import shlex

    from tests.conftest import query, run_dbt

    text = (PROJECT_DIR / "README.md").read_text()
    (command,) = re.findall(r"^\.venv/bin/dbt show .*$", text, re.M)
    args = shlex.split(command)[1:]
    printed = run_dbt(args, demo_copy).output
    terms = query(demo_copy, "select distinct term from negsample_coefficients")["term"]
    assert len(terms) > 2
    assert all(term in printed for term in terms), printed[-3000:]
