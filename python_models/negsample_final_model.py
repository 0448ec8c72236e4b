"""Final logistic regression on the kept rows (DESIGN step 7).

model = 'final': log-odds corrected likelihood, offset -ln(pi) on every kept
row, positives included; population-scale coefficients.
model = 'ipw': the inverse-probability-weighted fit (weights 1/pi on
negatives, no offset, sandwich standard errors), kept for comparison.
Reference levels follow the pilot's, so both tables read the same way
(the most frequent level for a feature the pilot gives no reference for).
"""

import json
from typing import Any

import pandas as pd

from negsample.fit import FitSpec, fit_logistic_together, make_design, reference_levels
from negsample.rows import rows_of, to_pandas


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
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
        dbt.ref("negsample_sample"),
        order_by=id_column,
        columns=[id_column, label, *numeric, *categorical, "log_odds_offset", "ipw_weight"],
    )
    # The pilot's coefficients wherever they came from (Python fit or a
    # relation); none when p~ is the pilot_score_column alone.
    pilot = to_pandas(dbt.ref("negsample_pilot_coefficients"))
    design = make_design(sample, numeric, categorical, reference=reference_levels(pilot))

    # Both fits share every pass over the rows (one ordered read per Newton
    # step, not two); each gives the bits it would give alone.
    corrected, weighted = fit_logistic_together(
        sample,
        label,
        design,
        [
            FitSpec(
                offset="log_odds_offset", what="negsample_final_model (log-odds corrected fit)"
            ),
            FitSpec(
                weights="ipw_weight",
                what="negsample_final_model (inverse-probability-weighted fit)",
            ),
        ],
    )
    return pd.concat(
        [corrected.coefficient_table("final"), weighted.coefficient_table("ipw")],
        ignore_index=True,
    )
