"""Scale benchmark: negsample's `dbt run` on DuckDB against the pandas/scikit-learn peer.

For each size N the table (10 float32 features, about 0.5% positive; see
negsample.tools.demo.scale_chunk) is written as 1M-row Parquet parts under
--data-dir (not timed; a size reuses the parts of the smaller ones), and
read once so that every contender finds them in the page cache. Then,
side by side in one run:

(a) negsample: a throwaway project that installs this package (packages.yml
    `local:`) with one view `scale_events` over the parts, the default
    settings (diagnostics on) at sampling rate 0.01. Timed
    as a project's daily run is: after a `dbt parse` that warms dbt's
    partial-parse cache, `dbt run`, then `dbt build` (models and data
    tests); wall time of the dbt process, each node's time from
    run_results.json, peak resident set size of the dbt process tree. dbt's
    own fixed cost is the wall time less the nodes' times.
(b) the peer a data scientist writes: pandas reads the Parquet, scikit-learn
    fits the balanced pilot, NumPy computes r*p/w and the keep flags,
    statsmodels fits the offset-corrected model (a subprocess, measured the
    same way). Skipped where its extrapolated peak would not fit in memory.
(c) the floor: one DuckDB query that computes the pilot linear predictor and
    the seeded uniform of every row and sums them: what one perfect pass costs.

Also, at the first size of at least 10M rows: the passes over source-sized
relations per `dbt build`, counted from DuckDB's profiles (bench/passes.py),
and the BI queries of README "Corrected scores in a BI tool" on
negsample_scored against the same queries on the source. And the seeded
uniform against DuckDB's hash() on the same keys.
Writes the table to bench/results/scale.md (+ scale.json) and the README.

    .venv/bin/python bench/scale.py --sizes 1M,10M,30M
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from negsample.tools.dbt_inline import compile_inline as negsample_compile_inline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from passes import count_passes  # noqa: E402
from readme_blocks import write_block  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DBT = str(Path(sys.executable).with_name("dbt"))
CHUNK_ROWS = 1_000_000
FEATURES = [f"x{i}" for i in range(1, 11)]
SEED = 42
SAMPLING_RATE = 0.01
FLOOR = 0.1
# Models that are diagnostics, not the sampling path: reported separately.
DIAGNOSTICS_PREFIX = "negsample_diagnostics"
# The fits, of either engine: reported apart from the SQL passes.
PYTHON_MODELS = {
    "negsample_pilot_model",
    "negsample_final_model",
    "negsample_pilot_model_sql",
    "negsample_final_model_sql",
}
# DuckDB's memory_limit for the dbt run (--memory-limit); set in main().
MEMORY_LIMIT = "1GB"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1], 1)
    number = text[:-1] if text[-1] in "KMG" else text
    return int(float(number) * factor)


def machine() -> str:
    """The machine, as the results describe it."""
    mem = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} cores, {mem:.0f} GB RAM, {platform.platform()}"


def human(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


class PeakRss:
    """Polls the resident set size of a process and all its descendants in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.peak = 0
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        try:
            root = psutil.Process(self._pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self._interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_measured(
    cmd: list[str], env: dict[str, str], cwd: Path, tag: str
) -> tuple[float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS bytes of its tree, stdout). Streams progress."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    monitor = PeakRss(proc.pid)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        # dbt prints one line per model start/finish: echo them as progress.
        if any(key in line for key in ("OK created", "START", "ERROR", "peer:", "Error")):
            print(f"    {tag} | {line.rstrip()[-110:]}", flush=True)
    proc.wait()
    seconds = time.perf_counter() - start
    peak = monitor.stop()
    output = "".join(lines)
    if proc.returncode != 0:
        raise RuntimeError(f"{tag} failed ({proc.returncode}):\n{output[-4000:]}")
    return seconds, peak, output


# --------------------------------------------------------------------------- data


def ensure_data(data_dir: Path, rows: int) -> list[Path]:
    from negsample.tools.demo import write_scale_parts

    if rows % CHUNK_ROWS:
        raise SystemExit(f"sizes must be multiples of {CHUNK_ROWS:,}")
    log(f"data: {human(rows)} rows in {rows // CHUNK_ROWS} parts under {data_dir} (not timed)")
    return write_scale_parts(data_dir / "parts", rows // CHUNK_ROWS, CHUNK_ROWS)


def warm_page_cache(paths: list[Path]) -> float:
    """Reads every part once (not timed in any result) and returns the seconds it took.

    The parts of a size are partly new to the run (a size reuses the smaller
    sizes' parts), so without this the first contender, negsample, would read
    them from disk and the peer and the floor, which come after, from memory.
    """
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass
    return time.perf_counter() - start


def parquet_list(paths: list[Path]) -> str:
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]"


# --------------------------------------------------------------------------- (a) negsample


def make_project(work: Path, paths: list[Path]) -> Path:
    project = work / "project"
    (project / "models").mkdir(parents=True)
    variables = {
        "negsample:source": "scale_events",
        "negsample:id_column": "id",
        "negsample:label_column": "label",
        "negsample:numeric_features": FEATURES,
        "negsample:categorical_features": [],
        "negsample:sampling_rate": SAMPLING_RATE,
        # The package's defaults otherwise (score, budget, floor, objective).
        "negsample:seed": SEED,
    }
    (project / "dbt_project.yml").write_text(
        "name: negsample_scale\nversion: '0.1.0'\nconfig-version: 2\nprofile: negsample\n"
        f"vars: {json.dumps(variables)}\n"
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    shutil.copy(REPO / "profiles.yml", project / "profiles.yml")
    (project / "models" / "scale_events.sql").write_text(
        "{{ config(materialized='view') }}\n"
        f"select * from read_parquet({parquet_list(paths)})\n"
    )
    return project


def dbt_env(work: Path, threads: int) -> dict[str, str]:
    return {
        **os.environ,
        # The profile reads it (profiles.yml); DuckDB spills to <database>.tmp beyond it.
        "NEGSAMPLE_MEMORY_LIMIT": MEMORY_LIMIT,
        "NEGSAMPLE_DUCKDB_PATH": str(work / "scale.duckdb"),
        "NEGSAMPLE_THREADS": str(threads),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_negsample(work: Path, project: Path, threads: int) -> dict:
    """`dbt run` then `dbt build`, timed after a `dbt parse` that warms the partial-parse cache."""
    env = dbt_env(work, threads)
    common = ["--project-dir", str(project), "--profiles-dir", str(project)]
    subprocess.run([DBT, "deps", *common], env=env, cwd=project, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([DBT, "parse", *common], env=env, cwd=project, check=True, capture_output=True)
    cold_parse = time.perf_counter() - start
    out = {"cold_parse_seconds": cold_parse}
    for command in ("run", "build"):
        seconds, peak, _ = run_measured([DBT, command, *common], env, project, f"dbt {command}")
        results = json.loads((work / "target" / "run_results.json").read_text())
        stages = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
        out[command] = {"seconds": seconds, "peak_bytes": peak, "stages": stages}
    # `run`'s numbers are the table's; `build` adds the data tests.
    return {**out["run"], "build": out["build"], "cold_parse_seconds": cold_parse}


def bi_queries(database: Path, paths: list[Path], coefficients: dict[str, float]) -> dict:
    """README's BI queries on negsample_scored and by hand on the source; medians of 3.

    `by hand` is the same query written on the source: the corrected
    probability computed from the final coefficients and the intercept
    update as literals (what the view does with its one-row relations);
    `scan` reads the same columns of the source and computes nothing, the
    floor of any query that needs every feature.
    """
    import duckdb

    source = f"read_parquet({parquet_list(paths)})"
    logit = " + ".join(
        [repr(coefficients["intercept"])] + [f"{coefficients[f]!r} * {f}" for f in FEATURES]
    )
    by_hand = f"1.0 / (1.0 + exp(-({logit})))"
    scan = "(" + " + ".join(FEATURES) + ")"
    queries = {
        "mean": "select avg({prob}), avg(label) from {relation}",
        "group_by": "select x1 > 0 as segment, avg({prob}), avg(label) from {relation} group by 1",
    }
    variants = {
        "scored": ("corrected_prob", "negsample_scored"),
        "by_hand": (by_hand, source),
        "scan": (scan, source),
    }
    out = {}
    with duckdb.connect(str(database), read_only=True, config=duckdb_settings()) as con:
        for name, sql in queries.items():
            times = {}
            for variant, (prob, relation) in variants.items():
                text = sql.format(prob=prob, relation=relation)
                runs = []
                for _ in range(3):
                    start = time.perf_counter()
                    con.sql(text).fetchall()
                    runs.append(time.perf_counter() - start)
                times[variant] = statistics.median(runs)
            out[name] = {
                **times,
                "ratio": times["scored"] / times["by_hand"],
                "ratio_to_scan": times["scored"] / times["scan"],
            }
            log(
                f"BI {name}: scored {times['scored']:.2f}s, by hand {times['by_hand']:.2f}s, "
                f"scan {times['scan']:.2f}s"
            )
    return out


def final_coefficients(database: Path) -> dict[str, float]:
    """The final fit's coefficients, with the intercept update added to the intercept."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(
            "select term, estimate from negsample_coefficients "
            "where model = 'final' and level is null"
        ).fetchall()
        delta = con.sql(
            "select case when is_applied then intercept_delta else 0.0 end "
            "from negsample_intercept_update"
        ).fetchall()[0][0]
    by_term = dict(rows)
    by_term["intercept"] += delta
    return by_term


def stage_groups(stages: dict[str, float]) -> dict[str, float]:
    """Seconds of the SQL models (diagnostics included), of the fits, and of the diagnostics."""
    diagnostics = sum(t for m, t in stages.items() if m.startswith(DIAGNOSTICS_PREFIX))
    fits = sum(t for m, t in stages.items() if m in PYTHON_MODELS)
    sql = sum(t for m, t in stages.items() if m.startswith("negsample_") and m not in PYTHON_MODELS)
    return {"sql": sql, "fits": fits, "diagnostics": diagnostics}


def fixed_cost(run: dict) -> float:
    """dbt's own time in a run: its wall time less the nodes' execution times."""
    return run["seconds"] - sum(run["stages"].values())


# --------------------------------------------------------------------------- (b) peer


def peer_worker(paths: list[str]) -> None:
    """The hand-written workflow; prints its stage times as one JSON line."""
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression

    times: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now
        print(f"peer: {name} {times[name]:.1f}s", flush=True)

    frame = pd.read_parquet(paths)
    x = frame[FEATURES].to_numpy()
    y = frame["label"].to_numpy()
    lap("read")
    rng = np.random.default_rng(SEED)
    positive = y == 1
    rho0 = min(1.0, positive.sum() / (~positive).sum())
    pilot = positive | (rng.random(len(y)) < rho0)
    clf = LogisticRegression(penalty=None, max_iter=1000).fit(x[pilot], y[pilot])
    # Uniform pilot: the intercept moves by +ln(rho0) to the population scale.
    logit = x @ clf.coef_[0].astype(np.float64) + clf.intercept_[0] + np.log(rho0)
    p = 1.0 / (1.0 + np.exp(-logit))
    lap("pilot")
    w = p[~positive].mean()
    pi = np.clip(SAMPLING_RATE * p / w, FLOOR * SAMPLING_RATE, 1.0)
    keep = positive | (rng.random(len(y)) < pi)
    lap("sample")
    design = sm.add_constant(x[keep].astype(np.float64))
    final = sm.GLM(y[keep], design, family=sm.families.Binomial(), offset=-np.log(pi[keep])).fit()
    lap("final")
    print(json.dumps({"times": times, "kept": int(keep.sum()), "coef": list(final.params)}))


def run_peer(paths: list[Path]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--peer-worker", *map(str, paths)]
    seconds, peak, output = run_measured(cmd, dict(os.environ), REPO, "peer")
    detail = json.loads(output.strip().splitlines()[-1])
    return {"seconds": seconds, "peak_bytes": peak, "stages": detail["times"]}


# --------------------------------------------------------------------------- (c) floor


def compile_inline(project: Path, work: Path, threads: int, sql: str) -> str:
    return negsample_compile_inline(sql, project, dbt_env(work, threads))


def duckdb_settings() -> dict[str, object]:
    # What profiles.yml gives DuckDB in the dbt run: every core, no insertion order.
    return {"threads": os.cpu_count() or 1, "preserve_insertion_order": False}


def timed_query(sql: str, repeats: int = 1) -> list[float]:
    import duckdb

    times = []
    with duckdb.connect(config=duckdb_settings()) as con:
        for _ in range(repeats):
            start = time.perf_counter()
            con.sql(sql).fetchall()
            times.append(time.perf_counter() - start)
    return times


def run_floor(paths: list[Path], coefficients: list[float], uniform_sql: str) -> float:
    linear = " + ".join(
        [repr(coefficients[0])] + [f"{c!r} * x{i}" for i, c in enumerate(coefficients[1:], 1)]
    )
    sql = (
        f"select sum({linear}), sum({uniform_sql.replace('__key__', 'id')}), sum(label) "
        f"from read_parquet({parquet_list(paths)})"
    )
    # The better of two: the first may read Parquet the page cache no longer holds.
    return min(timed_query(sql, repeats=2))


def pilot_coefficients(database: Path) -> list[float]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(
            "select term, estimate from negsample_pilot_coefficients "
            "where model = 'pilot' and level is null"
        ).fetchall()
    by_term = dict(rows)
    return [by_term["intercept"]] + [by_term[name] for name in FEATURES]


# --------------------------------------------------------------------------- uniform vs hash


def uniform_cost(project: Path, work: Path, threads: int, rows: int) -> dict:
    """Seconds of sum(uniform(k)) and sum(hash(k)) over the same keys; median of 3 each.

    Integer keys: range(rows). String keys (md5 then the uniform, as negsample_input
    keys a text id): rows // 10 keys, md5 being two orders slower than the rest.
    """
    integer = compile_inline(project, work, threads, "{{ negsample.uniform('k', 42, 'sample') }}")
    string_key = compile_inline(
        project, work, threads, "{{ negsample._string_key('cast(k as varchar)') }}"
    )
    text_rows = max(1, rows // 10)
    queries = {
        "hash_int": f"select sum(hash(k)) from range({rows}) t(k)",
        "uniform_int": f"select sum({integer}) from range({rows}) t(k)",
        "hash_string": f"select sum(hash(cast(k as varchar))) from range({text_rows}) t(k)",
        "uniform_string": (
            f"select sum({integer}) from (select {string_key} as k from range({text_rows}) t(k))"
        ),
    }
    out = {}
    for name, sql in queries.items():
        out[name] = statistics.median(timed_query(sql, repeats=3))
        log(f"uniform cost: {name} {out[name]:.2f}s")
    return {"rows": rows, "string_rows": text_rows, "seconds": out, "integer_sql": integer}


# --------------------------------------------------------------------------- report


def table_markdown(rows: list[dict]) -> str:
    head = (
        "| N | `dbt run` s | `dbt build` s | peer s | run / peer | build / peer "
        "| peak MB | peer peak MB | memory ratio | SQL s | floor s | SQL / floor "
        "| fits s | dbt fixed s |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        ns, peer = r["negsample"], r.get("peer")
        build = ns["build"]
        mb = max(ns["peak_bytes"], build["peak_bytes"]) / 2**20
        groups = stage_groups(ns["stages"])
        if peer:
            pmb = peer["peak_bytes"] / 2**20
            peer_cells = (
                f"{peer['seconds']:.1f} | {ns['seconds'] / peer['seconds']:.2f} "
                f"| {build['seconds'] / peer['seconds']:.2f} | {mb:,.0f} | {pmb:,.0f} "
                f"| {mb / pmb:.2f}"
            )
        else:
            peer_cells = f"skipped ({r['peer_skipped']}) | – | – | {mb:,.0f} | – | –"
        lines.append(
            f"| {human(r['rows'])} | {ns['seconds']:.1f} | {build['seconds']:.1f} | {peer_cells} "
            f"| {groups['sql']:.1f} | {r['floor_seconds']:.1f} "
            f"| {groups['sql'] / r['floor_seconds']:.2f} | {groups['fits']:.1f} "
            f"| {fixed_cost(ns):.1f} |"
        )
    return head + "\n".join(lines) + "\n"


def passes_markdown(passes: dict) -> str:
    lines = [
        f"Passes over source-sized relations in one `dbt build` at {human(passes['rows'])} "
        "rows, data tests included (scans of at least 90% of the source's rows in DuckDB's "
        "profile of every statement; bench/passes.py); heavy: the pass computes the pilot "
        "score t:\n",
        "| node | passes | heavy |",
        "|---|---:|---:|",
    ]
    for node, count in passes["by_node"].items():
        lines.append(f"| {node} | {count} | {passes['heavy_by_node'].get(node, 0)} |")
    lines.append(f"| **total** | **{passes['total']}** | **{passes['heavy']}** |")
    return "\n".join(lines) + "\n"


def bi_markdown(bi: dict, rows: int) -> str:
    lines = [
        f"BI queries at {human(rows)} rows (median of 3): on `negsample_scored`, by hand on "
        "the source (the corrected probability from the coefficients written as literals), "
        "and a scan of the source that reads the same columns and computes nothing.\n",
        "| query | scored s | by hand s | scan s | scored / by hand | scored / scan |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, sql in (
        ("mean", "`select avg(corrected_prob), avg(label)`"),
        ("group_by", "the same, `group by x1 > 0`"),
    ):
        q = bi[name]
        lines.append(
            f"| {sql} | {q['scored']:.2f} | {q['by_hand']:.2f} | {q['scan']:.2f} "
            f"| {q['ratio']:.2f} | {q['ratio_to_scan']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


#: The targets, each a ratio measured in one run (README "Scale").
TARGETS = {
    "passes": 4,
    "heavy_passes": 1,
    "run_to_peer": 1.5,
    "build_to_peer": 1.7,
    "sql_to_floor": 6.0,
    "memory_to_peer": 0.3,
    "memory_300m_gb": 4.0,
    "bi_to_by_hand": 1.5,
}


def targets_markdown(rows: list[dict], passes: dict | None, bi: dict | None) -> str:
    """Each target of the scale benchmark, the measured figure and whether it is met."""
    t = TARGETS
    by_n = {r["rows"]: r for r in rows}
    lines = []
    if passes:
        lines.append(
            f"- **Passes per `dbt build` (target ≤ {t['passes']}, heavy = {t['heavy_passes']}): "
            f"{_verdict(passes['total'] <= t['passes'] and passes['heavy'] == t['heavy_passes'])}"
            f", {passes['total']} passes, {passes['heavy']} heavy.** No source-sized table is "
            "written."
        )
    at30 = by_n.get(30_000_000)
    if at30 and at30.get("peer"):
        ns, peer = at30["negsample"], at30["peer"]
        run, build = ns["seconds"] / peer["seconds"], ns["build"]["seconds"] / peer["seconds"]
        lines.append(
            f"- **Wall time at 30M: `dbt run` {run:.2f}x the peer (target ≤ "
            f"{t['run_to_peer']}x, {_verdict(run <= t['run_to_peer'])}), `dbt build` "
            f"{build:.2f}x (target ≤ {t['build_to_peer']}x, "
            f"{_verdict(build <= t['build_to_peer'])}).** {ns['seconds']:.1f} s and "
            f"{ns['build']['seconds']:.1f} s against {peer['seconds']:.1f} s; dbt's own "
            f"fixed cost in the run {fixed_cost(ns):.1f} s, the fits "
            f"{stage_groups(ns['stages'])['fits']:.1f} s."
        )
        mb = max(ns["peak_bytes"], ns["build"]["peak_bytes"]) / 2**20
        ratio = mb / (peer["peak_bytes"] / 2**20)
        lines.append(
            f"- **Memory at 30M: {ratio:.2f}x the peer's (target ≤ {t['memory_to_peer']}x, "
            f"{_verdict(ratio <= t['memory_to_peer'])}).** {mb:,.0f} MB against "
            f"{peer['peak_bytes'] / 2**20:,.0f} MB."
        )
    big = [r for r in rows if r["rows"] >= 10_000_000]
    if big:
        ratios = [stage_groups(r["negsample"]["stages"])["sql"] / r["floor_seconds"] for r in big]
        lines.append(
            f"- **SQL stages against the floor at every N ≥ 10M (target ≤ "
            f"{t['sql_to_floor']:g}x): {_verdict(max(ratios) <= t['sql_to_floor'])}, "
            f"{min(ratios):.1f}x to {max(ratios):.1f}x.**"
        )
    at300 = by_n.get(300_000_000)
    if at300:
        ns = at300["negsample"]
        gb = max(ns["peak_bytes"], ns["build"]["peak_bytes"]) / 2**30
        lines.append(
            f"- **300M rows within {t['memory_300m_gb']:g} GB: "
            f"{_verdict(gb <= t['memory_300m_gb'])}, peak {gb:.1f} GB** "
            f"(`dbt run` {ns['seconds']:.0f} s)."
        )
    if bi:
        worst = max(bi[q]["ratio"] for q in ("mean", "group_by"))
        scan = max(bi[q]["ratio_to_scan"] for q in ("mean", "group_by"))
        lines.append(
            f"- **BI queries on `negsample_scored` (target ≤ {t['bi_to_by_hand']}x the same "
            f"query by hand on the source): {_verdict(worst <= t['bi_to_by_hand'])}, at most "
            f"{worst:.2f}x** (and at most {scan:.2f}x a scan of the same columns that "
            "computes nothing)."
        )
    return "\n".join(lines) + "\n"


def stages_markdown(rows: list[dict]) -> str:
    models = sorted({m for r in rows for m in r["negsample"]["stages"]})
    head = "| model | " + " | ".join(human(r["rows"]) for r in rows) + " |\n"
    head += "|---|" + "---:|" * len(rows) + "\n"
    body = []
    for m in models:
        cells = [f"{r['negsample']['stages'].get(m, float('nan')):.2f}" for r in rows]
        body.append(f"| {m} | " + " | ".join(cells) + " |")
    peer_rows = [
        f"| peer: {s} | "
        + " | ".join(f"{r['peer']['stages'][s]:.2f}" if r.get("peer") else "–" for r in rows)
        + " |"
        for s in ("read", "pilot", "sample", "final")
    ]
    return head + "\n".join(body + peer_rows) + "\n"


def uniform_markdown(u: dict) -> str:
    s = u["seconds"]
    return (
        f"Seeded uniform vs DuckDB `hash()` over the same keys ({human(u['rows'])} integers, "
        f"{human(u['string_rows'])} strings; `select sum(...) from range(N)`, median of 3):\n\n"
        "| key | hash() s | uniform s | ratio |\n|---|---:|---:|---:|\n"
        f"| integer | {s['hash_int']:.2f} | {s['uniform_int']:.2f} "
        f"| {s['uniform_int'] / s['hash_int']:.1f} |\n"
        f"| string (md5 key, then the uniform) | {s['hash_string']:.2f} "
        f"| {s['uniform_string']:.2f} | {s['uniform_string'] / s['hash_string']:.1f} |\n"
    )


def write_report(
    rows: list[dict],
    uniform: dict | None,
    args: argparse.Namespace,
    passes: dict | None = None,
    bi: dict | None = None,
) -> str:
    command = " ".join([".venv/bin/python", "bench/scale.py", *sys.argv[1:]])
    text = (
        f"Machine: {machine()}, shared "
        f"with other jobs (absolute times are noisy; the ratios come from one run, side by "
        f"side; the Parquet is read once before each size, so all three find it in the page "
        f"cache). dbt threads {args.threads} (DuckDB uses every core), DuckDB memory_limit "
        f"{args.memory_limit}, "
        f"sampling rate {SAMPLING_RATE}, the package's default settings, diagnostics on. "
        f"Command: `{command}`\n\n"
        + table_markdown(rows)
        + "\n`dbt run` s and `dbt build` s: wall time of each (every model, diagnostics "
        "included; `build` adds the data tests), dbt's start-up included, after a `dbt parse` "
        "that warms the partial-parse cache, as a daily run finds it. SQL s: the SQL models "
        "(run_results.json of `dbt run`), diagnostics included, without the fits (fits s). "
        "dbt fixed s: the run's wall time less its nodes' times. Peak MB: resident set size "
        "of the process tree, polled every 50 ms.\n\nSeconds per stage (`dbt run`):\n\n"
        + stages_markdown(rows)
    )
    if passes:
        text += "\n" + passes_markdown(passes)
    if bi:
        text += "\n" + bi_markdown(bi, bi.get("rows", rows[-1]["rows"]))
    if uniform:
        text += "\n" + uniform_markdown(uniform)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.md").write_text("# Scale benchmark\n\n" + text)
    (RESULTS / "scale_targets.md").write_text(targets_markdown(rows, passes, bi))
    (RESULTS / "scale.json").write_text(
        json.dumps(
            {"rows": rows, "uniform": uniform, "passes": passes, "bi": bi}, indent=1, default=str
        )
    )
    if not args.no_readme:
        write_block("scale-benchmark", text)
        write_block("scale-targets", targets_markdown(rows, passes, bi))
    return text


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1M,10M,30M,100M,300M")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/negsample-scale"))
    # dbt threads: DuckDB uses every core for each model anyway, so on 2 cores a
    # second dbt thread only makes two models share them (same wall time) and
    # makes each model's own time count the other's work.
    parser.add_argument("--threads", type=int, default=1, help="dbt threads (default 1)")
    parser.add_argument("--uniform-rows", type=parse_size, default=parse_size("20M"))
    parser.add_argument(
        "--memory-limit", default=MEMORY_LIMIT, help="DuckDB memory_limit of the dbt run"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument("--keep-db", action="store_true", help="keep each size's DuckDB file")
    parser.add_argument(
        "--passes-rows",
        type=parse_size,
        default=parse_size("10M"),
        help="count the passes at the first size of at least this many rows",
    )
    parser.add_argument(
        "--bi-rows",
        type=parse_size,
        default=parse_size("30M"),
        help="time the BI queries at the first size of at least this many rows",
    )
    parser.add_argument("--peer-worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    globals()["MEMORY_LIMIT"] = args.memory_limit
    if args.peer_worker:
        peer_worker(args.peer_worker)
        return 0

    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    rows: list[dict] = []
    uniform: dict | None = None
    passes: dict | None = None
    bi: dict | None = None
    peer_bytes_per_row: float | None = None
    for n in sizes:
        paths = ensure_data(args.data_dir, n)
        log(f"N={human(n)}: page cache warmed in {warm_page_cache(paths):.1f}s (not timed)")
        work = Path(tempfile.mkdtemp(prefix=f"run-{human(n)}-", dir=args.data_dir))
        project = make_project(work, paths)
        log(f"N={human(n)}: negsample dbt run")
        ns = run_negsample(work, project, args.threads)
        peak_mb = ns["peak_bytes"] / 2**20
        log(f"N={human(n)}: negsample {ns['seconds']:.1f}s, peak {peak_mb:,.0f} MB")
        uniform_sql = compile_inline(
            project, work, args.threads, "{{ negsample.uniform('__key__', 42, 'sample') }}"
        )
        coefficients = pilot_coefficients(work / "scale.duckdb")
        if bi is None and n >= args.bi_rows:
            log(f"N={human(n)}: BI queries")
            bi = {
                "rows": n,
                **bi_queries(
                    work / "scale.duckdb", paths, final_coefficients(work / "scale.duckdb")
                ),
            }
        if passes is None and n >= args.passes_rows:
            (work / "scale.duckdb").unlink(missing_ok=True)
            log(f"N={human(n)}: passes per dbt build")
            passes = {"rows": n, **count_passes(project, work, dbt_env(work, args.threads), n)}
            log(f"N={human(n)}: {passes['total']} passes, {passes['heavy']} heavy")
        if not args.keep_db and (work / "scale.duckdb").exists():
            (work / "scale.duckdb").unlink()
        log(f"N={human(n)}: floor query")
        floor = run_floor(paths, coefficients, uniform_sql)
        log(f"N={human(n)}: floor {floor:.1f}s")
        row: dict = {"rows": n, "negsample": ns, "floor_seconds": floor}
        available = psutil.virtual_memory().available
        if args.no_peer:
            row["peer_skipped"] = "--no-peer"
        elif peer_bytes_per_row and peer_bytes_per_row * n > 0.8 * available:
            row["peer_skipped"] = (
                f"needs ~{peer_bytes_per_row * n / 2**30:.0f} GB, "
                f"{available / 2**30:.0f} GB available"
            )
        else:
            log(f"N={human(n)}: peer (pandas + scikit-learn + statsmodels)")
            row["peer"] = run_peer(paths)
            peer_bytes_per_row = row["peer"]["peak_bytes"] / n
            log(
                f"N={human(n)}: peer {row['peer']['seconds']:.1f}s, "
                f"peak {row['peer']['peak_bytes'] / 2**20:,.0f} MB"
            )
        if uniform is None:
            uniform = uniform_cost(project, work, args.threads, args.uniform_rows)
        if args.keep_db:
            log(f"N={human(n)}: kept {work / 'scale.duckdb'}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        rows.append(row)
        # Written after every size so a long run leaves its numbers as it goes.
        text = write_report(rows, uniform, args, passes, bi)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
