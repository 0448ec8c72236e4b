"""The scale sample: w, the scale and the kept count's expectation without a pass over the source.

`python bench/efficiency.py --scale` runs it. The package estimates w (and
the exact budget's scale c, M~ and Sigma~) on the scale sample, the
negatives whose 'pilot' uniform is below rho_s = min(1, max(rho0,
scale_sample_size / N0)) (docs/method.md, "What is estimated on the scale
sample"). On each simulated design, at each rate, the same seeds are drawn
twice by the package's SQL (bench/efficiency_draw.py), with the default
score a_optimal under both budgets:
  small    scale_sample_size = N0 / 20 (about 20,000 at the committed
           400,000 rows, a tenth of the default 200,000): the estimates
           differ visibly from a full pass;
  full     scale_sample_size = N0: every estimate over every negative.
The pilot's own rows (below rho0) are the same in both. Reported:
  - w's relative error: w on the small scale sample against the mean of
    the same t over every negative, beside the figure the package states
    (w_relative_error = CV(t) sqrt((1 - rho_s) / n));
  - small against full, paired on the same draws: both metrics of the
    package's default fit (lcl_reuse), each cell's difference and z;
  - the kept count against its stated 95% range: K (negatives in the
    union with the pilot's draw) within E +- 1.96 sqrt(binomial +
    estimate), E = N0 mean_S(pi*), binomial = N0 mean_S(pi*(1 - pi*)),
    estimate = (1 - rho_s) N0^2 var_S(pi*) / n (negsample.oracle.reference.
    scale_estimates), pooled over rates and replicates per design; each rate
    has its own seeds, so the trials are independent. Under budget exact
    the main draw's count against rho N0 (= N0 mean_S(pi)) the same way.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from efficiency_draw import (
    SIMULATED,
    Bench,
    Cell,
    Setting,
    Size,
    Templates,
    batches,
    simulated,
)
from efficiency_stats import (
    PROBE_SEEDS,
    Part,
    binomial_share,
    fmt_diff,
    load_part,
    paired,
    save_estimate,
    save_part,
)

SETTINGS = (Setting("a_optimal", "paper"), Setting("a_optimal", "exact"))
SEED_BASE = 5000
#: The small scale sample: this share of the negatives.
SMALL_SHARE = 1 / 20
Z95 = 1.959963984540054


def run_parts(wanted: list[str] | None, size: Size, out: Path, sql: Templates) -> None:
    for name in wanted or [f"scale_{d}" for d in SIMULATED]:
        design = name.removeprefix("scale_")
        started, cpu = time.time(), time.process_time()
        records, meta = run_design(design, size, sql)
        meta["seconds"] = round(time.time() - started, 1)
        meta["cpu_seconds"] = round(time.process_time() - cpu, 1)
        save_part(out, size.suffix, f"scale_{design}", Part(records, pd.DataFrame(), meta))
        print(f"[scale {design}] {meta['seconds']:.0f} s", flush=True)


def run_design(design: str, size: Size, sql: Templates) -> tuple[pd.DataFrame, dict]:
    table = simulated(design, size.table_rows(design))
    n0 = int((table.frame["label"] == 0).sum())
    variants = {"small": int(round(n0 * SMALL_SHARE)), "full": n0}
    frames = []
    for name, scale_size in variants.items():
        bench = Bench(table, sql, scale_size)
        for i, rate in enumerate(size.rates(design)):
            seeds = [SEED_BASE + 1000 * i + r for r in range(size.scale_replicates)]
            frames.append(draws(bench, seeds, rate).assign(variant=name, rate=rate))
        print(f"[scale {design}] {name} (scale_sample_size {scale_size:,}) done", flush=True)
        bench.close()
    # The yardsticks are the table's, the same for both scale samples.
    meta = {
        "table": design,
        "rows": len(bench.frame),
        "n_positive": bench.n_positive,
        "n_negative": n0,
        "trace_full": bench.trace_full,
        "logit_baseline": bench.logit_baseline,
        "pilot_rate": bench.pilot_rate,
        "scale_sizes": variants,
        "replicates": size.scale_replicates,
        "rates": list(size.rates(design)),
    }
    return pd.concat(frames, ignore_index=True).assign(table=design), meta


def draws(bench: Bench, seeds: list[int], rate: float) -> pd.DataFrame:
    """Each seed's default fit and kept-count figures under every setting, at one rate."""
    rows = []
    for first, part in batches(seeds, len(bench.frame)):
        bench.pilots(part, first)
        bench.score()
        for setting in SETTINGS:
            kept, scale = bench.draw(Cell(setting, rate))
            figures = kept_figures(bench, scale)
            for replicate, group in kept.groupby("replicate"):
                (record,) = bench.fit_replicate(group, ("lcl_reuse",))
                rows.append(
                    {
                        "replicate": int(replicate),
                        "setting": setting.name,
                        **record,
                        **figures[int(replicate)],
                    }
                )
    return pd.DataFrame(rows)


