"""Inverse of the pilot information matrix, for the A-optimal score (DESIGN step 3).

M = E[p(1-p) x-dot x-dot^T] is estimated on the pilot sample with p from the
pilot coefficients and each negative weighted by 1/rho0, so that it stands
for the full table. Output: one row per (row term, column term) of M^-1.
"""

import json
from typing import Any

import pandas as pd

from negsample.fit import (
    coefficient_vector,
    design_from_coefficients,
    information_table,
    pilot_information_inverse,
)
from negsample.rows import rows_of, to_pandas


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

    # Streamed in chunks sorted by id: the sums never hold the whole sample,
    # and see the same rows in the same order whatever the warehouse's thread
    # count, so M^-1 is the same bits.
    sample = rows_of(
        dbt.ref("negsample_pilot_sample"),
        order_by=id_column,
        columns=[id_column, label, *numeric, *categorical, "pilot_rate"],
    )
    coefficients = to_pandas(dbt.ref("negsample_pilot_model"))
    design = design_from_coefficients(coefficients, numeric, categorical)
    theta = coefficient_vector(coefficients, design)
    inverse = pilot_information_inverse(sample, design, theta, label, "pilot_rate")
    return information_table(inverse, design)
