"""The whole pipeline on a real PostgreSQL server, fits included, with no coefficient vars.

The package's own project is built on PostgreSQL as a new user would
(`dbt build --target postgres`, the profile's second output): the demo seed
loads with the package's column types, and since PostgreSQL runs no dbt
Python models, `fit_engine: auto` picks the SQL engine (Newton steps as
aggregate queries on the server). Every model and data test must pass, the
kept rows must be DuckDB's, and the coefficients must agree with the DuckDB
build's Python fits.

Named designs ride on the same build (a copy of the project with their files
written by `negsample add-design`), on a smaller table cut from the demo
with a text id and a second categorical added: between them and the default design
(integer ids, one categorical, a_optimal, paper budget) they cover md5 keys,
the exact budget, two categoricals in the a_optimal quadratic form, score
auto, reuse_pilot off, p~ from a column and a frozen design. The same
designs are built on DuckDB (Python fits); each must keep the same rows and
agree on the fits. The frozen design is then built again on both engines
after a late label: its stores stay as they were and no temporary relation
is left behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import yaml

from negsample.tools import cli
from negsample.tools.settings import DEFAULTS
from tests.conftest import PROJECT_DIR, query, run_dbt
from tests.postgres_server import running_server

pytestmark = [pytest.mark.postgres, pytest.mark.dbt]

# The named designs sample a smaller, denser table: every positive and every
# tenth negative of the demo's first 20,000 rows (about 2,200 rows, 211
# positives), enough for ten coefficients and cheap to build four times over.
EVENTS = """
-- A text id, a second categorical (unrelated to the label) and a logged score.
select
    'evt-' || cast(id as varchar) as event_key,
    id,
    label,
    tenure_months,
    balance,
    is_mobile,
    sessions_30d,
    channel,
    case id % 3 when 0 then 'north' when 1 then 'south' else 'east' end as region,
    0.002 + 0.001 * sessions_30d as logged_score
from {{ ref('demo_events') }}
where id <= 20000 and (label = 1 or id % 10 = 0)
"""
# The frozen design's table, where labels arrive late (var pg:late_positive).
LIVING = """
{%- set late = var('pg:late_positive', []) %}
select
    id,
    {%- if late %}
    case when id in ({{ late | join(', ') }}) then 1 else label end as label,
    {%- else %}
    label,
    {%- endif %}
    tenure_months,
    balance,
    is_mobile,
    sessions_30d,
    channel,
    region
