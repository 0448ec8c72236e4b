"""Mutation check: every named mistake in the method fails the tests that guard against it.

Each mutation is an exact-text edit (or a few) of a copy of the package, one
of the method's pitfalls (docs/method.md) made on purpose. The guarding tests then run on that
copy in a subprocess and must fail. An edit whose original text is not
found exactly once fails here loudly, so a mutation cannot quietly stop
applying when the code moves. The copy's src/ comes first on PYTHONPATH,
so a mutation of the Python side is what the tests, dbt and its Python
models import. Every guard is a test of the suite, which passes on the
same tree; one guard of each test file also runs on an unmutated copy,
where it must pass, so a failure with a mutation is the mutation's doing,
not the harness's.

Each mutation runs only its guards (node ids, stopping at the first
failure), which are small on purpose: at most one dbt build each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.mutations

# What the copy leaves out: environments, build output and caches.
NOT_COPIED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "target",
    "logs",
    "dbt_packages",
    "*.duckdb",
    "*.duckdb.wal",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "*.egg-info",
)
# Seconds a guard run may take before it counts as broken (a dbt build is ~10 s).
GUARD_TIMEOUT = 600


@dataclass(frozen=True)
class Mutation:
    """A named mistake: edits (file, original text, mutated text) and the tests that catch it."""

    name: str
    edits: tuple[tuple[str, str, str], ...]
    guards: tuple[str, ...]


PILOT = "tests/test_pilot.py"
REFERENCE = "tests/test_sql_matches_reference.py"
LEVELS = "tests/test_levels.py"
# The exact-budget test with many rows floored, and with many capped.
EXACT_BUDGET = f"{REFERENCE}::test_exact_budget_hits_the_target_with_many_capped_or_floored"
# The data tests with a NULL, and with a NaN, in the tables they read.
BAD_VALUE = "tests/test_generic_tests.py::test_a_bad_value_fails_exactly_the_tests_that_read_it"
FLOORED, CAPPED = f"{EXACT_BUDGET}[0.05-0.9-floored]", f"{EXACT_BUDGET}[0.5-0.1-capped]"

MUTATIONS = [
    Mutation(
        "pilot offset scaled by 0.85",
        (
            (
                "macros/models/pilot_sample.sql",
                "    -ln(drawn.pilot_rate) as log_odds_offset",
                "    -0.85 * ln(drawn.pilot_rate) as log_odds_offset",
            ),
        ),
        (f"{PILOT}::test_pilot_coefficients_are_statsmodels_with_the_pilot_offset",),
    ),
    Mutation(
        "pilot rate from all rows",
        (
            (
                "macros/models/source_check.sql",
                "        / cast({{ (checked['n_negative'] | int) if checked else 1 }} "
                "as {{ double }})",
                "        / cast({{ (checked['n_rows'] | int) if checked else 1 }} as {{ double }})",
            ),
        ),
        (f"{PILOT}::test_sql_pilot_rate_is_the_reference_rate",),
    ),
    Mutation(
        "w over all rows instead of the negatives",
        (
            (
                "macros/sampling_scale.sql",
                "avg(case when label_value = 0 then sampling_score end) as w,",
                "avg(sampling_score) as w,",
            ),
        ),
        (f"{REFERENCE}::test_sql_equals_reference_row_by_row[a_optimal-paper]",),
    ),
    Mutation(
        "offset 0 on kept positives",
        (
            (
                "macros/models/sample.sql",
                "    -ln(probs.sampling_prob) as log_odds_offset,",
                "    case when probs.{{ label }} = 1 then 0.0 "
                "else -ln(probs.sampling_prob) end as log_odds_offset,",
            ),
        ),
        ("tests/test_pipeline.py::test_offsets_on_every_kept_row_including_positives",),
    ),
    Mutation(
        "pi without the floor",
        (
            (
                "macros/sampling_probability.sql",
                "  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300))",
                "  least(1.0, greatest(({{ scale }}) * ({{ score }}), 1e-300))",
            ),
        ),
        (FLOORED,),
    ),
    Mutation(
        "pi without the cap",
        (
            (
                "macros/sampling_probability.sql",
                "  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300))",
                "  greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300)",
            ),
        ),
        (CAPPED,),
    ),
    Mutation(
        "pilot and sample streams swapped",
        (
            (
                "macros/models/pilot_sample.sql",
                "cfg.seed, 'pilot') }} as pilot_uniform",
                "cfg.seed, 'sample') }} as pilot_uniform",
            ),
            (
                "macros/draw.sql",
                "cfg.seed, 'sample') }} as sample_uniform",
                "cfg.seed, 'pilot') }} as sample_uniform",
            ),
        ),
        (f"{PILOT}::test_pilot_draw_is_the_pilot_stream_below_rho0",),
    ),
    Mutation(
        # The SQL takes the first level in sorted order as the reference;
        # the Python fits keep the most frequent one.
        "reference level changed in SQL only",
        (
            (
                "macros/_design_terms.sql",
                "{%- for row in mine | rejectattr('is_reference') "
                "| sort(attribute='level', case_sensitive=true) -%}",
                "{%- for row in (mine | sort(attribute='level', case_sensitive=true))[1:] -%}",
            ),
        ),
        (f"{LEVELS}::test_null_and_unseen_levels_score_as_the_reference",),
    ),
    Mutation(
        "IPW weight 1/pi on positives too",
        (
            (
                "macros/models/sample.sql",
                "    case when probs.{{ label }} = 1 then 1.0 else 1.0 / probs.sampling_prob end "
                "as ipw_weight",
                "    1.0 / probs.sampling_prob as ipw_weight",
            ),
        ),
        ("tests/test_diagnostics.py::test_sample_size_checks_match_the_design_and_the_sample",),
    ),
    Mutation(
        "intercept update with the wrong sign",
        (
            (
                "macros/models/intercept_update.sql",
                "(sums.n_positive - sums.sum_prob) / sums.sum_prob_variance as intercept_delta,",
                "(sums.sum_prob - sums.n_positive) / sums.sum_prob_variance as intercept_delta,",
            ),
        ),
        ("tests/test_pipeline.py::test_intercept_update_closes_the_calibration_gap",),
    ),
    Mutation(
        # Python renders levels its own way ('True', 'App') while the SQL
        # keeps the text it cast: the fits agree with themselves, and the
        # SQL silently scores every row as the reference level.
        "categorical levels cast differently in Python and SQL",
        (
            (
                "src/negsample/fit.py",
                "chunk[name].dropna().astype(str).value_counts()",
                "chunk[name].dropna().astype(str).str.capitalize().value_counts()",
            ),
            (
                "src/negsample/fit.py",
                "cols.append((frame[term].to_numpy(dtype=object) == level).astype(float))",
                "cols.append((frame[term].astype(str).str.capitalize().to_numpy(dtype=object)"
                " == level).astype(float))",
            ),
        ),
        (f"{LEVELS}::test_levels_are_text_and_neither_null_nor_unseen_is_a_level",),
    ),
    Mutation(
        "data tests pass on NULL",
        (
            (
                "macros/generic_tests/expression_is_true.sql",
                "where not coalesce(({{ expression }}), false)",
                "where not ({{ expression }})",
            ),
        ),
        (f"{BAD_VALUE}[null]",),
    ),
    Mutation(
        "data tests pass on NaN",
        (
            (
                "macros/generic_tests/expression_is_true.sql",
                "{%- if column.is_float() %}",
                "{%- if false %}",
            ),
        ),
        (f"{BAD_VALUE}[nan]",),
    ),
]


def copy_package(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=NOT_COPIED)
    return destination


def apply(mutation: Mutation, root: Path) -> None:
    """Make the mutation's edits in the copy at ``root``; each original must occur exactly once."""
    for relative, original, mutated in mutation.edits:
        path = root / relative
        text = path.read_text()
        found = text.count(original)
        assert found == 1, (
            f"mutation '{mutation.name}' no longer applies: its original text occurs "
            f"{found} times in {relative} (expected once):\n{original}"
        )
        path.write_text(text.replace(original, mutated))


