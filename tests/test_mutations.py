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

pytestmark = [pytest.mark.mutations, pytest.mark.dbt]

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
PIPELINE = "tests/test_pipeline.py"
PRINCIPLES = "tests/test_first_principles.py"
REFERENCE = "tests/test_sql_matches_reference.py"
LEVELS = "tests/test_levels.py"
UNIFORM = "tests/test_uniform.py"
# The exact-budget test with many rows floored, and with many capped.
EXACT_BUDGET = f"{REFERENCE}::test_exact_budget_hits_the_target_with_many_capped_or_floored"
# The data tests with a NULL, and with a NaN, in the tables they read.
BAD_VALUE = "tests/test_generic_tests.py::test_a_bad_value_fails_exactly_the_tests_that_read_it"
FLOORED, CAPPED = f"{EXACT_BUDGET}[0.05-0.9-floored]", f"{EXACT_BUDGET}[0.5-0.1-capped]"
W_AND_C = f"{PRINCIPLES}::test_w_is_the_mean_score_over_the_negatives_and_c_is_rho_over_w"
INTERCEPT_UPDATE = f"{PIPELINE}::test_the_intercept_update_is_the_same_shift_on_every_row"
SCALE = "macros/method/step4_scale/sampling_scale.sql"
SAMPLE = "macros/method/step6_keep/sample.sql"
KEEP = "macros/method/step6_keep/keep.sql"
UPDATE = "macros/method/step8_corrected_scores/intercept_update.sql"
FIT = "src/negsample/runtime/fit.py"
ORACLE = "src/negsample/oracle/reference.py"
DELTA = "(sums.n_positive - sums.sum_prob) / sums.sum_prob_variance as intercept_delta,"


def one_edit(name: str, path: str, original: str, mutated: str, *guards: str) -> Mutation:
    return Mutation(name, ((path, original, mutated),), guards)


