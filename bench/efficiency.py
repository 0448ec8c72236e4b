"""How well does negsample estimate from a small sample? The paper's simulations, and beyond.

Reproduces the comparison of Wang, Zhang & Wang (2021), section 5, through
what the package ships: its sampling SQL (the models' macros, compiled by
dbt, every replicate of a batch in one DuckDB query; bench/efficiency_draw.py,
held to a `dbt build` by tests/test_efficiency.py, bit for bit but for
the last bits of logit_optimal's matrix product) and its fits
(negsample.runtime.fit). The data are fixed; a replicate is a seed.

For each simulated design (normal, log-normal and t3 covariates as in the
paper; t2, whose scores cap heavily at rates near its base rate; N rows):
uniform sampling, and the scores p, l_optimal, a_optimal and logit_optimal
under both budgets at floor 0.1, at four rates; floors 0 and 0.5 at two of
them; score auto under both objectives; each with three fits:
  lcl        the paper's log-odds corrected fit on the main draw (-ln pi);
  ipw        the inverse-probability-weighted fit on the main draw;
  lcl_reuse  the corrected fit on the union with the pilot's draw
             (-ln pi*), what the package fits by default (reuse_pilot).
Both metrics of bench/efficiency_stats.py for every cell: the slopes' MSE
and the served logit's (delta included) mean squared error over every row,
each as a ratio to the full-data fit's own, with Monte Carlo SEs; the kept
negatives of the main draw as a share of the rho * N0 asked.

Usage:
  python bench/efficiency.py            # the simulated designs (100 replicates)
  python bench/efficiency.py --beyond   # real tables and coverage (bench/efficiency_beyond.py)
  python bench/efficiency.py --scale    # the scale sample (bench/efficiency_scale.py)
  --quick        fewer rows, replicates and rates (minutes); results *_quick.*; then
                 times a few seeds of each part at the committed size and prints
                 the committed run's time
  --designs a,b  some parts only (so that parts run side by side)
  --render-only  re-render every report from the parts in --out
The committed run on two cores, as two processes of about equal length:
  python bench/efficiency.py --designs normal,t3,t2 &&
    python bench/efficiency.py --scale --designs scale_normal,scale_lognormal
  python bench/efficiency.py --designs lognormal && python bench/efficiency.py --beyond &&
    python bench/efficiency.py --scale --designs scale_t3,scale_t2
  python bench/efficiency.py --render-only
Writes bench/results/efficiency.md, .csv and .png; every report and the
defaults' verdicts are re-rendered from the parts present after each run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import efficiency_beyond  # noqa: E402
import efficiency_readme  # noqa: E402
import efficiency_scale  # noqa: E402
from efficiency_draw import (  # noqa: E402
    MODES,
    RESULTS,
    SEED_BASE,
    SIMULATED,
    Bench,
    Size,
    Templates,
    cells,
    run,
    simulated,
    study,
)
from efficiency_stats import (  # noqa: E402
    PROBE_SEEDS,
    design_tables,
    fmt_diff,
    load_estimates,
    load_part,
    paired,
    save_estimate,
    save_part,
    summarise,
    with_auto,
)


def run_designs(names: list[str], size: Size, out: Path, sql: Templates) -> None:
    for name in names:
        table = simulated(name, size.table_rows(name))
        bench = Bench(table, sql)
        print(
            f"[{name}] {len(bench.frame):,} rows ({bench.n_positive:,} positive); "
            f"rho0 {bench.pilot_rate:.4f}, rho_s {bench.scale_rate:.3f}",
            flush=True,
        )
        save_part(
            out, size.suffix, name, study(name, bench, size.replicates, cells(size.rates(name)))
        )
        bench.close()


# --------------------------------------------------------------------------
# Report


def loaded(out: Path, suffix: str, names: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The records (with auto's) and yardsticks of every part present among ``names``."""
    frames, metas = [], {}
    for name in names:
        part = load_part(out, suffix, name)
        if part is None:
            continue
        frames.append(with_auto(part.records, part.choices))
        metas[name] = part.meta
    if not frames:
        return pd.DataFrame(), {}
    return pd.concat(frames, ignore_index=True), metas


