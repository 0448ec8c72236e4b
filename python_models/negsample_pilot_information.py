"""Inverse of the pilot information matrix, for the A-optimal score (DESIGN step 3).

M = E[p(1-p) x-dot x-dot^T] is estimated on the pilot sample with p from the
pilot coefficients and each negative weighted by 1/rho0, so that it stands
for the full table. Output: one row per (row term, column term) of M^-1.
"""

import json
from typing import Any

import numpy as np
import pandas as pd

from negsample.fit import (
    coefficient_vector,
    design_from_coefficients,
    information_inverse,
    to_pandas,
)
from negsample.reference import sigmoid


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

    # Sorted by id: the fit then sees the same rows in the same order whatever
    # the warehouse's thread count, so its coefficients are the same bits.
    sample = to_pandas(dbt.ref("negsample_pilot_sample")).sort_values(id_column, kind="mergesort")
    coefficients = to_pandas(dbt.ref("negsample_pilot_model"))
    design = design_from_coefficients(coefficients, numeric, categorical)
    theta = coefficient_vector(coefficients, design)
    prob = sigmoid(design.matrix(sample) @ theta)
    is_positive = sample[label].to_numpy() == 1
    weights = np.where(is_positive, 1.0, 1.0 / sample["pilot_rate"].to_numpy(dtype=float))
    return information_inverse(sample, design, prob, weights)
