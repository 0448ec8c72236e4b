"""Peak memory of the final fit (negsample.fit.fit_logistic) against the size of the sample.

The Python final model holds the kept rows in memory and fits them twice
(offset, then IPW). This measures the resident set size of a fresh process
that builds a sample of the scale benchmark's shape (10 float32 features,
0/1 label) and runs the two fits, for each size given, so that the peak of
`dbt run` on a large table can be told apart from DuckDB's `memory_limit`.

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


def parse_rows(text: str) -> int:
    scale = {"K": 1_000, "M": 1_000_000}
    suffix = text[-1].upper()
    return int(float(text[:-1]) * scale[suffix]) if suffix in scale else int(text)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(rows: int) -> None:
    """One size in this process: print the peak after the data, each fit, as JSON."""
    import numpy as np
    import pandas as pd

    from negsample.fit import fit_logistic, make_design

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({name: rng.normal(size=rows).astype("float32") for name in FEATURES})
    frame["label"] = (rng.random(rows) < 1 / 3).astype("int64")
    design = make_design(frame, FEATURES, [])
    out = {"rows": rows, "data_mb": peak_mb()}
    start = time.perf_counter()
    fit_logistic(frame, "label", design, offset=np.zeros(rows), what="offset fit")
    out["offset_fit_mb"], out["offset_fit_s"] = peak_mb(), time.perf_counter() - start
    start = time.perf_counter()
    fit_logistic(frame, "label", design, weights=np.ones(rows), what="ipw fit")
    out["ipw_fit_mb"], out["ipw_fit_s"] = peak_mb(), time.perf_counter() - start
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="1M,4.5M", help="sample sizes, comma-separated")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    print("| kept rows | data MB | after offset fit MB | after IPW fit MB | KB per row |")
    print("|---:|---:|---:|---:|---:|")
    for rows in map(parse_rows, args.rows.split(",")):
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"| {rows:,} | {r['data_mb']:,.0f} | {r['offset_fit_mb']:,.0f} | "
            f"{r['ipw_fit_mb']:,.0f} | {r['ipw_fit_mb'] * 1024 / rows:.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
