"""A frozen design on a living table: appends, late labels, corrections, deletions, edits.

`living_events` is the 5,000-row demo table as it stands at some moment: the
first `max_id` rows, with labels that arrived late (0 -> 1), labels
corrected (1 -> 0), rows deleted and a feature edited, all set by vars. The
design is frozen on the first 4,000 rows; each test changes the table and
builds again. Nothing per row is stored: each build recomputes every
current row's pi and flag from the stored parameters.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample import demo, reference
from negsample.fit import coefficient_vector, design_from_coefficients
from tests.conftest import package_project, query, run_dbt

pytestmark = pytest.mark.dbt

LIVING = """
{%- set late = var('living:late_positive', []) -%}
{%- set corrected = var('living:corrected', []) -%}
{%- set deleted = var('living:deleted', []) -%}
{%- set edited = var('living:edited', []) -%}
select
    id,
    case
        when 1 = 0 then label
        {%- if late %} when id in ({{ late | join(', ') }}) then 1{% endif %}
        {%- if corrected %} when id in ({{ corrected | join(', ') }}) then 0{% endif %}
        else label
    end as label,
    {%- if edited %}
    case when id in ({{ edited | join(', ') }}) then tenure_months + 60 else tenure_months end
    {%- else %}
    tenure_months
    {%- endif %} as tenure_months,
    balance,
    is_mobile,
    sessions_30d,
    channel
from {{ ref('base_events') }}
where id <= {{ var('living:max_id', 4000) }}
{%- if deleted %}
    and id not in ({{ deleted | join(', ') }})
{%- endif %}
"""

# The draw checked here is the paper's (the union with the pilot's draw has
# its own tests in tests/test_score_choice.py, a frozen design's included).
FROZEN = {"negsample:freeze_design": True, "negsample:reuse_pilot": False}
STORES = ("negsample_pilot_coefficients", "negsample_sampling_scale")
ORDER = {
    "negsample_pilot_coefficients": "model, term, level, col_term, col_level",
    "negsample_sampling_scale": "1",
    "negsample_sample": "id",
    "negsample_coefficients": "model, term, level",
    "negsample_design": "1",
    "negsample_sampling_probs": "id",
}


def table(database: Path, name: str) -> pd.DataFrame:
    return query(database, f"select * from {name} order by {ORDER[name]}")


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The project and a database holding the design frozen on the first 4,000 rows."""
    root = tmp_path_factory.mktemp("frozen")
    project = package_project(
        root, "living", {"negsample:source": "living_events", **FROZEN}, demo_seed=4
    )
    (project / "models" / "living_events.sql").write_text(LIVING)
    database = root / "frozen.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["build"], database, project_dir=project)
    return project, database


def rebuild(frozen: tuple[Path, Path], tmp_path: Path, **changes) -> tuple[Path, str]:
    """A copy of the frozen database, built again on the table as ``changes`` leave it."""
    project, database = frozen
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(database, copy)
    variables = {f"living:{k}": v for k, v in changes.items()}
    output = run_dbt(["build"], copy, variables=variables, project_dir=project).output
    return copy, output


def source_rows(frozen: tuple[Path, Path]) -> pd.DataFrame:
    return query(frozen[1], "select * from base_events order by id")


def assert_stores_unchanged(before: Path, after: Path) -> None:
    for name in STORES:
        pd.testing.assert_frame_equal(table(before, name), table(after, name), check_exact=True)


def assert_untouched_rows_keep_their_draw(before: Path, after: Path, touched: set[int]) -> None:
    old = table(before, "negsample_sampling_probs")
    new = table(after, "negsample_sampling_probs").set_index("id")
    old = old[~old["id"].isin(touched) & old["id"].isin(new.index)].set_index("id")
    assert len(old) >= 2900
    columns = ["pilot_prob", "sampling_score", "sampling_prob", "sample_uniform", "is_sampled"]
    pd.testing.assert_frame_equal(old[columns], new.loc[old.index, columns], check_exact=True)


