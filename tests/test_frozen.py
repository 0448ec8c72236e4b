"""A frozen design on a living table: appends, late labels, corrections, deletions, edits.

`living_events` is the 5,000-row demo table as it stands at some moment: the
first `max_id` rows, with labels that arrived late (0 -> 1), labels
corrected (1 -> 0), rows deleted and a feature edited, all set by vars. The
design is frozen on the first 4,000 rows; each test changes the table and
builds again. Nothing per row is stored: each build recomputes every
current row's pi and flag from the stored parameters. A named design,
frozen with the package's defaults (the pilot's draw reused) on the same
table with NULLs imputed, takes every change at once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.runtime.fit import (
    coefficient_vector,
    design_from_coefficients,
    fit_logistic,
    make_design,
    reference_levels,
)
from negsample.tools import cli, demo
from tests.conftest import package_project, query, run_dbt

pytestmark = pytest.mark.dbt

LIVING = """
{%- set late = var('living:late_positive', []) -%}
{%- set corrected = var('living:corrected', []) -%}
{%- set deleted = var('living:deleted', []) -%}
{%- set edited = var('living:edited', []) -%}
{%- set edit_by = var('living:edit_by', 60) -%}
{%- set null_every = var('living:null_every', 0) -%}
{%- set tenure = 'tenure_months' -%}
{%- if edited -%}
    {%- set tenure = 'case when id in (' ~ edited | join(', ') ~ ')'
        ~ ' then tenure_months + ' ~ edit_by ~ ' else tenure_months end' -%}
{%- endif -%}
{%- if null_every -%}
    {%- set tenure = 'case when id % ' ~ null_every ~ ' = 0 then null else ' ~ tenure ~ ' end' -%}
{%- endif %}
select
    id,
    case
        when 1 = 0 then label
        {%- if late %} when id in ({{ late | join(', ') }}) then 1{% endif %}
        {%- if corrected %} when id in ({{ corrected | join(', ') }}) then 0{% endif %}
        else label
    end as label,
    {{ tenure }} as tenure_months,
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
# its own tests in tests/test_score_choice.py, a frozen design's included);
# the named design below samples with the defaults, the union included.
FROZEN = {"negsample:freeze_design": True, "negsample:reuse_pilot": False}
# The stores: the score choice too, which matters for score 'auto'.
STORES = ("negsample_pilot_coefficients", "negsample_sampling_scale", "negsample_score_choice")
# Its settings: the package's defaults (reuse_pilot true) but for the score
# 'auto', whose choice its third store keeps, and the imputation of NULL
# features (every 40th tenure_months is NULL, and stays so).
NAMED = {"source": "living_events", "freeze_design": True, "score": "auto"}
NAMED_SETTINGS = {**NAMED, "null_features": "impute_mean"}
NAMED_STORES = ("churn_pilot_coefficients", "churn_sampling_scale", "churn_score_choice")
NULL_EVERY = 40
ORDER = {
    "pilot_coefficients": "model, term, level, col_term, col_level",
    "sampling_scale": "1",
    "score_choice": "score",
    "sample": "id",
    "coefficients": "model, term, level",
    "design": "1",
    "sampling_probs": "id",
}


def table(database: Path, name: str) -> pd.DataFrame:
    """A design's relation (``<design>_<kind>``, design names without '_'), in a fixed order."""
    return query(database, f"select * from {name} order by {ORDER[name.split('_', 1)[1]]}")


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


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same, frozen as the named design 'churn' (its files written by add-design)."""
    root = tmp_path_factory.mktemp("named")
    variables = {"negsample:designs": {"churn": NAMED_SETTINGS}, "living:null_every": NULL_EVERY}
    project = package_project(root, "named", variables, demo_seed=4)
    (project / "models" / "living_events.sql").write_text(LIVING)
    assert cli.main(["add-design", "churn", "--project-dir", str(project)]) == 0
    database = root / "named.duckdb"
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


def living_now(
    source: pd.DataFrame,
    max_id: int = 4000,
    late_positive: Sequence[int] = (),
    corrected: Sequence[int] = (),
    deleted: Sequence[int] = (),
    edited: Sequence[int] = (),
    null_every: int = 0,
    edit_by: int = 60,
) -> pd.DataFrame:
    """living_events as LIVING leaves it, computed here from the seed's rows."""
    now = source[(source["id"] <= max_id) & ~source["id"].isin(deleted)].copy()
    now.loc[now["id"].isin(late_positive), "label"] = 1
    now.loc[now["id"].isin(corrected), "label"] = 0
    now.loc[now["id"].isin(edited), "tenure_months"] += edit_by
    if null_every:
        now.loc[now["id"] % null_every == 0, "tenure_months"] = np.nan
    return now.reset_index(drop=True)


