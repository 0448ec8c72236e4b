"""The README's efficiency summary, computed from bench/efficiency.py's results.

`python bench/efficiency.py` (and `--render-only`) writes this text into the
README block `efficiency-summary`; tests/test_readme.py recomputes it from
the committed results and holds the block to it, so that every figure the
section quotes is one the results give.

    .venv/bin/python bench/efficiency_readme.py          # rewrite the block
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
DESIGNS = {"normal": "normal", "t3": "t3", "lognormal": "log-normal"}
SHOWN_RATES = (0.002, 0.005, 0.02)
SCORES = ("p", "l_optimal", "a_optimal")
DEFAULT = "a_optimal floor=0.1 paper"


def load(results: Path = RESULTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary table and the paired LCL - IPW gaps of the committed run."""
    summary = pd.read_csv(results / "efficiency.csv")
    extras = pd.concat(
        [
            pd.read_csv(path)
            for path in sorted((results / "efficiency_designs").glob("*_extra.csv"))
        ],
        ignore_index=True,
    )
    gaps = extras[extras["setting"] != "full data"][
        ["design", "rate", "setting", "lcl_minus_ipw", "se"]
    ]
    return summary, gaps


def _cells(summary: pd.DataFrame, method: str = "lcl") -> pd.DataFrame:
    """The main cells (pilot ratio 1) of one method, indexed by design, rate and setting."""
    main = summary[(summary["pilot_ratio"] == 1.0) & (summary["method"] == method)]
    return main.set_index(["design", "rate", "setting"])


def _x(value: float) -> str:
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def _span(values: pd.Series | list[float], fmt: Callable[[float], str] = _x) -> str:
    low, high = fmt(min(values)), fmt(max(values))
    return low if low == high else f"{low} to {high}"


def _pct(value: float) -> str:
    return f"{100 * value:+.0f}%".replace("-", "−")


def _mse(cell: pd.Series) -> str:
    value, se = cell["mse_ratio"], cell["mse_ratio_se"]
    if value >= 100:
        return f"{value:.0f} ± {se:.0f}"
    if value >= 10:
        return f"{value:.1f} ± {se:.1f}"
    return f"{value:.2f} ± {se:.2f}"


