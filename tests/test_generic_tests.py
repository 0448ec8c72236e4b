"""The package's generic data tests fail on NULL, NaN and infinite values, not only on false.

Each case copies the built demo, writes a bad value into tables the data
tests read, and runs those models' tests: exactly the tests that read a
bad value must fail. NaN matters on its own: DuckDB, Spark and PostgreSQL
order it above every number, so `std_error > 0` holds for a NaN.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from tests.conftest import run_dbt

pytestmark = pytest.mark.dbt

COEFFICIENTS_TEST = "negsample_expression_is_true_negsample_coefficients_is_reference_or_std"
UPDATE_TEST = "negsample_expression_is_true_negsample_intercept_update_abs_intercept_delta_z_4"
DESIGN_TEST = "negsample_expression_is_true_negsample_design_abs_kept_negatives_expected"

CASES = {
    # A non-reference coefficient without a standard error, and an
    # intercept update whose bound is unknown.
    "null": (
        [
            "update negsample_coefficients set std_error = null "
            "where model = 'final' and term = 'balance'",
            "update negsample_intercept_update set intercept_delta_z = null",
        ],
        [COEFFICIENTS_TEST, UPDATE_TEST],
    ),
    "nan": (
        [
            "update negsample_coefficients set std_error = 'nan'::double "
            "where model = 'final' and term = 'balance'",
            "update negsample_design set kept_negatives_sd = 'nan'::double",
        ],
        [COEFFICIENTS_TEST, DESIGN_TEST],
    ),
    "infinite": (
        [
            "update negsample_coefficients set std_error = 'inf'::double "
            "where model = 'pilot' and term = 'intercept'",
        ],
        [COEFFICIENTS_TEST],
    ),
}


def failed_tests(output: str) -> list[str]:
    """The names of the data tests that dbt reports as failed."""
    return re.findall(r"\d+ of \d+ FAIL \d+ (\S+)", re.sub(r"\x1b\[[0-9;]*m", "", output))


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_value_fails_exactly_the_tests_that_read_it(case, demo_db, tmp_path):
    statements, expected = CASES[case]
    database = tmp_path / "bad.duckdb"
    shutil.copy(demo_db, database)
    with duckdb.connect(str(database)) as con:
        for statement in statements:
            con.execute(statement)
    run = run_dbt(
        [
            "test",
            "--select",
            "negsample_coefficients negsample_intercept_update negsample_design",
        ],
        database,
        check=False,
    )
    failed = failed_tests(run.output)
    assert not run.ok
    assert len(failed) == len(expected), failed
    for name in expected:
        assert any(name in f for f in failed), (name, failed)
    # The other tests of these models still pass: the bad values, not the
    # copy, are what fails (the demo's build ran the same tests).
    assert re.search(r"PASS=[1-9]", run.output), run.output[-2000:]
