"""Logistic regression with a per-row offset, as the dbt Python models run it.

The fit is Newton's method on the binomial log-likelihood, one pass over the
rows per iteration, summing the gradient and the Hessian chunk by chunk (see
negsample.runtime.rows): memory depends on the chunk size and the number of design
columns, not on the number of rows. Features are standardized inside the fit
so that a balance in thousands and a 0/1 flag converge together; coefficients
and standard errors are reported on the original scale. Categorical features
are one-hot encoded against a reference level, which is reported as a row
with estimate 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from negsample import contract
from negsample.logistic import sigmoid
from negsample.runtime.rows import CHUNK_ROWS, Rows, rows_of

COEFFICIENT_COLUMNS = ["model", "term", "level", "is_reference", "estimate", "std_error"]
INFORMATION_COLUMNS = ["row_term", "row_level", "col_term", "col_level", "value"]


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
    data: pd.DataFrame | Rows,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Mapping[str, str] | None = None,
    what: str | None = None,
) -> Design:
    """The design of ``data``: levels as seen there, reference = given or most frequent.

    ``what`` names the fit the design is for in an error, as the fits do.
    """
    counts: dict[str, Counter[str]] = {name: Counter() for name in categorical}
    if categorical:
        for chunk in rows_of(data).chunks():
            for name in categorical:
                counts[name].update(chunk[name].dropna().astype(str).value_counts().to_dict())
    levels: dict[str, tuple[str, ...]] = {}
    chosen: dict[str, str] = {}
    for name in categorical:
        seen = counts[name]
        if not seen:
            raise FitError(_message("no_level", what or "logistic regression", name))
        levels[name] = tuple(sorted(seen))
        wanted = (reference or {}).get(name)
        if wanted in seen:
            chosen[name] = wanted
        else:
            # Most frequent level; ties broken by the sorted order.
            top = max(seen.values())
            chosen[name] = min(lvl for lvl, n in seen.items() if n == top)
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


# The limits and messages both engines share (macros/fit_engine/newton.sql
# declares them; negsample.contract reads them from the JSON written from it).
LIMITS = contract.FIT_LIMITS
MAX_ITERATIONS = int(LIMITS["max_iterations"])
STEP_TOLERANCE = LIMITS["step_tolerance"]  # largest Newton step, standardized, to stop at
MAX_STANDARDIZED = LIMITS["max_standardized"]  # larger means (quasi-)separation
DEVIANCE_TOLERANCE = LIMITS["deviance_tolerance"]  # or the change of deviance between steps
# A Hessian whose 1-norm condition number ||H||_1 ||H^-1||_1 exceeds this means a
# coefficient is not identified.
MAX_CONDITION = LIMITS["max_condition"]


def _message(key: str, what: str = "", name: str = "", limit: float | None = None) -> str:
    """The shared failure message ``key``, for the fit ``what``."""
    text = contract.FIT_MESSAGES[key]
    limit_text = "" if limit is None else f"{limit:g}"
    return text.replace("{what}", what).replace("{name}", name).replace("{limit}", limit_text)


_OFFSET = "__negsample_offset"
_WEIGHT = "__negsample_weight"


def _fit_rows(
    data: pd.DataFrame | Rows,
    label: str,
    design: Design,
    offset: np.ndarray | str | None,
    weights: np.ndarray | str | None,
    chunk_rows: int,
) -> tuple[Rows, str | None, str | None]:
    """The rows to fit, with the offset and weight as columns (named, or added here)."""
    if not isinstance(offset, np.ndarray | pd.Series) and not isinstance(
        weights, np.ndarray | pd.Series
    ):
        return rows_of(data, chunk_rows=chunk_rows), offset, weights
    if not isinstance(data, pd.DataFrame):
        raise TypeError("offset and weights given as arrays need the rows as a pandas DataFrame")
    wanted = [label, *design.numeric, *design.categorical]
    wanted += [c for c in (offset, weights) if isinstance(c, str)]
    frame = data[list(dict.fromkeys(wanted))].reset_index(drop=True)
    if isinstance(offset, np.ndarray | pd.Series):
        frame = frame.assign(**{_OFFSET: np.asarray(offset, dtype=float)})
        offset = _OFFSET
    if isinstance(weights, np.ndarray | pd.Series):
        frame = frame.assign(**{_WEIGHT: np.asarray(weights, dtype=float)})
        weights = _WEIGHT
    return rows_of(frame, chunk_rows=chunk_rows), offset, weights


@dataclass(frozen=True)
class FitSpec:
    """One fit of ``fit_logistic_together``: its offset and weight columns, and its name."""

    offset: str | None = None
    weights: str | None = None
    what: str = "logistic regression"


@dataclass
class _Pass:
    """Sums over one pass of the rows at one coefficient vector (standardized scale)."""

    deviance: float
    gradient: np.ndarray
    hessian: np.ndarray
    meat: np.ndarray | None  # sum of score outer products, for the sandwich


def _scaled(x: np.ndarray, center: np.ndarray, spread: np.ndarray) -> np.ndarray:
    z = (x - center) / spread
    z[:, 0] = 1.0
    return z


def _sums(
    rows: Rows,
    label: str,
    design: Design,
    center: np.ndarray,
    spread: np.ndarray,
    points: Sequence[tuple[FitSpec, np.ndarray]],
) -> list[_Pass]:
    """One pass over the rows: the sums of each fit at its coefficient vector."""
    totals = []
    for spec, beta in points:
        k = len(beta)
        meat = np.zeros((k, k)) if spec.weights else None
        totals.append(_Pass(0.0, np.zeros(k), np.zeros((k, k)), meat))
    for chunk in rows.chunks():
        z = _scaled(design.matrix(chunk), center, spread)
        y = chunk[label].to_numpy(dtype=float)
        for (spec, beta), total in zip(points, totals, strict=True):
            eta = z @ beta
            if spec.offset is not None:
                eta = eta + chunk[spec.offset].to_numpy(dtype=float)
            w = np.ones(len(y)) if spec.weights is None else chunk[spec.weights].to_numpy(float)
            prob = sigmoid(eta)
            residual = w * (y - prob)
            # -2 log-likelihood, with log(1 + e^eta) computed without overflow.
            # A NaN or inf in the rows makes it NaN, which the caller reports
            # as a likelihood that is not finite (FitError), not as a warning.
            with np.errstate(invalid="ignore"):
                total.deviance += 2.0 * float(np.sum(w * (np.logaddexp(0.0, eta) - y * eta)))
            total.gradient += z.T @ residual
            total.hessian += (z * (w * prob * (1.0 - prob))[:, None]).T @ z
            if total.meat is not None:
                total.meat += (z * residual[:, None]).T @ (z * residual[:, None])
    return totals


class _Newton:
    """One fit's Newton iterations, advanced by one pass of sums at a time."""

    def __init__(self, spec: FitSpec, start: np.ndarray) -> None:
        self.spec = spec
        self.beta = start
        self.previous: tuple[np.ndarray, float] | None = None
        self.step = np.zeros(len(start))
        self.halvings = 0
        self.iterations = 0
        self.last: _Pass | None = None  # the sums at the point the fit stopped
        self.done = False

    def advance(self, sums: _Pass) -> None:
        """Take the sums at ``beta``; move ``beta`` on, or stop (``done``)."""
        what = self.spec.what
        self.iterations += 1
        if not np.isfinite(sums.deviance):
            raise FitError(_message("not_finite", what))
        previous = self.previous
        if (
            previous is not None
            and sums.deviance > previous[1] * (1 + LIMITS["uphill_tolerance"])
            and self.halvings < LIMITS["max_halvings"]
        ):
            # The full Newton step went uphill: go half as far along it.
            self.step = self.step / 2.0
            self.beta = previous[0] + self.step
            self.halvings += 1
            self._check_iterations()
            return
        self.halvings = 0
        # Checked on an accepted point only: a first Newton step from a poor
        # start may overshoot far (IPW weights of 1e6) and then be halved back.
        if np.max(np.abs(self.beta[1:]), initial=0.0) > MAX_STANDARDIZED:
            raise FitError(_message("separable", what, limit=MAX_STANDARDIZED))
        if not np.linalg.cond(sums.hessian, 1) <= MAX_CONDITION:
            raise FitError(_message("singular", what))
        self.step = np.linalg.solve(sums.hessian, sums.gradient)
        # Stop on a negligible step, or, as statsmodels' IRLS does, on a change of
        # deviance below DEVIANCE_TOLERANCE (a quasi-separated level whose
        # coefficient creeps upwards without changing the fit); take the last step.
        flat = previous is not None and abs(previous[1] - sums.deviance) < DEVIANCE_TOLERANCE
        if np.max(np.abs(self.step)) < STEP_TOLERANCE or flat:
            self.beta = self.beta + self.step
            self.last = sums
            self.done = True
            return
        self.previous = (self.beta, sums.deviance)
        self.beta = self.beta + self.step
        self._check_iterations()

    def _check_iterations(self) -> None:
        if self.iterations >= MAX_ITERATIONS:
            raise FitError(_message("no_convergence", self.spec.what, limit=MAX_ITERATIONS))


