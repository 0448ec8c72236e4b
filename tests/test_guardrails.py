"""Bad input stops the build with a message naming the culprit; nothing built is lost.

A small project installs negsample (local package) on a 5,000-row demo table
and defines one model per kind of bad data. Bad vars fail at parse time; bad
data fails in negsample_input, the first model of the DAG.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import package_project, query, run_dbt

pytestmark = pytest.mark.dbt

COLUMNS = "id, label, tenure_months, balance, is_mobile, sessions_30d, channel"

# Each bad source: a model over the base table, and the text the error must hold.
BAD_DATA = {
    # An empty table: a sum over no rows is NULL, which no comparison catches.
    "empty_source": (
        f"select {COLUMNS} from {{{{ ref('base_events') }}}} where 1 = 0",
        "(var 'negsample:source') has no rows; design 'negsample' stopped here: none of its "
        "relations was replaced",
    ),
    "label_not_binary": (
        "select id, case when id in (3, 4) then 2 else label end as label, tenure_months, "
        "balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "label column 'label' (var 'negsample:label_column') holds values other than 0 and 1 "
        "in 2 rows (from 2 to 2)",
    ),
    "null_label": (
        "select id, case when id = 3 then null else label end as label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "label column 'label' (var 'negsample:label_column') is NULL in 1 rows",
    ),
    "null_id": (
        "select case when id = 3 then null else id end as id, label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' (var 'negsample:id_column') is NULL in 1 rows",
    ),
    "duplicate_id": (
        "select case when id in (5, 7) then 6 else id end as id, label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' (var 'negsample:id_column') repeats: 2 rows share an id",
    ),
    # Ids far apart: the count of distinct ids does not depend on their range.
    "duplicate_sparse_id": (
        "select (case when id in (5, 7) then 6 else id end) * 1000000007 as id, label, "
        "tenure_months, balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' (var 'negsample:id_column') repeats: 2 rows share an id",
    ),
    "duplicate_text_id": (
        "select 'evt-' || cast(case when id in (5, 7, 9) then 6 else id end as varchar) as id, "
        "label, tenure_months, balance, is_mobile, sessions_30d, channel "
        "from {{ ref('base_events') }}",
        "id column 'id' (var 'negsample:id_column') repeats: 3 rows share an id",
    ),
    "no_positives": (
        f"select {COLUMNS.replace('label', '0 as label')} from {{{{ ref('base_events') }}}}",
        "has no positives (label 1) among 5000 rows",
    ),
    "no_negatives": (
        f"select {COLUMNS.replace('label', '1 as label')} from {{{{ ref('base_events') }}}}",
        "has no negatives (label 0) among 5000 rows",
    ),
    "too_few_positives": (
        "select id, case when id <= 3 then 1 else 0 end as label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "has 3 positives, fewer than the 8 coefficients to fit (features + 1)",
    ),
    "text_balance": (
        "select id, label, tenure_months, cast(balance as varchar) as balance, is_mobile, "
        "sessions_30d, channel from {{ ref('base_events') }}",
        "column 'balance' (var 'negsample:numeric_features') has type VARCHAR, not a number; "
        "list it in var 'negsample:categorical_features' instead",
    ),
    "null_balance": (
        "select id, label, tenure_months, case when id % 100 = 0 then null else balance end "
        "as balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "numeric feature 'balance' is NULL in 50 rows (set var 'negsample:null_features' to "
        "impute_mean",
    ),
    "infinite_balance": (
        "select id, label, tenure_months, case when id in (8, 9) then cast('inf' as double) "
        "when id = 10 then cast('nan' as double) else balance end as balance, is_mobile, "
        "sessions_30d, channel from {{ ref('base_events') }}",
        "numeric feature 'balance' is infinite or NaN in 3 rows",
    ),
}

BAD_VARS = [
    ({"negsample:sampling_rate": 0}, "var 'negsample:sampling_rate' is 0.0; it must be in (0, 1]"),
    (
        {"negsample:sampling_rate": 1.5},
        "var 'negsample:sampling_rate' is 1.5; it must be in (0, 1]",
    ),
    ({"negsample:pilot_ratio": 0}, "var 'negsample:pilot_ratio' is 0.0; it must be > 0"),
    ({"negsample:floor": -0.1}, "var 'negsample:floor' is -0.1; it must be in [0, 1]"),
    ({"negsample:floor": 1.5}, "var 'negsample:floor' is 1.5; it must be in [0, 1]"),
    ({"negsample:score": "best"}, "var 'negsample:score' is 'best'; expected one of uniform"),
    (
        {"negsample:budget": "tight"},
        "var 'negsample:budget' is 'tight'; expected one of paper, exact",
    ),
    ({"negsample:seed": 1.5}, "var 'negsample:seed' is 1.5; it must be an integer"),
    ({"negsample:seed": "abc"}, "var 'negsample:seed' is abc; it must be an integer"),
    (
        {"negsample:numeric_features": [], "negsample:categorical_features": []},
        "var 'negsample:numeric_features' and var 'negsample:categorical_features' are both empty",
    ),
    (
        {"negsample:numeric_features": ["balance", "balance"]},
        "column 'balance' is named by var 'negsample:numeric_features' and again by var "
        "'negsample:numeric_features'",
    ),
    (
        {"negsample:numeric_features": ["balance", "id"]},
        "column 'id' is named by var 'negsample:numeric_features' and again by var "
        "'negsample:id_column'",
    ),
    (
        {"negsample:categorical_features": ["label"]},
        "column 'label' is named by var 'negsample:categorical_features' and again by var "
        "'negsample:label_column'",
    ),
    (
        {"negsample:numeric_features": ["b); drop table x; --"]},
        "var 'negsample:numeric_features' names the column 'b); drop table x; --', which is "
        "not a plain identifier",
    ),
    ({"negsample:null_features": "zero"}, "var 'negsample:null_features' is 'zero'"),
]

MISSING_COLUMNS = [
    (
        {"negsample:numeric_features": ["balance", "income"]},
        "column 'income' (var 'negsample:numeric_features') does not exist in",
    ),
    (
        {"negsample:id_column": "event_id"},
        "column 'event_id' (var 'negsample:id_column') does not exist in",
    ),
    (
        {"negsample:label_column": "converted"},
        "column 'converted' (var 'negsample:label_column') does not exist in",
    ),
]


@pytest.fixture(scope="module")
def guard_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The project with a good build in place; returns (project dir, database)."""
    root = tmp_path_factory.mktemp("guard")
    project = package_project(root, "guard", {"negsample:source": "base_events"}, demo_seed=3)
    for name, (sql, _) in BAD_DATA.items():
        (project / "models" / f"{name}.sql").write_text(sql + "\n")
    # A segment the pilot score (a column of the source) calls impossible.
    (project / "models" / "zero_segment.sql").write_text(
        "select *, case when channel = 'store' then 0.0 else 0.02 end as pilot_score "
        "from {{ ref('base_events') }}\n"
    )
    # One row whose linear predictor is far beyond +-700.
    (project / "models" / "extreme_row.sql").write_text(
        "select id, label, case when id = 11 then 1e7 else tenure_months end as tenure_months, "
        "balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}\n"
    )
    database = root / "guard.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["build"], database, project_dir=project)
    return project, database


