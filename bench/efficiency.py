"""How well does negsample estimate from a small sample? The paper's simulations.

Reproduces the comparison of Wang, Zhang & Wang (2021), section 5, through the
package's own code: the sampling SQL is the package's macros (seeded uniform,
pilot linear predictor, scores, the sampling-scale solve for both budgets,
sampling probability, intercept update), compiled by dbt and run on DuckDB
with every replicate in one query (a replicate is a sampling seed); the fits
are the functions the package's Python models call (negsample.runtime.fit).

For each design (normal, log-normal, t3 covariates; N rows, 20% held out):
  full-data MLE; uniform sampling with IPW and with log-odds correction (LCL);
  scores p, l_optimal, a_optimal x budgets {paper, exact} at floor 0.1, each
  with IPW and with LCL, at rates rho in {0.002, 0.005, 0.01, 0.02}; floors
  0 and 0.5 as well at rho = 0.005 and 0.02; the pilot ratio (0.5, 1, 2, 4)
  at rho = 0.005 for a_optimal.

Metric. The data are fixed and replicates differ in the seed, so the
estimator's error splits into the full-data MLE's own error and the sampling
error around it: MSE = E|theta^ - theta|^2 = tr Cov(full MLE) + E|theta^ -
theta^_full|^2 (slopes only; the cross term vanishes asymptotically). The
table reports MSE / MSE(full) = 1 + E|theta^ - theta^_full|^2 / tr Cov(full),
with tr Cov(full) from the full-data fit's information, and a Monte Carlo
standard error from the replicate spread. Predictive view on the held-out
rows: log loss, expected calibration error (10 equal-count bins) and mean
predicted / observed rate; calibration in the large on the sampled table,
before and after the optional one-pass intercept update.

Usage:
  python bench/efficiency.py            # the committed table (100 replicates)
  python bench/efficiency.py --quick    # 10 replicates, 2 rates, smaller N
  python bench/efficiency.py --beyond   # beyond the paper: bench/efficiency_beyond.py
Writes bench/results/efficiency.md, efficiency.csv and efficiency.png.
"""

from __future__ import annotations

import os

# One BLAS thread per process: the fits are small and threads only contend.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.special import expit  # noqa: E402

from negsample.oracle import simulations  # noqa: E402
from negsample.oracle.reference import sigmoid  # noqa: E402
from negsample.runtime.fit import (  # noqa: E402
    FitError,
    fit_logistic,
    information_inverse_matrix,
    make_design,
)
from negsample.tools.dbt_inline import compile_inline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
FEATURES = list(simulations.FEATURES)
RATES = (0.002, 0.005, 0.01, 0.02)
SCORES = ("p", "l_optimal", "a_optimal")
FLOORS = (0.0, 0.1, 0.5)
BUDGETS = ("paper", "exact")
PILOT_RATIOS = (1.0, 0.5, 2.0, 4.0)
SCORE_COLUMN = {"uniform": "1.0", "p": "s.t_p", "l_optimal": "s.t_l", "a_optimal": "s.t_a"}

