"""`negsample simulate`: demo data of any size, drawn in chunks, written to Parquet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from negsample.oracle.reference import sigmoid
from negsample.tools import demo
from tests.conftest import PROJECT_DIR

NEGSAMPLE = str(Path(sys.executable).with_name("negsample"))


def read_parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(f"select * from read_parquet('{path}') order by id").df()


def test_one_chunk_is_exactly_the_demo_generator():
    (only,) = demo.generate_chunks(20_000, seed=5, chunk_rows=20_000)
    reference = demo.generate(20_000, seed=5)
    pd.testing.assert_frame_equal(
        only.assign(channel=only["channel"].astype(str)), reference, check_dtype=False
    )


def test_simulate_command_reproduces_the_demo_seed(tmp_path):
    out = tmp_path / "nested" / "demo.parquet"
    proc = subprocess.run(
        [NEGSAMPLE, "simulate", "--rows", "50_000", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "50,000 rows" in proc.stdout
    written = read_parquet(out)
    with duckdb.connect() as con:
        seed_csv = PROJECT_DIR / "seeds" / "demo_events.csv"
        seed = con.sql(f"select * from read_csv_auto('{seed_csv}') order by id").df()
    assert list(written.columns) == list(seed.columns)
    for column in seed.columns:
        np.testing.assert_array_equal(written[column].to_numpy(), seed[column].to_numpy())


def test_large_files_are_written_chunk_by_chunk_with_a_progress_bar(tmp_path):
    out = tmp_path / "big.parquet"
    proc = subprocess.run(
        [NEGSAMPLE, "simulate", "--rows", "250001", "--chunk-rows", "50000", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    # The bar reaches its total on stderr; stdout holds only the summary.
    assert "250k/250k" in proc.stderr and "100%" in proc.stderr, proc.stderr
    meta = pq.ParquetFile(out).metadata
    # One row group per chunk: the writer never held more than one chunk.
    assert meta.num_row_groups == 6
    assert max(meta.row_group(i).num_rows for i in range(6)) == 50_000
    frame = read_parquet(out)
    np.testing.assert_array_equal(frame["id"], np.arange(1, 250_002))
    assert set(frame["channel"]) == set(demo.CHANNEL_LEVELS)
    assert set(frame["label"]) == {0, 1}
    # Labels follow the known model chunk after chunk: the positive count is
    # within 4 standard deviations of the sum of the true probabilities.
    prob = sigmoid(demo.true_logit(frame))
    gap = frame["label"].sum() - prob.sum()
    assert abs(gap) < 4 * np.sqrt((prob * (1 - prob)).sum())
    # Chunks continue one generator: no chunk repeats another's draws.
    chunks = [frame.iloc[i : i + 50_000]["balance"].to_numpy() for i in (0, 50_000)]
    assert not np.array_equal(chunks[0], chunks[1])


def test_simulate_rejects_a_non_positive_row_count(tmp_path):
    proc = subprocess.run(
        [NEGSAMPLE, "simulate", "--rows", "0", "--out", str(tmp_path / "x.parquet")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "must be at least 1" in proc.stderr