def kept_figures(bench: Bench, scale: pd.DataFrame) -> dict[int, dict]:
    """Per replicate: w and its full-pass value, and the kept counts with their stated ranges."""
    w = scale.set_index("replicate")["w"]
    out = {}
    for row in bench.kept_figures().itertuples():
        record = {
            "w": float(w[row.replicate]),
            "w_full_pass": row.w_full_pass,
            "w_stated_error": row.t_sd / row.t_mean * np.sqrt((1 - bench.scale_rate) / row.n_scale),
            "kept_union": int(row.kept_union),
            "kept_main": int(row.kept_main),
        }
        for name in ("union", "main"):
            estimates = stated_range(
                getattr(row, f"{name}_mean"),
                getattr(row, f"{name}_binomial_mean"),
                getattr(row, f"{name}_variance"),
                row.n_scale,
                bench.n_negative,
                bench.scale_rate,
            )
            record.update({f"{name}_{k}": v for k, v in estimates.items()})
        out[int(row.replicate)] = record
    return out


def stated_range(
    mean: float, binomial_mean: float, variance: float, n: int, n_negative: int, scale_rate: float
) -> dict[str, float]:
    """negsample.oracle.reference.scale_estimates from the scale sample's sums, not its rows."""
    return {
        "expected": n_negative * mean,
        "binomial": n_negative * binomial_mean,
        "estimate": (1.0 - scale_rate) * n_negative**2 * variance / n,
    }


# --------------------------------------------------------------------------
# Report


def inside(records: pd.DataFrame, prefix: str) -> np.ndarray:
    """Whether each draw's kept count is within its stated 95% range."""
    sd = np.sqrt(records[f"{prefix}_binomial"] + records[f"{prefix}_estimate"])
    return (
        np.abs(records[f"kept_{prefix}"] - records[f"{prefix}_expected"]) <= Z95 * sd
    ).to_numpy()


def coverage_rows(records: pd.DataFrame) -> list[dict]:
    out = []
    for (table, variant, setting), group in records.groupby(["table", "variant", "setting"]):
        share, se, n = binomial_share(inside(group, "union"))
        row = {"table": table, "variant": variant, "setting": setting, "union": share}
        row.update({"union_se": se, "n": n})
        if "exact" in setting:
            row["main"], row["main_se"], _ = binomial_share(inside(group, "main"))
        out.append(row)
    return out


def render(out: Path, suffix: str) -> str | None:
    parts = [load_part(out, suffix, f"scale_{d}") for d in SIMULATED]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    records = pd.concat([p.records for p in parts], ignore_index=True)
    metas = {p.meta["table"]: p.meta for p in parts}
    records["failed"] = records["failed"].astype(bool)
    lines = [
        "# The scale sample: w, the scale and the kept count from a sample of the negatives",
        "",
        f"Command: `python bench/efficiency.py --scale{' --quick' if suffix else ''}` ("
        + "; ".join(
            f"{t}: {m['rows']:,} rows, N0 = {m['n_negative']:,}, small scale sample "
            f"{m['scale_sizes']['small']:,}, {m['replicates']} seeds per rate, {m['seconds']:.0f} s"
            for t, m in metas.items()
        )
        + ").",
        "",
        "Each rate has its own seeds; both scale samples (small: N0 / 20; full: every "
        "negative) draw with the same seeds. The fit is the package's default (lcl_reuse).",
        "",
    ]
    w_lines, w_facts = w_section(records)
    pair_lines, pair_facts = paired_section(records, metas)
    cover_lines, cover_facts = coverage_section(records)
    lines += w_lines + pair_lines + cover_lines
    facts = {**w_facts, **pair_facts, **cover_facts}
    facts["small_scale_sizes"] = {t: m["scale_sizes"]["small"] for t, m in metas.items()}
    (out / f"efficiency_scale{suffix}.json").write_text(json.dumps(facts, indent=1))
    text = "\n".join(lines) + "\n"
    (out / f"efficiency_scale{suffix}.md").write_text(text)
    return text