def assert_stores_unchanged(before: Path, after: Path, stores: Sequence[str] = STORES) -> None:
    for name in stores:
        pd.testing.assert_frame_equal(table(before, name), table(after, name), check_exact=True)


def assert_untouched_rows_keep_their_draw(
    before: Path, after: Path, touched: set[int], design: str = "negsample"
) -> None:
    old = table(before, f"{design}_sampling_probs")
    new = table(after, f"{design}_sampling_probs").set_index("id")
    old = old[~old["id"].isin(touched) & old["id"].isin(new.index)].set_index("id")
    assert len(old) >= 2900
    columns = ["pilot_prob", "sampling_score", "sampling_prob", "sample_uniform", "is_sampled"]
    pd.testing.assert_frame_equal(old[columns], new.loc[old.index, columns], check_exact=True)


def assert_fit_and_counts_describe(database: Path, now: pd.DataFrame, design: str) -> None:
    """The final fit is the package's fit of the sample as it is now; the counts are now's."""
    sample = table(database, f"{design}_sample")
    pilot = query(database, f"select * from {design}_pilot_coefficients where model = 'pilot'")
    features = make_design(
        sample, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES, reference_levels(pilot)
    )
    refit = fit_logistic(sample, "label", features, offset="log_odds_offset")
    refit = refit.coefficient_table("final").sort_values(["term", "level"], ignore_index=True)
    final = query(
        database,
        f"select * from {design}_coefficients where model = 'final' order by term, level",
    )
    assert list(zip(final["term"], final["level"].fillna(""), strict=True)) == list(
        zip(refit["term"], refit["level"].fillna(""), strict=True)
    )
    np.testing.assert_allclose(final["estimate"], refit["estimate"], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(final["std_error"], refit["std_error"], rtol=1e-8, atol=1e-8)
    n_positive = int(now["label"].sum())
    kept_negatives = int((sample["label"] == 0).sum())
    d = table(database, f"{design}_design").iloc[0]
    assert (d["n_rows"], d["n_positive"]) == (len(now), n_positive)
    assert (d["kept_rows"], d["kept_negatives"]) == (len(sample), kept_negatives)
    assert d["n_negative"] == len(now) - n_positive
    assert set(now.loc[now["label"] == 1, "id"]) <= set(sample["id"])
    assert set(sample["id"]) <= set(now["id"])


def information_inverse(stored: pd.DataFrame, terms: list) -> np.ndarray:
    """M~^-1 from a pilot store's 'information' rows, ordered as ``terms``."""
    index = {term: i for i, term in enumerate(terms)}
    rows = stored[stored["model"] == "information"]
    assert len(rows) == len(terms) ** 2
    out = np.full((len(terms), len(terms)), np.nan)
    for row in rows.itertuples():
        level = None if pd.isna(row.level) else row.level
        col_level = None if pd.isna(row.col_level) else row.col_level
        out[index[(row.term, level)], index[(row.col_term, col_level)]] = row.estimate
    assert not np.isnan(out).any()
    return out


def hand_draw(database: Path, rows: pd.DataFrame) -> pd.DataFrame:
    """pi and the keep flag of ``rows`` from the stored parameters, by the NumPy reference.

    The default design's settings: score a_optimal, the paper's budget, seed
    42, reuse_pilot false; integer ids are their own keys.
    """
    stored = query(database, "select * from negsample_pilot_coefficients")
    pilot = stored[stored["model"] == "pilot"]
    design = design_from_coefficients(pilot, demo.NUMERIC_FEATURES, demo.CATEGORICAL_FEATURES)
    x = design.matrix(rows)
    prob = reference.sigmoid(x @ coefficient_vector(pilot, design))
    t = reference.scores(prob, x, "a_optimal", information_inverse(stored, design.terms()))
    scale = table(database, "negsample_sampling_scale").iloc[0]
    pi = np.minimum(1.0, np.maximum(scale["floor_prob"], scale["sampling_scale"] * t))
    u = reference.uniform(rows["id"].to_numpy(), 42, "sample")
    label = rows["label"].to_numpy()
    return pd.DataFrame(
        {"id": rows["id"], "label": label, "pi": pi, "kept": reference.keep(label, u, pi)}
    )


def build_manifest(database: Path) -> dict:
    """The manifest of the last dbt run on ``database`` (its target/ is beside it)."""
    return json.loads((database.parent / f"{database.stem}_dbt/target/manifest.json").read_text())


def drift_test_name(database: Path) -> str:
    """The drift test of negsample_design, by the name its properties give it."""
    manifest = build_manifest(database)
    names = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "negsample_design_drift"
    ]
    assert names == ["negsample_design_drift"], names
    return names[0]