def fit_logistic(
    data: pd.DataFrame | Rows,
    label: str,
    design: Design,
    offset: np.ndarray | str | None = None,
    weights: np.ndarray | str | None = None,
    what: str = "logistic regression",
    chunk_rows: int = CHUNK_ROWS,
) -> Fit:
    """Binomial GLM of ``label`` on the design, with optional offset or IPW weights.

    ``offset`` and ``weights`` are arrays aligned with a DataFrame, or the
    names of columns of ``data``. With ``weights`` the standard errors are
    the sandwich (HC0) ones, which is what inverse-probability weighting needs.
    """
    rows, offset_column, weight_column = _fit_rows(data, label, design, offset, weights, chunk_rows)
    return fit_logistic_together(
        rows, label, design, [FitSpec(offset_column, weight_column, what)]
    )[0]


def fit_logistic_together(
    data: pd.DataFrame | Rows,
    label: str,
    design: Design,
    specs: Sequence[FitSpec],
    chunk_rows: int = CHUNK_ROWS,
) -> list[Fit]:
    """Several fits of ``label`` on the same rows and design, sharing every pass.

    Each pass over the rows reads and standardizes a chunk once and adds to
    the sums of every fit still iterating, so k fits cost the reads of the
    slowest one, not k times as many. Each fit gives the same bits as
    ``fit_logistic`` would alone. The offset and weight of a spec name columns of ``data``.
    """
    rows = rows_of(data, chunk_rows=chunk_rows)
    k = len(design.terms())
    n_numeric = len(design.numeric)
    # First pass: label totals, feature means and spreads (shifted sums keep
    # the variance exact enough for features far from zero), the start values.
    count = 0.0
    totals = np.zeros((len(specs), 3))  # per fit: sum of w, of w * y, of w * offset
    shift = first_sum = second_sum = None
    for chunk in rows.chunks():
        x = design.matrix(chunk)[:, 1 : 1 + n_numeric]
        y = chunk[label].to_numpy(dtype=float)
        if shift is None:
            shift = x[0].copy() if len(x) else np.zeros(n_numeric)
            first_sum, second_sum = np.zeros(n_numeric), np.zeros(n_numeric)
        count += len(y)
        for i, spec in enumerate(specs):
            w = np.ones(len(y)) if spec.weights is None else chunk[spec.weights].to_numpy(float)
            totals[i, 0] += float(w.sum())
            totals[i, 1] += float((w * y).sum())
            if spec.offset is not None:
                totals[i, 2] += float((w * chunk[spec.offset].to_numpy(dtype=float)).sum())
        first_sum += (x - shift).sum(axis=0)
        second_sum += ((x - shift) ** 2).sum(axis=0)
    for spec, (total_w, total_wy, _) in zip(specs, totals, strict=True):
        if count == 0 or total_wy == 0 or total_wy == total_w:
            raise FitError(_message("one_label", spec.what))
    center, spread = np.zeros(k), np.ones(k)
    mean_shifted = first_sum / count
    center[1 : 1 + n_numeric] = shift + mean_shifted
    variance = np.maximum(second_sum / count - mean_shifted**2, 0.0)
    spread[1 : 1 + n_numeric] = np.sqrt(variance)
    for j, name in enumerate(design.numeric, start=1):
        tolerance = LIMITS["constant_tolerance"] * max(abs(center[j]), 1.0)
        if not np.isfinite(spread[j]) or spread[j] <= tolerance:
            raise FitError(_message("constant", specs[0].what, name))

    fits = []
    for spec, (total_w, total_wy, total_w_offset) in zip(specs, totals, strict=True):
        start = np.zeros(k)
        start[0] = np.log(total_wy / (total_w - total_wy)) - total_w_offset / total_w
        fits.append(_Newton(spec, start))
    while not all(fit.done for fit in fits):
        running = [fit for fit in fits if not fit.done]
        passes = _sums(rows, label, design, center, spread, [(f.spec, f.beta) for f in running])
        for fit, sums in zip(running, passes, strict=True):
            fit.advance(sums)

    # Back to the original scale: theta = T beta with T the inverse of the standardization.
    transform = np.diag(1.0 / spread)
    transform[0, :] = -center / spread
    transform[0, 0] = 1.0
    out = []
    for fit in fits:
        last = fit.last
        bread = np.linalg.inv(last.hessian)
        cov_std = bread if last.meat is None else bread @ last.meat @ bread
        out.append(Fit(design, transform @ fit.beta, transform @ cov_std @ transform.T))
    return out


