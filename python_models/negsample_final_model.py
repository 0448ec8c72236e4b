"""Final logistic regression on the kept rows (DESIGN step 7).

model = 'final': log-odds corrected likelihood, offset -ln(pi) on every kept
row, positives included; population-scale coefficients.
model = 'ipw': the inverse-probability-weighted fit (weights 1/pi on
negatives, no offset, sandwich standard errors), kept for comparison.
Reference levels follow the pilot's, so both tables read the same way.
"""

import json
from typing import Any

import pandas as pd

from negsample.fit import design_from_coefficients, fit_logistic, make_design


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    numeric_json = dbt.config.get("numeric_features")
    categorical_json = dbt.config.get("categorical_features")
    label = dbt.config.get("label_column")
    id_column = dbt.config.get("id_column")
    numeric = json.loads(numeric_json)
    categorical = json.loads(categorical_json)

    # Sorted by id: the fit then sees the same rows in the same order whatever
    # the warehouse's thread count, so its coefficients are the same bits.
    sample = dbt.ref("negsample_sample").df().sort_values(id_column, kind="mergesort")
    pilot = dbt.ref("negsample_pilot_model").df()
    pilot_design = design_from_coefficients(pilot, numeric, categorical)
    design = make_design(sample, numeric, categorical, reference=pilot_design.reference)

    corrected = fit_logistic(
        sample,
        label,
        design,
        offset=sample["log_odds_offset"].to_numpy(dtype=float),
        what="negsample_final_model (log-odds corrected fit)",
    )
    weighted = fit_logistic(
        sample,
        label,
        design,
        weights=sample["ipw_weight"].to_numpy(dtype=float),
        what="negsample_final_model (inverse-probability-weighted fit)",
    )
    return pd.concat(
        [corrected.coefficient_table("final"), weighted.coefficient_table("ipw")],
        ignore_index=True,
    )