# Every SQL statement the benchmark runs, written with the package's macros.
# dbt compiles them once; __NAME__ tokens are filled in per query.
TEMPLATES = r"""
{%- set terms = [{'term': 'intercept', 'level': none, 'sql': '1.0'}] -%}
{%- for i in range(1, 7) -%}
  {%- do terms.append({'term': 'x' ~ i, 'level': none, 'sql': 'e.x' ~ i}) -%}
{%- endfor -%}
-- TEMPLATE pilot_sample
select r.replicate, e.*
from train as e
cross join replicates as r
where e.label = 1 or {{ negsample.uniform('e.id', 'r.seed', 'pilot') }} < __PILOT_RATE__
-- TEMPLATE scores
create or replace table scores_all as
with linear as (
    select
        p.replicate,
        e.id,
        e.label,
        {{ negsample._linear_predictor(terms, 'p') }} as pilot_logit,
        {{ negsample._design_norm(terms) }} as design_norm,
        {{ negsample._information_products(terms, 'p') }},
        {{ negsample.uniform('e.id', 'p.seed', 'sample') }} as u,
        {{ negsample.uniform('e.id', 'p.seed', 'pilot') }} as up
    from train as e
    cross join pilot_pivot as p
)
select
    replicate,
    id,
    label,
    u,
    up,
    {{ negsample.sigmoid('pilot_logit') }} as t_p,
    {{ negsample.sigmoid('pilot_logit') }} * design_norm as t_l,
    {{ negsample.sigmoid('pilot_logit') }} * {{ negsample._information_norm(terms) }} as t_a
from linear
-- TEMPLATE scale_paper
create or replace table scale_current as
{{ negsample._sampling_scale(
    '(select s.replicate, s.label as label_value, __T__ as sampling_score from scores_all as s)',
    '__RATE__', '__FLOOR__', 'paper', ['replicate']) }}
-- TEMPLATE scale_exact
create or replace table scale_current as
{{ negsample._sampling_scale(
    '(select s.replicate, s.label as label_value, __T__ as sampling_score from scores_all as s)',
    '__RATE__', '__FLOOR__', 'exact', ['replicate']) }}
-- TEMPLATE draw_union
select
    k.replicate, k.label, k.sampling_prob, k.is_main,
    {% for i in range(1, 7) %}e.x{{ i }}{{ ', ' if not loop.last }}{% endfor %}
from (
    select
        d.*,
        d.label = 1 or d.u < d.sampling_prob as is_main
    from (
        select
            s.replicate,
            s.id,
            s.label,
            s.u,
            s.up,
            {{ negsample.sampling_probability(
                '__T__', 'c.sampling_scale', 'c.floor_prob') }} as sampling_prob
        from scores_all as s
        inner join scale_current as c on s.replicate = c.replicate
    ) as d
) as k
inner join train as e on k.id = e.id
-- The union of the main draw and the pilot's (reuse_pilot).
where k.is_main or k.up < __PILOT_RATE__
-- TEMPLATE intercept_update
{%- set final_rows -%}
(select f.replicate, e.label, {{ negsample._linear_predictor(terms, 'f') }} as logit
 from train as e cross join final_pivot as f)
{%- endset %}
{{ negsample._intercept_update(final_rows, 'logit', 'label', ['replicate']) }}
"""


