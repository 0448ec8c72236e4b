"""Logistic regression with a per-row offset, as the dbt Python models run it.

Features are standardized inside the fit so that a balance in thousands and a
0/1 flag converge together; coefficients and standard errors are reported on
the original scale. Categorical features are one-hot encoded against a
reference level, which is reported as a row with estimate 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

COEFFICIENT_COLUMNS = ["model", "term", "level", "is_reference", "estimate", "std_error"]
INFORMATION_COLUMNS = ["row_term", "row_level", "col_term", "col_level", "value"]


def to_pandas(frame: object) -> pd.DataFrame:
    """A pandas copy of what ``dbt.ref()`` returns in a Python model, on any adapter.

    DuckDB hands over a relation (``.df()``), Spark and Databricks a Spark
    DataFrame (``.toPandas()``), Snowflake a Snowpark DataFrame (``.to_pandas()``).
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    for method in ("df", "toPandas", "to_pandas"):
        convert = getattr(frame, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"cannot turn a {type(frame).__name__} into a pandas DataFrame")


class FitError(RuntimeError):
    """A fit that cannot give trustworthy coefficients; the message says why."""


@dataclass(frozen=True)
class Design:
    """Which columns make the design vector x-dot, and in which order."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]  # all levels, sorted
    reference: Mapping[str, str]

    def terms(self) -> list[tuple[str, str | None]]:
        """(term, level) of each design column: intercept, numerics, non-reference levels."""
        out: list[tuple[str, str | None]] = [("intercept", None)]
        out += [(name, None) for name in self.numeric]
        for name in self.categorical:
            out += [(name, lvl) for lvl in self.levels[name] if lvl != self.reference[name]]
        return out

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """x-dot for every row of ``frame``; unseen and NULL levels count as the reference."""
        cols = [np.ones(len(frame))]
        cols += [frame[name].to_numpy(dtype=float) for name in self.numeric]
        for term, level in self.terms()[1 + len(self.numeric) :]:
            cols.append((frame[term].to_numpy(dtype=object) == level).astype(float))
        return np.column_stack(cols)


def make_design(
    frame: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Mapping[str, str] | None = None,
) -> Design:
    """The design of ``frame``: levels as seen there, reference = given or most frequent."""
    levels: dict[str, tuple[str, ...]] = {}
    chosen: dict[str, str] = {}
    for name in categorical:
        counts = frame[name].dropna().astype(str).value_counts()
        if counts.empty:
            raise FitError(f"categorical feature '{name}' has no non-NULL value in the fitted rows")
        levels[name] = tuple(sorted(counts.index))
        wanted = (reference or {}).get(name)
        if wanted in counts.index:
            chosen[name] = wanted
        else:
            # Most frequent level; ties broken by the sorted order.
            top = counts.max()
            chosen[name] = min(lvl for lvl, n in counts.items() if n == top)
    return Design(tuple(numeric), tuple(categorical), levels, chosen)


@dataclass(frozen=True)
class Fit:
    design: Design
    estimate: np.ndarray
    covariance: np.ndarray

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def coefficient_table(self, model: str) -> pd.DataFrame:
        """Rows in the coefficient contract, reference levels included with estimate 0."""
        rows = []
        se = self.std_error
        for i, (term, level) in enumerate(self.design.terms()):
            rows.append((model, term, level, False, float(self.estimate[i]), float(se[i])))
        for name in self.design.categorical:
            rows.append((model, name, self.design.reference[name], True, 0.0, None))
        return pd.DataFrame(rows, columns=COEFFICIENT_COLUMNS)

    def linear_predictor(self, frame: pd.DataFrame) -> np.ndarray:
        return self.design.matrix(frame) @ self.estimate


def fit_logistic(
    frame: pd.DataFrame,
    label: str,
    design: Design,
    offset: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    what: str = "logistic regression",
) -> Fit:
    """Binomial GLM of ``label`` on the design, with optional offset or IPW weights.

    With ``weights`` the standard errors are the sandwich (HC0) ones, which
    is what inverse-probability weighting needs.
    """
    x = design.matrix(frame)
    y = frame[label].to_numpy(dtype=float)
    n_features = x.shape[1]
    if y.sum() == 0 or y.sum() == len(y):
        raise FitError(f"{what}: the fitted rows hold only one label value")
    center = np.zeros(n_features)
    spread = np.ones(n_features)
    numeric_cols = range(1, 1 + len(design.numeric))
    for j, name in zip(numeric_cols, design.numeric, strict=True):
        center[j] = x[:, j].mean()
        spread[j] = x[:, j].std()
        if not np.isfinite(spread[j]) or spread[j] == 0:
            raise FitError(f"{what}: numeric feature '{name}' is constant in the fitted rows")
    z = (x - center) / spread
    z[:, 0] = 1.0
    model = sm.GLM(
        y,
        z,
        family=sm.families.Binomial(),
        offset=offset,
        var_weights=weights,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            result = model.fit(maxiter=100, cov_type="HC0" if weights is not None else "nonrobust")
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError) as err:
            raise FitError(
                f"{what} did not converge ({type(err).__name__}: {err}); the data may be "
                "separable or a feature may be collinear with the others"
            ) from err
    beta = np.asarray(result.params)
    if not getattr(result, "converged", True) or not np.all(np.isfinite(beta)):
        raise FitError(f"{what} did not converge after 100 iterations")
    if np.max(np.abs(beta[1:]), initial=0.0) > 30:
        raise FitError(
            f"{what}: a standardized coefficient exceeds 30 in magnitude; the classes "
            "are (quasi-)separable by the features"
        )
    # Back to the original scale: theta = T beta with T the inverse of the standardization.
    transform = np.diag(1.0 / spread)
    transform[0, :] = -center / spread
    transform[0, 0] = 1.0
    estimate = transform @ beta
    covariance = transform @ np.asarray(result.cov_params()) @ transform.T
    return Fit(design, estimate, covariance)


def information_inverse_matrix(
    frame: pd.DataFrame,
    design: Design,
    prob: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """M^-1 for M = weighted mean of p(1-p) x-dot x-dot^T over ``frame``."""
    x = design.matrix(frame)
    h = weights * prob * (1.0 - prob)
    info = (x * h[:, None]).T @ x / weights.sum()
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError as err:
        raise FitError("the pilot information matrix is singular; a feature is collinear") from err


def information_inverse(
    frame: pd.DataFrame,
    design: Design,
    prob: np.ndarray,
    weights: np.ndarray,
) -> pd.DataFrame:
    """M^-1 (see information_inverse_matrix) in the long information contract."""
    inverse = information_inverse_matrix(frame, design, prob, weights)
    terms = design.terms()
    rows = [
        (rt, rl, ct, cl, float(inverse[i, j]))
        for i, (rt, rl) in enumerate(terms)
        for j, (ct, cl) in enumerate(terms)
    ]
    return pd.DataFrame(rows, columns=INFORMATION_COLUMNS)


def design_from_coefficients(
    table: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> Design:
    """Rebuild a design from a coefficient table (its levels and references)."""
    levels: dict[str, tuple[str, ...]] = {}
    reference: dict[str, str] = {}
    for name in categorical:
        mine = table[(table["term"] == name) & table["level"].notna()]
        levels[name] = tuple(sorted(mine["level"].astype(str)))
        reference[name] = str(mine.loc[mine["is_reference"].astype(bool), "level"].iloc[0])
    return Design(tuple(numeric), tuple(categorical), levels, reference)


def reference_levels(table: pd.DataFrame) -> dict[str, str]:
    """The reference level of each categorical term that ``table`` marks with is_reference.

    Coefficients fitted elsewhere may leave reference levels out; those terms
    are simply absent here, and make_design then picks the most frequent level.
    """
    if table.empty or "is_reference" not in table.columns:
        return {}
    marked = table[table["is_reference"].fillna(False).astype(bool) & table["level"].notna()]
    return {str(row.term): str(row.level) for row in marked.itertuples()}


def coefficient_vector(table: pd.DataFrame, design: Design) -> np.ndarray:
    """The estimates of a coefficient table in the order of ``design.terms()``."""
    lookup = {
        (str(row.term), None if pd.isna(row.level) else str(row.level)): float(row.estimate)
        for row in table.itertuples()
    }
    missing = [term for term in design.terms() if term not in lookup]
    if missing:
        raise FitError(f"coefficient table has no estimate for {missing}")
    return np.array([lookup[term] for term in design.terms()])