def _information_sums(
    x: np.ndarray, prob: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, float]:
    return (x * (weights * prob * (1.0 - prob))[:, None]).T @ x, float(weights.sum())


def scaled_condition(matrix: np.ndarray, inverse: np.ndarray) -> float:
    """The 1-norm condition number of D^-1/2 A D^-1/2, D = diag(A), from A and A^-1.

    The condition of A with every term in its own scale, which a feature's
    units (a balance in cents or in millions) do not change.
    """
    root = np.sqrt(np.diag(matrix))
    outer = np.outer(root, root)
    return float(np.linalg.norm(matrix / outer, 1) * np.linalg.norm(inverse * outer, 1))


def _invert_information(total: np.ndarray, weight: float) -> np.ndarray:
    """M^-1 for M = total / weight; FitError unless M is positive definite and well conditioned.

    The SQL engine applies the same test (a Cholesky factorization, then
    scaled_condition against MAX_CONDITION), so both stop on the same matrices.
    """
    matrix = total / weight
    message = _message("pilot_information")
    try:
        np.linalg.cholesky(matrix)
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError as err:
        raise FitError(message) from err
    with np.errstate(all="ignore"):
        condition = scaled_condition(matrix, inverse)
    if not condition <= MAX_CONDITION:
        raise FitError(message)
    return inverse


def information_inverse_matrix(
    frame: pd.DataFrame,
    design: Design,
    prob: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """M^-1 for M = weighted mean of p(1-p) x-dot x-dot^T over ``frame``."""
    return _invert_information(*_information_sums(design.matrix(frame), prob, weights))


def pilot_information_inverse(
    rows: Rows, design: Design, theta: np.ndarray, label: str, rate_column: str
) -> np.ndarray:
    """M^-1 over a pilot sample read in chunks: p from ``theta``, negatives weighted 1/rate."""
    k = len(theta)
    total, weight = np.zeros((k, k)), 0.0
    for chunk in rows.chunks():
        x = design.matrix(chunk)
        prob = sigmoid(x @ theta)
        is_positive = chunk[label].to_numpy() == 1
        weights = np.where(is_positive, 1.0, 1.0 / chunk[rate_column].to_numpy(dtype=float))
        part, part_weight = _information_sums(x, prob, weights)
        total += part
        weight += part_weight
    return _invert_information(total, weight)


def information_table(inverse: np.ndarray, design: Design) -> pd.DataFrame:
    """M^-1 in the long information contract, one row per (row term, column term)."""
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
