"""The efficiency benchmarks' bookkeeping: parts on disk, summaries, paired comparisons.

A *part* is what one run of the package's draw over many seeds leaves
(bench/efficiency_draw.run): one record per (replicate, rate, setting,
method) with the squared errors, score auto's choices, and the table's
yardsticks. Parts are saved as soon as they are done, so that parts can run
in separate processes and a long run keeps what it finished.

The two metrics, each as a ratio to the full-data fit's own error (Monte
Carlo standard errors over replicates):
  slopes  MSE of the slopes / MSE of the full-data MLE's slopes
          = 1 + E|theta^ - theta^_full|^2 / tr Cov(full), slopes only;
  logit   MSE of the served logit theta^.x-dot + delta over every row of
          the table, against the full-data fit's logit, as a ratio to the
          full-data fit's own mean squared logit error tr(E[x x'] Cov(full)):
          1 + E mean_rows (served - full)^2 / tr(E[x x'] Cov(full)).
Paired comparisons are per replicate on the same draws: the mean of the
difference in ratio units, its standard error and z = mean / SE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from negsample.oracle.reference import SCORE_MODES

METRICS = {"slopes": ("excess_slopes", "trace_full"), "logit": ("excess_logit", "logit_baseline")}
#: The metric each objective of score auto minimises.
OBJECTIVE_METRIC = {"scores": "logit", "coefficients": "slopes"}
#: Most fits of one method in one cell that may fail (FitError: separation,
#: no convergence) and be left out of its averages.
MAX_FAILED_SHARE = 0.05


@dataclass
class Part:
    records: pd.DataFrame
    choices: pd.DataFrame
    meta: dict


def parts_dir(out: Path, suffix: str) -> Path:
    return out / f"efficiency{suffix}_parts"


def save_part(out: Path, suffix: str, name: str, part: Part) -> None:
    folder = parts_dir(out, suffix)
    folder.mkdir(parents=True, exist_ok=True)
    part.records.to_csv(folder / f"{name}.csv", index=False)
    part.choices.to_csv(folder / f"{name}_choices.csv", index=False)
    (folder / f"{name}.json").write_text(json.dumps(part.meta, indent=1))


def load_part(out: Path, suffix: str, name: str) -> Part | None:
    folder = parts_dir(out, suffix)
    if not (folder / f"{name}.json").exists():
        return None
    choices = folder / f"{name}_choices.csv"
    return Part(
        pd.read_csv(folder / f"{name}.csv"),
        pd.read_csv(choices) if choices.stat().st_size > 1 else pd.DataFrame(),
        json.loads((folder / f"{name}.json").read_text()),
    )


#: Seeds of a committed-size probe: the committed run is more batches of the same work.
PROBE_SEEDS = 3


def save_estimate(out: Path, suffix: str, name: str, cpu_seconds: float) -> None:
    """The committed run's CPU time for a part, as a probe of it measured."""
    folder = parts_dir(out, suffix)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"estimate_{name}.json").write_text(json.dumps({"cpu_seconds": cpu_seconds}))


def load_estimates(out: Path, suffix: str) -> dict[str, float]:
    folder = parts_dir(out, suffix)
    return {
        path.stem.removeprefix("estimate_"): json.loads(path.read_text())["cpu_seconds"]
        for path in sorted(folder.glob("estimate_*.json"))
    }


def auto_name(objective: str, budget: str) -> str:
    return f"auto/{objective} {budget} floor=0.1"


def with_auto(records: pd.DataFrame, choices: pd.DataFrame) -> pd.DataFrame:
    """The records plus score auto's: in each replicate, the fits of the score it chose."""
    if choices.empty:
        return records
    fixed = records[records["floor"] == 0.1].copy()
    # Uniform's pi is rho under either budget; its one cell serves both.
    fixed = pd.concat(
        [fixed, fixed[fixed["score"] == "uniform"].assign(budget="exact")], ignore_index=True
    )
    picked = choices.merge(
        fixed,
        left_on=["replicate", "rate", "budget", "chosen"],
        right_on=["replicate", "rate", "budget", "score"],
    )
    picked["setting"] = [
        auto_name(o, b) for o, b in zip(picked["objective"], picked["budget"], strict=True)
    ]
    picked["score"] = "auto"
    return pd.concat([records, picked.drop(columns=["objective"])], ignore_index=True)


def check_failures(records: pd.DataFrame, what: str) -> int:
    """How many fits failed; stops when a method of a cell loses more than MAX_FAILED_SHARE.

    Averages over the fits that succeeded are biased when failures cluster
    (separation happens on the extreme samples), so too many is an error.
    """
    failed = records["failed"].astype(bool)
    counts = records.assign(failed=failed).groupby(["rate", "setting", "method"])["failed"]
    worst = (counts.sum() / counts.count()).max()
    if worst > MAX_FAILED_SHARE:
        raise RuntimeError(f"{what}: a cell lost {worst:.0%} of its fits, more than the bound")
    return int(failed.sum())


