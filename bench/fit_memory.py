"""Peak memory and time of the final fit against the size of the kept sample.

The Python final model fits the kept rows twice (offset, then IPW). It reads
them from DuckDB in chunks sorted by id (negsample.rows), so its memory should
not grow with the sample. This builds a DuckDB table of the scale benchmark's
shape (id, 0/1 label, 10 double features, offset, weight) in a fresh process
for each size and each way of fitting, and prints the peak resident set size
side by side:

- streamed: what negsample_final_model does (negsample.fit.fit_logistic on
  negsample.rows.rows_of(relation, order_by="id"), chunks of 262,144 rows);
- in memory: the whole table copied to pandas and fitted by statsmodels' GLM
  (offset fit, then IPW with HC0), the way a notebook would.

    .venv/bin/python bench/fit_memory.py --rows 1M,4.5M
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

FEATURES = [f"x{i}" for i in range(1, 11)]
MODES = ("streamed", "in memory")


def parse_rows(text: str) -> int:
    scale = {"K": 1_000, "M": 1_000_000}
    suffix = text[-1].upper()
    return int(float(text[:-1]) * scale[suffix]) if suffix in scale else int(text)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(rows: int, mode: str) -> None:
    """One size and one mode in this process: the peaks after the data and the fits, as JSON."""
    import duckdb

    con = duckdb.connect()
    con.execute("set threads = 2; set memory_limit = '2GB'; set preserve_insertion_order = false")
    features = ", ".join(
        f"sqrt(-2 * ln(random())) * cos(6.283185 * random()) as {name}" for name in FEATURES
    )
    con.execute(
        f"create table kept as select range * 7919 % 1000000007 as id, "
        f"(random() < 1 / 3)::integer as label, {features}, "
        f"4 * random() as log_odds_offset, 1 + 99 * random() as ipw_weight "
        f"from range({rows})"
    )
    relation = con.table("kept")
    out = {"rows": rows, "mode": mode, "data_mb": peak_mb()}
    start = time.perf_counter()
    if mode == "streamed":
        from negsample.fit import fit_logistic, make_design
        from negsample.rows import rows_of

        sample = rows_of(relation, order_by="id")
        design = make_design(sample, FEATURES, [])
        fit_logistic(sample, "label", design, offset="log_odds_offset", what="offset fit")
        out["offset_fit_mb"], out["offset_fit_s"] = peak_mb(), time.perf_counter() - start
        start = time.perf_counter()
        fit_logistic(sample, "label", design, weights="ipw_weight", what="ipw fit")
    else:
        import statsmodels.api as sm

        frame = relation.df().sort_values("id")
        x = sm.add_constant(frame[FEATURES].to_numpy())
        y = frame["label"].to_numpy()
        binomial = sm.families.Binomial()
        sm.GLM(y, x, family=binomial, offset=frame["log_odds_offset"].to_numpy()).fit()
        out["offset_fit_mb"], out["offset_fit_s"] = peak_mb(), time.perf_counter() - start
        start = time.perf_counter()
        weights = frame["ipw_weight"].to_numpy()
        sm.GLM(y, x, family=binomial, var_weights=weights).fit(cov_type="HC0")
    out["ipw_fit_mb"], out["ipw_fit_s"] = peak_mb(), time.perf_counter() - start
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="1M,4.5M", help="sample sizes, comma-separated")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.mode)
        return 0
    print(
        "| kept rows | fit | table built MB | after offset fit MB | after IPW fit MB "
        "| fits s | peak ÷ streamed peak |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for rows in map(parse_rows, args.rows.split(",")):
        peaks = {}
        for mode in MODES:
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", str(rows), "--mode", mode],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            peaks[mode] = r["ipw_fit_mb"]
            print(
                f"| {rows:,} | {mode} | {r['data_mb']:,.0f} | {r['offset_fit_mb']:,.0f} | "
                f"{r['ipw_fit_mb']:,.0f} | {r['offset_fit_s'] + r['ipw_fit_s']:.1f} | "
                f"{peaks[mode] / peaks['streamed']:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
