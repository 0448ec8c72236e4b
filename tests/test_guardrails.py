"""Bad input stops the build with a message naming the culprit; nothing built is lost.

A small project installs negsample (local package) on a 5,000-row demo table
and defines one model per kind of bad data. Bad vars fail at parse time, one
parse each (a parse stops at its first error). Bad data fails when a
design's source check is compiled: each kind of bad data is a named design
of its own, and one `dbt build` builds them all beside the good designs
whose edge cases must build (imputed NULLs, a segment the pilot calls
impossible, no floor, an extreme linear predictor); each design's error is
read from run_results.json. The default design shows the flat vars' form of
the messages and that a failed build replaces nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from negsample.tools import cli
from tests.conftest import package_project, query, run_dbt

pytestmark = pytest.mark.dbt

COLUMNS = "id, label, tenure_months, balance, is_mobile, sessions_30d, channel"

# Each bad source: a model over the base table, and the text the error must hold.
BAD_DATA = {
    # An empty table: a sum over no rows is NULL, which no comparison catches.
    "empty_source": (
        f"select {COLUMNS} from {{{{ ref('base_events') }}}} where 1 = 0",
        "({source}) has no rows; design '{design}' stopped here: none of its "
        "relations was replaced",
    ),
    "label_not_binary": (
        "select id, case when id in (3, 4) then 2 else label end as label, tenure_months, "
        "balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "label column 'label' ({label_column}) holds values other than 0 and 1 "
        "in 2 rows (from 2 to 2)",
    ),
    "null_label": (
        "select id, case when id = 3 then null else label end as label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "label column 'label' ({label_column}) is NULL in 1 rows",
    ),
    "null_id": (
        "select case when id = 3 then null else id end as id, label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' ({id_column}) is NULL in 1 rows",
    ),
    "duplicate_id": (
        "select case when id in (5, 7) then 6 else id end as id, label, tenure_months, balance, "
        "is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' ({id_column}) repeats: 2 rows share an id",
    ),
    # Ids far apart: the count of distinct ids does not depend on their range.
    "duplicate_sparse_id": (
        "select (case when id in (5, 7) then 6 else id end) * 1000000007 as id, label, "
        "tenure_months, balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "id column 'id' ({id_column}) repeats: 2 rows share an id",
    ),
    "duplicate_text_id": (
        "select 'evt-' || cast(case when id in (5, 7, 9) then 6 else id end as varchar) as id, "
        "label, tenure_months, balance, is_mobile, sessions_30d, channel "
        "from {{ ref('base_events') }}",
        "id column 'id' ({id_column}) repeats: 3 rows share an id",
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
        "column 'balance' ({numeric_features}) has type VARCHAR, not a number; "
        "list it in {categorical_features} instead",
    ),
    "null_balance": (
        "select id, label, tenure_months, case when id % 100 = 0 then null else balance end "
        "as balance, is_mobile, sessions_30d, channel from {{ ref('base_events') }}",
        "numeric feature 'balance' is NULL in 50 rows (set {null_features} to impute_mean",
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

# Designs whose source check must stop them: {design: (settings, expected)}.
# `{setting}` in an expected text is the setting's label in the design.
MISSING_COLUMNS = {
    "missing_feature": (
        {"source": "base_events", "numeric_features": ["balance", "income"]},
        "column 'income' ({numeric_features}) does not exist in",
    ),
    "missing_id": (
        {"source": "base_events", "id_column": "event_id"},
        "column 'event_id' ({id_column}) does not exist in",
    ),
    "missing_label": (
        {"source": "base_events", "label_column": "converted"},
        "column 'converted' ({label_column}) does not exist in",
    ),
}
STOPPED = {
    **{f"bad_{name}": ({"source": name}, expected) for name, (_, expected) in BAD_DATA.items()},
    **MISSING_COLUMNS,
    "too_many_levels": (
        {"source": "base_events", "max_levels": 3},
        "categorical feature 'channel' has 4 levels, more than {max_levels} (3) allows",
    ),
    "absent_relation": (
        {"source": "source:raw.events_declared_but_absent"},
        "({source}) does not exist in the warehouse: build or load it first, or correct the "
        "setting; design '{design}' stopped here",
    ),
}
# Designs over edge cases that must build (one of them up to its final fit).
BUILT = {
    "impute": {"source": "null_balance", "null_features": "impute_mean"},
    "zero_floor": {
        "source": "zero_segment",
        "pilot_score_column": "pilot_score",
        "score": "p",
        "floor": 0.1,
    },
    "no_floor": {
        "source": "zero_segment",
        "pilot_score_column": "pilot_score",
        "score": "p",
        "floor": 0,
    },
    "extreme": {"source": "extreme_row"},
}
SOURCES_YML = """
sources:
  - name: raw
    schema: main
    tables:
      - name: events_declared_but_absent
