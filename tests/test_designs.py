"""Two named designs in one project that installs negsample (tests/integration_project).

clicks samples a model of the project (integer ids, an integer and a boolean
feature, passthrough columns); fraud samples a dbt source (text ids, boolean
and integer categorical levels, another rate and score). One `dbt build`
builds both; each must be calibrated, recover its true coefficients, keep
the source's types in its scored view, and give the same bits as a build of
that design alone and as the default design built with the same settings.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from negsample.oracle.reference import sigmoid
from negsample.runtime.fit import coefficient_vector, design_from_coefficients
from negsample.tools import cli, scaffold
from tests.conftest import PROJECT_DIR, final_scores_sql, query, run_dbt

pytestmark = pytest.mark.dbt

INTEGRATION = Path(__file__).resolve().parent / "integration_project"
CLICKS_TRUE = {
    ("intercept", None): -5.0,
    ("position", None): -0.4,
    ("dwell_seconds", None): 0.08,
    ("is_mobile", None): 0.5,
    ("device", "tablet"): -0.6,
    ("device", "tv"): 0.7,
}
FRAUD_TRUE = {
    ("intercept", None): -4.0,
    ("amount", None): 0.7,
    ("account_age", None): -0.5,
    ("is_weekend", "true"): 0.9,
    ("region_code", "2"): -0.8,
    ("region_code", "3"): 0.6,
}


def click_events(rows: int = 40_000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    position = rng.integers(1, 11, rows)
    dwell = rng.gamma(2.0, 8.0, rows).round(3)
    mobile = rng.random(rows) < 0.6
    device = rng.choice(["desktop", "tablet", "tv"], rows, p=[0.6, 0.25, 0.15])
    t = CLICKS_TRUE
    eta = (
        t[("intercept", None)]
        + t[("position", None)] * position
        + t[("dwell_seconds", None)] * dwell
        + t[("is_mobile", None)] * mobile
        + t[("device", "tablet")] * (device == "tablet")
        + t[("device", "tv")] * (device == "tv")
    )
    return pd.DataFrame(
        {
            "click_id": np.arange(1, rows + 1) * 3,
            "clicked": (rng.random(rows) < sigmoid(eta)).astype(int),
            "position": position,
            "dwell_seconds": dwell,
            "is_mobile": np.where(mobile, "true", "false"),
            "device": device,
            "event_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(rows) % 90, "D"),
            "campaign_id": [f"cmp-{i % 17:02d}" for i in range(rows)],
        }
    )


def transactions(rows: int = 20_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weekend = rng.random(rows) < 0.3
    region = rng.choice([1, 2, 3], rows, p=[0.5, 0.3, 0.2])
    amount = rng.normal(0, 1, rows).round(6)
    age = rng.normal(2, 1, rows).round(6)
    t = FRAUD_TRUE
    eta = (
        t[("intercept", None)]
        + t[("amount", None)] * amount
        + t[("account_age", None)] * age
        + t[("is_weekend", "true")] * weekend
        + t[("region_code", "2")] * (region == 2)
        + t[("region_code", "3")] * (region == 3)
    )
    return pd.DataFrame(
        {
            "txn_id": [f"txn-{i:06d}" for i in range(rows)],
            "is_fraud": (rng.random(rows) < sigmoid(eta)).astype(int),
            "amount": amount,
            "account_age": age,
            "is_weekend": np.where(weekend, "true", "false"),
            "region_code": region,
        }
    )


def integration_project(root: Path, keep: tuple[str, ...] = ("clicks", "fraud")) -> Path:
    """A copy of the integration project declaring the designs ``keep``, with its files written."""
    project = root / "project"
    shutil.copytree(
        INTEGRATION, project, ignore=shutil.ignore_patterns("dbt_packages", "target", "logs")
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n")
    settings = yaml.safe_load((project / "dbt_project.yml").read_text())
    designs = settings["vars"]["negsample:designs"]
    settings["vars"]["negsample:designs"] = {name: designs[name] for name in keep}
    (project / "dbt_project.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    (project / "seeds").mkdir()
    click_events().to_csv(project / "seeds" / "click_events_raw.csv", index=False)
    transactions().to_csv(project / "seeds" / "transactions.csv", index=False)
    assert cli.main(["add-design", "--all", "--project-dir", str(project)]) == 0
    return project


def build(project: Path, database: Path, variables: dict | None = None) -> str:
    run_dbt(["deps"], database, project_dir=project)
    # The fraud design reads a dbt source: load it first, as a loader would.
    run_dbt(["seed"], database, project_dir=project)
    return run_dbt(["build"], database, project_dir=project, variables=variables).output


def flat_vars(design: str) -> dict:
    """The design's settings as the default design's flat vars."""
    settings = yaml.safe_load((INTEGRATION / "dbt_project.yml").read_text())
    return {f"negsample:{k}": v for k, v in settings["vars"]["negsample:designs"][design].items()}


# Flat vars of the default design, each unlike the package default. A named
# design that leaves the setting out takes the package default, never these:
# the build of both designs sets them, and must still give the bits of each
# design built alone (without them).
FLAT_VARS_NOT_INHERITED = {
    "negsample:floor": 0.5,
    "negsample:pilot_ratio": 3,
    "negsample:score": "uniform",
    "negsample:budget": "exact",
    "negsample:seed": 99,
    "negsample:reuse_pilot": False,
}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("both")
    database = root / "both.duckdb"
    project = integration_project(root)
    # A named design's materializations are its properties file's to change.
    properties = project / "models" / "negsample" / "clicks" / "clicks.yml"
    loaded = yaml.safe_load(properties.read_text())
    for model in loaded["models"]:
        if model["name"] == "clicks_scored":
            model["config"]["materialized"] = "table"
    properties.write_text(yaml.safe_dump(loaded, sort_keys=False))
    build(project, database, variables=FLAT_VARS_NOT_INHERITED)
    return database


@pytest.fixture(scope="module", params=["clicks", "fraud"])
def alone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """One design alone, with the default design built from the same settings beside it."""
    design = request.param
    root = tmp_path_factory.mktemp(f"alone_{design}")
    project = integration_project(root, keep=(design,))
    assert not (project / "models" / "negsample" / ({"clicks", "fraud"} - {design}).pop()).exists()
    database = root / "alone.duckdb"
    output = build(project, database, variables=flat_vars(design))
    return design, database, output


def tables(database: Path) -> set[str]:
    return set(query(database, "select table_name from information_schema.tables")["table_name"])


CONTRACT = ("sample", "coefficients", "design", "scored", "diagnostics", "diagnostics_fit")


def test_one_build_builds_both_designs_and_no_default_design(both):
    built = tables(both)
    for design in ("clicks", "fraud"):
        for kind in CONTRACT:
            assert f"{design}_{kind}" in built
    assert not {t for t in built if t.startswith("negsample_")}
    assert "demo_events" not in built


@pytest.mark.parametrize(
    ("design", "id_column", "label", "truth"),
    [("clicks", "click_id", "clicked", CLICKS_TRUE), ("fraud", "txn_id", "is_fraud", FRAUD_TRUE)],
)
def test_each_design_is_calibrated_and_recovers_its_coefficients(
    both, design, id_column, label, truth
):
    final = query(
        both, f"select * from {design}_coefficients where model = 'final' and not is_reference"
    )
    assert len(final) == len(truth)
    for row in final.itertuples():
        level = None if pd.isna(row.level) else row.level
        gap = abs(row.estimate - truth[(row.term, level)]) / row.std_error
        assert gap < 3, (design, row.term, level, row.estimate, gap)
    # Calibrated in the large before the update (within the fit's error) and after it.
    update = query(both, f"select * from {design}_intercept_update").iloc[0]
    assert abs(update["intercept_delta_z"]) < 3
    means = query(both, f"select avg(corrected_prob) as p, avg({label}) as y from {design}_scored")
    assert means["p"].iloc[0] / means["y"].iloc[0] == pytest.approx(1, abs=2e-3)
    # The design's own counts.
    d = query(both, f"select * from {design}_design").iloc[0]
    source = query(both, f"select count(*) as n, sum({label}) as n1 from {design}_input").iloc[0]
    assert (d["n_rows"], d["n_positive"]) == (source["n"], source["n1"])
    assert d["sampling_rate"] == {"clicks": 0.02, "fraud": 0.1}[design]


def test_a_setting_a_design_leaves_out_is_the_package_default_not_the_flat_var(both):
    designs = {
        design: query(both, f"select * from {design}_design").iloc[0]
        for design in ("clicks", "fraud")
    }
    for design, row in designs.items():
        assert row["floor"] == 0.1, design
        assert row["pilot_ratio"] == 1, design
        assert row["budget"] == "paper", design
        assert bool(row["is_pilot_reused"]), design
    assert designs["clicks"]["score"] == "a_optimal"
    assert designs["fraud"]["score"] == "p"  # its own setting
    assert designs["clicks"]["seed"] == 7  # its own setting
    assert designs["fraud"]["seed"] == 42


def test_a_materialization_set_in_a_designs_properties_file_is_built(both):
    kinds = query(
        both,
        "select table_name, table_type from information_schema.tables "
        "where table_name in ('clicks_scored', 'fraud_scored')",
    ).set_index("table_name")["table_type"]
    assert kinds.to_dict() == {"clicks_scored": "BASE TABLE", "fraud_scored": "VIEW"}


def test_design_counts_are_bigint(both):
    counts = ["n_rows", "n_positive", "n_negative", "kept_negatives", "kept_rows", "n_capped"]
    counts += ["n_floored", "pilot_rows", "seed"]
    for design in ("clicks", "fraud"):
        types = query(
            both,
            "select column_name, data_type from information_schema.columns "
            f"where table_name = '{design}_design'",
        ).set_index("column_name")["data_type"]
        assert {name: types[name] for name in counts} == dict.fromkeys(counts, "BIGINT")
        row = query(both, f"select * from {design}_design")
        assert all(row[name].dtype == np.int64 for name in counts), row.dtypes


def test_scored_view_keeps_source_types_and_passthrough_columns(both):
    def types(relation: str) -> dict[str, str]:
        rows = query(
            both,
            "select column_name, data_type from information_schema.columns "
            f"where table_name = '{relation}'",
        )
        return dict(zip(rows["column_name"], rows["data_type"], strict=True))

    source, scored = types("click_events"), types("clicks_scored")
    for column in ("click_id", "clicked", "position", "dwell_seconds", "is_mobile", "device"):
        assert scored[column] == source[column], column
    assert scored["is_mobile"] == "BOOLEAN" and scored["position"] == "INTEGER"
    assert scored["event_date"] == "DATE" and scored["campaign_id"] == "VARCHAR"
    # Passthrough values are the source's, row for row.
    joined = query(
        both,
        "select count(*) as n, count(*) filter (where s.event_date = c.event_date and "
        "s.campaign_id = c.campaign_id and s.is_mobile = c.is_mobile) as same "
        "from clicks_scored as s join click_events as c using (click_id)",
    ).iloc[0]
    assert joined["n"] == joined["same"] == 40_000
    fraud = types("fraud_scored")
    assert fraud["is_weekend"] == "BOOLEAN" and fraud["region_code"] == "INTEGER"
    assert "event_date" not in fraud


def test_typed_levels_are_text_and_score_alike_in_sql_and_python(both):
    pilot = query(both, "select * from fraud_coefficients where model = 'pilot'")
    levels = {
        t: sorted(pilot.loc[pilot["term"] == t, "level"]) for t in ["is_weekend", "region_code"]
    }
    assert levels == {"is_weekend": ["false", "true"], "region_code": ["1", "2", "3"]}
    assert (
        query(both, "select n_unseen_level_rows from fraud_design")["n_unseen_level_rows"][0] == 0
    )
    rows = query(both, "select * from fraud_input order by txn_id")
    sql = query(both, "select txn_id, pilot_logit from fraud_sampling_probs order by txn_id")
    features = (["amount", "account_age"], ["is_weekend", "region_code"])
    design = design_from_coefficients(pilot, *features)
    np.testing.assert_allclose(
        sql["pilot_logit"], design.matrix(rows) @ coefficient_vector(pilot, design), rtol=1e-12
    )
    final = query(both, "select * from fraud_coefficients where model = 'final'")
    final_design = design_from_coefficients(final, *features)
    scored = query(both, final_scores_sql("fraud", "txn_id", "is_fraud") + " order by txn_id")
    np.testing.assert_allclose(
        scored["final_logit"],
        final_design.matrix(rows) @ coefficient_vector(final, final_design),
        rtol=1e-12,
    )


def test_text_ids_are_keyed_by_md5(both):
    rows = query(both, "select txn_id, negsample_key from fraud_input limit 50")
    assert len(rows) == 50
    for row in rows.itertuples():
        assert row.negsample_key == int(hashlib.md5(row.txn_id.encode()).hexdigest()[:15], 16)


def test_designs_never_read_each_others_relations(both, tmp_path):
    manifest = json.loads(
        (both.parent / f"{both.stem}_dbt" / "target" / "manifest.json").read_text()
    )
    nodes = manifest["nodes"]
    for design, other in (("clicks", "fraud"), ("fraud", "clicks")):
        mine = [
            n
            for n in nodes.values()
            if n["resource_type"] == "model" and n["name"].startswith(f"{design}_")
        ]
        # Every model but the SQL fit engine's twins, which DuckDB does not need.
        twins = [k for k in scaffold.SQL_KINDS if k.endswith("_model_sql")]
        assert len(mine) == len(scaffold.SQL_KINDS) - len(twins) + len(scaffold.PYTHON_KINDS)
        for node in mine:
            # Every model reads something: an empty list would check nothing.
            assert node["depends_on"]["nodes"], node["name"]
            for parent in node["depends_on"]["nodes"]:
                assert f".{other}_" not in parent, (node["name"], parent)


def test_a_design_alone_and_the_default_design_give_the_same_bits(both, alone):
    design, database, output = alone
    id_column = {"clicks": "click_id", "fraud": "txn_id"}[design]
    # The default design here samples the project's own model (clicks) or a
    # dbt source (fraud): no warning about a package node reading the root project.
    assert "depends on the root project node" not in output
    for kind, order in (("sample", id_column), ("coefficients", "model, term, level")):
        together = query(both, f"select * from {design}_{kind} order by {order}")
        by_itself = query(database, f"select * from {design}_{kind} order by {order}")
        as_default = query(database, f"select * from negsample_{kind} order by {order}")
        assert len(together) > 100 if kind == "sample" else len(together) > 10
        pd.testing.assert_frame_equal(together, by_itself, check_exact=True)
        pd.testing.assert_frame_equal(together, as_default, check_exact=True)


def test_docs_list_the_id_and_label_under_the_designs_own_column_names(both):
    manifest = json.loads(
        (both.parent / f"{both.stem}_dbt" / "target" / "manifest.json").read_text()
    )
    by_name = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for design, id_column, label in (
        ("clicks", "click_id", "clicked"),
        ("fraud", "txn_id", "is_fraud"),
    ):
        for kind in ("input", "sample", "scored"):
            columns = by_name[f"{design}_{kind}"]["columns"]
            assert id_column in columns and label in columns, (design, kind, list(columns))
            assert "id" not in columns and "label" not in columns
            assert columns[id_column]["description"].strip()
        assert by_name[f"{design}_scored"]["description"].strip()
