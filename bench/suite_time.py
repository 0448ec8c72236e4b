"""How long the test suite and its fast tier take on this machine: the README's figures.

Runs the README's test command (`python -m pytest`, every marker it runs)
and the fast tier (`python -m pytest -m core`), one after the other, and
records each wall time and test count in bench/results/suite_time.json;
bench/headlines.py writes the README's sentence from it. Run it on a quiet
machine: the suite runs one worker per core.

    .venv/bin/python bench/suite_time.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} cores and {memory:.0f} GB"


def timed_pytest(args: list[str]) -> dict:
    """Wall time and the number of tests that passed; stops if any failed."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode != 0:
        raise SystemExit(
            f"pytest {' '.join(args)} failed:\n{proc.stdout[-5000:]}{proc.stderr[-2000:]}"
        )
    passed = int(re.search(r"(\d+) passed", last).group(1))
    print(f"pytest {' '.join(args) or '(everything)'}: {passed} passed in {seconds:.0f} s")
    return {"seconds": round(seconds, 1), "tests": passed, "summary": last}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    core = timed_pytest(["-m", "core"])
    full = timed_pytest([])
    out = {
        "machine": machine(),
        "date": datetime.date.today().isoformat(),
        "core": core,
        "full": full,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "suite_time.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