def correction_vs_weighting(records: pd.DataFrame, metas: dict) -> tuple[list[str], dict]:
    """lcl - ipw on the same draws, both metrics, over every fixed setting and cell."""
    rows = []
    for setting in records.loc[records["score"] != "auto", "setting"].unique():
        for metric in ("slopes", "logit"):
            gap = paired(records, metas, (setting, "lcl"), (setting, "ipw"), metric)
            rows.append(gap.assign(setting=setting, metric=metric))
    gaps = pd.concat(rows, ignore_index=True)
    worse = gaps[gaps["z"] > 2]
    lines = [
        "## Log-odds correction vs IPW on the same draws",
        "",
        f"Paired lcl − ipw over {len(gaps)} comparisons (every fixed setting, design, rate and "
        f"both metrics): lcl is worse beyond 2 SE in {len(worse)}, better beyond 2 SE in "
        f"{int((gaps['z'] < -2).sum())}. The five least favourable to lcl:",
        "",
        "| design | rho | setting | metric | lcl − ipw |",
        "|---|---|---|---|---|",
    ]
    for row in gaps.sort_values("z", ascending=False).head(5).itertuples():
        lines.append(
            f"| {row.table} | {row.rate:g} | {row.setting} | {row.metric} | {fmt_diff(row)} |"
        )
    facts = {
        "lcl_vs_ipw_comparisons": len(gaps),
        "lcl_worse_than_ipw": len(worse),
        "lcl_vs_ipw_worst_z": float(gaps["z"].max()),
    }
    return lines + [""], facts


def render(out: Path, suffix: str) -> str | None:
    records, metas = loaded(out, suffix, SIMULATED)
    if records.empty:
        return None
    summary = summarise(records, metas)
    summary.to_csv(out / f"efficiency{suffix}.csv", index=False)
    first = next(iter(metas.values()))
    times = "; ".join(f"{m['table']}: {m['seconds']:.0f} s" for m in metas.values())
    lines = [
        "# Efficiency: the slopes' and the served logit's error relative to the full-data fit",
        "",
        f"Command: `python bench/efficiency.py{' --quick' if suffix else ''}` (rows: "
        + ", ".join(f"{t} {m['rows']:,}" for t, m in metas.items())
        + f"; {first['replicates']} replicates (seeds) per cell, pilot ratio 1, "
        f"scale_sample_size 200,000 (the package default); run time {times}).",
        "",
        "slopes = MSE of the slopes / the full-data MLE's; logit = mean squared error of the "
        "served logit θ̂·ẋ + δ (intercept update included) over every row of the table, against "
        "the full-data fit's, as a ratio to the full-data fit's own tr(E[ẋẋᵀ] Cov); ± 1 Monte "
        "Carlo SE. lcl_reuse is the package's default fit (the union with the pilot's draw); "
        "lcl and ipw fit the main draw. kept / rho N0: the main draw's negatives over the "
        "number asked (budget paper keeps fewer where π is capped). auto/objective: in each "
        "replicate, the fits of the score that score auto picked.",
        "",
    ]
    for table, meta in metas.items():
        lines += [
            f"## {table}",
            "",
            f"{meta['source']}: {meta['rows']:,} rows, {meta['n_positive']:,} positive; "
            f"ρ0 = {meta['pilot_rate']:.4f}, ρs = {meta['scale_rate']:.3f}.",
            "",
            *design_tables(summary, table),
        ]
    comparison, facts = correction_vs_weighting(records, metas)
    lines += comparison
    (out / f"efficiency{suffix}.json").write_text(json.dumps(facts, indent=1))
    text = "\n".join(lines) + "\n"
    (out / f"efficiency{suffix}.md").write_text(text)
    plot(summary, out / f"efficiency{suffix}.png")
    return text


