"""dbt docs: every model, column, macro and var of the package is described."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from negsample.tools.settings import DEFAULTS, flat_var
from tests.conftest import PROJECT_DIR, run_dbt

pytestmark = pytest.mark.dbt

PACKAGE = "negsample"


@pytest.fixture(scope="module")
def docs(demo_db, tmp_path_factory) -> dict:
    """Manifest, catalog and target/ of `dbt docs generate` on a copy of the demo build."""
    database = tmp_path_factory.mktemp("docs") / "docs.duckdb"
    shutil.copy(demo_db, database)
    run_dbt(["docs", "generate"], database)
    target = database.parent / f"{database.stem}_dbt" / "target"
    return {
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
        "target": target,
    }


def project_vars() -> dict:
    """The default design's flat vars, one per setting, with their defaults."""
    return {flat_var(name): value for name, value in DEFAULTS.items()}


def package_nodes(manifest: dict, kinds: tuple[str, ...]) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in kinds and node["package_name"] == PACKAGE
    }


def test_every_model_seed_and_listed_column_is_described(docs):
    nodes = package_nodes(docs["manifest"], ("model", "seed"))
    assert "model.negsample.negsample_diagnostics_fit" in nodes
    assert "seed.negsample.demo_events" in nodes
    undescribed = [node["name"] for node in nodes.values() if not node["description"].strip()]
    assert not undescribed
    for node in nodes.values():
        for name, column in node["columns"].items():
            assert column["description"].strip(), f"{node['name']}.{name}"


def test_every_built_column_is_listed_except_the_var_named_features(docs):
    # Feature columns pass through under the names the user's vars give them,
    # so the YAML cannot list them; every other column a model writes must be.
    features = {
        name.lower()
        for key in ("negsample:numeric_features", "negsample:categorical_features")
        for name in project_vars()[key]
    }
    nodes = package_nodes(docs["manifest"], ("model", "seed"))
    missing = []
    for uid, node in nodes.items():
        built = docs["catalog"]["nodes"][uid]["columns"]
        listed = {name.lower() for name in node["columns"]}
        # A documented family of numbered columns, e.g. impute_mean_<i>.
        families = [n.removesuffix("<i>") for n in listed if n.endswith("<i>")]
        if node["resource_type"] == "seed":
            features = set()
        missing += [
            f"{node['name']}.{name}"
            for name in built
            if name.lower() not in listed
            and name.lower() not in features
            and not any(
                name.lower().startswith(f) and name.lower()[len(f) :].isdigit() for f in families
            )
        ]
    assert not missing


MACRO_SIGNATURE = re.compile(r"{%-?\s*(?:macro|test)\s+(\w+)\s*\((.*?)\)\s*-?%}", re.S)


def test_every_macro_dispatch_implementation_and_test_is_described_with_typed_arguments(docs):
    macros = {
        m["name"]: m for m in docs["manifest"]["macros"].values() if m["package_name"] == PACKAGE
    }
    # The check covers dispatch implementations and generic tests, not only
    # the macros users call.
    for name in ("uniform", "default__uniform", "duckdb___bitxor", "test_negsample_unique_key"):
        assert name in macros
    undescribed = sorted(name for name, m in macros.items() if not m["description"].strip())
    assert not undescribed
    for name, macro in macros.items():
        match = MACRO_SIGNATURE.search(macro["macro_sql"])
        assert match, name
        signature = [a.split("=")[0].strip() for a in match.group(2).split(",") if a.strip()]
        documented = {a["name"]: a for a in macro["arguments"]}
        assert list(documented) == signature, name
        for argument in documented.values():
            assert argument["type"] and argument["description"].strip(), (name, argument)


def test_the_reference_documents_every_var():
    reference = (PROJECT_DIR / "docs" / "reference.md").read_text()
    table = re.findall(r"^\| `(negsample:[a-z_]+)` \| (.+?) \|", reference, re.M)
    documented = {name: meaning for name, meaning in table}
    assert set(documented) == set(project_vars()) | {"negsample:designs"}
    assert all(documented[name].strip() for name in documented)


def test_the_reference_lists_every_model_kind_of_the_contract_with_its_materialization():
    from negsample import contract

    reference = (PROJECT_DIR / "docs" / "reference.md").read_text()
    listed = dict(re.findall(r"^\| `<design>_([a-z_]+)` \| ([^|]+) \|", reference, re.M))
    kinds = {k["kind"]: k for k in contract.MODEL_KINDS}
    assert set(listed) == set(kinds)
    for kind, materialized in listed.items():
        expected = kinds[kind]["materialized"]
        if kinds[kind]["language"] == "python":
            expected = f"Python {expected}"
        assert materialized.startswith(expected), (kind, materialized, expected)


def test_example_exposure_is_a_dashboard_reading_the_scored_view(docs):
    exposures = [e for e in docs["manifest"]["exposures"].values() if e["package_name"] == PACKAGE]
    assert len(exposures) == 1
    (exposure,) = exposures
    assert exposure["type"] == "dashboard"
    assert exposure["description"].strip() and exposure["owner"]["name"]
    assert "model.negsample.negsample_scored" in exposure["depends_on"]["nodes"]


def test_docs_generate_writes_the_site_with_every_table_in_the_catalog(docs):
    assert (docs["target"] / "index.html").stat().st_size > 0
    models = package_nodes(docs["manifest"], ("model",))
    assert set(models) <= set(docs["catalog"]["nodes"])


def test_docs_list_the_default_designs_id_and_label_under_the_vars_names(tmp_path):
    # The flat vars name the default design's id and label columns; the docs
    # (the manifest dbt docs reads) list them under those names.
    database = tmp_path / "parse.duckdb"
    variables = {"negsample:id_column": "event_id", "negsample:label_column": "converted"}
    run_dbt(["parse"], database, variables=variables)
    manifest = json.loads((tmp_path / "parse_dbt" / "target" / "manifest.json").read_text())
    by_name = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for kind in ("input", "sample", "scored"):
        columns = by_name[f"negsample_{kind}"]["columns"]
        assert "event_id" in columns and "converted" in columns, (kind, list(columns))
        assert "id" not in columns and "label" not in columns
        assert columns["event_id"]["description"].strip()


def test_each_macro_folder_documents_its_macros_from_their_comments():
    """schema.yml of every macro folder is what negsample.tools.macro_docs writes now."""
    from negsample.tools import macro_docs

    for folder in macro_docs.folders():
        assert (folder / "schema.yml").read_text() == macro_docs.schema_text(folder), (
            f"run `python -m negsample.tools.macro_docs` ({folder})"
        )
