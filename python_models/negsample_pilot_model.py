"""Pilot logistic regression on the pilot sample (DESIGN steps 1-2).

Every row carries the offset -ln(rho0) of the uniform pilot draw, so the
coefficients come out on the population scale. Output: the coefficient
contract (model = 'pilot'). Settings arrive through `config:` in
python_models/schema.yml; each is read with a plain `dbt.config.get` statement.
"""

import json
from typing import Any

import pandas as pd

from negsample.fit import fit_logistic, make_design, to_pandas


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    numeric_json = dbt.config.get("numeric_features")
    categorical_json = dbt.config.get("categorical_features")
    label = dbt.config.get("label_column")
    numeric = json.loads(numeric_json)
    categorical = json.loads(categorical_json)

    sample = to_pandas(dbt.ref("negsample_pilot_sample"))
    design = make_design(sample, numeric, categorical)
    fit = fit_logistic(
        sample,
        label,
        design,
        offset=sample["log_odds_offset"].to_numpy(dtype=float),
        what="negsample_pilot_model (pilot logistic regression)",
    )
    return fit.coefficient_table("pilot")