def test_the_first_build_estimates_and_stores_only_parameters(frozen):
    _, database = frozen
    design = table(database, "negsample_design").iloc[0]
    assert not design["is_frozen_design"] and design["n_rows"] == 4000
    scale = table(database, "negsample_sampling_scale")
    assert len(scale) == 1 and scale["estimated_expected_negatives"].iloc[0] > 0
    assert scale["estimated_expected_negatives"].iloc[0] == pytest.approx(
        design["expected_negatives"], rel=1e-12
    )
    pilot = table(database, "negsample_pilot_coefficients")
    assert set(pilot["model"]) == {"pilot", "information", "information_squared"}
    # Parameters, not rows: k coefficients and two k x k matrices (k = 8 terms).
    assert len(pilot) == 9 + 2 * 8 * 8


def test_append_draws_new_rows_under_the_stored_design(frozen, tmp_path):
    after, _ = rebuild(frozen, tmp_path, max_id=5000)
    assert_stores_unchanged(frozen[1], after)
    assert_untouched_rows_keep_their_draw(frozen[1], after, touched=set())
    probs = table(after, "negsample_sampling_probs")
    assert len(probs) == 5000
    # New rows: the stored pilot's probabilities, the stored scale, the seed's stream.
    pilot = query(after, "select * from negsample_pilot_coefficients where model = 'pilot'")
    rows = query(after, "select * from negsample_input where id > 4000 order by id")
    design = design_from_coefficients(pilot, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES)
    new = probs[probs["id"] > 4000].reset_index(drop=True)
    np.testing.assert_allclose(
        new["pilot_prob"],
        reference.sigmoid(design.matrix(rows) @ coefficient_vector(pilot, design)),
        rtol=1e-12,
    )
    scale = table(after, "negsample_sampling_scale").iloc[0]
    pi = np.minimum(
        1, np.maximum(scale["floor_prob"], scale["sampling_scale"] * new["sampling_score"])
    )
    np.testing.assert_allclose(new["sampling_prob"], pi, rtol=1e-12)
    u = reference.uniform(rows["negsample_key"].to_numpy(), 42, "sample")
    np.testing.assert_array_equal(new["is_sampled"], reference.keep(rows["label"], u, pi))
    sample = table(after, "negsample_sample")
    assert set(sample["id"]) == set(probs.loc[probs["is_sampled"], "id"])
    d = table(after, "negsample_design").iloc[0]
    assert d["is_frozen_design"] and d["n_rows"] == 5000 and d["new_rows"] == 1000


def test_a_late_positive_is_kept_and_the_build_passes(frozen, tmp_path):
    before = table(frozen[1], "negsample_sampling_probs")
    late = before[(before["label"] == 0) & ~before["is_sampled"]]["id"].head(3).tolist()
    after, _ = rebuild(frozen, tmp_path, late_positive=late)  # the build passes
    assert_stores_unchanged(frozen[1], after)
    # A label is not a feature: pi and the uniform stay; the flag follows the label.
    assert_untouched_rows_keep_their_draw(frozen[1], after, touched=set(late))
    sample = table(after, "negsample_sample").set_index("id")
    assert set(late) <= set(sample.index)
    assert (sample.loc[late, "label"] == 1).all()
    old = before.set_index("id").loc[late]
    np.testing.assert_array_equal(sample.loc[late, "sampling_prob"], old["sampling_prob"])
    d0, d1 = table(frozen[1], "negsample_design").iloc[0], table(after, "negsample_design").iloc[0]
    assert d1["n_positive"] == d0["n_positive"] + 3
    assert d1["kept_rows"] == d0["kept_rows"] + 3
    # The final fit sees the table as it is now.
    assert not table(after, "negsample_coefficients").equals(
        table(frozen[1], "negsample_coefficients")
    )


