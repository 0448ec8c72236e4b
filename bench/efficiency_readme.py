"""The efficiency blocks of the docs, computed from the efficiency benchmarks' results.

`python bench/efficiency.py` (any of its studies, and `--render-only`)
writes every block into bench/results/efficiency_readme.md (the --quick run
into efficiency_readme_quick.md), and the committed run also into the
document that holds `<!-- NAME:begin -->` and `<!-- NAME:end -->`
(docs/benchmarks.md; bench/readme_blocks.py). tests/test_readme.py
recomputes each block from the committed results and holds the document to
it, so every figure quoted is one the results give.

    .venv/bin/python bench/efficiency_readme.py          # rewrite the blocks
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
SCORES = ("uniform", "p", "l_optimal", "a_optimal", "logit_optimal")
BLOCKS = ("efficiency-summary", "efficiency-beyond", "efficiency-scale")


def published_suffix(results: Path = RESULTS) -> str:
    """The run the docs quote: the committed full run once its verdicts are complete, else --quick.

    Both runs write the same files (the quick one with the suffix ``_quick``),
    so every block, headline and default verdict is computed from one of them.
    """
    return "" if _json(results / "efficiency_beyond.json").get("complete") else "_quick"


def published_command(results: Path = RESULTS) -> str:
    """The command that wrote the published results."""
    return "python bench/efficiency.py" + (" --quick" if published_suffix(results) else "")


def _setting(score: str) -> str:
    return "uniform" if score == "uniform" else f"{score} paper floor=0.1"


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def summary_block(results: Path, suffix: str) -> str | None:
    path = results / f"efficiency{suffix}.csv"
    if not path.exists():
        return None
    summary = pd.read_csv(path)
    facts = _json(results / f"efficiency{suffix}.json")
    fit = summary[summary["method"] == "lcl_reuse"].set_index(["table", "rate", "setting"])
    lines = [
        "| design | ρ | " + " | ".join(f"`{s}`" for s in SCORES) + " | kept / ρN0, `a_optimal` |",
        "|---|---|" + "---|" * (len(SCORES) + 1),
    ]
    for (table, rate), _ in fit.groupby(level=["table", "rate"], sort=False):
        values = [
            f"{fit.loc[(table, rate, _setting(s)), 'slopes']:.2f} / "
            f"{fit.loc[(table, rate, _setting(s)), 'logit']:.2f}"
            for s in SCORES
        ]
        share = fit.loc[(table, rate, _setting("a_optimal")), "kept_share"]
        lines.append(f"| {table} | {rate:g} | " + " | ".join(values) + f" | {share:.2f} |")
    non_uniform = fit[fit.index.get_level_values("setting").isin([_setting(s) for s in SCORES[1:]])]
    uniform = fit.xs("uniform", level="setting")
    margins = {
        metric: uniform[metric] / non_uniform.groupby(level=["table", "rate"])[metric].min()
        for metric in ("slopes", "logit")
    }
    lines += [
        "",
        "(slopes / logit: the MSE of the slopes and of the served logit, each ÷ the full-data "
        "fit's; the package's default fit on the union with the pilot's draw; budget `paper`, "
        f"floor 0.1; Monte Carlo SEs in `bench/results/efficiency{suffix}.md`; "
        f"`{published_command(results)}`.)",
        "",
        f"- The best non-uniform score beats uniform sampling by {_span(margins['slopes'])} on "
        f"the slopes and {_span(margins['logit'])} on the served logit.",
        f"- The corrected fit (lcl) is worse than IPW on the same draws beyond 2 SE in "
        f"{facts.get('lcl_worse_than_ipw', 0)} of {facts.get('lcl_vs_ipw_comparisons', 0)} "
        f"comparisons (largest z {facts.get('lcl_vs_ipw_worst_z', float('nan')):+.1f}).",
    ]
    return "\n".join(lines)


def _span(values: pd.Series) -> str:
    low, high = f"{np.min(values):.2f}x", f"{np.max(values):.2f}x"
    return low if low == high else f"{low} to {high}"


def beyond_block(results: Path, suffix: str) -> str | None:
    verdicts = _json(results / f"efficiency_beyond{suffix}.json")
    if not verdicts:
        return None
    candidates = verdicts["score_candidates"]
    auto = verdicts["auto_vs_best"]
    real = verdicts["default_on_real_tables"]
    lines = [
        f"- Defaults the evidence supports: score `{verdicts['score']}`, budget "
        f"`{verdicts['budget']}`, objective `{verdicts['objective']}`, reuse_pilot "
        f"`{str(verdicts['reuse_pilot']).lower()}`.",
        "- Cells in which each candidate score is worse than the best fixed score beyond 2 SE: "
        + ", ".join(f"`{c}` {t['worse']} of {t['cells']}" for c, t in candidates.items())
        + ".",
        "- Score auto against the best fixed score on its objective's metric: "
        + "; ".join(
            f"objective {o}: worse beyond 2 SE in {t['worse']} of {t['cells']} cells "
            f"(largest z {t['worst_z']:+.1f})"
            for o, t in auto.items()
        )
        + ".",
        f"- The package's default on the real tables' served logit: worse than the best fixed "
        f"score beyond 2 SE in {real['worse']} of {real['cells']} cells.",
    ]
    for name, facts in verdicts["coverage"].items():
        lines.append(
            f"- Coverage of the 95% intervals, {name}, per design pooled over its rates: "
            f"{facts['min']:.3f} to {facts['max']:.3f}."
        )
    return "\n".join(lines)


def scale_block(results: Path, suffix: str) -> str | None:
    facts = _json(results / f"efficiency_scale{suffix}.json")
    if not facts:
        return None
    sizes = ", ".join(f"{t} {n:,}" for t, n in facts["small_scale_sizes"].items())
    return "\n".join(
        [
            f"- Small scale samples (N0 / 20: {sizes}) against a full pass, paired on the same "
            f"draws: worse beyond 2 SE in {facts['scale_worse']} of {facts['scale_cells']} "
            f"comparisons (largest z {facts['scale_worst_z']:+.1f}).",
            f"- w's relative error is at most {facts['w_error_over_stated_max']:.2f}x the "
            "`w_relative_error` the package states.",
            f"- The kept count falls within its stated 95% range in "
            f"{facts['kept_coverage_min']:.3f} to {facts['kept_coverage_max']:.3f} of draws per "
            f"design; under budget exact the main draw's count within ρN0's range in "
            f"{facts['exact_main_coverage_min']:.3f} to {facts['exact_main_coverage_max']:.3f}.",
        ]
    )


def blocks(results: Path = RESULTS, suffix: str | None = None) -> dict[str, str]:
    """Every block the results in ``results`` give (one whose results are absent is left out).

    ``suffix`` None: the published run's (published_suffix).
    """
    suffix = published_suffix(results) if suffix is None else suffix
    makers = {
        "efficiency-summary": summary_block,
        "efficiency-beyond": beyond_block,
        "efficiency-scale": scale_block,
    }
    out = {name: make(results, suffix) for name, make in makers.items()}
    return {name: text for name, text in out.items() if text is not None}


def write(results: Path = RESULTS, suffix: str = "") -> dict[str, str]:
    """Write the blocks to efficiency_readme{suffix}.md, and the published run's into the docs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from readme_blocks import DOCUMENTS, markers, write_block

    found = blocks(results, suffix)
    text = "\n\n".join(f"{markers(n)[0]}\n{t}\n{markers(n)[1]}" for n, t in found.items())
    (results / f"efficiency_readme{suffix}.md").write_text(text + "\n")
    if suffix == published_suffix(results) and results.resolve() == RESULTS.resolve():
        documents = "".join(path.read_text() for path in DOCUMENTS)
        for name, content in found.items():
            if markers(name)[0] in documents:
                write_block(name, content)
    return found


def main() -> int:
    for name, text in write(suffix=published_suffix()).items():
        print(f"{name}:\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
