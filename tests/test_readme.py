"""Every figure the README quotes about the demo is what a fresh build computes."""

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
        ("efficiency-beyond", "efficiency_beyond.md"),
    ],
)
def test_benchmark_blocks_are_what_their_scripts_wrote(block, results):
    text = (PROJECT_DIR / "bench" / "results" / results).read_text()
    # The results file opens with a title the README's section already has.
    body = text.split("\n", 2)[2] if text.startswith("# ") else text
    assert read_block(block) == body.strip()