def plot(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = ["uniform", *[f"{s} paper floor=0.1" for s in MODES[1:]]]
    tables = list(summary["table"].unique())
    fig, axes = plt.subplots(2, len(tables), figsize=(4.5 * len(tables), 7), squeeze=False)
    for col, table in enumerate(tables):
        cells_ = summary[(summary["table"] == table) & (summary["method"] == "lcl_reuse")]
        for row, metric in enumerate(("slopes", "logit")):
            ax = axes[row][col]
            for setting in shown:
                line = cells_[cells_["setting"] == setting].sort_values("rate")
                ax.errorbar(
                    line["rate"],
                    np.log(line[metric]),
                    yerr=2 * line[f"{metric}_se"] / line[metric],
                    marker="o",
                    capsize=2,
                    label=setting.split()[0],
                )
            ax.set_xscale("log")
            rates = sorted(cells_["rate"].unique())
            ax.set_xticks(rates, [f"{r:g}" for r in rates])
            ax.minorticks_off()
            ax.set_title(f"{table}: {metric}")
            ax.set_xlabel("sampling rate rho")
            ax.set_ylabel(f"log({metric} MSE ratio)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --------------------------------------------------------------------------


def probe_designs(names: list[str], out: Path, sql: Templates) -> None:
    """Time a few seeds of each design at the committed size; the committed run is more of them."""
    full = Size(False)
    for name in names:
        cpu = time.process_time()
        bench = Bench(simulated(name, full.table_rows(name)), sql)
        setup = time.process_time() - cpu
        seeds = [SEED_BASE + r for r in range(PROBE_SEEDS)]
        run(bench, seeds, cells(full.rates(name)))
        per_seed = (time.process_time() - cpu - setup) / PROBE_SEEDS
        save_estimate(out, "_quick", name, setup + per_seed * full.replicates)
        bench.close()


def estimate_full_run(out: Path) -> str:
    """The committed run's time, from committed-size probes of each part (--quick runs them)."""
    estimates = load_estimates(out, "_quick")
    if not estimates:
        return "No estimate: run the studies with --quick first."
    total = sum(estimates.values())
    parts = ", ".join(f"{name} {seconds / 60:.1f}" for name, seconds in estimates.items())
    return (
        f"Estimated committed run, from committed-size probes of {len(estimates)} parts: "
        f"{total / 60:.0f} min of CPU ({parts} min), about {total / 120:.0f} min on 2 cores "
        "with the parts split over two processes (--designs)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows, replicates and rates")
    parser.add_argument("--designs", help="comma-separated parts (default: all of the study)")
    parser.add_argument("--beyond", action="store_true", help="real tables and coverage")
    parser.add_argument("--scale", action="store_true", help="the scale sample's estimates")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--render-only", action="store_true", help="only re-render the reports")
    args = parser.parse_args(argv)
    size = Size(args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = args.designs.split(",") if args.designs else None
    if not args.render_only:
        sql = Templates((3, 6))
        if args.beyond:
            efficiency_beyond.run_parts(wanted, size, args.out, sql)
            if size.quick:
                efficiency_beyond.probe(wanted, args.out, sql)
        elif args.scale:
            efficiency_scale.run_parts(wanted, size, args.out, sql)
            if size.quick:
                efficiency_scale.probe(wanted, args.out, sql)
        else:
            run_designs(wanted or list(SIMULATED), size, args.out, sql)
            if size.quick:
                probe_designs(wanted or list(SIMULATED), args.out, sql)
    reports = [
        render(args.out, size.suffix),
        efficiency_scale.render(args.out, size.suffix),
        efficiency_beyond.render(args.out, size.suffix),
    ]
    for text in reports:
        if text:
            print(text)
    efficiency_readme.write(args.out, size.suffix)
    if size.quick:
        print(estimate_full_run(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
