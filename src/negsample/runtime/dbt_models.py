"""The bodies of a design's dbt Python models: the pilot fit and the final fit.

Each design has two thin Python model files (the package's own for the
default design, ``negsample add-design NAME`` writes a named design's) that
name their ``ref``s literally, as dbt requires, and call the functions here.
A design's settings arrive as the JSON that ``<design>_source_check``
wrote: the one normalised configuration the SQL models read too.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from negsample.runtime.fit import (
    COEFFICIENT_COLUMNS,
    FitSpec,
    fit_logistic,
    fit_logistic_together,
    information_table,
    make_design,
    pilot_information_inverse,
    reference_levels,
)
from negsample.runtime.rows import rows_of, to_pandas

#: The pilot's long table: the coefficient contract, plus the matrix column
#: of M~^-1's entries (model 'information': term/level is the row,
#: col_term/col_level the column, estimate the entry).
PILOT_COLUMNS = [*COEFFICIENT_COLUMNS, "col_term", "col_level"]


def design_settings(source_check: Any) -> dict[str, Any]:
    """The settings of a design, from its source check (a relation, or a DataFrame)."""
    row = to_pandas(source_check).iloc[0]
    settings = json.loads(row["settings"])
    settings["is_frozen_design"] = bool(row["is_frozen_design"])
    return settings


def _empty(columns: list[str]) -> pd.DataFrame:
    """No rows, in the contract's column types (text, a boolean, two doubles)."""
    types = {"is_reference": bool, "estimate": float, "std_error": float}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, object)) for c in columns})


def _long(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in PILOT_COLUMNS:
        if column not in out.columns:
            out[column] = None
    return out[PILOT_COLUMNS]


def _matrix_long(model: str, information: pd.DataFrame) -> pd.DataFrame:
    """A matrix in the information contract as rows of the pilot's long table."""
    return pd.DataFrame(
        {
            "model": model,
            "term": information["row_term"],
            "level": information["row_level"],
            "is_reference": False,
            "estimate": information["value"],
            "std_error": None,
            "col_term": information["col_term"],
            "col_level": information["col_level"],
        }
    )[PILOT_COLUMNS]


def pilot_model(source_check: Any, pilot_sample: Any) -> pd.DataFrame:
    """docs/method.md steps 1-2: the pilot fit, and M~^-1 for the matrix scores.

    The fit reads the pilot's rows of the pilot sample (is_pilot_row), each
    with the offset -ln(rho0) of the uniform pilot draw, so the
    coefficients come out on the population scale. M~ is estimated on the
    whole pilot sample, a negative standing for 1/rho_s rows. Empty when
    the pilot is not fitted in this build: a frozen design's stored pilot
    serves, or the settings give it (pilot coefficients, or p~ from a
    column alone).
    """
    settings = design_settings(source_check)
    if settings["is_frozen_design"] or settings["pilot_source"] != "python":
        return _empty(PILOT_COLUMNS)
    numeric = settings["numeric_features"]
    categorical = settings["categorical_features"]
    label, id_column = settings["label_column"], settings["id_column"]
    columns = [id_column, label, *numeric, *categorical]
    # Streamed in chunks sorted by id: the fit never holds the whole sample,
    # and sees the same rows in the same order whatever the warehouse's thread
    # count, so its coefficients are the same bits.
    pilot_rows = rows_of(
        pilot_sample,
        order_by=id_column,
        columns=[*columns, "log_odds_offset"],
        where="is_pilot_row",
    )
    what = f"{settings['design']}_pilot_model (pilot logistic regression)"
    design = make_design(pilot_rows, numeric, categorical, what=what)
    fit = fit_logistic(pilot_rows, label, design, offset="log_odds_offset", what=what)
    parts = [_long(fit.coefficient_table("pilot"))]
    if set(settings["candidate_scores"]) & {"a_optimal", "logit_optimal"}:
        every_row = rows_of(pilot_sample, order_by=id_column, columns=[*columns, "scale_rate"])
        inverse = pilot_information_inverse(every_row, design, fit.estimate, label, "scale_rate")
        parts.append(_matrix_long("information", information_table(inverse, design)))
    return pd.concat(parts, ignore_index=True)


def final_model(source_check: Any, sample: Any, pilot_coefficients: Any) -> pd.DataFrame:
    """docs/method.md step 7: the log-odds corrected fit ('final') and the IPW fit ('ipw').

    'final' has offset -ln(pi) on every kept row, positives included, and
    population-scale coefficients; 'ipw' weights negatives by 1/pi, without
    an offset, with sandwich standard errors, for comparison. Reference
    levels follow the pilot's (the most frequent level where the pilot has
    none), so both tables read the same way. Empty when the setting
    final_coefficients names coefficients fitted elsewhere.
    """
    settings = design_settings(source_check)
    if settings["final_source"] != "python":
        return _empty(PILOT_COLUMNS)
    numeric = settings["numeric_features"]
    categorical = settings["categorical_features"]
    label, id_column = settings["label_column"], settings["id_column"]
    design_name = settings["design"]
    rows = rows_of(
        sample,
        order_by=id_column,
        columns=[id_column, label, *numeric, *categorical, "log_odds_offset", "ipw_weight"],
    )
    pilot = to_pandas(pilot_coefficients)
    pilot = pilot[pilot["model"] == "pilot"]
    design = make_design(
        rows,
        numeric,
        categorical,
        reference=reference_levels(pilot),
        what=f"{design_name}_final_model",
    )
    # Both fits share every pass over the rows (one ordered read per Newton
    # step, not two); each gives the bits it would give alone.
    corrected, weighted = fit_logistic_together(
        rows,
        label,
        design,
        [
            FitSpec(
                offset="log_odds_offset",
                what=f"{design_name}_final_model (log-odds corrected fit)",
            ),
            FitSpec(
                weights="ipw_weight",
                what=f"{design_name}_final_model (inverse-probability-weighted fit)",
            ),
        ],
    )
    # The corrected fit's whole covariance: the intercept update's check
    # weighs it by the table's average design vector.
    covariance = information_table(corrected.covariance, design)
    return pd.concat(
        [
            _long(corrected.coefficient_table("final")),
            _long(weighted.coefficient_table("ipw")),
            _matrix_long("final_covariance", covariance),
        ],
        ignore_index=True,
    )