def test_the_first_build_estimates_and_stores_only_parameters(frozen):
    _, database = frozen
    design = table(database, "negsample_design").iloc[0]
    assert design["is_frozen_design"] and design["n_rows"] == 4000
    scale = table(database, "negsample_sampling_scale")
    assert len(scale) == 1 and bool(scale["is_frozen_store"].iloc[0])
    assert scale["expected_rate"].iloc[0] * design["n_negative"] == pytest.approx(
        design["expected_negatives"], rel=1e-12
    )
    assert scale["pilot_rows"].iloc[0] == design["pilot_rows"] > 0
    pilot = table(database, "negsample_pilot_coefficients")
    assert set(pilot["model"]) == {"pilot", "information", "quadratic_a_optimal"}
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
    now = living_now(source_rows(frozen), late_positive=late)
    assert_fit_and_counts_describe(after, now, "negsample")


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
    now = living_now(
        source_rows(frozen),
        max_id=5000,
        late_positive=late,
        corrected=corrected,
        deleted=deleted,
        edited=edited,
    )
    d = table(after, "negsample_design").iloc[0]
    assert (d["n_rows"], d["n_positive"], d["new_rows"]) == (len(now), now["label"].sum(), 1000)
    kept = set(table(after, "negsample_sample")["id"])
    assert set(now.loc[now["label"] == 1, "id"]) <= kept
    assert not kept & set(deleted)
    assert_fit_and_counts_describe(after, now, "negsample")


def test_a_rebuild_of_an_unchanged_table_gives_identical_tables(frozen, tmp_path):
    after, output = rebuild(frozen, tmp_path)
    # Nothing drifted: the drift test passes and nothing warns.
    flat = " ".join(output.split())
    assert f"PASS {drift_test_name(after)}" in flat and "WARN=0" in flat, flat[-2000:]
    again = tmp_path / "again.duckdb"
    shutil.copy(after, again)
    run_dbt(["build"], again, project_dir=frozen[0])
    for name in (*STORES, "negsample_sample", "negsample_coefficients", "negsample_design"):
        pd.testing.assert_frame_equal(table(after, name), table(again, name), check_exact=True)
    # The first frozen rebuild describes the same table as the estimating
    # build, the design's row included (its pilot count is the stored one).
    for name in (*STORES, "negsample_sample", "negsample_coefficients", "negsample_design"):
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
    assert d["is_frozen_design"] and d["new_rows"] == 0
    assert not table(copy, "negsample_pilot_coefficients").equals(
        table(database, "negsample_pilot_coefficients")
    )


