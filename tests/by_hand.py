"""The model's design vector and log odds written out by hand, for the tests.

Independent of negsample.runtime.fit on purpose: a test that rebuilt x-dot with the
package's own Design would agree with the package however it rendered a
level. Levels are compared as the text the documented rule gives (a boolean
is 'true'/'false', an integer '1'), and a NULL or a level the coefficient
table does not list contributes nothing: it is scored as the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

Term = tuple[str, str | None]


def level_text(value: object) -> str | None:
    """A categorical value as the SQL models cast it to text; None for NULL."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def coefficients_of(table: pd.DataFrame, model: str) -> dict[Term, float]:
    """{(term, level): estimate} of one model of a coefficient table, reference levels included."""
    rows = table[table["model"] == model]
    out = {
        (str(row.term), None if pd.isna(row.level) else str(row.level)): float(row.estimate)
        for row in rows.itertuples()
    }
    assert len(out) == len(rows), f"repeated (term, level) in the {model} coefficients"
    return out


def free_terms(table: pd.DataFrame, model: str, numeric: Sequence[str]) -> list[Term]:
    """The fitted terms in the package's order: intercept, numerics, non-reference levels sorted."""
    rows = table[(table["model"] == model) & ~table["is_reference"].astype(bool)]
    levels = sorted((str(r.term), str(r.level)) for r in rows.itertuples() if not pd.isna(r.level))
    return [("intercept", None), *[(name, None) for name in numeric], *levels]


def stored_matrix(table: pd.DataFrame, model: str, terms: Sequence[Term]) -> np.ndarray:
    """The k x k matrix ``model`` of a pilot_coefficients table, in the order of ``terms``."""
    index = {term: i for i, term in enumerate(terms)}
    rows = table[table["model"] == model]
    matrix = np.zeros((len(terms), len(terms)))
    for row in rows.itertuples():
        level = None if pd.isna(row.level) else row.level
        col_level = None if pd.isna(row.col_level) else row.col_level
        matrix[index[(row.term, level)], index[(row.col_term, col_level)]] = row.estimate
    assert len(rows) == len(terms) ** 2, model
    return matrix


def design_matrix(rows: pd.DataFrame, terms: Sequence[Term]) -> np.ndarray:
    """x-dot of every row for ``terms``: 1, the numeric values, level indicators on the text."""
    columns = []
    texts: dict[str, np.ndarray] = {}
    for term, level in terms:
        if term == "intercept":
            columns.append(np.ones(len(rows)))
        elif level is None:
            columns.append(rows[term].to_numpy(dtype=float))
        else:
            if term not in texts:
                texts[term] = np.array([level_text(v) for v in rows[term]], dtype=object)
            columns.append((texts[term] == level).astype(float))
    return np.column_stack(columns)


def logit(
    rows: pd.DataFrame,
    coefficients: dict[Term, float],
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> np.ndarray:
    """theta . x-dot of every row; a NULL or unlisted level adds nothing (the reference)."""
    eta = np.full(len(rows), coefficients[("intercept", None)])
    for name in numeric:
        eta = eta + coefficients[(name, None)] * rows[name].to_numpy(dtype=float)
    for name in categorical:
        eta = eta + np.array(
            [coefficients.get((name, level_text(v)), 0.0) for v in rows[name]], dtype=float
        )
    return eta


def sigmoid(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(eta, dtype=float)))