def compile_templates() -> dict[str, str]:
    """Render TEMPLATES with the package's macros (dbt compile --inline, no database work)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "NEGSAMPLE_DUCKDB_PATH": str(Path(tmp) / "compile.duckdb"),
            "DBT_TARGET_PATH": str(Path(tmp) / "target"),
            "DBT_LOG_PATH": str(Path(tmp) / "logs"),
        }
        rendered = compile_inline(TEMPLATES, ROOT, env)
    parts = rendered.split("-- TEMPLATE ")[1:]
    return {p.split("\n", 1)[0].strip(): p.split("\n", 1)[1] for p in parts}


def fill(sql: str, **tokens: object) -> str:
    for name, value in tokens.items():
        sql = sql.replace(f"__{name.upper()}__", str(value))
    return sql


@dataclass
class Setting:
    """One sampling design: how negatives are kept."""

    score: str
    floor: float
    budget: str

    @property
    def name(self) -> str:
        if self.score == "uniform":
            return "uniform"
        return f"{self.score} floor={self.floor:g} {self.budget}"


def settings(rate: float) -> list[Setting]:
    """Uniform and every score at floor 0.1 under both budgets at every rate; the other
    floors (0, 0.5) at the two rates that bracket the range (0.005 and 0.02)."""
    out = [Setting("uniform", 1.0, "paper")]
    floors = FLOORS if rate in (0.005, 0.02) else (0.1,)
    out += [Setting(s, f, b) for s in SCORES for f in floors for b in BUDGETS]
    return out


class Bench:
    """One design's data in DuckDB and everything needed to run settings on it."""

    def __init__(
        self,
        design: str,
        rows: int,
        replicates: int,
        sql: dict[str, str],
        data_seed: int = 2021,
        data: pd.DataFrame | None = None,
    ) -> None:
        self.design_name = design
        self.sql = sql
        self.replicates = replicates
        # A real table (``data``: id, label, x1..x6) has no true coefficients.
        real = data is not None
        if data is None:
            data = simulations.simulate(design, rows, data_seed)
        is_holdout = (data["id"] % 5) == 4
        self.train = data[~is_holdout].reset_index(drop=True)
        self.holdout = data[is_holdout].reset_index(drop=True)
        self.con = duckdb.connect()
        self.con.register("train_frame", self.train)
        self.con.execute("create table train as select * from train_frame")
        self.con.execute(
            "create table replicates as select range as replicate, 1000 + range as seed "
            f"from range({replicates})"
        )
        self.design = make_design(self.train, FEATURES, [])
        self.full = fit_logistic(self.train, "label", self.design, what="full-data MLE")
        self.truth = None if real else simulations.true_coefficients(design)
        self.trace_full = float(np.trace(self.full.covariance[1:, 1:]))
        self.n_positive = int(self.train["label"].sum())
        self.n_negative = len(self.train) - self.n_positive
        self.x_train = self.design.matrix(self.train)
        self.x_holdout = self.design.matrix(self.holdout)
        self.y_holdout = self.holdout["label"].to_numpy(dtype=float)
        self.pilot_ratio: float | None = None
        self.pilot_rate = float("nan")
        # Each replicate's pilot sample, p~ and M~^-1 (bench/efficiency_beyond.py).
        self.pilots: dict[int, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = {}

    def prepare_pilot(self, pilot_ratio: float) -> None:
        """docs/method.md steps 1-3 per replicate: pilot sample, fit, every row's scores."""
        if self.pilot_ratio == pilot_ratio:
            return
        rate = min(1.0, pilot_ratio * self.n_positive / self.n_negative)
        sample = self.con.execute(fill(self.sql["pilot_sample"], pilot_rate=rate)).df()
        rows = []
        for r, part in sample.groupby("replicate"):
            offset = np.full(len(part), -np.log(rate))
            fit = fit_logistic(part, "label", self.design, offset=offset, what="pilot")
            prob = sigmoid(fit.linear_predictor(part))
            weights = np.where(part["label"].to_numpy() == 1, 1.0, 1.0 / rate)
            inverse = information_inverse_matrix(part, self.design, prob, weights)
            self.pilots[int(r)] = (part, prob, inverse)
            row = {"replicate": r, "seed": 1000 + r}
            row.update({f"coef_{i}": v for i, v in enumerate(fit.estimate)})
            row.update({f"a_{i}_{j}": inverse[i, j] for i in range(7) for j in range(7)})
            rows.append(row)
        self.con.register("pilot_frame", pd.DataFrame(rows))
        self.con.execute("create or replace table pilot_pivot as select * from pilot_frame")
        self.con.execute(self.sql["scores"])
        self.pilot_ratio = pilot_ratio
        self.pilot_rate = rate

    def run(self, setting: Setting, rate: float) -> pd.DataFrame:
        """Draw every replicate's sample in SQL, fit LCL and IPW; one row per fit."""
        column = SCORE_COLUMN[setting.score]
        tokens = {"t": column, "rate": rate, "floor": setting.floor}
        self.con.execute(fill(self.sql[f"scale_{setting.budget}"], **tokens))
        # The paper's sample: the main draw of the union with the pilot's.
        union = fill(self.sql["draw_union"], **tokens, pilot_rate=self.pilot_rate)
        kept = self.con.execute(union).df()
        kept = kept[kept["is_main"]]
        records, finals = [], []
        for r, part in kept.groupby("replicate"):
            offset = -np.log(part["sampling_prob"].to_numpy())
            weight = np.where(
                part["label"].to_numpy() == 1, 1.0, 1.0 / part["sampling_prob"].to_numpy()
            )
            for method, kwargs in (("lcl", {"offset": offset}), ("ipw", {"weights": weight})):
                try:
                    fit = fit_logistic(part, "label", self.design, **kwargs, what=method)
                except FitError:
                    records.append({"replicate": r, "method": method, "failed": True})
                    continue
                records.append(
                    {
                        "replicate": r,
                        "method": method,
                        "failed": False,
                        "kept_negatives": int((part["label"] == 0).sum()),
                        **self.metrics(fit.estimate),
                    }
                )
                if method == "lcl":
                    finals.append(
                        {"replicate": r, **{f"coef_{i}": v for i, v in enumerate(fit.estimate)}}
                    )
        out = pd.DataFrame(records)
        check_dropped(out, f"{self.design_name} {setting.name} rate={rate}")
        if finals:
            out = out.merge(
                self.intercept_update(pd.DataFrame(finals)), on=["replicate", "method"], how="left"
            )
        return out

    def metrics(self, theta: np.ndarray) -> dict[str, float]:
        slopes = theta[1:]
        p = np.clip(expit(self.x_holdout @ theta), 1e-15, 1 - 1e-15)
        y = self.y_holdout
        # Ten equal-count bins of the prediction, without a full sort.
        edges = np.quantile(p, np.linspace(0.1, 0.9, 9))
        bins = np.searchsorted(edges, p, side="right")
        counts = np.bincount(bins, minlength=10)
        gap = np.abs(
            np.bincount(bins, weights=p, minlength=10) - np.bincount(bins, weights=y, minlength=10)
        )
        return {
            "excess_sq": float(((slopes - self.full.estimate[1:]) ** 2).sum()),
            "sq_vs_truth": float(((slopes - self.truth[1:]) ** 2).sum())
            if self.truth is not None
            else np.nan,
            "holdout_logloss": float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).mean()),
            "holdout_ece": float(gap[counts > 0].sum() / len(p)),
            "holdout_calibration": float(p.mean() / y.mean()),
        }

    def intercept_update(self, finals: pd.DataFrame) -> pd.DataFrame:
        """Calibration in the large on the sampled table, before and after the SQL update."""
        self.con.register("final_frame", finals)
        self.con.execute("create or replace table final_pivot as select * from final_frame")
        update = self.con.execute(self.sql["intercept_update"]).df()
        observed = self.n_positive / len(self.train)
        rows = []
        for row in update.itertuples():
            theta = finals.loc[finals["replicate"] == row.replicate].iloc[0, 1:].to_numpy(float)
            after = expit(self.x_train @ theta + row.intercept_delta).mean()
            rows.append(
                {
                    "replicate": row.replicate,
                    "method": "lcl",
                    "calibration": row.mean_prob / observed,
                    "calibration_updated": after / observed,
                }
            )
        return pd.DataFrame(rows)