def test_a_positive_corrected_to_zero_is_a_negative_everywhere(frozen, tmp_path):
    before = table(frozen[1], "negsample_sampling_probs")
    corrected = before[before["label"] == 1]["id"].head(3).tolist()
    after, _ = rebuild(frozen, tmp_path, corrected=corrected)
    assert_stores_unchanged(frozen[1], after)
    assert_untouched_rows_keep_their_draw(frozen[1], after, touched=set(corrected))
    scored = query(after, "select id, label from negsample_scored").set_index("id")
    assert (scored.loc[corrected, "label"] == 0).all()
    d0, d1 = table(frozen[1], "negsample_design").iloc[0], table(after, "negsample_design").iloc[0]
    assert d1["n_positive"] == d0["n_positive"] - 3
    # Kept now only if the draw keeps them as negatives: u < pi.
    probs = table(after, "negsample_sampling_probs").set_index("id").loc[corrected]
    kept = set(table(after, "negsample_sample")["id"]) & set(corrected)
    assert kept == set(probs.index[probs["sample_uniform"] < probs["sampling_prob"]])


def test_deleted_rows_leave_every_table(frozen, tmp_path):
    deleted = list(range(100, 1100))
    after, _ = rebuild(frozen, tmp_path, deleted=deleted)
    assert_stores_unchanged(frozen[1], after)
    assert_untouched_rows_keep_their_draw(frozen[1], after, touched=set(deleted))
    for name in ("negsample_scored", "negsample_sample", "negsample_sampling_probs"):
        ids = set(query(after, f"select id from {name}")["id"])
        assert not ids & set(deleted), name
    source = source_rows(frozen)
    remaining = source[(source["id"] <= 4000) & ~source["id"].isin(deleted)]
    d = table(after, "negsample_design").iloc[0]
    assert (d["n_rows"], d["n_positive"]) == (len(remaining), remaining["label"].sum())


def test_an_edited_feature_is_scored_as_it_now_reads(frozen, tmp_path):
    edited = [11, 12, 13, 14, 15]
    after, _ = rebuild(frozen, tmp_path, edited=edited)
    assert_stores_unchanged(frozen[1], after)
    assert_untouched_rows_keep_their_draw(frozen[1], after, touched=set(edited))
    scored = query(after, "select * from negsample_scored").set_index("id")
    source = source_rows(frozen).set_index("id")
    np.testing.assert_array_equal(
        scored.loc[edited, "tenure_months"], source.loc[edited, "tenure_months"] + 60
    )
    old = table(frozen[1], "negsample_sampling_probs").set_index("id").loc[edited]
    new = table(after, "negsample_sampling_probs").set_index("id").loc[edited]
    assert (new["pilot_prob"] != old["pilot_prob"]).all()
    # Same key, same uniform: only pi moved.
    np.testing.assert_array_equal(new["sample_uniform"], old["sample_uniform"])


def test_all_changes_at_once(frozen, tmp_path):
    before = table(frozen[1], "negsample_sampling_probs")
    late = before[(before["label"] == 0) & ~before["is_sampled"]]["id"].head(4).tolist()
    corrected = before[before["label"] == 1]["id"].head(2).tolist()
    deleted, edited = list(range(3000, 3100)), [21, 22]
    after, _ = rebuild(
        frozen,
        tmp_path,
        max_id=5000,
        late_positive=late,
        corrected=corrected,
        deleted=deleted,
        edited=edited,
    )
    assert_stores_unchanged(frozen[1], after)
    assert_untouched_rows_keep_their_draw(
        frozen[1], after, touched={*late, *corrected, *deleted, *edited}
    )
    source = source_rows(frozen)
    now = source[(source["id"] <= 5000) & ~source["id"].isin(deleted)].copy()
    now.loc[now["id"].isin(late), "label"] = 1
    now.loc[now["id"].isin(corrected), "label"] = 0
    d = table(after, "negsample_design").iloc[0]
    assert (d["n_rows"], d["n_positive"], d["new_rows"]) == (len(now), now["label"].sum(), 1000)
    kept = set(table(after, "negsample_sample")["id"])
    assert set(now.loc[now["label"] == 1, "id"]) <= kept
    assert not kept & set(deleted)


def test_a_rebuild_of_an_unchanged_table_gives_identical_tables(frozen, tmp_path):
    after, _ = rebuild(frozen, tmp_path)
    again = tmp_path / "again.duckdb"
    shutil.copy(after, again)
    run_dbt(["build"], again, project_dir=frozen[0])
    for name in (*STORES, "negsample_sample", "negsample_coefficients", "negsample_design"):
        pd.testing.assert_frame_equal(table(after, name), table(again, name), check_exact=True)
    # The first frozen rebuild describes the same table as the estimating build.
    for name in (*STORES, "negsample_sample", "negsample_coefficients"):
        pd.testing.assert_frame_equal(table(frozen[1], name), table(after, name), check_exact=True)