@pytest.mark.parametrize("limit", ["base_rate", "drift_z", "new_rows"])
def test_drift_warns_at_each_limit_and_matches_a_hand_count(frozen, tmp_path, limit):
    if limit == "base_rate":
        # 300 appended rows, all positive: the base rate moves, nothing else.
        changes = {"max_id": 4300, "late_positive": list(range(4001, 4301))}
    elif limit == "drift_z":
        # Three rows in four edited to a much longer tenure: their scores, pi
        # and the kept count move (as the draw should: the kept count stays
        # near sum pi), far from what the design kept per negative then; the
        # labels do not move.
        changes = {"edited": list(range(1, 3001)), "edit_by": 240}
    else:
        # Three old rows in four (and two more) deleted, 1,000 appended: the
        # new rows are more than half, in rows like the old ones.
        changes = {"max_id": 5000, "deleted": [i for i in range(1, 4001) if i % 4 or i <= 8]}
    after, output = rebuild(frozen, tmp_path, **changes)
    source = source_rows(frozen)
    now, then = living_now(source, **changes), living_now(source)
    # pi and the flags of every current row from the stored parameters, by
    # the reference, and the kept count from the sample against them.
    draw = hand_draw(after, now)
    assert set(table(after, "negsample_sample")["id"]) == set(draw.loc[draw["kept"], "id"])
    negatives = draw[draw["label"] == 0]
    kept = int(negatives["kept"].sum())
    # What the design kept per negative when it was estimated, and the
    # variance per negative of that draw (its scale sample held every row).
    estimated = hand_draw(after, then)
    pi_then = estimated.loc[estimated["label"] == 0, "pi"]
    rate, binomial = pi_then.mean(), (pi_then * (1 - pi_then)).mean()
    d = table(after, "negsample_design").iloc[0]
    z = (kept - rate * len(negatives)) / np.sqrt(binomial * len(negatives))
    assert d["kept_negatives"] == kept
    assert d["new_rows"] == (now["id"] > 4000).sum()
    assert d["estimated_base_rate"] == pytest.approx(then["label"].mean(), rel=1e-12)
    assert d["base_rate"] == pytest.approx(now["label"].mean(), rel=1e-12)
    assert d["estimated_kept_rate"] == pytest.approx(rate, rel=1e-12)
    assert d["drift_z"] == pytest.approx(z, rel=1e-9)
    crossed = {
        "base_rate": abs(now["label"].mean() / then["label"].mean() - 1) > 0.25,
        "drift_z": abs(z) > 4,
        "new_rows": (now["id"] > 4000).sum() > 0.5 * len(now),
    }
    assert {name for name, over in crossed.items() if over} == {limit}
    # The drift test itself warns, says what moved and what to do, and the build passes.
    flat = " ".join(output.split())
    assert f"WARN 1 {drift_test_name(after)}" in flat and "WARN=1" in flat, flat[-2000:]
    said = flat[flat.index("the frozen design 'negsample' has drifted") :]
    assert "base rate" in said and "of the rows new since" in said and " sd from" in said
    assert "dbt build --full-refresh" in said


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
        # A pilot fitted elsewhere is part of the design too (the relations
        # are never read: the build stops first).
        (
            {
                "negsample:pilot_coefficients": "base_events",
                "negsample:pilot_information": "base_events",
            },
            "pilot_coefficients: none -> base_events; pilot_information: none -> base_events",
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


def test_a_named_design_with_the_defaults_takes_every_change(named, tmp_path):
    project, database = named
    first = table(database, "churn_design").iloc[0]
    assert first["is_frozen_design"] and first["is_pilot_reused"]
    before = table(database, "churn_sampling_probs")
    late = before[(before["label"] == 0) & ~before["is_sampled"]]["id"].head(4).tolist()
    corrected = before[before["label"] == 1]["id"].head(2).tolist()
    # Many rows edited: the mean of tenure_months moves by about 10 months.
    deleted, edited = list(range(3000, 3100)), list(range(1, 801))
    changes = {
        "max_id": 5000,
        "late_positive": late,
        "corrected": corrected,
        "deleted": deleted,
        "edited": edited,
    }
    after, _ = rebuild(named, tmp_path, **changes)
    assert_stores_unchanged(database, after, NAMED_STORES)
    touched = {*late, *corrected, *deleted, *edited}
    assert_untouched_rows_keep_their_draw(database, after, touched, design="churn")
    source = source_rows(named)
    now = living_now(source, null_every=NULL_EVERY, **changes)
    then = living_now(source, null_every=NULL_EVERY)
    # NULLs are imputed with the mean stored at the freeze, not today's: an
    # untouched imputed row keeps its pi and flag.
    scale = table(after, "churn_sampling_scale").iloc[0]
    assert scale["impute_mean_0"] == pytest.approx(then["tenure_months"].mean(), rel=1e-12)
    assert abs(now["tenure_months"].mean() - scale["impute_mean_0"]) > 5
    imputed = then.loc[then["tenure_months"].isna() & ~then["id"].isin(touched), "id"]
    assert len(imputed) >= 70
    old = before.set_index("id").loc[imputed]
    new = table(after, "churn_sampling_probs").set_index("id").loc[imputed]
    for column in ("pilot_prob", "sampling_prob", "is_sampled"):
        np.testing.assert_array_equal(new[column], old[column])
    d = table(after, "churn_design").iloc[0]
    assert d["is_frozen_design"] and d["is_pilot_reused"] and d["new_rows"] == 1000
    kept = set(table(after, "churn_sample")["id"])
    assert set(late) <= kept
    for name in ("churn_scored", "churn_sample", "churn_sampling_probs"):
        ids = set(query(after, f"select id from {name}")["id"])
        assert not ids & set(deleted), name
    assert_fit_and_counts_describe(after, now, "churn")
    names = query(after, "select table_name from information_schema.tables")["table_name"]
    assert not [n for n in names if "dbt_tmp" in n or "dbt_backup" in n or "__" in n]
    # A setting changed while frozen stops the build, naming the design.
    changed = {"negsample:designs": {"churn": {**NAMED_SETTINGS, "sampling_rate": 0.1}}}
    result = run_dbt(["build"], after, variables=changed, project_dir=project, check=False)
    assert not result.ok
    message = " ".join(result.output.split())
    assert (
        "the design 'churn' was frozen (setting 'freeze_design' of design 'churn' "
        "(var 'negsample:designs'))" in message
    ), message[-2000:]
    assert "sampling_rate: 0.05 -> 0.1" in message and "dbt build --full-refresh" in message


@pytest.mark.parametrize(
    ("built", "design", "stores"),
    [("frozen", "negsample", STORES), ("named", "churn", NAMED_STORES)],
)
def test_exactly_the_stores_are_incremental(request, built, design, stores):
    database = request.getfixturevalue(built)[1]
    manifest = build_manifest(database)
    materialized = {
        node["name"]: node["config"]["materialized"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith(f"{design}_")
    }
    assert len(materialized) >= 19 and set(stores) <= set(materialized), sorted(materialized)
    assert {n for n, m in materialized.items() if m == "incremental"} == set(stores)


def test_freezing_a_design_built_unfrozen_asks_for_a_full_refresh(frozen, tmp_path):
    """Its tables hold no stored design: the build stops before replacing anything."""
    project, _ = frozen
    database = tmp_path / "unfrozen.duckdb"
    run_dbt(["build"], database, project_dir=project, variables={"negsample:freeze_design": False})
    before = {name: table(database, name) for name in (*STORES, "negsample_sample")}
    result = run_dbt(["build"], database, project_dir=project, check=False)
    assert not result.ok
    message = " ".join(result.output.split())
    assert "design 'negsample' has the setting freeze_design" in message
    assert "built without it" in message and "dbt build --full-refresh" in message
    assert "was frozen" not in message
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(database, name), frame, check_exact=True)
    # The full refresh it asks for stores the design, with no NaN anywhere.
    run_dbt(["build", "--full-refresh"], database, project_dir=project)
    scale = table(database, "negsample_sampling_scale").iloc[0]
    assert bool(scale["is_frozen_store"]) and scale["pilot_rows"] > 0
    design = table(database, "negsample_design").iloc[0]
    assert design[["expected_negatives", "drift_z", "pilot_rows"]].notna().all()
