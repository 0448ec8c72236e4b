"""One list per concept: what the SQL and the Python side share is declared once.

The macro negsample._contract (macros/config/contract.sql) declares the
settings' defaults, the model kinds, the adapters that run dbt Python
models, the score modes and the fits' limits and messages; the Python
package reads them from src/negsample/contract.json. Each place that must
still hold a list is checked against it here.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from negsample import contract
from negsample.tools import scaffold
from negsample.tools.contract import rendered_contract
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.core


def test_contract_json_is_what_the_macros_declare():
    assert contract.CONTRACT_PATH.read_text() == rendered_contract(PROJECT_DIR), (
        "run `python -m negsample.tools.contract`"
    )


def test_every_model_kind_has_its_builder_and_its_properties():
    macros = "\n".join(p.read_text() for p in (PROJECT_DIR / "macros").rglob("*.sql"))
    template = (PROJECT_DIR / "src/negsample/tools/templates/design.yml").read_text()
    documented = re.findall(r"^  - name: \$\{design\}_(\w+)$", template, re.M)
    kinds = [k["kind"] for k in contract.MODEL_KINDS]
    assert documented == kinds
    for k in contract.MODEL_KINDS:
        if k["language"] == "sql":
            assert re.search(rf"macro _model_{k['kind']}\(cfg\)", macros), k["kind"]
        else:
            from negsample.runtime import dbt_models

            assert callable(getattr(dbt_models, k["kind"])), k["kind"]


def test_the_package_project_materializes_each_kind_as_declared():
    models = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["models"]["negsample"]
    declared = {
        f"negsample_{k['kind']}": {"+materialized": k["materialized"]} for k in contract.MODEL_KINDS
    }
    assert models == declared


def test_the_python_adapters_are_the_ones_the_properties_enable_python_models_on():
    properties = (PROJECT_DIR / "models" / "negsample.yml").read_text()
    listed = re.findall(r"target\.type in \[([^\]]*)\]", properties)
    assert listed
    for found in listed:
        assert tuple(a.strip(" '") for a in found.split(",")) == contract.PYTHON_ADAPTERS
    assert scaffold.PYTHON_ADAPTERS == contract.PYTHON_ADAPTERS


def test_the_fits_read_their_limits_and_messages_from_the_contract():
    from negsample.runtime import fit

    assert fit.MAX_ITERATIONS == contract.FIT_LIMITS["max_iterations"]
    assert fit.MAX_CONDITION == contract.FIT_LIMITS["max_condition"]
    newton = (PROJECT_DIR / "macros/fit_engine/newton.sql").read_text()
    # Every message the SQL engine stops with is one of the shared ones, by key.
    assert not re.search(r"_fail\(\s*what\s*~", newton)
    for key in re.findall(r"_fit_fail\('(\w+)'", newton):
        assert key in contract.FIT_MESSAGES
    assert json.dumps(contract.FIT_MESSAGES)
