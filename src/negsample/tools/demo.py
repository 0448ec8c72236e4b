"""The demo table shipped as ``seeds/demo_events.csv``.

Rows are drawn from a known logistic model (``TRUE_COEFFICIENTS``) so that the
package's final coefficients can be checked against the truth. The file is
regenerated bit for bit with ``python -m negsample.tools.demo``. Demo data of any
size, written in chunks to Parquet, comes from ``negsample simulate``
(:func:`write_parquet`), which draws from the same generator.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

DEMO_ROWS = 50_000
DEMO_SEED = 20211026
# Rows drawn per chunk by generate_chunks: small enough that a chunk (about
# 60 MB as a DataFrame) never strains memory, large enough that NumPy's
# per-call overhead is negligible.
CHUNK_ROWS = 1_000_000
CHANNEL_LEVELS = ("web", "app", "store", "partner")
CHANNEL_SHARES = (0.5, 0.3, 0.15, 0.05)

# Population-scale logit: intercept + sum(coef * feature) + channel effect
# (reference level "web"). Chosen so that about 1% of rows are positive.
TRUE_COEFFICIENTS: dict[tuple[str, str | None], float] = {
    ("intercept", None): -6.4,
    ("tenure_months", None): -0.02,
    ("balance", None): 0.0002,
    ("is_mobile", None): 0.8,
    ("sessions_30d", None): 0.15,
    ("channel", "app"): 0.5,
    ("channel", "partner"): 1.0,
    ("channel", "store"): -0.4,
}

NUMERIC_FEATURES = ("tenure_months", "balance", "is_mobile", "sessions_30d")
CATEGORICAL_FEATURES = ("channel",)


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """The population log odds of each row under ``TRUE_COEFFICIENTS``."""
    eta = np.full(len(frame), TRUE_COEFFICIENTS[("intercept", None)])
    for name in NUMERIC_FEATURES:
        eta = eta + TRUE_COEFFICIENTS[(name, None)] * frame[name].to_numpy(dtype=float)
    for (term, level), coef in TRUE_COEFFICIENTS.items():
        if term in CATEGORICAL_FEATURES:
            # Series comparison, not to_numpy(): on a categorical column it
            # compares integer codes instead of a million Python strings.
            eta = eta + coef * (frame[term] == level).to_numpy()
    return eta


def _draw(rng: np.random.Generator, first_id: int, rows: int) -> pd.DataFrame:
    """Draw ``rows`` demo rows with ids from ``first_id``; ``channel`` is categorical."""
    features = {
        "id": np.arange(first_id, first_id + rows, dtype=np.int64),
        # Rounded before the label is drawn, so the file holds the exact
        # covariates the label depends on.
        "tenure_months": np.round(rng.gamma(2.0, 18.0, rows), 1),
        "balance": np.round(rng.lognormal(8.0, 0.6, rows), 2),
        "is_mobile": rng.binomial(1, 0.4, rows).astype(np.int64),
        "sessions_30d": rng.poisson(6.0, rows).astype(np.int64),
        # Drawing level indices consumes the generator exactly as drawing
        # from the array of level strings does, and stays cheap at any size.
        "channel": pd.Categorical.from_codes(
            rng.choice(len(CHANNEL_LEVELS), rows, p=CHANNEL_SHARES),
            categories=list(CHANNEL_LEVELS),
        ),
    }
    frame = pd.DataFrame(features)
    prob = 1.0 / (1.0 + np.exp(-true_logit(frame)))
    frame.insert(1, "label", (rng.random(rows) < prob).astype(np.int64))
    return frame


def generate_chunks(
    rows: int, seed: int = DEMO_SEED, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Draw the demo table chunk by chunk (ids 1..rows), one generator for all chunks.

    The rows depend on ``seed`` and ``chunk_rows``; with ``rows <= chunk_rows``
    there is one chunk, identical to :func:`generate`.
    """
    if rows < 0 or chunk_rows < 1:
        raise ValueError(f"need rows >= 0 and chunk_rows >= 1, got {rows} and {chunk_rows}")
    rng = np.random.default_rng(seed)
    for first in range(0, rows, chunk_rows):
        yield _draw(rng, first + 1, min(chunk_rows, rows - first))