def table(summary: pd.DataFrame) -> list[str]:
    lcl, ipw = _cells(summary), _cells(summary, "ipw")
    lines = [
        "| design | ρ | uniform, ipw | uniform | `p` | `l_optimal` | `a_optimal` (default) "
        "| default vs uniform |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for design, shown in DESIGNS.items():
        for rate in SHOWN_RATES:
            scores = [_mse(lcl.loc[(design, rate, f"{s} floor=0.1 paper")]) for s in SCORES]
            uniform = lcl.loc[(design, rate, "uniform")]
            margin = uniform["mse_ratio"] / lcl.loc[(design, rate, DEFAULT)]["mse_ratio"]
            lines.append(
                f"| {shown} | {rate:g} | {_mse(ipw.loc[(design, rate, 'uniform')])} | "
                f"{_mse(uniform)} | " + " | ".join(scores) + f" | {_x(margin)} |"
            )
    return lines


def correction_vs_ipw(summary: pd.DataFrame, gaps: pd.DataFrame) -> str:
    worst = gaps.assign(z=gaps["lcl_minus_ipw"] / gaps["se"]).sort_values("z").iloc[-1]
    verdict = "never worse" if worst["z"] <= 2 else "worse in some cells"
    lcl, ipw = _cells(summary), _cells(summary, "ipw")
    uniform = lcl.xs("uniform", level="setting")["mse_ratio"]
    gain = ipw.xs("uniform", level="setting")["mse_ratio"] / uniform
    heavy = gain[gain.index.get_level_values("design").isin(["normal", "t3"])]
    light = gain[gain.index.get_level_values("design") == "lognormal"]
    return (
        "- **Log-odds correction vs IPW.** On the same samples the corrected\n"
        f"  likelihood is {verdict} than IPW beyond Monte Carlo error: the paired\n"
        "  difference least in its favour (in standard errors) is "
        f"{worst['lcl_minus_ipw']:+.3f} ± {worst['se']:.3f}. "
        "Under uniform sampling it\n"
        f"  is far better: {_span(heavy)} lower MSE on the normal and t3 designs, "
        f"{_span(light)}\n  on the log-normal one (Theorem 5 of the paper)."
    )


def nonuniform_vs_uniform(summary: pd.DataFrame) -> str:
    lcl = _cells(summary)
    candidates = lcl[lcl.index.get_level_values("setting") != "uniform"]
    best = candidates.groupby(level=["design", "rate"])["mse_ratio"].min()
    uniform = lcl.xs("uniform", level="setting")["mse_ratio"]
    margin = (uniform / best).dropna()
    everywhere = "at every ρ on every design" if (margin > 1).all() else "in most cells"
    low = margin[margin.index.get_level_values("rate") <= 0.005]
    spans = {d: _span(low.xs(d, level="design")) for d in DESIGNS}
    normal_02 = lcl.loc[("normal", 0.02, DEFAULT)]["mse_ratio"]
    return (
        "- **Non-uniform vs uniform.** The best non-uniform estimator beats uniform\n"
        f"  sampling with correction {everywhere}: at ρ ≤ 0.005 by\n"
        f"  {spans['normal']} on the normal design, {spans['t3']} on t3, and "
        f"{spans['lognormal']} on the\n"
        "  log-normal design (the paper's reference implementation also finds only\n"
        "  about 1.2x to 1.5x there).\n"
        "- **Against the full data.** On the normal design at ρ = 0.02 the default's MSE\n"
        f"  is {normal_02:.2f}x the full-data MLE's from 2% of the negatives."
    )


def calibration(summary: pd.DataFrame) -> str:
    lcl = _cells(summary)
    is_uniform = lcl.index.get_level_values("setting") == "uniform"
    before = (lcl["calibration"] - 1).abs()
    worst_uniform = before[is_uniform].idxmax()
    after = (lcl["calibration_updated"] - 1).abs().max()
    return (
        "- **Calibration in the large.** Without the intercept update, the mean of\n"
        "  `corrected_prob` over the table is within "
        f"{100 * before[~is_uniform].max():.1f}% of the observed rate in\n"
        "  every non-uniform cell, but uniform sampling is up to "
        f"{100 * before[is_uniform].max():.1f}%\n"
        f"  off ({DESIGNS[worst_uniform[0]]}, ρ = {worst_uniform[1]:g}). With the one-pass "
        "intercept update\n  (`negsample:recalibrate_intercept`, on by default) every cell, "
        f"uniform included, is within {100 * after:.1f}%."
    )


def defaults(summary: pd.DataFrame) -> str:
    lcl = _cells(summary)
    paper = [f"{s} floor=0.1 paper" for s in SCORES]
    cells = lcl[lcl.index.get_level_values("setting").isin(paper)]
    held, lost = 0, []
    for (design, rate), group in cells.groupby(level=["design", "rate"]):
        group = group.droplevel(["design", "rate"])
        best = group["mse_ratio"].idxmin()
        mine = group.loc[DEFAULT]
        if mine["mse_ratio"] - group["mse_ratio"].min() <= mine["mse_ratio_se"]:
            held += 1
        else:
            lost.append(
                f"on {DESIGNS[design]} at ρ = {rate:g}, `{best.split()[0]}` is "
                f"{group.loc[best, 'mse_ratio']:.2f} against {mine['mse_ratio']:.2f}"
            )
    p_gap = (
        cells.xs(DEFAULT, level="setting")["mse_ratio"]
        - cells.xs("p floor=0.1 paper", level="setting")["mse_ratio"]
    )
    never_worse = (
        "it is never worse than `p`"
        if (p_gap <= cells.xs(DEFAULT, level="setting")["mse_ratio_se"]).all()
        else "it is sometimes worse than `p`"
    )

    def floor_change(floor: str, budget: str) -> pd.Series:
        ratios = []
        for score in SCORES:
            ten = lcl.xs(f"{score} floor=0.1 {budget}", level="setting")
            other = lcl.xs(f"{score} floor={floor} {budget}", level="setting")
            joined = other.join(ten.add_suffix("_ten"), how="inner")
            ratios.append(joined)
        return pd.concat(ratios)

    zero = pd.concat([floor_change("0", b) for b in ("paper", "exact")])
    zero_within = (
        (zero["mse_ratio"] - zero["mse_ratio_ten"]).abs() <= zero["mse_ratio_se_ten"]
    ).mean()
    half_paper = floor_change("0.5", "paper")
    half_exact = floor_change("0.5", "exact")
    paper_change = half_paper["mse_ratio"] / half_paper["mse_ratio_ten"] - 1
    exact_change = half_exact["mse_ratio"] / half_exact["mse_ratio_ten"] - 1

    budget = {}
    for design in DESIGNS:
        rel = []
        for score in SCORES:
            p = lcl.xs((design, f"{score} floor=0.1 paper"), level=["design", "setting"])
            e = lcl.xs((design, f"{score} floor=0.1 exact"), level=["design", "setting"])
            rel.append(p["mse_ratio"] / e["mse_ratio"] - 1)
        budget[design] = pd.concat(rel)
    smooth = pd.concat([budget["normal"], budget["lognormal"]])
    mostly = "mostly better" if (smooth < 0).mean() > 0.5 else "mostly worse"

    ratios = summary[
        (summary["rate"] == 0.005)
        & (summary["setting"] == "a_optimal floor=0.1 exact")
        & (summary["method"] == "lcl")
    ]
    spread = []
    for _, group in ratios.groupby("design"):
        base = group[group["pilot_ratio"] == 1.0].iloc[0]
        spread.append(((group["mse_ratio"] - base["mse_ratio"]).abs() / base["mse_ratio_se"]).max())
    pilot_ratios = ", ".join(f"{r:g}" for r in sorted(ratios["pilot_ratio"].unique()))

    exception = f" ({'; '.join(lost)})" if lost else ""
    return (
        "**Why the defaults are what they are.** `score: a_optimal` has the lowest MSE,\n"
        f"or one within one Monte Carlo SE of the lowest, in {held} of the {held + len(lost)} "
        f"design × ρ cells{exception}, and {never_worse}; its cost is the pilot's "
        "information matrix, which\nthe pilot fit computes with the fit. "
        f"`floor: 0.1` matches floor 0 to within one SE in {zero_within:.0%} of the cells "
        "and protects rows a poor pilot would score near\nzero; floor 0.5 changes the MSE by "
        f"{_span(paper_change, _pct)} under `paper` but by {_span(exact_change, _pct)} under "
        "`exact`. `budget: paper` (the paper's π = ρ·t/w, clipped) is\n"
        f"within {100 * smooth.abs().max():.0f}% of `exact` "
        f"on the normal and log-normal designs ({mostly})\nand "
        f"{_span(budget['t3'], _pct)} on t3; it is kept because its one aggregate is "
        "bit-reproducible at any DuckDB thread\ncount, while the exact solve's parallel sums "
        "may differ in the last bits\nbetween runs. Pilot ratios "
        f"{pilot_ratios} give MSEs within {max(spread):.1f} SE of ratio 1\n"
        "(ρ = 0.005, `a_optimal`, floor 0.1, `exact`), so the ratio stays 1."
    )


def block(summary: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """The text of the README block `efficiency-summary`."""
    return "\n".join(
        [
            *table(summary),
            "",
            "(floor 0.1, budget `paper`, pilot ratio 1 in every non-uniform column.)",
            "",
            correction_vs_ipw(summary, gaps),
            nonuniform_vs_uniform(summary),
            calibration(summary),
            "",
            defaults(summary),
        ]
    )


def write(results: Path = RESULTS) -> str:
    """Write the README block from the results in ``results``; return its text."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from readme_blocks import write_block

    text = block(*load(results))
    write_block("efficiency-summary", text)
    return text


def main() -> int:
    print(write())
    return 0


if __name__ == "__main__":
    np.seterr(all="raise")
    sys.exit(main())
