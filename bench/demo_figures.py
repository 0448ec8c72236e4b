"""The worked example of docs/reference.md: every figure it quotes about the demo, from its tables.

Reads the DuckDB file that `dbt build` wrote (the default design on the
demo seed), writes the block between the markers
``<!-- demo-figures:begin -->`` and ``<!-- demo-figures:end -->`` and the
reliability diagram ``bench/results/demo_reliability.png`` (whose PNG text
chunk records the deciles it was drawn from). ``--check`` writes nothing
and exits 1 when either is stale; tests/test_readme.py runs that check on
a fresh build, so the figures cannot drift from what the package computes.

    .venv/bin/dbt build && .venv/bin/python bench/demo_figures.py
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from PIL import Image

from negsample.tools.report import figure_png, load_diagnostics, reliability_figure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_blocks import read_block, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PNG = ROOT / "bench" / "results" / "demo_reliability.png"
BLOCK = "demo-figures"


def _pct(x: float) -> str:
    """A probability as a percentage with three significant digits."""
    return f"{100 * x:.3g}%"


def figures(database: Path) -> dict:
    """The numbers the worked example quotes, read from a build of the demo."""
    diag = load_diagnostics(database)
    d, size = diag.design, diag.sample_size
    cal = diag.calibration
    final = cal[cal["score"] == "final"].sort_values("decile")
    uncorrected = cal[cal["score"] == "uncorrected"].sort_values("decile")
    inside = int(
        (
            (final["mean_predicted"] >= final["observed_lower"])
            & (final["mean_predicted"] <= final["observed_upper"])
        ).sum()
    )
    fit = diag.fit.set_index("model")
    coef = diag.coefficients[~diag.coefficients["is_reference"].astype(bool)]
    se_gain = 1 - coef["final_std_error"] / coef["pilot_std_error"]
    ipw_ratio = coef["ipw_to_final_se_ratio"]
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        update = con.sql("select * from negsample_intercept_update").df().iloc[0]
    return {
        "n_rows": int(d["n_rows"]),
        "n_positive": int(d["n_positive"]),
        "sampling_rate": float(d["sampling_rate"]),
        "score": str(d["score"]),
        "final_low": float(final["mean_predicted"].iloc[0]),
        "final_high": float(final["mean_predicted"].iloc[-1]),
        "final_inside": inside,
        "deciles": len(final),
        "uncorrected_low": float(uncorrected["mean_predicted"].iloc[0]),
        "uncorrected_high": float(uncorrected["mean_predicted"].iloc[-1]),
        "uncorrected_observed_low": float(uncorrected["observed_rate"].iloc[0]),
        "uncorrected_observed_high": float(uncorrected["observed_rate"].iloc[-1]),
        "floor_prob": float(d["floor_prob"]),
        "n_floored": int(d["n_floored"]),
        "n_capped": int(d["n_capped"]),
        "kept_negatives": int(d["kept_negatives"]),
        "expected_negatives": float(d["expected_negatives"]),
        "expected_lower": float(size["expected_negatives_lower"]),
        "expected_upper": float(size["expected_negatives_upper"]),
        "kept_z": float(d["kept_negatives_z"]),
        "kish": float(size["ipw_effective_sample_size"]),
        "kept_rows": int(d["kept_rows"]),
        "final_log_loss": float(fit.loc["final", "log_loss"]),
        "final_auc": float(fit.loc["final", "auc"]),
        "pilot_log_loss": float(fit.loc["pilot", "log_loss"]),
        "pilot_auc": float(fit.loc["pilot", "auc"]),
        "tie_bound": float(fit["auc_tie_bound"].max()),
        "mean_prob": float(update["mean_prob"]),
        "observed_rate": float(update["observed_rate"]),
        "intercept_delta": float(update["intercept_delta"]),
        "intercept_std_error": float(update["intercept_std_error"]),
        "se_gain_low": float(se_gain.min()),
        "se_gain_high": float(se_gain.max()),
        "ipw_ratio_low": float(ipw_ratio.min()),
        "ipw_ratio_high": float(ipw_ratio.max()),
    }


def block(f: dict) -> str:
    """The markdown for the figures ``f``, each bullet wrapped at 78 columns."""
    head = (
        f"On the demo ({f['n_rows']:,} rows, {f['n_positive']:,} positive, "
        f"ρ = {f['sampling_rate']:g}, the default score `{f['score']}`):"
    )
    bullets = [
        "**Reliability diagram** (`negsample_diagnostics`): each score is cut into deciles "
        "over every row of the source; a point is a decile's mean prediction against its "
        "observed rate, with a Wilson 95% interval. The final fit's probability σ(θ̂·ẋ) "
        f"(blue, before the intercept update) follows the diagonal from {_pct(f['final_low'])} "
        f"to {_pct(f['final_high'])} and lies within the interval in {f['final_inside']} of "
        f"{f['deciles']} deciles. The uncorrected score σ(θ̂·ẋ − ln π), what a model fitted on "
        f"the kept rows without the offset reports, predicts {_pct(f['uncorrected_low'])} to "
        f"{_pct(f['uncorrected_high'])} where {_pct(f['uncorrected_observed_low'])} to "
        f"{_pct(f['uncorrected_observed_high'])} is observed (red): the sample has "
        f"{1 / f['sampling_rate']:.0f} times fewer negatives than the population.",
        "**Sampling probabilities** (`negsample_diagnostics_sampling_probs`): a histogram of "
        "π over the negatives on a log axis, with the floor "
        f"(floor·ρ = {f['floor_prob']:g}, {f['n_floored']:,} negatives) and the cap "
        f"(π = 1, {f['n_capped']:,} negatives) marked, and the kept negatives in each bin.",
        f"**Sample size** (`negsample_diagnostics_sample_size`): {f['kept_negatives']:,} "
        f"negatives kept against {f['expected_negatives']:,.0f} expected (95% range "
        f"{f['expected_lower']:,.0f}–{f['expected_upper']:,.0f}, z = {f['kept_z']:+.2f}). "
        f"Kish's effective size of the IPW weights is {f['kish']:,.0f} of the "
        f"{f['kept_rows']:,} kept rows, a rule of thumb for what unequal weights cost.",
        f"**Fit** (`negsample_diagnostics_fit`): over all {f['n_rows']:,} rows the final fit "
        f"has log loss {f['final_log_loss']:.4f} and AUC {f['final_auc']:.3f} (pilot: "
        f"{f['pilot_log_loss']:.4f} and {f['pilot_auc']:.3f}; both within "
        f"{f['tie_bound']:.1e} of the exact AUC, `auc_tie_bound`). Before the intercept "
        f"update its mean prediction is {_pct(f['mean_prob'])} against the observed "
        f"{_pct(f['observed_rate'])}; the update δ = {f['intercept_delta']:+.3f} is "
        f"{abs(f['intercept_delta']) / f['intercept_std_error']:.2f} standard errors of the "
        "intercept (`negsample_intercept_update`).",
        "**Coefficients** (`negsample_diagnostics_coefficients`): pilot, final and IPW "
        "estimates with their standard errors. The final fit's standard errors are "
        f"{100 * f['se_gain_low']:.0f}–{100 * f['se_gain_high']:.0f}% smaller than the "
        f"pilot's; on this demo the IPW fit's are {f['ipw_ratio_low']:.2f}–"
        f"{f['ipw_ratio_high']:.2f} times the final fit's (`ipw_to_final_se_ratio`).",
    ]
    wrapped = [
        textwrap.fill(b, 78, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)
        for b in bullets
    ]
    return (
        "\n\n".join(
            [head, "![Reliability diagram of the demo](../bench/results/demo_reliability.png)"]
        )
        + "\n\n"
        + "\n".join(wrapped)
    )


def reliability_png(database: Path) -> tuple[bytes, str]:
    """The reliability diagram as PNG, and the JSON of the deciles it draws."""
    calibration = load_diagnostics(database).calibration
    data = json.dumps(
        calibration.sort_values(["score", "decile"])[
            ["score", "decile", "mean_predicted", "observed_rate"]
        ]
        .round(12)
        .to_dict(orient="records")
    )
    fig = reliability_figure(calibration)
    return figure_png(fig, {"Description": data}), data


def png_data(path: Path) -> str | None:
    if not path.exists():
        return None
    with Image.open(path) as image:
        return image.text.get("Description")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=ROOT / "negsample.duckdb")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when stale")
    args = parser.parse_args(argv)
    wanted = block(figures(args.database))
    png, data = reliability_png(args.database)
    stale = []
    if read_block(BLOCK) != wanted:
        stale.append(f"block {BLOCK}")
    if png_data(PNG) != data:
        stale.append(str(PNG))
    if args.check:
        for path in stale:
            print(f"stale: {path}")
        return 1 if stale else 0
    document = write_block(BLOCK, wanted)
    PNG.write_bytes(png)
    print(f"wrote the demo figures to {document} and {PNG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