def run_guards(root: Path, guards: list[str], basetemp: Path) -> subprocess.CompletedProcess[str]:
    """The guards on the copy at ``root``, serially, stopping at the first failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-x",
        "-q",
        "-n",
        "0",
        f"--basetemp={basetemp}",
        *[str(root / guard) for guard in guards],
    ]
    return subprocess.run(
        cmd, cwd=root, env=env, capture_output=True, text=True, timeout=GUARD_TIMEOUT
    )


def summary(proc: subprocess.CompletedProcess[str]) -> str:
    """pytest's last line, and the test that failed first (from its short summary)."""
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    first = [line for line in lines if line.startswith(("FAILED ", "ERROR "))][:1]
    return " | ".join([*(line.split(" - ")[0] for line in first), *lines[-1:]])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the package as it is; each mutation copies it again."""
    return copy_package(PROJECT_DIR, tmp_path_factory.mktemp("mutations") / "pristine")


def test_every_mutation_has_a_unique_name_and_existing_guards():
    names = [m.name for m in MUTATIONS]
    assert len(set(names)) == len(names) >= 11
    for mutation in MUTATIONS:
        assert mutation.edits and mutation.guards, mutation.name
        for guard in mutation.guards:
            assert (PROJECT_DIR / guard.split("::")[0]).is_file(), (mutation.name, guard)


def test_the_guards_pass_without_a_mutation(pristine, tmp_path):
    """One guard of each test file on the unmutated copy: the harness itself works.

    Every guard is a test of the suite and passes there on the same tree;
    here one per file shows that the copy, its PYTHONPATH and each file's
    fixtures work, so a failure with a mutation is the mutation's doing.
    """
    first: dict[str, str] = {}
    for mutation in MUTATIONS:
        for guard in mutation.guards:
            first.setdefault(guard.split("::")[0], guard)
    proc = run_guards(pristine, list(first.values()), tmp_path / "basetemp")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    assert " passed" in summary(proc)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_guards_fail_with_the_mutation(mutation, pristine, tmp_path, capsys):
    root = copy_package(pristine, tmp_path / "package")
    apply(mutation, root)
    proc = run_guards(root, list(mutation.guards), tmp_path / "basetemp")
    output = proc.stdout + proc.stderr
    # 1: tests ran and failed (a fixture's failed dbt build counts: its data
    # tests caught the mutation). 2 or more: the run itself broke.
    assert proc.returncode == 1, (
        f"mutation '{mutation.name}' survived (exit {proc.returncode}):\n{output[-6000:]}"
    )
    assert "failed" in summary(proc) or "error" in summary(proc), output[-3000:]
    with capsys.disabled():
        print(f"\n[mutations] '{mutation.name}' caught: {summary(proc)}")
