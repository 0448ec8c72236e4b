"""The SQL fit engine beside the Python one on DuckDB, on the scale benchmark's table.

Builds the default design once at --rows (bench/scale.py's table and
project: 10 numeric features, score p, rate 0.01), then refits the pilot and
the final model with each engine, side by side in one run, on the same
pilot sample and sample: `dbt run --select` of the engine's two fit models
(and pilot_coefficients, which reads the pilot fit), --repeats times each,
alternating. Reports each engine's median wall time of the fits (from
run_results.json), the peak resident memory of the dbt process tree, and
the largest relative gap between the two engines' coefficients.

    .venv/bin/python bench/fit_engines.py --rows 30M
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402
from readme_blocks import write_block  # noqa: E402

RESULTS = scale.RESULTS
ENGINES = {
    "python": ["negsample_pilot_model", "negsample_final_model"],
    "sql": ["negsample_pilot_model_sql", "negsample_final_model_sql"],
}


def refit(work: Path, project: Path, engine: str) -> dict:
    env = scale.dbt_env(work, threads=1)
    models = [*ENGINES[engine], "negsample_pilot_coefficients"]
    command = [
        scale.DBT,
        "run",
        "--select",
        *models,
        "--vars",
        json.dumps({"negsample:fit_engine": engine}),
    ]
    command += ["--project-dir", str(project), "--profiles-dir", str(project)]
    seconds, peak, _ = scale.run_measured(command, env, project, engine)
    results = json.loads((work / "target" / "run_results.json").read_text())
    fit_seconds = sum(
        r["execution_time"]
        for r in results["results"]
        if r["unique_id"].split(".")[-1] in ENGINES[engine]
    )
    with duckdb.connect(str(work / "scale.duckdb"), read_only=True) as con:
        table = ENGINES[engine][1]
        coefficients = con.sql(
            f"select model, term, estimate, std_error from {table} where not is_reference "
            "order by model, term"
        ).df()
        kept = con.sql("select count(*) from negsample_sample").fetchall()[0][0]
    return {
        "seconds": seconds,
        "fit_seconds": fit_seconds,
        "peak_bytes": peak,
        "coefficients": coefficients,
        "kept_rows": kept,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=scale.parse_size, default=scale.parse_size("30M"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/negsample-scale"))
    args = parser.parse_args(argv)
    paths = scale.ensure_data(args.data_dir, args.rows)
    scale.warm_page_cache(paths)
    with tempfile.TemporaryDirectory(prefix="negsample-engines-") as tmp:
        work = Path(tmp)
        project = scale.make_project(work, paths)
        scale.log(f"build: {scale.human(args.rows)} rows, Python fits (not timed)")
        scale.run_negsample(work, project, threads=1)
        runs: dict[str, list[dict]] = {"python": [], "sql": []}
        for attempt in range(args.repeats):
            for engine in ("python", "sql"):
                scale.log(f"refit {attempt + 1}/{args.repeats}: {engine}")
                runs[engine].append(refit(work, project, engine))
    python, sql = runs["python"][-1]["coefficients"], runs["sql"][-1]["coefficients"]
    gap = {
        column: float(((sql[column] - python[column]).abs() / python[column].abs()).max())
        for column in ("estimate", "std_error")
    }
    summary = {
        engine: {
            "fit_seconds": statistics.median(r["fit_seconds"] for r in rs),
            "wall_seconds": statistics.median(r["seconds"] for r in rs),
            "peak_mb": statistics.median(r["peak_bytes"] for r in rs) / 2**20,
            "kept_rows": rs[-1]["kept_rows"],
        }
        for engine, rs in runs.items()
    }
    ratio_time = summary["sql"]["fit_seconds"] / summary["python"]["fit_seconds"]
    ratio_memory = summary["sql"]["peak_mb"] / summary["python"]["peak_mb"]
    lines = [
        "# Fit engines on DuckDB",
        "",
        f"Command: `.venv/bin/python bench/fit_engines.py --rows {scale.human(args.rows)}` "
        f"({args.repeats} refits per engine, alternating; medians). Table: bench/scale.py's "
        f"({scale.human(args.rows)} rows, 10 numeric features, score p, rate 0.01); "
        f"both engines refit the same pilot sample and sample "
        f"({summary['python']['kept_rows']:,} kept rows). dbt threads 1, DuckDB memory_limit "
        f"{scale.MEMORY_LIMIT}. Machine: {scale.machine()}.",
        "",
        "| engine | fits s (pilot + final) | `dbt run` s | peak MB (dbt process tree) |",
        "|---|---:|---:|---:|",
    ]
    for engine, s in summary.items():
        lines.append(
            f"| {engine} | {s['fit_seconds']:.1f} | {s['wall_seconds']:.1f} | {s['peak_mb']:,.0f} |"
        )
    lines += [
        "",
        f"SQL ÷ Python: fits {ratio_time:.2f}x the time, {ratio_memory:.2f}x the peak memory.",
        f"Largest relative gap between the engines' coefficients: estimate "
        f"{gap['estimate']:.1e}, standard error {gap['std_error']:.1e}.",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fit_engines.md").write_text("\n".join(lines))
    write_block("fit-engines", "\n".join(lines[2:]))
    (RESULTS / "fit_engines.json").write_text(
        json.dumps({"rows": args.rows, "summary": summary, "gap": gap}, indent=2) + "\n"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
