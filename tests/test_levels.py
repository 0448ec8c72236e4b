"""NULL, unseen and boolean categorical levels, built end to end.

The source is 20,000 demo rows with a boolean feature `promo` (no effect on
the label) beside `channel`, where some rows have a NULL channel and a few
negatives a level, 'kiosk', that no fit ever sees: neither the pilot draw
nor the final draw keeps them (chosen below from the seeded uniforms). The
documented rule: levels are text ('true'/'false' for a boolean), and a NULL
or a level the pilot never saw is scored as the reference level and counted
in n_unseen_levels and the design's n_unseen_level_rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference
from negsample.tools import demo
from tests import by_hand
from tests.conftest import final_scores_sql, package_project, query, run_dbt

pytestmark = pytest.mark.dbt

ROWS = 20_000
SEED = 42  # negsample:seed, the package default
UNSEEN = "kiosk"
CATEGORICAL = ["channel", "promo"]


def events() -> pd.DataFrame:
    """Demo rows with a boolean `promo`, NULL channels and negatives on an unseen level."""
    frame = demo.generate(ROWS, seed=3)
    frame["channel"] = frame["channel"].astype(object)
    keys = frame["id"].to_numpy()
    frame["promo"] = reference.uniform(keys, 7, 5) < 0.3
    frame.loc[frame["id"] % 97 == 0, "channel"] = None
    # Negatives far from both draws: the pilot keeps a negative when its
    # 'pilot' uniform is below rho0 (about 0.01 here), the final draw when
    # its 'sample' uniform is below pi (0.05 on average, 1 only when capped).
    far = (
        (frame["label"] == 0)
        & frame["channel"].notna()
        & (reference.uniform(keys, SEED, "pilot") > 0.5)
        & (reference.uniform(keys, SEED, "sample") > 0.999)
    )
    frame.loc[far[far].index[:12], "channel"] = UNSEEN
    return frame


@pytest.fixture(scope="module")
def levels_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("levels")
    variables = {
        "negsample:source": "base_events",
        "negsample:categorical_features": CATEGORICAL,
    }
    project = package_project(root, "levels", variables, demo_seed=3)
    source = events()
    source.to_csv(project / "seeds" / "base_events.csv", index=False)
    database = root / "levels.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["build"], database, project_dir=project)
    return database, source


def test_the_fixture_has_null_and_unseen_levels_no_fit_sees(levels_db):
    database, source = levels_db
    unseen = source.loc[source["channel"] == UNSEEN, "id"]
    assert len(unseen) == 12
    assert source["channel"].isna().sum() > 100
    # The pilot fit reads the pilot's rows, the final fit the kept ones.
    for rows in ("negsample_pilot_sample where is_pilot_row and", "negsample_sample where"):
        held = query(database, f"select id from {rows} channel = '{UNSEEN}'")
        assert held.empty, rows


def test_levels_are_text_and_neither_null_nor_unseen_is_a_level(levels_db):
    database, _ = levels_db
    table = query(database, "select * from negsample_coefficients")
    for model in ("pilot", "final", "ipw"):
        part = table[table["model"] == model]
        found = {
            name: sorted(part.loc[part["term"] == name, "level"].tolist()) for name in CATEGORICAL
        }
        assert found == {
            "channel": sorted(demo.CHANNEL_LEVELS),
            "promo": ["false", "true"],
        }, model


def test_null_and_unseen_levels_are_counted(levels_db):
    database, source = levels_db
    expected = (source["channel"].isna() | (source["channel"] == UNSEEN)).to_numpy()
    design = query(database, "select n_unseen_level_rows, n_rows from negsample_design").iloc[0]
    assert design["n_rows"] == ROWS
    assert design["n_unseen_level_rows"] == expected.sum()
    rows = query(database, "select id, n_unseen_levels from negsample_sampling_probs order by id")
    assert len(rows) == ROWS
    np.testing.assert_array_equal(rows["id"], source["id"])
    np.testing.assert_array_equal(rows["n_unseen_levels"], expected.astype(int))


def test_null_and_unseen_levels_score_as_the_reference(levels_db):
    """The pilot's and the final fit's log odds of every row, by hand from the source's values."""
    database, source = levels_db
    table = query(database, "select * from negsample_coefficients")
    numeric = list(demo.NUMERIC_FEATURES)
    pilot = query(database, "select id, pilot_logit from negsample_sampling_probs order by id")
    assert len(pilot) == ROWS
    expected = by_hand.logit(source, by_hand.coefficients_of(table, "pilot"), numeric, CATEGORICAL)
    np.testing.assert_allclose(pilot["pilot_logit"], expected, rtol=1e-12, atol=1e-12)
    scored = query(database, final_scores_sql() + " order by id")
    assert len(scored) == ROWS
    expected = by_hand.logit(source, by_hand.coefficients_of(table, "final"), numeric, CATEGORICAL)
    np.testing.assert_allclose(scored["final_logit"], expected, rtol=1e-12, atol=1e-12)
    # A NULL or unseen level gets a probability like any other row.
    probs = query(database, "select count(corrected_prob) as n from negsample_scored")
    assert probs["n"].iloc[0] == ROWS