def w_section(records: pd.DataFrame) -> tuple[list[str], dict]:
    small = records[records["variant"] == "small"]
    lines = [
        "## w on the scale sample against a full pass",
        "",
        "w's relative error: root mean square over seeds of w_S / w_full − 1 (w_full the mean "
        "of the same t over every negative), beside the mean of the package's stated "
        "`w_relative_error`.",
        "",
        "| design | rho | setting | scale sample | relative error | stated |",
        "|---|---|---|---|---|---|",
    ]
    worst = 0.0
    keys = ["table", "rate", "setting", "variant"]
    for (table, rate, setting, variant), g in small.groupby(keys):
        error = float(np.sqrt(((g["w"] / g["w_full_pass"] - 1) ** 2).mean()))
        stated = float(g["w_stated_error"].mean())
        worst = max(worst, error / stated if stated > 0 else 0.0)
        lines.append(f"| {table} | {rate:g} | {setting} | {variant} | {error:.4f} | {stated:.4f} |")
    return lines + [""], {"w_error_over_stated_max": worst}


def paired_section(records: pd.DataFrame, metas: dict) -> tuple[list[str], dict]:
    lines = [
        "## The small scale sample against a full pass, paired on the same draws",
        "",
        "Difference small − full of the default fit's error ratios (positive: the scale "
        "sample is worse); with budget paper, the main draw's kept share beside it.",
        "",
        "| design | rho | setting | slopes: small − full | logit: small − full | kept / rho N0 |",
        "|---|---|---|---|---|---|",
    ]
    zs = []
    for setting in records["setting"].unique():
        mine = records[records["setting"] == setting].assign(
            setting=lambda f: f["variant"], method="lcl_reuse"
        )
        gaps = {
            m: paired(mine, metas, ("small", "lcl_reuse"), ("full", "lcl_reuse"), m)
            for m in ("slopes", "logit")
        }
        for a, b in zip(gaps["slopes"].itertuples(), gaps["logit"].itertuples(), strict=True):
            cell = mine[(mine["table"] == a.table) & (mine["rate"] == a.rate)]
            share = (cell["kept_main"] / (a.rate * metas[a.table]["n_negative"])).mean()
            lines.append(
                f"| {a.table} | {a.rate:g} | {setting} | {fmt_diff(a)} | {fmt_diff(b)} | "
                f"{share:.3f} |"
            )
            zs += [a.z, b.z]
    facts = {
        "scale_cells": len(zs),
        "scale_worse": int(sum(z > 2 for z in zs)),
        "scale_worst_z": float(max(zs)) if zs else float("nan"),
    }
    facts["scale_never_worse"] = facts["scale_worse"] == 0
    return lines + [""], facts


def coverage_section(records: pd.DataFrame) -> tuple[list[str], dict]:
    rows = pd.DataFrame(coverage_rows(records))
    lines = [
        "## The kept count against its stated 95% range",
        "",
        "Share of draws whose kept negatives (the union with the pilot's draw) fall within "
        "E ± 1.96 √(binomial + estimate variance), pooled over rates and seeds, ± its binomial "
        "SE; budget exact: the main draw's count within ρN0 ± 1.96 √(…) as well. Target 0.93 "
        "to 0.97.",
        "",
        "| design | scale sample | setting | union within range | main draw within ρN0 range | "
        "draws |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows.itertuples():
        main = f"{row.main:.3f} ± {row.main_se:.3f}" if "exact" in row.setting else ""
        lines.append(
            f"| {row.table} | {row.variant} | {row.setting} | {row.union:.3f} ± "
            f"{row.union_se:.3f} | {main} | {row.n} |"
        )
    checked = rows[rows["variant"] != "full"]
    exact = checked[checked["setting"].str.contains("exact")]
    facts = {
        "kept_coverage_min": float(checked["union"].min()),
        "kept_coverage_max": float(checked["union"].max()),
        "exact_main_coverage_min": float(exact["main"].min()),
        "exact_main_coverage_max": float(exact["main"].max()),
    }
    return lines + [""], facts


def probe(wanted: list[str] | None, out: Path, sql: Templates) -> None:
    """Time a few seeds of each design at the committed size, at one rate, both scale samples."""
    full = Size(False)
    for name in wanted or [f"scale_{d}" for d in SIMULATED]:
        design = name.removeprefix("scale_")
        table = simulated(design, full.table_rows(design))
        n0 = int((table.frame["label"] == 0).sum())
        cpu = time.process_time()
        for scale_size in (int(round(n0 * SMALL_SHARE)), n0):
            bench = Bench(table, sql, scale_size)
            draws(bench, [SEED_BASE + r for r in range(PROBE_SEEDS)], full.rates(design)[-1])
            bench.close()
        per_seed = (time.process_time() - cpu) / PROBE_SEEDS
        save_estimate(
            out, "_quick", name, per_seed * full.scale_replicates * len(full.rates(design))
        )