def ratio(records: pd.DataFrame, meta: dict, metric: str) -> pd.Series:
    """Each record's error in units of the full-data fit's (the ratio minus 1)."""
    column, yardstick = METRICS[metric]
    return records[column] / meta[yardstick]


def summarise(records: pd.DataFrame, metas: dict[str, dict]) -> pd.DataFrame:
    """Per table, rate, setting and method: both ratios with their SEs, and the kept share."""
    rows = []
    ok = records[~records["failed"].astype(bool)]
    keys = ["table", "rate", "setting", "method"]
    for (table, rate, setting, method), group in ok.groupby(keys, sort=False):
        meta = metas[table]
        row = {"table": table, "rate": rate, "setting": setting, "method": method}
        row["replicates"] = len(group)
        for metric in METRICS:
            values = ratio(group, meta, metric)
            row[metric] = 1.0 + values.mean()
            row[f"{metric}_se"] = values.std(ddof=1) / np.sqrt(len(values))
        rows.append(row)
    out = pd.DataFrame(rows)
    main = ok[ok["method"] == "lcl"]
    share = (
        main.assign(
            share=main["kept_negatives"]
            / (main["rate"] * main["table"].map({t: m["n_negative"] for t, m in metas.items()}))
        )
        .groupby(["table", "rate", "setting"])["share"]
        .mean()
        .rename("kept_share")
    )
    return out.merge(share.reset_index(), on=["table", "rate", "setting"], how="left")


def paired(
    records: pd.DataFrame,
    metas: dict[str, dict],
    a: tuple[str, str],
    b: tuple[str, str],
    metric: str,
) -> pd.DataFrame:
    """Per table and rate: mean over replicates of ratio(a) - ratio(b), its SE and z.

    ``a`` and ``b`` are (setting, method); replicates where either fit
    failed are left out. Identical fits in every replicate give 0, z 0.
    """
    out = []
    ok = records[~records["failed"].astype(bool)]
    for (table, rate), cell in ok.groupby(["table", "rate"], sort=False):
        values = cell.assign(value=ratio(cell, metas[table], metric))
        wide = values.pivot_table(index="replicate", columns=["setting", "method"], values="value")
        if a not in wide or b not in wide:
            continue
        diff = (wide[a] - wide[b]).dropna()
        if len(diff) < 2:
            continue
        se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
        mean = float(diff.mean())
        z = mean / se if se > 0 else 0.0
        out.append({"table": table, "rate": rate, "diff": mean, "se": se, "z": z, "n": len(diff)})
    return pd.DataFrame(out, columns=["table", "rate", "diff", "se", "z", "n"])


def binomial_share(inside: np.ndarray) -> tuple[float, float, int]:
    """The share of trials inside, its binomial standard error and the number of trials."""
    inside = np.asarray(inside, dtype=bool)
    n = inside.size
    share = float(inside.mean()) if n else float("nan")
    return share, float(np.sqrt(share * (1 - share) / n)) if n else float("nan"), n


def fmt(value: float, se: float) -> str:
    """A ratio with its Monte Carlo SE, to the precision the SE allows."""
    if not np.isfinite(value):
        return ""
    digits = 3 if se < 0.005 else 2
    if value >= 100:
        return f"{value:.0f} ± {se:.0f}"
    if value >= 10:
        return f"{value:.1f} ± {se:.1f}"
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def fmt_diff(row: pd.Series | object) -> str:
    return f"{row.diff:+.3f} ± {row.se:.3f} (z {row.z:+.1f})"


def order_of(setting: str) -> tuple:
    score = setting.split("/")[0].split()[0]
    rank = (*SCORE_MODES, "auto").index(score)
    return (rank, "exact" in setting, "floor=0.1" not in setting, setting)


def design_tables(summary: pd.DataFrame, table: str) -> list[str]:
    """One table per rate: every setting's two ratios for each fit, and the kept share."""
    lines = []
    cells_ = summary[summary["table"] == table]
    for rate in sorted(cells_["rate"].unique()):
        here = cells_[cells_["rate"] == rate]
        lines += [
            f"**rho = {rate:g}**",
            "",
            "| setting | lcl_reuse slopes | lcl_reuse logit | lcl slopes | lcl logit | ipw slopes "
            "| ipw logit | kept / rho N0 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for setting in sorted(here["setting"].unique(), key=order_of):
            row = [setting]
            for method in ("lcl_reuse", "lcl", "ipw"):
                hit = here[(here["setting"] == setting) & (here["method"] == method)]
                for metric in ("slopes", "logit"):
                    row.append(
                        "" if hit.empty else fmt(hit[metric].iloc[0], hit[f"{metric}_se"].iloc[0])
                    )
            share = here.loc[here["setting"] == setting, "kept_share"]
            row.append(f"{share.iloc[0]:.3f}" if len(share) and np.isfinite(share.iloc[0]) else "")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return lines