def test_no_build_leaves_a_temporary_relation(frozen, tmp_path):
    after, _ = rebuild(frozen, tmp_path, max_id=4500)
    for _ in range(2):
        run_dbt(["build"], after, project_dir=frozen[0], variables={"living:max_id": 5000})
    names = query(after, "select table_name from information_schema.tables")["table_name"]
    leftovers = [n for n in names if "dbt_tmp" in n or "dbt_backup" in n or "__" in n]
    assert not leftovers, leftovers


def test_a_full_refresh_estimates_the_design_again(frozen, tmp_path):
    project, database = frozen
    copy = tmp_path / "refresh.duckdb"
    shutil.copy(database, copy)
    variables = {"living:max_id": 5000}
    run_dbt(["build", "--full-refresh"], copy, variables=variables, project_dir=project)
    scale, before = (
        table(copy, "negsample_sampling_scale").iloc[0],
        table(database, "negsample_sampling_scale").iloc[0],
    )
    assert scale["n_rows"] == 5000 and before["n_rows"] == 4000
    assert scale["sampling_scale"] != before["sampling_scale"]
    d = table(copy, "negsample_design").iloc[0]
    assert not d["is_frozen_design"] and d["new_rows"] == 0
    assert not table(copy, "negsample_pilot_coefficients").equals(
        table(database, "negsample_pilot_coefficients")
    )


def test_drift_figures_match_a_hand_count(frozen, tmp_path):
    # The appended rows are all positives: the base rate moves and the
    # warn-level drift test says so, without failing the build.
    late = list(range(4001, 4301))
    after, output = rebuild(frozen, tmp_path, max_id=4300, late_positive=late)
    source = source_rows(frozen)
    now = source[source["id"] <= 4300].copy()
    now.loc[now["id"].isin(late), "label"] = 1
    then = source[source["id"] <= 4000]
    d = table(after, "negsample_design").iloc[0]
    assert d["new_rows"] == 300
    assert d["estimated_base_rate"] == pytest.approx(then["label"].mean(), rel=1e-12)
    assert d["base_rate"] == pytest.approx(now["label"].mean(), rel=1e-12)
    scale = table(frozen[1], "negsample_sampling_scale").iloc[0]
    rate = scale["estimated_expected_negatives"] / scale["n_negative"]
    probs = table(after, "negsample_sampling_probs")
    negatives = probs[probs["label"] == 0]
    kept = int(negatives["is_sampled"].sum())
    variance = (negatives["sampling_prob"] * (1 - negatives["sampling_prob"])).sum()
    assert d["estimated_kept_rate"] == pytest.approx(rate, rel=1e-12)
    assert d["drift_z"] == pytest.approx(
        (kept - rate * len(negatives)) / np.sqrt(variance), rel=1e-9
    )
    flat = " ".join(output.split())
    assert "WARN=1" in flat and "negsample_design" in flat


def test_changing_a_design_setting_asks_for_a_full_refresh(frozen, tmp_path):
    project, database = frozen
    copy = tmp_path / "changed.duckdb"
    shutil.copy(database, copy)
    for change, shown in (
        ({"negsample:score": "l_optimal"}, "score: a_optimal -> l_optimal"),
        (
            {"negsample:numeric_features": ["tenure_months", "balance"]},
            "numeric_features: tenure_months,balance,is_mobile,sessions_30d -> "
            "tenure_months,balance",
        ),
    ):
        result = run_dbt(["build"], copy, variables=change, project_dir=project, check=False)
        assert not result.ok
        message = " ".join(result.output.split())
        assert "the design 'negsample' was frozen (var 'negsample:freeze_design')" in message
        assert shown in message and "dbt build --full-refresh" in message, message[-2000:]
    # Nothing was rebuilt: the stores and the sample are the frozen build's.
    for name in (*STORES, "negsample_sample"):
        pd.testing.assert_frame_equal(table(database, name), table(copy, name), check_exact=True)