"""


def setting_label(design: str, name: str) -> str:
    """How negsample names a setting in its messages (macros/config/settings.sql)."""
    if design == "negsample":
        return f"var 'negsample:{name}'"
    return f"setting '{name}' of design '{design}' (var 'negsample:designs')"


def expected_text(design: str, template: str) -> str:
    from negsample.contract import DEFAULTS

    labels = {name: setting_label(design, name) for name in DEFAULTS}
    return " ".join(template.format(design=design, **labels).split())


@pytest.fixture(scope="module")
def guard_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """The project built once: (project dir, database, {node name: error message})."""
    root = tmp_path_factory.mktemp("guard")
    designs = {name: settings for name, (settings, _) in STOPPED.items()} | BUILT
    project = package_project(
        root,
        "guard",
        {"negsample:source": "base_events", "negsample:designs": designs},
        demo_seed=3,
    )
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
    (project / "models" / "sources.yml").write_text(SOURCES_YML)
    assert cli.main(["add-design", *BUILT, "--project-dir", str(project)]) == 0
    # A stopped design needs only its first model, the one whose compilation checks the source.
    for name in STOPPED:
        (project / "models" / f"{name}_source_check.sql").write_text(
            f"{{{{ negsample.design_model('{name}', 'source_check') }}}}\n"
        )
    database = root / "guard.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run = run_dbt(["build"], database, project_dir=project, check=False)
    results = json.loads((root / "guard_dbt" / "target" / "run_results.json").read_text())
    errors = {
        r["unique_id"].split(".")[-1]: " ".join((r["message"] or "").split())
        for r in results["results"]
        if r["status"] == "error"
    }
    assert not run.ok and errors, run.output[-3000:]
    return project, database, errors


def failed_build(project: Path, database: Path, variables: dict, command: str = "build") -> str:
    result = run_dbt([command], database, variables=variables, project_dir=project, check=False)
    assert not result.ok, "the build should have failed"
    return " ".join(result.output.split())


@pytest.mark.parametrize("design", list(STOPPED))
def test_bad_data_stops_the_design_and_names_the_culprit(guard_project, design):
    _, _, errors = guard_project
    message = errors.get(f"{design}_source_check", "")
    assert expected_text(design, STOPPED[design][1]) in message, message[-3000:]


@pytest.mark.parametrize("design", list(MISSING_COLUMNS))
def test_missing_columns_are_named_with_the_columns_that_exist(guard_project, design):
    message = guard_project[2][f"{design}_source_check"]
    assert "its columns are: id, label, tenure_months, balance" in message


def test_only_the_stopped_designs_and_the_separable_fit_failed(guard_project):
    """Every design with good data built whole; the one without a floor up to its final fit."""
    _, database, errors = guard_project
    expected = {f"{name}_source_check" for name in STOPPED} | {"no_floor_final_model"}
    assert set(errors) == expected, sorted(set(errors) ^ expected)
    built = set(query(database, "select table_name from information_schema.tables")["table_name"])
    for design in ("negsample", "impute", "zero_floor", "extreme"):
        assert {f"{design}_scored", f"{design}_design"} <= built, design


@pytest.mark.parametrize(
    ("variables", "expected"),
    BAD_VARS,
    ids=[next(iter(v)) + "=" + str(next(iter(v.values()))) for v, _ in BAD_VARS],
)
def test_bad_vars_stop_dbt_before_anything_runs(guard_project, variables, expected):
    project, database, _ = guard_project
    message = failed_build(project, database, variables, command="parse")
    assert expected in message, message[-3000:]


def test_failed_build_leaves_previous_outputs_unchanged(guard_project):
    """The default design on bad data: the flat var named, the last good tables kept."""
    project, database, _ = guard_project
    before_sample = query(database, "select * from negsample_sample order by id")
    before_scored = query(database, "select * from negsample_scored order by id")
    message = failed_build(project, database, {"negsample:source": "null_label"})
    assert expected_text("negsample", BAD_DATA["null_label"][1]) in message, message[-3000:]
    assert query(database, "select * from negsample_sample order by id").equals(before_sample)
    assert query(database, "select * from negsample_scored order by id").equals(before_scored)


def test_nulls_can_be_imputed_and_are_counted(guard_project):
    _, database, _ = guard_project
    design = query(database, "select n_imputed_values from impute_design")
    assert design["n_imputed_values"].iloc[0] == 50
    filled = query(database, "select balance from impute_input where id % 100 = 0")
    mean = query(database, "select avg(balance) as m from null_balance")["m"].iloc[0]
    np.testing.assert_allclose(filled["balance"], mean)


def test_zero_pilot_segment_keeps_a_floor_and_finite_offsets(guard_project):
    _, database, _ = guard_project
    probs = query(
        database,
        "select channel, label, sampling_prob, is_floored, is_sampled "
        "from zero_floor_sampling_probs",
    )
    store = probs[(probs["channel"] == "store") & (probs["label"] == 0)]
    assert len(store) > 500
    # p~ comes from a column, so no pilot sample is drawn to reuse: pi is the floor.
    np.testing.assert_allclose(store["sampling_prob"], 0.1 * 0.05)
    assert store["is_floored"].all() and store["is_sampled"].sum() > 0
    sample = query(database, "select log_odds_offset from zero_floor_sample")
    assert np.isfinite(sample["log_odds_offset"]).all()


def test_no_floor_and_underflowing_scores_keep_offsets_finite(guard_project):
    _, database, errors = guard_project
    sample = query(
        database, "select channel, label, sampling_prob, log_odds_offset from no_floor_sample"
    )
    assert (sample["sampling_prob"] > 0).all()
    assert np.isfinite(sample["log_odds_offset"]).all()
    # Without a floor no negative of the zero segment is kept, so the final fit
    # cannot separate that segment from its positives: it says so.
    assert (sample[(sample["channel"] == "store")]["label"] == 1).all()
    message = errors["no_floor_final_model"]
    assert "no_floor_final_model (log-odds corrected fit)" in message, message
    assert "separable" in message


def test_extreme_linear_predictors_do_not_overflow(guard_project):
    _, database, _ = guard_project
    row = query(
        database,
        "select pilot_logit, pilot_prob, sampling_prob from extreme_sampling_probs where id = 11",
    ).iloc[0]
    assert abs(row["pilot_logit"]) > 700
    assert 0 <= row["pilot_prob"] <= 1 and 0 < row["sampling_prob"] <= 1
    scored = query(database, "select corrected_prob, corrected_logit from extreme_scored")
    assert np.isfinite(scored["corrected_logit"]).all()
    assert scored["corrected_prob"].between(0, 1).all()
