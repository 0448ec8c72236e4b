"""Pilot logistic regression on the pilot sample (DESIGN steps 1-2).

Every row carries the offset -ln(rho0) of the uniform pilot draw, so the
coefficients come out on the population scale. Output: the coefficient
contract (model = 'pilot'). Settings arrive through `config:` in
python_models/schema.yml; each is read with a plain `dbt.config.get` statement.
"""

import json
from typing import Any

import pandas as pd

from negsample.fit import fit_logistic, make_design
from negsample.rows import rows_of


def model(dbt: Any, session: Any) -> pd.DataFrame:
    if dbt.is_incremental:
        # A frozen design (negsample:freeze_design) keeps the stored pilot.
        return session.sql(f"select * from {dbt.this} where false").df()
    numeric_json = dbt.config.get("numeric_features")
    categorical_json = dbt.config.get("categorical_features")
    label = dbt.config.get("label_column")
    id_column = dbt.config.get("id_column")
    numeric = json.loads(numeric_json)
    categorical = json.loads(categorical_json)

    # Streamed in chunks sorted by id: the fit never holds the whole sample,
    # and sees the same rows in the same order whatever the warehouse's thread
    # count, so its coefficients are the same bits.
    sample = rows_of(
        dbt.ref("negsample_pilot_sample"),
        order_by=id_column,
        columns=[id_column, label, *numeric, *categorical, "log_odds_offset"],
    )
    design = make_design(sample, numeric, categorical)
    fit = fit_logistic(
        sample,
        label,
        design,
        offset="log_odds_offset",
        what="negsample_pilot_model (pilot logistic regression)",
    )
    return fit.coefficient_table("pilot")