def summarise(raw: pd.DataFrame, trace_full: dict[str, float]) -> pd.DataFrame:
    """One row per cell: MSE ratio to the full-data MLE with its Monte Carlo SE, and the rest."""
    keys = ["design", "rate", "pilot_ratio", "setting", "method"]
    failed = raw.groupby(keys, sort=False)["failed"].sum().rename("failed")
    ok = raw[~raw["failed"].astype(bool)]

    def cell(group: pd.DataFrame) -> pd.Series:
        trace = trace_full[group.name[0]]
        n = len(group)
        return pd.Series(
            {
                "replicates": n,
                "mse_ratio": 1 + group["excess_sq"].mean() / trace,
                "mse_ratio_se": group["excess_sq"].std(ddof=1) / np.sqrt(n) / trace,
                "kept_negatives": group["kept_negatives"].mean(),
                "holdout_logloss": group["holdout_logloss"].mean(),
                "holdout_ece": group["holdout_ece"].mean(),
                "holdout_calibration": group["holdout_calibration"].mean(),
                "calibration": group["calibration"].mean() if "calibration" in group else np.nan,
                "calibration_updated": group["calibration_updated"].mean()
                if "calibration_updated" in group
                else np.nan,
            }
        )

    table = ok.groupby(keys, sort=False).apply(cell, include_groups=False)
    return table.join(failed).reset_index()


#: Most fits of one method in one cell that may fail (FitError: separation,
#: no convergence) and be left out of its averages: 5% of its replicates,
#: rounded up. The committed runs drop at most 1 of 100.
MAX_DROPPED_FRACTION = 0.05


def check_dropped(runs: pd.DataFrame, what: str) -> int:
    """How many fits of ``runs`` failed; says so, and stops when a method loses too many.

    Averages over the fits that succeeded are biased when failures cluster
    (separation happens on the extreme samples), so losing more than
    MAX_DROPPED_FRACTION of a method's replicates is an error, not a footnote.
    """
    dropped = 0
    for method, part in runs.groupby("method", sort=False):
        failed = int(part["failed"].astype(bool).sum())
        allowed = int(np.ceil(MAX_DROPPED_FRACTION * len(part)))
        if failed > allowed:
            raise RuntimeError(
                f"{what}: {failed} of {len(part)} {method} fits failed, more than "
                f"{allowed} ({MAX_DROPPED_FRACTION:.0%}); the averages would leave them out"
            )
        if failed:
            print(f"{what}: {failed} of {len(part)} {method} fits failed, left out", flush=True)
        dropped += failed
    return dropped


