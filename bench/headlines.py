"""The README's headline figures, from the committed results of the benchmarks.

Reads bench/results/scale.json (bench/scale.py), the efficiency results
(bench/efficiency.py, through bench/efficiency_readme.py) and
bench/results/suite_time.json (bench/suite_time.py), and writes the
README's blocks `headlines` and `suite-time`. tests/test_readme.py
recomputes both from the same files, so the README cannot quote a figure
the results do not give.

    .venv/bin/python bench/headlines.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_blocks import write_block  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LINK = "docs/benchmarks.md"


def _load(name: str) -> dict:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else {}


def _size(rows: int) -> str:
    return f"{rows // 1_000_000}M"


def scale_rows(scale: dict) -> list[str]:
    """Passes, wall time, memory and the BI query, each against what it is measured beside."""
    out = []
    passes = scale.get("passes")
    if passes:
        out.append(
            f"| passes over the source per `dbt build` ({_size(passes['rows'])} rows, data tests "
            f"included) | {passes['total']}, of which {passes['heavy']} heavy | "
            f"[scale]({LINK}#scale) |"
        )
    by_n = {r["rows"]: r for r in scale.get("rows", [])}
    at30 = by_n.get(30_000_000)
    if at30 and at30.get("peer"):
        ns, peer = at30["negsample"], at30["peer"]
        out.append(
            f"| `dbt run` / `dbt build` at 30M rows, against pandas + scikit-learn + statsmodels "
            f"in memory | {ns['seconds'] / peer['seconds']:.2f}x / "
            f"{ns['build']['seconds'] / peer['seconds']:.2f}x | [scale]({LINK}#scale) |"
        )
        peak = max(ns["peak_bytes"], ns["build"]["peak_bytes"])
        out.append(
            f"| peak memory at 30M rows, against the same peer | "
            f"{peak / peer['peak_bytes']:.2f}x ({peak / 2**20:,.0f} MB) | "
            f"[scale]({LINK}#scale) |"
        )
    at300 = by_n.get(300_000_000)
    if at300:
        ns = at300["negsample"]
        peak = max(ns["peak_bytes"], ns["build"]["peak_bytes"])
        out.append(
            f"| 300M rows: `dbt run`, peak memory | {ns['seconds']:.0f} s, "
            f"{peak / 2**30:.1f} GB | [scale]({LINK}#scale) |"
        )
    bi = scale.get("bi")
    if bi:
        worst = max(bi[q]["ratio"] for q in ("mean", "group_by"))
        out.append(
            f"| a BI query on `negsample_scored` ({_size(bi.get('rows', 10_000_000))} rows), "
            f"against the same query written by hand on the source | at most {worst:.2f}x | "
            f"[scale]({LINK}#where-the-time-goes) |"
        )
    return out


def efficiency_rows() -> list[str]:
    """The default's error against the full data, and uniform sampling's against the best score."""
    import efficiency_readme

    path = RESULTS / f"efficiency{efficiency_readme.published_suffix()}.csv"
    if not path.exists():
        return []
    summary = pd.read_csv(path)
    fit = summary[summary["method"] == "lcl_reuse"]
    default = fit[fit["setting"] == "a_optimal paper floor=0.1"]
    uniform = fit[fit["setting"] == "uniform"].set_index(["table", "rate"])
    best = fit[fit["setting"] != "uniform"].groupby(["table", "rate"])["logit"].min()
    margin = (uniform["logit"] / best).dropna()
    return [
        f"| mean squared error of the served log odds, default settings, ÷ the full-data fit's "
        f"| {default['logit'].min():.2f}x to {default['logit'].max():.2f}x | "
        f"[efficiency]({LINK}#statistical-efficiency) |",
        f"| uniform sampling's error ÷ the best score's, same rate, same correction | "
        f"{margin.min():.2f}x to {margin.max():.2f}x | "
        f"[efficiency]({LINK}#statistical-efficiency) |",
    ]


def headlines_block() -> str:
    lines = ["| figure | measured | where |", "|---|---|---|"]
    lines += scale_rows(_load("scale.json"))
    lines += efficiency_rows()
    return "\n".join(lines)


def suite_time_block() -> str:
    times = _load("suite_time.json")
    if not times:
        return "(no measurement: run `python bench/suite_time.py`)"
    return (
        f"On {times['machine']}: the whole suite ({times['full']['tests']} tests) took "
        f"{times['full']['seconds'] / 60:.1f} min, the fast tier ({times['core']['tests']} "
        f"tests) {times['core']['seconds'] / 60:.1f} min (`python bench/suite_time.py`, "
        f"{times['date']})."
    )


def blocks() -> dict[str, str]:
    return {"headlines": headlines_block(), "suite-time": suite_time_block()}


def main() -> int:
    for name, text in blocks().items():
        write_block(name, text)
        print(f"{name}:\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