def generate(rows: int = DEMO_ROWS, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Draw the demo table: ids 1..rows, four numeric features, one categorical."""
    frame = _draw(np.random.default_rng(seed), 1, rows)
    frame["channel"] = frame["channel"].astype(str)
    return frame


def write_parquet(
    path: Path,
    rows: int,
    seed: int = DEMO_SEED,
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = True,
) -> tuple[int, int]:
    """Write ``rows`` demo rows to a Parquet file a chunk at a time; return (rows, positives).

    Only one chunk is in memory at a time, so the size of the file is limited
    by the disk, not the memory. Each chunk becomes one row group.
    """
    # Imported here so that the dbt Python models, which import this module's
    # neighbours, do not need pyarrow or tqdm.
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    positives = 0
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("label", pa.int64()),
            ("tenure_months", pa.float64()),
            ("balance", pa.float64()),
            ("is_mobile", pa.int64()),
            ("sessions_30d", pa.int64()),
            ("channel", pa.dictionary(pa.int8(), pa.string())),
        ]
    )
    with (
        pq.ParquetWriter(str(path), schema) as writer,
        tqdm(
            total=rows,
            unit="rows",
            unit_scale=True,
            desc=f"simulate {path.name}",
            disable=not progress,
        ) as bar,
    ):
        for chunk in generate_chunks(rows, seed, chunk_rows):
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
            positives += int(chunk["label"].sum())
            bar.update(len(chunk))
    return rows, positives


# The benchmark table of bench/scale.py: ten standard normal features (stored
# as float32, which halves the bytes every reader scans) and a label drawn
# from SCALE_COEFFICIENTS, about 0.5% positive. Logit variance is about 1.
SCALE_FEATURES = tuple(f"x{i}" for i in range(1, 11))
SCALE_INTERCEPT = -5.8
SCALE_SLOPES = (0.6, -0.5, 0.4, -0.3, 0.25, 0.2, -0.15, 0.1, 0.05, 0.0)


def scale_chunk(index: int, chunk_rows: int = CHUNK_ROWS, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Chunk ``index`` of the scale table: ids ``index*chunk_rows+1`` onwards.

    Each chunk has its own generator, seeded by (seed, index), so the first n
    chunks are the same whatever the total size: a 10M-row table is the
    first ten chunks of the 300M-row one, and chunks can be written in any order.
    """
    rng = np.random.default_rng([seed, index])
    features = rng.standard_normal((chunk_rows, len(SCALE_FEATURES)), dtype=np.float32)
    # The label depends on the stored float32 values, widened exactly to double.
    eta = SCALE_INTERCEPT + features.astype(np.float64) @ np.asarray(SCALE_SLOPES)
    label = (rng.random(chunk_rows) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int8)
    frame = pd.DataFrame(features, columns=list(SCALE_FEATURES))
    frame.insert(0, "label", label)
    frame.insert(0, "id", np.arange(index * chunk_rows + 1, (index + 1) * chunk_rows + 1))
    return frame


def write_scale_parts(
    directory: Path,
    chunks: int,
    chunk_rows: int = CHUNK_ROWS,
    seed: int = DEMO_SEED,
    progress: bool = True,
) -> list[Path]:
    """Write chunks 0..chunks-1 of the scale table as ``part-NNNNN.parquet``; return the paths.

    Parts already on disk are kept (they are deterministic), so a larger
    table reuses a smaller one's files. One file per chunk, one row group each.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"part-{i:05d}.parquet" for i in range(chunks)]
    for i, path in enumerate(tqdm(paths, desc="scale table", unit="chunk", disable=not progress)):
        if path.exists():
            continue
        table = pa.Table.from_pandas(scale_chunk(i, chunk_rows, seed), preserve_index=False)
        # Written under a temporary name so an interrupted run leaves no half file.
        partial = path.with_suffix(".partial")
        pq.write_table(table, str(partial), row_group_size=chunk_rows)
        partial.rename(path)
    return paths


def write_csv(path: Path, rows: int = DEMO_ROWS, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Write the demo table as the dbt seed file and return it."""
    frame = generate(rows, seed)
    frame.to_csv(path, index=False, lineterminator="\n")
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the negsample demo seed.")
    default = Path(__file__).resolve().parents[2] / "seeds" / "demo_events.csv"
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    frame = write_csv(args.out)
    print(f"wrote {len(frame)} rows, {int(frame['label'].sum())} positive, to {args.out}")


if __name__ == "__main__":
    main()
