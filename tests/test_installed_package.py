"""negsample installed as a package: typed categorical levels, string ids, no demo seed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample.fit import coefficient_vector, design_from_coefficients
from negsample.reference import sigmoid
from tests.conftest import PROJECT_DIR, query, run_dbt

pytestmark = pytest.mark.dbt

INTEGRATION = Path(__file__).resolve().parent / "integration_project"
TRUE = {"intercept": -4.0, "x1": 0.7, "x2": -0.5, "weekend": 0.9, "region_2": -0.8, "region_3": 0.6}


def typed_events(rows: int = 20_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weekend = rng.random(rows) < 0.3
    region = rng.choice([1, 2, 3], rows, p=[0.5, 0.3, 0.2])
    x1 = rng.normal(0, 1, rows)
    x2 = rng.normal(2, 1, rows)
    eta = (
        TRUE["intercept"]
        + TRUE["x1"] * x1
        + TRUE["x2"] * x2
        + TRUE["weekend"] * weekend
        + TRUE["region_2"] * (region == 2)
        + TRUE["region_3"] * (region == 3)
    )
    label = (rng.random(rows) < sigmoid(eta)).astype(int)
    return pd.DataFrame(
        {
            "event_id": [f"evt-{i:06d}" for i in range(rows)],
            "converted": label,
            "x1": np.round(x1, 6),
            "x2": np.round(x2, 6),
            "is_weekend": np.where(weekend, "true", "false"),
            "region_code": region,
        }
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("installed")
    project = root / "project"
    shutil.copytree(
        INTEGRATION,
        project,
        ignore=shutil.ignore_patterns("dbt_packages", "target", "logs", "seeds"),
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n")
    (project / "seeds").mkdir()
    typed_events().to_csv(project / "seeds" / "typed_events.csv", index=False)
    database = root / "installed.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["build"], database, project_dir=project)
    return database


def test_installed_package_does_not_load_the_demo_seed(installed):
    tables = set(query(installed, "select table_name from information_schema.tables")["table_name"])
    assert "typed_events" in tables and "negsample_scored" in tables
    assert "demo_events" not in tables


def test_boolean_and_integer_levels_are_text_everywhere(installed):
    pilot = query(installed, "select * from negsample_coefficients where model = 'pilot'")
    levels = {
        t: sorted(pilot.loc[pilot["term"] == t, "level"]) for t in ["is_weekend", "region_code"]
    }
    assert levels == {"is_weekend": ["false", "true"], "region_code": ["1", "2", "3"]}
    design = query(installed, "select n_unseen_level_rows from negsample_design")
    assert design["n_unseen_level_rows"].iloc[0] == 0


def test_sql_and_python_score_typed_levels_identically(installed):
    rows = query(installed, "select * from negsample_input order by event_id")
    sql = query(
        installed, "select event_id, pilot_logit from negsample_pilot_scores order by event_id"
    )
    coefficients = query(installed, "select * from negsample_pilot_model")
    design = design_from_coefficients(coefficients, ["x1", "x2"], ["is_weekend", "region_code"])
    theta = coefficient_vector(coefficients, design)
    np.testing.assert_allclose(sql["pilot_logit"], design.matrix(rows) @ theta, rtol=1e-12)
    final = query(installed, "select * from negsample_coefficients where model = 'final'")
    final_design = design_from_coefficients(final, ["x1", "x2"], ["is_weekend", "region_code"])
    # The final fit's log odds, before the intercept update the scored view adds.
    scored = query(
        installed, "select event_id, final_logit from negsample_final_scores order by event_id"
    )
    np.testing.assert_allclose(
        scored["final_logit"],
        final_design.matrix(rows) @ coefficient_vector(final, final_design),
        rtol=1e-12,
    )


def test_final_fit_recovers_truth_with_typed_levels(installed):
    final = query(
        installed, "select * from negsample_coefficients where model = 'final' and not is_reference"
    )
    ref = {
        row.term: row.level
        for row in query(
            installed,
            "select term, level from negsample_coefficients where model = 'final' and is_reference",
        ).itertuples()
    }
    assert ref == {"is_weekend": "false", "region_code": "1"}
    truth = {
        ("intercept", None): TRUE["intercept"],
        ("x1", None): TRUE["x1"],
        ("x2", None): TRUE["x2"],
        ("is_weekend", "true"): TRUE["weekend"],
        ("region_code", "2"): TRUE["region_2"],
        ("region_code", "3"): TRUE["region_3"],
    }
    for row in final.itertuples():
        level = None if pd.isna(row.level) else row.level
        assert abs(row.estimate - truth[(row.term, level)]) < 3 * row.std_error, row


def test_string_ids_are_keyed_by_md5(installed):
    rows = query(installed, "select event_id, negsample_key from negsample_input limit 50")
    for row in rows.itertuples():
        digest = hashlib.md5(row.event_id.encode()).hexdigest()
        assert row.negsample_key == int(digest[:15], 16)
