"""Peak memory and time of the final fit against the size of the kept sample.

The Python final model fits the kept rows twice (offset and IPW, sharing each
pass over the rows). It reads them from DuckDB in chunks sorted by id
(negsample.runtime.rows), so its memory should not grow with the sample. This builds
a DuckDB table of the scale benchmark's shape (id, 0/1 label, 10 double
features, offset, weight) in a fresh process for each size and each way of
fitting, and prints the peak resident set size side by side:

- streamed: what negsample_final_model does (negsample.runtime.fit.fit_logistic_together
  on negsample.runtime.rows.rows_of(relation, order_by="id"), chunks of 262,144 rows);
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
        from negsample.runtime.fit import FitSpec, fit_logistic_together, make_design
        from negsample.runtime.rows import rows_of

        sample = rows_of(relation, order_by="id")
        design = make_design(sample, FEATURES, [])
        specs = [FitSpec(offset="log_odds_offset"), FitSpec(weights="ipw_weight")]
        fit_logistic_together(sample, "label", design, specs)
    else:
        import statsmodels.api as sm

        frame = relation.df().sort_values("id")
        x = sm.add_constant(frame[FEATURES].to_numpy())
        y = frame["label"].to_numpy()
        binomial = sm.families.Binomial()
        sm.GLM(y, x, family=binomial, offset=frame["log_odds_offset"].to_numpy()).fit()
        weights = frame["ipw_weight"].to_numpy()
        sm.GLM(y, x, family=binomial, var_weights=weights).fit(cov_type="HC0")
    out["fits_mb"], out["fits_s"] = peak_mb(), time.perf_counter() - start
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
        "| kept rows | fit | table built MB | after both fits MB | fits s "
        "| peak ÷ streamed peak | time ÷ streamed time |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for rows in map(parse_rows, args.rows.split(",")):
        peaks, seconds = {}, {}
        for mode in MODES:
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", str(rows), "--mode", mode],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            peaks[mode], seconds[mode] = r["fits_mb"], r["fits_s"]
            print(
                f"| {rows:,} | {mode} | {r['data_mb']:,.0f} | {r['fits_mb']:,.0f} | "
                f"{r['fits_s']:.1f} | {peaks[mode] / peaks['streamed']:.2f} | "
                f"{seconds[mode] / seconds['streamed']:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