def paired_gap(raw: pd.DataFrame, trace: float) -> tuple[float, float]:
    """Mean (LCL - IPW) excess MSE ratio over replicates that both fitted, and its SE."""
    wide = raw.pivot_table(index="replicate", columns="method", values="excess_sq")
    wide = wide.dropna()
    diff = (wide["lcl"] - wide["ipw"]) / trace
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


def run_design(
    design: str,
    rows: int,
    replicates: int,
    rates: tuple[float, ...],
    sql: dict[str, str],
    log: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    started = time.time()
    bench = Bench(design, rows, replicates, sql)
    print(
        f"[{design}] {len(bench.train):,} sampled rows ({bench.n_positive:,} positive), "
        f"{len(bench.holdout):,} held out; full-data fit done",
        flush=True,
    )
    frames, gaps = [], []
    for ratio in PILOT_RATIOS:
        # The pilot ratio is studied at rho = 0.005 for one setting; the rest at ratio 1.
        plan = (
            [(rate, setting) for rate in rates for setting in settings(rate)]
            if ratio == 1.0
            else [(0.005, Setting("a_optimal", 0.1, "exact"))]
            if 0.005 in rates
            else []
        )
        if not plan:
            continue
        bench.prepare_pilot(ratio)
        for rate, setting in plan:
            t0 = time.time()
            out = bench.run(setting, rate)
            out["design"], out["rate"], out["pilot_ratio"] = design, rate, ratio
            out["setting"] = setting.name
            frames.append(out)
            if ratio == 1.0:
                mean, se = paired_gap(out, bench.trace_full)
                gaps.append(
                    {
                        "design": design,
                        "rate": rate,
                        "setting": setting.name,
                        "lcl_minus_ipw": mean,
                        "se": se,
                    }
                )
            print(
                f"[{design}] pilot_ratio={ratio:g} rate={rate:g} {setting.name}: "
                f"{time.time() - t0:.1f}s",
                flush=True,
            )
    raw = pd.concat(frames, ignore_index=True)
    log.append(f"{design}: {time.time() - started:.0f} s")
    full = pd.DataFrame(
        [
            {
                "design": design,
                "rate": 1.0,
                "pilot_ratio": np.nan,
                "setting": "full data",
                "method": "mle",
                "replicates": 1,
                "failed": 0,
                "mse_ratio": 1.0,
                "mse_ratio_se": 0.0,
                "kept_negatives": bench.n_negative,
                **{
                    k: v
                    for k, v in bench.metrics(bench.full.estimate).items()
                    if k.startswith("holdout")
                },
                "calibration": sigmoid(bench.x_train @ bench.full.estimate).mean()
                / (bench.n_positive / len(bench.train)),
                "calibration_updated": np.nan,
            }
        ]
    )
    return raw, pd.concat([full, pd.DataFrame(gaps)], ignore_index=True), bench.trace_full


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="10 replicates, 100k rows, 2 rates")
    parser.add_argument("--replicates", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument(
        "--designs", help="default normal,lognormal,t3 (with --beyond: and the real table movies)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="only re-render the table and plot from the per-design files in --out",
    )
    parser.add_argument(
        "--beyond",
        action="store_true",
        help="the study beyond the paper instead (bench/efficiency_beyond.py): reusing the "
        "pilot sample, score auto on the three designs and a real table, and the coverage "
        "of the standard errors",
    )
    args = parser.parse_args(argv)
    if args.beyond:
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from efficiency_beyond import run_study

        return run_study(args)
    replicates = args.replicates or (10 if args.quick else 100)
    rows = args.rows or (100_000 if args.quick else 500_000)
    rates = (0.005, 0.02) if args.quick else RATES
    suffix = "_quick" if args.quick else ""
    raw_dir = args.out / f"efficiency{suffix}_designs"
    raw_dir.mkdir(parents=True, exist_ok=True)
    if not args.render_only:
        sql = compile_templates()
        for design in (args.designs or "normal,lognormal,t3").split(","):
            log: list[str] = []
            raw, extra, trace = run_design(design, rows, replicates, rates, sql, log)
            # Each design is saved as soon as it is done, so designs can run in
            # separate processes and a long run keeps what it finished.
            raw.to_csv(raw_dir / f"{design}_raw.csv", index=False)
            extra.assign(trace_full=trace, seconds=log[0]).to_csv(
                raw_dir / f"{design}_extra.csv", index=False
            )
    raws, extras = [], []
    for path in sorted(raw_dir.glob("*_raw.csv")):
        design = path.name.removesuffix("_raw.csv")
        raws.append(pd.read_csv(path))
        extras.append(pd.read_csv(raw_dir / f"{design}_extra.csv"))
    raw = pd.concat(raws, ignore_index=True)
    extra = pd.concat(extras, ignore_index=True)
    traces = extra.groupby("design")["trace_full"].first().to_dict()
    log = [f"{s}" for s in extra.groupby("design")["seconds"].first()]
    summary = pd.concat(
        [
            extra[extra["setting"] == "full data"].drop(
                columns=["lcl_minus_ipw", "se", "trace_full", "seconds"], errors="ignore"
            ),
            summarise(raw, traces),
        ],
        ignore_index=True,
    )
    gaps = extra[extra["setting"] != "full data"][
        ["design", "rate", "setting", "lcl_minus_ipw", "se"]
    ]
    summary.to_csv(args.out / f"efficiency{suffix}.csv", index=False)
    report = render(summary, gaps, rows, int(raw["replicate"].nunique()), log, suffix)
    (args.out / f"efficiency{suffix}.md").write_text(report)
    plot(summary, args.out / f"efficiency{suffix}.png")
    if not suffix and args.out.resolve() == RESULTS.resolve():
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import efficiency_readme

        efficiency_readme.write(args.out)
    print(report)
    return 0


def best_nonuniform(summary: pd.DataFrame, design: str, rate: float) -> pd.Series:
    cells = summary[
        (summary["design"] == design)
        & (summary["rate"] == rate)
        & (summary["pilot_ratio"] == 1.0)
        & (summary["setting"] != "uniform")
        & (summary["method"] == "lcl")
    ]
    return cells.loc[cells["mse_ratio"].idxmin()]


def render(
    summary: pd.DataFrame,
    gaps: pd.DataFrame,
    rows: int,
    replicates: int,
    log: list[str],
    suffix: str = "",
) -> str:
    lines = [
        "# Efficiency: MSE of the slopes relative to the full-data MLE",
        "",
        f"Command: `python bench/efficiency.py{' --quick' if suffix else ''}` "
        f"({rows:,} rows per design, 20% held out, "
        f"{replicates} replicates per cell; run time {'; '.join(log)}).",
        "",
        "MSE ratio = 1 + E|theta^ - theta^_full|^2 / tr Cov(full-data MLE), slopes only, "
        "with its Monte Carlo standard error (± 1 SE). lcl = log-odds corrected likelihood "
        "(offset), ipw = inverse-probability weighted. Pilot ratio 1 unless stated.",
        "",
    ]
    main_cells = summary[(summary["pilot_ratio"] == 1.0)]
    for design in summary["design"].unique():
        cells = main_cells[main_cells["design"] == design]
        rates = sorted(cells["rate"].unique())
        lines += [
            f"## {design}",
            "",
            "| setting | method | " + " | ".join(f"rho={r:g}" for r in rates) + " |",
            "|---|---|" + "---|" * len(rates),
        ]
        for (setting, method), group in cells.groupby(["setting", "method"], sort=False):
            values = []
            for r in rates:
                hit = group[group["rate"] == r]
                values.append(
                    ""
                    if hit.empty
                    else f"{hit['mse_ratio'].iloc[0]:.2f} ± {hit['mse_ratio_se'].iloc[0]:.2f}"
                )
            lines.append(f"| {setting} | {method} | " + " | ".join(values) + " |")
        lines.append("")
        lines += [
            "| rho | best non-uniform (lcl) | its MSE ratio | uniform lcl | margin |",
            "|---|---|---|---|---|",
        ]
        for r in rates:
            best = best_nonuniform(summary, design, r)
            uni = cells[
                (cells["rate"] == r) & (cells["setting"] == "uniform") & (cells["method"] == "lcl")
            ].iloc[0]
            lines.append(
                f"| {r:g} | {best['setting']} | {best['mse_ratio']:.2f} | "
                f"{uni['mse_ratio']:.2f} | {uni['mse_ratio'] / best['mse_ratio']:.2f}x |"
            )
        lines.append("")
    worst = gaps.assign(z=gaps["lcl_minus_ipw"] / gaps["se"]).sort_values("z", ascending=False)
    lines += [
        "## Log-odds correction vs IPW on the same samples",
        "",
        "Paired difference of MSE ratios (lcl - ipw) over replicates; a positive value "
        "beyond 2 SE would mean LCL is worse. Largest five:",
        "",
        "| design | rho | setting | lcl - ipw | SE |",
        "|---|---|---|---|---|",
    ]
    for row in worst.head(5).itertuples():
        lines.append(
            f"| {row.design} | {row.rate:g} | {row.setting} | {row.lcl_minus_ipw:.3f} "
            f"| {row.se:.3f} |"
        )
    lines.append("")
    ratio_cells = summary[
        (summary["rate"] == 0.005) & (summary["setting"] == "a_optimal floor=0.1 exact")
    ]
    lines += [
        "## Pilot ratio (rho = 0.005, a_optimal, floor 0.1, budget exact, lcl)",
        "",
        "| design | setting | pilot ratio | MSE ratio |",
        "|---|---|---|---|",
    ]
    for row in (
        ratio_cells[ratio_cells["method"] == "lcl"]
        .sort_values(["design", "setting", "pilot_ratio"])
        .itertuples()
    ):
        lines.append(
            f"| {row.design} | {row.setting} | {row.pilot_ratio:g} | "
            f"{row.mse_ratio:.2f} ± {row.mse_ratio_se:.2f} |"
        )
    lines.append("")
    lcl = main_cells[main_cells["method"] == "lcl"]
    lines += [
        "## Calibration and prediction (lcl, mean over replicates)",
        "",
        "| design | rho | setting | mean pred / observed (sampled table) | after intercept "
        "update | held-out log loss | held-out ECE | held-out mean pred / observed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in pd.concat([summary[summary["setting"] == "full data"], lcl]).itertuples():
        lines.append(
            f"| {row.design} | {row.rate:g} | {row.setting} | {row.calibration:.4f} | "
            f"{row.calibration_updated:.4f} | {row.holdout_logloss:.5f} | "
            f"{row.holdout_ece:.5f} | {row.holdout_calibration:.4f} |"
        )
    return "\n".join(lines) + "\n"


def plot(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Floor 0.1 and budget paper, the package's defaults (README "Statistical efficiency").
    shown = [
        "uniform",
        "p floor=0.1 paper",
        "l_optimal floor=0.1 paper",
        "a_optimal floor=0.1 paper",
    ]
    design_names = list(summary["design"].unique())
    fig, axes = plt.subplots(
        1, len(design_names), figsize=(5 * len(design_names), 4), squeeze=False
    )
    for ax, design in zip(axes[0], design_names, strict=True):
        cells = summary[(summary["design"] == design) & (summary["pilot_ratio"] == 1.0)]
        for setting in shown:
            for method, style in (("lcl", "-"), ("ipw", "--")):
                line = cells[(cells["setting"] == setting) & (cells["method"] == method)]
                line = line.sort_values("rate")
                if line.empty:
                    continue
                ax.errorbar(
                    line["rate"],
                    np.log(line["mse_ratio"]),
                    yerr=2 * line["mse_ratio_se"] / line["mse_ratio"],
                    linestyle=style,
                    marker="o",
                    capsize=2,
                    label=f"{setting} ({method})",
                )
        ax.set_xscale("log")
        rates = sorted(cells["rate"].unique())
        ax.set_xticks(rates, [f"{r:g}" for r in rates])
        ax.minorticks_off()
        ax.set_title(design)
        ax.set_xlabel("sampling rate rho")
        ax.set_ylabel("log(MSE / MSE full data)")
        ax.axhline(0, color="grey", linewidth=0.5)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