MUTATIONS = [
    # Step 1: the pilot's draw and offset.
    one_edit(
        "pilot offset scaled by 0.85",
        "macros/method/step1_pilot_sample/pilot_sample.sql",
        "    -ln(pilot_rate) as log_odds_offset",
        "    -0.85 * ln(pilot_rate) as log_odds_offset",
        f"{PILOT}::test_pilot_coefficients_are_statsmodels_with_the_pilot_offset[ratio1]",
    ),
    one_edit(
        "pilot rate from all rows",
        "macros/method/step1_pilot_sample/source_check.sql",
        "        * cast({{ (checked['n_positive'] | int) if checked else 1 }} as {{ double }})\n"
        "        / cast({{ (checked['n_negative'] | int) if checked else 1 }} as {{ double }})",
        "        * cast({{ (checked['n_positive'] | int) if checked else 1 }} as {{ double }})\n"
        "        / cast({{ (checked['n_rows'] | int) if checked else 1 }} as {{ double }})",
        f"{PILOT}::test_sql_pilot_rate_is_the_reference_rate[ratio1]",
    ),
    Mutation(
        "pilot and sample streams swapped",
        (
            (
                "macros/method/step1_pilot_sample/pilot_sample.sql",
                "[('pilot_uniform', 'pilot')]",
                "[('pilot_uniform', 'sample')]",
            ),
            (KEEP, "[('sample_uniform', 'sample')]", "[('sample_uniform', 'pilot')]"),
        ),
        (
            f"{PILOT}::test_pilot_draw_is_the_pilot_stream_below_rho0_in_a_scale_sample_below_rho_s[ratio1]",
        ),
    ),
    # Step 2: the pilot information M~ over the scale sample.
    one_edit(
        "M~ without the scale sample's weight 1/rho_s on negatives",
        FIT,
        "np.where(is_positive, 1.0, 1.0 / chunk[rate_column].to_numpy(dtype=float))",
        "np.where(is_positive, 1.0, 1.0)",
        f"{PILOT}::test_the_information_matrix_weighs_the_scale_sample_by_its_rate[ratio3]",
    ),
    # Step 3: the scores and the design's terms.
    one_edit(
        "l_optimal norm without the intercept's 1",
        "macros/method/step3_scores/design_terms.sql",
        "{%- set parts = ['1.0'] -%}",
        "{%- set parts = ['0.0'] -%}",
        f"{PRINCIPLES}::test_the_score_of_three_rows_is_its_definition[l_optimal]",
    ),
    one_edit(
        "a_optimal quadratic form without its cross terms doubled",
        "macros/method/step3_scores/quadratic_form.sql",
        "('' if i == j else '2.0 * ')",
        "('' if i == j else '')",
        f"{PRINCIPLES}::test_the_scores_of_three_rows_are_their_definitions",
    ),
    one_edit(
        # The SQL takes the first level in sorted order as the reference;
        # the Python fits keep the most frequent one.
        "reference level changed in SQL only",
        "macros/method/step3_scores/design_terms.sql",
        "{%- for row in mine | rejectattr('is_reference') "
        "| sort(attribute='level', case_sensitive=true) -%}",
        "{%- for row in (mine | sort(attribute='level', case_sensitive=true))[1:] -%}",
        f"{LEVELS}::test_null_and_unseen_levels_score_as_the_reference",
    ),
    Mutation(
        # Python renders levels its own way ('True', 'App') while the SQL
        # keeps the text it cast: the fits agree with themselves, and the
        # SQL silently scores every row as the reference level.
        "categorical levels cast differently in Python and SQL",
        (
            (
                FIT,
                "chunk[name].dropna().astype(str).value_counts()",
                "chunk[name].dropna().astype(str).str.capitalize().value_counts()",
            ),
            (
                FIT,
                "cols.append((frame[term].to_numpy(dtype=object) == level).astype(float))",
                "cols.append((frame[term].astype(str).str.capitalize().to_numpy(dtype=object)"
                " == level).astype(float))",
            ),
        ),
        (f"{LEVELS}::test_levels_are_text_and_neither_null_nor_unseen_is_a_level",),
    ),
    # Step 4: w, the scale c and the exact budget.
    Mutation(
        # Made in the SQL and in the reference alike: only a check of w
        # against its definition can see it.
        "w over all rows instead of the negatives",
        (
            (
                SCALE,
                "        {{ label }} as label_value,\n"
                "        sampling_score\n"
                "    from scored_rows\n"
                "    where {{ label }} = 0\n",
                "        0 as label_value,\n        sampling_score\n    from scored_rows\n",
            ),
            (ORACLE, "scale = rate / t[neg].mean()", "scale = rate / t.mean()"),
        ),
        (W_AND_C,),
    ),
    one_edit(
        "c = rho * w instead of rho / w",
        SCALE,
        "    sampling_rate / w as sampling_scale",
        "    sampling_rate * w as sampling_scale",
        W_AND_C,
    ),
    one_edit(
        "exact budget solved without the capped and floored rows' part",
        SCALE,
        "(k.target - k.constant_part) / k.slope",
        "k.target / k.slope",
        FLOORED,
    ),
    # Step 5: pi's floor and cap.
    one_edit(
        "pi without the floor",
        "macros/public/sampling_probability.sql",
        "  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300))",
        "  least(1.0, greatest(({{ scale }}) * ({{ score }}), 1e-300))",
        FLOORED,
    ),
    one_edit(
        "pi without the cap",
        "macros/public/sampling_probability.sql",
        "  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300))",
        "  greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300)",
        CAPPED,
    ),
    # Step 6: the keep rule, the union with the pilot, the sample's columns.
    one_edit(
        "keep when u is above pi",
        KEEP,
        "or sample_uniform < main_sampling_prob) as is_sampled",
        "or sample_uniform > main_sampling_prob) as is_sampled",
        f"{PIPELINE}::test_kept_negatives_match_the_expected_size",
    ),
    Mutation(
        # In the macro and in the reference alike.
        "pi* = rho0 + pi, the overlap counted twice",
        (
            (
                "macros/public/union_inclusion_probability.sql",
                "(1.0 - (1.0 - ({{ first }})) * (1.0 - ({{ second }})))",
                "least(1.0, ({{ first }}) + ({{ second }}))",
            ),
            (
                ORACLE,
                "1.0 - (1.0 - pilot_rate) * (1.0 - np.asarray(sampling_prob, dtype=float))",
                "np.minimum(1.0, pilot_rate + np.asarray(sampling_prob, dtype=float))",
            ),
        ),
        (f"{PRINCIPLES}::test_the_union_probability_is_that_of_two_independent_draws",),
    ),
    one_edit(
        "offset 0 on kept positives",
        SAMPLE,
        "    -ln(sampling_prob) as log_odds_offset,",
        "    case when {{ label }} = 1 then 0.0 else -ln(sampling_prob) end as log_odds_offset,",
        f"{PIPELINE}::test_offsets_on_every_kept_row_including_positives",
    ),
    one_edit(
        "IPW weight 1/pi on positives too",
        SAMPLE,
        "    case when {{ label }} = 1 then 1.0 else 1.0 / sampling_prob end as ipw_weight",
        "    1.0 / sampling_prob as ipw_weight",
        f"{PIPELINE}::test_offsets_on_every_kept_row_including_positives",
    ),
    # Step 7: the final fit's offset (the audit's 0.85).
    one_edit(
        "final offset scaled by 0.85",
        SAMPLE,
        "    -ln(sampling_prob) as log_odds_offset,",
        "    -0.85 * ln(sampling_prob) as log_odds_offset,",
        f"{PIPELINE}::test_every_data_test_of_the_demo_build_passes",
        f"{PIPELINE}::test_final_coefficients_are_jointly_consistent_with_the_truth",
    ),
    # Step 8: the intercept update and the corrected score.
    one_edit(
        "intercept update with the wrong sign",
        UPDATE,
        DELTA,
        "(sums.sum_prob - sums.n_positive) / sums.sum_prob_variance as intercept_delta,",
        INTERCEPT_UPDATE,
    ),
    one_edit(
        "intercept update half its size",
        UPDATE,
        DELTA,
        "(sums.n_positive - sums.sum_prob) / (2.0 * sums.sum_prob_variance) as intercept_delta,",
        INTERCEPT_UPDATE,
    ),
    one_edit(
        "correct_log_odds adds -ln(pi)",
        "macros/public/correct_log_odds.sql",
        "+ ln({{ sampling_prob }}))",
        "- ln({{ sampling_prob }}))",
        f"{PRINCIPLES}::test_correct_log_odds_corrects_an_external_models_score",
    ),
    # Score auto's criterion, in the SQL and in the reference alike.
    Mutation(
        "auto's variance with a kept negative's share pi instead of pi / (p + (1 - p) pi)",
        (
            (
                "macros/method/step3_scores/score_choice.sql",
                "(1.0 / scale_rate) * mode_prob / (pilot_prob + (1.0 - pilot_prob) * mode_prob)",
                "(1.0 / scale_rate) * mode_prob",
            ),
            (
                ORACLE,
                "share = np.where(np.asarray(label) == 1, 1.0, pi / (p + (1.0 - p) * pi))",
                "share = np.where(np.asarray(label) == 1, 1.0, pi)",
            ),
        ),
        (f"{PRINCIPLES}::test_the_corrected_estimators_variance_is_its_spread_over_replicates",),
    ),
    # A frozen design's stored parameters.
    one_edit(
        "a frozen design estimates its scale again",
        SCALE,
        "  {%- if is_incremental() %}\nselect * from {{ this }} where 1 = 0",
        "  {%- if false %}\nselect * from {{ this }} where 1 = 0",
        "tests/test_frozen.py::test_append_draws_new_rows_under_the_stored_design",
    ),
    # The SQL fit engine's Newton step.
    one_edit(
        "SQL Newton step with the Hessian weight w p instead of w p (1 - p)",
        "macros/fit_engine/newton.sql",
        "'terms.w * terms.p * (1.0 - terms.p)'",
        "'terms.w * terms.p'",
        "tests/test_fit_engines.py::test_sql_engine_agrees_with_python_on_the_demo",
    ),
    # The draw's seeded uniform and the key of a text id.
    one_edit(
        "seeded uniform with another multiplier",
        "macros/public/uniform.sql",
        "'1 * 2146121005)'",
        "'1 * 2146121007)'",
        f"{UNIFORM}::test_sql_uniform_equals_python_bit_for_bit[42-pilot]",
    ),
    one_edit(
        "text ids keyed by md5's digits 2-16",
        "macros/cross_db/row_key.sql",
        "cast(('0x' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15))",
        "cast(('0x' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 2, 15))",
        f"{UNIFORM}::test_a_text_id_is_keyed_by_the_first_15_hex_digits_of_its_md5",
    ),
    # The data tests.
    one_edit(
        "data tests pass on NULL",
        "macros/generic_tests/expression_is_true.sql",
        "where not coalesce(({{ expression }}), false)",
        "where not ({{ expression }})",
        f"{BAD_VALUE}[null]",
    ),
    one_edit(
        "data tests pass on NaN",
        "macros/generic_tests/expression_is_true.sql",
        "{%- if column.is_float() %}",
        "{%- if false %}",
        f"{BAD_VALUE}[nan]",
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


def caught_by(proc: subprocess.CompletedProcess[str], guards: tuple[str, ...]) -> list[str]:
    """The guards that FAILED: an assertion of the guard itself, not an error in its setup.

    A fixture whose build breaks ends its tests in ERROR; that counts for
    nothing, so a mutation that only breaks a build is reported as
    uncaught. A guard that reads a build's results (the data tests of the
    demo build) fails in its own body when the build's error is the point.
    """
    failed = [
        line.split(" - ")[0].removeprefix("FAILED ").strip()
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.startswith("FAILED ")
    ]
    return [guard for guard in guards if guard in failed]


def core_tier() -> set[str]:
    """The node ids `pytest -m core` selects, collected without running them."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "core", "-n", "0", "tests"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the package as it is; each mutation copies it again."""
    return copy_package(PROJECT_DIR, tmp_path_factory.mktemp("mutations") / "pristine")


def test_every_mutation_has_a_unique_name_and_existing_guards():
    names = [m.name for m in MUTATIONS]
    assert len(set(names)) == len(names) >= 28
    for mutation in MUTATIONS:
        assert mutation.edits and mutation.guards, mutation.name
        for guard in mutation.guards:
            assert (PROJECT_DIR / guard.split("::")[0]).is_file(), (mutation.name, guard)


@pytest.mark.core
def test_the_fast_tier_holds_every_guard():
    """`pytest -m core` runs each guard, so a change that one mutation stands for fails there."""
    tier = core_tier()
    missing = sorted({guard for m in MUTATIONS for guard in m.guards} - tier)
    assert not missing, missing


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


def check_caught(mutation: Mutation, pristine: Path, tmp_path: Path, capsys) -> None:
    """Apply ``mutation`` to a fresh copy and run its guards there: one of them must fail."""
    root = copy_package(pristine, tmp_path / "package")
    apply(mutation, root)
    proc = run_guards(root, list(mutation.guards), tmp_path / "basetemp")
    output = proc.stdout + proc.stderr
    caught = caught_by(proc, mutation.guards)
    assert caught, (
        f"mutation '{mutation.name}' was not caught by a failing guard "
        f"(exit {proc.returncode}; an ERROR in a fixture does not count):\n{output[-6000:]}"
    )
    with capsys.disabled():
        print(f"\n[mutations] '{mutation.name}' caught by {caught[0]}")


# The mutations in four classes: `--dist loadscope` sends a class whole to a
# worker, so the mutations share both workers while every other test file
# stays whole on one.
SHARES = 4


class MutationShare:
    """Every SHARES-th mutation from ``share`` on (pytest_generate_tests below)."""

    share = 0

    def test_the_guards_fail_with_the_mutation(self, mutation, pristine, tmp_path, capsys):
        check_caught(mutation, pristine, tmp_path, capsys)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.cls is not None and issubclass(metafunc.cls, MutationShare):
        mutations = MUTATIONS[metafunc.cls.share :: SHARES]
        metafunc.parametrize("mutation", mutations, ids=[m.name for m in mutations])


class TestMutationsFirstShare(MutationShare):
    share = 0


class TestMutationsSecondShare(MutationShare):
    share = 1


class TestMutationsThirdShare(MutationShare):
    share = 2


class TestMutationsFourthShare(MutationShare):
    share = 3