from {{ ref('pg_events') }}
"""
TWO_CATEGORICALS = ["channel", "region"]
DESIGNS = {
    # md5 keys, two categoricals in the a_optimal quadratic form, the exact budget.
    "keys": {
        "source": "pg_events",
        "id_column": "event_key",
        "categorical_features": TWO_CATEGORICALS,
        "budget": "exact",
    },
    # The score chosen on the pilot sample, the paper's draw alone.
    "auto": {"source": "pg_events", "score": "auto", "reuse_pilot": False},
    # p~ from a column: no pilot is fitted.
    "pcol": {
        "source": "pg_events",
        "pilot_score_column": "logged_score",
        "score": "p",
        "reuse_pilot": False,
    },
    # Stores its parameters; built a second time after a late label.
    "frozen": {
        "source": "pg_living",
        "categorical_features": TWO_CATEGORICALS,
        "freeze_design": True,
    },
}
ID_COLUMN = {name: settings.get("id_column", "id") for name, settings in DESIGNS.items()}
STORES = {
    "pilot_coefficients": "model, term, level, col_term, col_level",
    "sampling_scale": "design_key",
    "score_choice": "score",
}
# What the package's own project needs to build (no tests, docs or benches).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "python_models", "macros", "seeds")


def package_copy(root: Path) -> Path:
    """The package's own project with the named designs, their sources and model files."""
    project = root / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(PROJECT_DIR / name, project / name)
    for name in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / name, project / name)
    (project / "models" / "pg_events.sql").write_text(EVENTS)
    (project / "models" / "pg_living.sql").write_text(LIVING)
    settings = yaml.safe_load((project / "dbt_project.yml").read_text())
    settings["vars"] = {"negsample:designs": DESIGNS}
    (project / "dbt_project.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    assert cli.main(["add-design", "--all", "--project-dir", str(project)]) == 0
    return project


@dataclass
class Builds:
    """The Postgres builds and their DuckDB twins."""

    read: Callable[[str], pd.DataFrame]  # a query on the server, as a DataFrame
    output: str  # the first build's log
    named_duckdb: Path  # the named designs built on DuckDB
    late_id: int  # the negative that turned positive before the second build
    stores_before: dict[str, pd.DataFrame]  # the frozen design's stores after the first build
    frozen_before: dict[str, pd.DataFrame]  # its sample and fits after the first build
    rebuild_output: str  # the second build's log (the frozen design, after the late label)
    rebuilt_duckdb: Path  # the same second build on DuckDB


def build_passed(output: str) -> bool:
    flat = " ".join(output.split())
    return "ERROR=0" in flat and "SKIP=0" in flat


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """One build of the package and its named designs on PostgreSQL, then the frozen one again."""
    import psycopg2

    root = tmp_path_factory.mktemp("postgres")
    project = package_copy(root)
    twin = root / "named.duckdb"
    # Only the named designs: the default design's twin is the demo build.
    named = ["--select", "+path:models/negsample"]
    run_dbt(["build", *named], twin, project_dir=project)
    frozen_probs = query(twin, "select id, label, is_sampled from frozen_sampling_probs")
    late_id = int(frozen_probs.loc[~frozen_probs["is_sampled"], "id"].min())
    late = {"pg:late_positive": [late_id]}
    frozen = ["--select", "pg_living+"]
    with running_server() as server:
        with mock.patch.dict(os.environ, {"NEGSAMPLE_POSTGRES_PORT": str(server.port)}):
            build = run_dbt(
                ["build", "--target", "postgres"], root / "pg.duckdb", project_dir=project
            )
            connection = psycopg2.connect(
                host="127.0.0.1", port=server.port, user="postgres", dbname="negsample"
            )
            # No open transaction: it would hold locks the second build waits for.
            connection.autocommit = True

            def read(sql: str) -> pd.DataFrame:
                with connection.cursor() as cursor:
                    cursor.execute(sql.replace("{schema}", "negsample"))
                    names = [d[0] for d in cursor.description]
                    return pd.DataFrame(cursor.fetchall(), columns=names)

            stores = {
                kind: read(f"select * from {{schema}}.frozen_{kind} order by {order}")
                for kind, order in STORES.items()
            }
            before = {
                kind: read(f"select * from {{schema}}.frozen_{kind}")
                for kind in ("sample", "coefficients")
            }
            rebuild = run_dbt(
                ["build", "--target", "postgres", *frozen],
                root / "pg.duckdb",
                variables=late,
                project_dir=project,
            )
        rebuilt = root / "rebuilt.duckdb"
        shutil.copy(twin, rebuilt)
        run_dbt(["build", *frozen], rebuilt, variables=late, project_dir=project)
        yield Builds(read, build.output, twin, late_id, stores, before, rebuild.output, rebuilt)
        connection.close()


def test_every_model_and_data_test_passes_on_postgres(postgres):
    assert build_passed(postgres.output)
    models = postgres.read(
        "select table_name from information_schema.tables where table_schema = 'negsample'"
    )
    names = set(models["table_name"])
    for design in ["negsample", *DESIGNS]:
        for kind in ("sample", "coefficients", "design", "scored", "diagnostics"):
            assert f"{design}_{kind}" in names, (design, kind)
        # No Python model ran: the SQL engine fitted the pilot and the final model.
        assert f"{design}_pilot_model" not in names and f"{design}_final_model" not in names
        assert f"{design}_final_model_sql" in names
    assert "negsample_pilot_model_sql" in names


def test_postgres_keeps_the_rows_duckdb_keeps(postgres, demo_db):
    here = postgres.read(
        "select id, label, sampling_prob from {schema}.negsample_sample order by id"
    )
    there = query(demo_db, "select id, label, sampling_prob from negsample_sample order by id")
    assert len(here) == len(there) > 2000
    np.testing.assert_array_equal(here["id"].astype(int), there["id"])
    np.testing.assert_allclose(
        here["sampling_prob"].astype(float), there["sampling_prob"], rtol=1e-9
    )


def assert_same_fits(here: pd.DataFrame, there: pd.DataFrame, fitted: int) -> None:
    """Every fitted coefficient and standard error within 1e-6 relative of DuckDB's."""
    merged = here.merge(there, on=["model", "term", "level"], suffixes=("_pg", "_duckdb"))
    assert len(merged) == len(here) == len(there) == fitted
    for column in ("estimate", "std_error"):
        got = merged[f"{column}_pg"].astype(float).to_numpy()
        expected = merged[f"{column}_duckdb"].to_numpy()
        assert np.max(np.abs(got / expected - 1)) <= 1e-6, column


def test_postgres_fits_agree_with_duckdbs_python_fits(postgres, demo_db):
    sql = "select model, term, level, estimate, std_error from {table} where not is_reference"
    here = postgres.read(sql.format(table="{schema}.negsample_coefficients"))
    there = query(demo_db, sql.format(table="negsample_coefficients"))
    assert_same_fits(here, there, 3 * 8)


COUNTS = ("n_rows", "n_positive", "kept_negatives", "kept_rows", "n_capped", "n_floored")


def assert_same_counts(here: pd.Series, there: pd.Series) -> None:
    for column in COUNTS:
        assert int(here[column]) == int(there[column]), column
    assert float(here["expected_negatives"]) == pytest.approx(there["expected_negatives"], rel=1e-9)


def test_postgres_design_counts_match(postgres, demo_db):
    here = postgres.read("select * from {schema}.negsample_design").iloc[0]
    there = query(demo_db, "select * from negsample_design").iloc[0]
    assert_same_counts(here, there)


def kept_rows(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Kept rows in the order of their id as text (the engines collate text differently)."""
    frame = frame.assign(key=frame[id_column].astype(str))
    return frame.sort_values("key").reset_index(drop=True)


def assert_same_sample(here: pd.DataFrame, there: pd.DataFrame, id_column: str) -> None:
    here, there = kept_rows(here, id_column), kept_rows(there, id_column)
    assert len(here) == len(there) > 100
    np.testing.assert_array_equal(here["key"], there["key"])
    np.testing.assert_array_equal(here["label"].astype(int), there["label"])
    for column in ("sampling_prob", "log_odds_offset"):
        np.testing.assert_allclose(here[column].astype(float), there[column], rtol=1e-9)


def sample_sql(design: str, schema: str = "") -> str:
    return (
        f"select {ID_COLUMN[design]}, label, sampling_prob, log_odds_offset "
        f"from {schema}{design}_sample"
    )


COEFFICIENTS = (
    "select model, term, level, estimate, std_error from {table}_coefficients "
    "where not is_reference"
)


def fitted_count(design: str) -> int:
    """Free coefficients of each model: intercept, four numeric, 3 channel levels (+2 region)."""
    categoricals = DESIGNS[design].get("categorical_features", ["channel"])
    free = 1 + 4 + 3 + (2 if "region" in categoricals else 0)
    # pilot, final and ipw; a pilot is fitted unless p~ comes from a column alone.
    return free * (2 if "pilot_score_column" in DESIGNS[design] else 3)


@pytest.mark.parametrize("design", list(DESIGNS))
def test_named_design_keeps_the_rows_duckdb_keeps(postgres, design):
    if design == "frozen":
        here = postgres.frozen_before["sample"]
    else:
        here = postgres.read(sample_sql(design, "{schema}."))
    there = query(postgres.named_duckdb, sample_sql(design))
    assert_same_sample(here, there, ID_COLUMN[design])


@pytest.mark.parametrize("design", list(DESIGNS))
def test_named_design_fits_agree_with_duckdbs_python_fits(postgres, design):
    if design == "frozen":
        here = postgres.frozen_before["coefficients"]
        here = here.loc[~here["is_reference"], ["model", "term", "level", "estimate", "std_error"]]
    else:
        here = postgres.read(COEFFICIENTS.format(table=f"{{schema}}.{design}"))
    there = query(postgres.named_duckdb, COEFFICIENTS.format(table=design))
    assert_same_fits(here, there, fitted_count(design))


@pytest.mark.parametrize("design", [d for d in DESIGNS if d != "frozen"])
def test_named_design_counts_match(postgres, design):
    here = postgres.read(f"select * from {{schema}}.{design}_design").iloc[0]
    there = query(postgres.named_duckdb, f"select * from {design}_design").iloc[0]
    assert_same_counts(here, there)
    assert here["score"] == there["score"] and here["budget"] == there["budget"]
    assert int(here["n_positive"]) == 211


def test_text_ids_are_keyed_by_the_first_60_bits_of_md5(postgres):
    keys = postgres.read("select event_key, negsample_key from {schema}.keys_input")
    assert len(keys) > 2000
    expected = [int(hashlib.md5(k.encode()).hexdigest()[:15], 16) for k in keys["event_key"]]
    np.testing.assert_array_equal(keys["negsample_key"].astype(np.int64), expected)


def test_the_row_key_is_fenced_where_postgres_would_paste_it(postgres):
    model = "keys_input"
    # PostgreSQL flattens a view and inlines a CTE read once, pasting the md5
    # key into each of the dozens of places the seeded uniforms read it (and
    # JIT-compiling the result). The view and the CTE that compute the key end
    # in `offset 0`, which PostgreSQL neither flattens nor inlines.
    run = postgres.named_duckdb.parent / "pg_dbt" / "target" / "run"
    (path,) = run.rglob(f"{model}.sql")
    sql = " ".join(path.read_text().split())
    key = sql.index("as negsample_key")
    fenced = r"from (\S+ as )?source_rows cross join source_check offset 0\b"
    assert re.match(fenced, sql[key + len("as negsample_key ") :]), sql[key : key + 300]


def test_exact_budget_keeps_rho_n0_negatives_in_expectation(postgres):
    """Sum over negatives of the main draw's pi (the union's pi* less the pilot's) is rho N0."""
    scale = postgres.read("select * from {schema}.keys_sampling_scale").iloc[0]
    there = query(postgres.named_duckdb, "select sampling_scale from keys_sampling_scale")
    assert float(scale["sampling_scale"]) == pytest.approx(there.iloc[0, 0], rel=1e-9)
    # The scale sample holds every negative of this small table: the solve is over them all.
    rows = postgres.read("select sampling_prob from {schema}.keys_sampling_probs where label = 0")
    union = rows["sampling_prob"].astype(float).to_numpy()
    main = 1.0 - (1.0 - union) / (1.0 - float(scale["pilot_rate"]))
    assert main.sum() == pytest.approx(DEFAULTS["sampling_rate"] * len(union), rel=1e-9)


def test_score_auto_makes_duckdbs_choice(postgres):
    order = "select * from {table}_score_choice order by score"
    here = postgres.read(order.format(table="{schema}.auto"))
    there = query(postgres.named_duckdb, order.format(table="auto"))
    assert len(here) == len(there) == 5
    np.testing.assert_array_equal(here["score"], there["score"])
    np.testing.assert_array_equal(here["is_chosen"], there["is_chosen"])
    np.testing.assert_allclose(here["criterion"].astype(float), there["criterion"], rtol=1e-6)
    chosen = here.loc[here["is_chosen"], "score"].iloc[0]
    design = postgres.read("select score, is_pilot_reused from {schema}.auto_design").iloc[0]
    assert design["score"] == chosen and not design["is_pilot_reused"]


def test_a_frozen_design_rebuilt_after_a_late_label_keeps_its_stores(postgres):
    assert build_passed(postgres.rebuild_output)
    for kind, order in STORES.items():
        after = postgres.read(f"select * from {{schema}}.frozen_{kind} order by {order}")
        pd.testing.assert_frame_equal(after, postgres.stores_before[kind], check_exact=True)
    relations = postgres.read(
        "select table_name from information_schema.tables where table_schema = 'negsample'"
    )["table_name"]
    leftovers = [n for n in relations if "dbt_tmp" in n or "dbt_backup" in n or "__" in n]
    assert not leftovers, leftovers
    design = postgres.read("select * from {schema}.frozen_design").iloc[0]
    assert bool(design["is_frozen_design"])
    before = postgres.frozen_before["sample"]
    assert postgres.late_id not in set(before["id"])
    # The late positive is kept, like every positive.
    late = postgres.read(
        f"select label from {{schema}}.frozen_sample where id = {postgres.late_id}"
    )
    assert late["label"].tolist() == [1]


def test_a_rebuilt_frozen_design_is_duckdbs_rebuild(postgres):
    here = postgres.read(sample_sql("frozen", "{schema}."))
    there = query(postgres.rebuilt_duckdb, sample_sql("frozen"))
    assert_same_sample(here, there, "id")
    assert len(here) == len(postgres.frozen_before["sample"]) + 1
    assert_same_fits(
        postgres.read(COEFFICIENTS.format(table="{schema}.frozen")),
        query(postgres.rebuilt_duckdb, COEFFICIENTS.format(table="frozen")),
        fitted_count("frozen"),
    )
    here = postgres.read("select * from {schema}.frozen_design").iloc[0]
    there = query(postgres.rebuilt_duckdb, "select * from frozen_design").iloc[0]
    assert_same_counts(here, there)
    assert bool(there["is_frozen_design"])