def failed_build(project: Path, database: Path, variables: dict, command: str = "build") -> str:
    # Data checks run when negsample_source_check is compiled: selecting it alone is enough.
    args = [command, "--select", "negsample_source_check"] if command == "run" else [command]
    result = run_dbt(args, database, variables=variables, project_dir=project, check=False)
    assert not result.ok, "the build should have failed"
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("name", "expected"), [(k, v[1]) for k, v in BAD_DATA.items()], ids=list(BAD_DATA)
)
def test_bad_data_stops_the_build_and_names_the_culprit(guard_project, name, expected):
    project, database = guard_project
    message = failed_build(project, database, {"negsample:source": name}, command="run")
    assert " ".join(expected.split()) in message, message[-3000:]


@pytest.mark.parametrize(
    ("variables", "expected"),
    BAD_VARS,
    ids=[next(iter(v)) + "=" + str(next(iter(v.values()))) for v, _ in BAD_VARS],
)
def test_bad_vars_stop_dbt_before_anything_runs(guard_project, variables, expected):
    project, database = guard_project
    message = failed_build(project, database, variables, command="parse")
    assert expected in message, message[-3000:]


@pytest.mark.parametrize(("variables", "expected"), MISSING_COLUMNS, ids=["feature", "id", "label"])
def test_missing_columns_are_named_with_the_columns_that_exist(guard_project, variables, expected):
    project, database = guard_project
    message = failed_build(project, database, variables, command="run")
    assert expected in message, message[-3000:]
    assert "its columns are: id, label, tenure_months, balance" in message


def test_too_many_levels_is_refused(guard_project):
    project, database = guard_project
    message = failed_build(project, database, {"negsample:max_levels": 3}, command="run")
    assert (
        "categorical feature 'channel' has 4 levels, more than var "
        "'negsample:max_levels' (3) allows"
    ) in message


def test_failed_build_leaves_previous_outputs_unchanged(guard_project):
    project, database = guard_project
    before_sample = query(database, "select * from negsample_sample order by id")
    before_scored = query(database, "select * from negsample_scored order by id")
    failed_build(project, database, {"negsample:source": "null_label"})
    assert query(database, "select * from negsample_sample order by id").equals(before_sample)
    assert query(database, "select * from negsample_scored order by id").equals(before_scored)


def test_nulls_can_be_imputed_and_are_counted(guard_project, tmp_path):
    project, database = guard_project
    other = tmp_path / "impute.duckdb"
    shutil.copy(database, other)
    run_dbt(
        ["build"],
        other,
        project_dir=project,
        variables={"negsample:source": "null_balance", "negsample:null_features": "impute_mean"},
    )
    design = query(other, "select n_imputed_values from negsample_design")
    assert design["n_imputed_values"].iloc[0] == 50
    filled = query(other, "select balance from negsample_input where id % 100 = 0")
    mean = query(other, "select avg(balance) as m from null_balance")["m"].iloc[0]
    np.testing.assert_allclose(filled["balance"], mean)


def test_zero_pilot_segment_keeps_a_floor_and_finite_offsets(guard_project, tmp_path):
    project, database = guard_project
    other = tmp_path / "zero.duckdb"
    shutil.copy(database, other)
    run_dbt(
        ["build"],
        other,
        project_dir=project,
        variables={
            "negsample:source": "zero_segment",
            "negsample:pilot_score_column": "pilot_score",
            "negsample:score": "p",
            "negsample:floor": 0.1,
        },
    )
    probs = query(
        other,
        "select channel, label, sampling_prob, is_floored, is_sampled "
        "from negsample_sampling_probs",
    )
    store = probs[(probs["channel"] == "store") & (probs["label"] == 0)]
    assert len(store) > 500
    np.testing.assert_allclose(store["sampling_prob"], 0.1 * 0.05)
    assert store["is_floored"].all() and store["is_sampled"].sum() > 0
    sample = query(other, "select log_odds_offset from negsample_sample")
    assert np.isfinite(sample["log_odds_offset"]).all()


def test_no_floor_and_underflowing_scores_keep_offsets_finite(guard_project, tmp_path):
    project, database = guard_project
    other = tmp_path / "nofloor.duckdb"
    shutil.copy(database, other)
    variables = {
        "negsample:source": "zero_segment",
        "negsample:pilot_score_column": "pilot_score",
        "negsample:score": "p",
        "negsample:floor": 0,
    }
    run_dbt(
        ["run", "--select", "+negsample_sample"], other, project_dir=project, variables=variables
    )
    sample = query(
        other, "select channel, label, sampling_prob, log_odds_offset from negsample_sample"
    )
    assert (sample["sampling_prob"] > 0).all()
    assert np.isfinite(sample["log_odds_offset"]).all()
    # Without a floor no negative of the zero segment is kept, so the final fit
    # cannot separate that segment from its positives: it says so.
    assert (sample[(sample["channel"] == "store")]["label"] == 1).all()
    message = failed_build(project, other, variables, command="build")
    assert "negsample_final_model (log-odds corrected fit)" in message
    assert "separable" in message


def test_extreme_linear_predictors_do_not_overflow(guard_project, tmp_path):
    project, database = guard_project
    other = tmp_path / "extreme.duckdb"
    shutil.copy(database, other)
    run_dbt(["build"], other, project_dir=project, variables={"negsample:source": "extreme_row"})
    row = query(
        other,
        "select pilot_logit, pilot_prob, sampling_prob from negsample_sampling_probs where id = 11",
    ).iloc[0]
    assert abs(row["pilot_logit"]) > 700
    assert 0 <= row["pilot_prob"] <= 1 and 0 < row["sampling_prob"] <= 1
    scored = query(other, "select corrected_prob, corrected_logit from negsample_scored")
    assert np.isfinite(scored["corrected_logit"]).all()
    assert scored["corrected_prob"].between(0, 1).all()
