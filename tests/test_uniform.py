"""The seeded uniform: SQL and Python agree to the bit; the draws look independent."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scipy import stats

from negsample.oracle import reference
from negsample.tools.dbt_inline import compile_inline
from tests.conftest import PROJECT_DIR, dbt_env

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def inline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """dbt's files for the inline compiles in a temporary folder, not in the repo."""
    return dbt_env(tmp_path_factory.mktemp("inline") / "inline.duckdb")


def compiled_uniform_sql(seed: int, stream: str | int, env: dict[str, str]) -> str:
    return compile_inline(
        f"select k, {{{{ negsample.uniform('k', {seed}, {stream!r}) }}}} as u from keys",
        PROJECT_DIR,
        env,
    )


@pytest.fixture(scope="module")
def keys() -> np.ndarray:
    rng = np.random.default_rng(5)
    edge = np.array(
        [
            0,
            1,
            -1,
            2**31 - 2,
            2**31 - 1,
            2**31,
            -(2**31),
            2**62,
            -(2**62),
            2**63 - 2**32,
            -(2**63) + 2**32,
        ],
        dtype=np.int64,
    )
    return np.concatenate(
        [
            edge,
            np.arange(1, 20_001, dtype=np.int64),
            rng.integers(-(2**62), 2**62, 20_000, dtype=np.int64),
        ]
    )


@pytest.mark.dbt
@pytest.mark.parametrize(("seed", "stream"), [(42, "pilot"), (42, "sample"), (-7, 3), (10**15, 1)])
def test_sql_uniform_equals_python_bit_for_bit(keys, seed, stream, inline_env):
    sql = compiled_uniform_sql(seed, stream, inline_env)
    with duckdb.connect() as con:
        con.execute("create table keys as select unnest(?::bigint[]) as k", [keys.tolist()])
        got = con.sql(sql + " order by k").df()
    order = np.argsort(keys, kind="stable")
    expected = reference.uniform(keys[order], seed, stream)
    np.testing.assert_array_equal(got["k"].to_numpy(), keys[order])
    np.testing.assert_array_equal(got["u"].to_numpy(), expected)
    assert ((expected >= 0) & (expected < 1)).all()


def test_uniform_marginal_is_uniform():
    u = reference.uniform(np.arange(1, 200_001), 42, "sample")
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # The tail matters most: pi can be as small as floor * rho.
    assert abs((u < 1e-3).mean() - 1e-3) < 4 * np.sqrt(1e-3 / u.size)


def _grid_pvalue(a: np.ndarray, b: np.ndarray, bins: int = 20) -> float:
    counts, _, _ = np.histogram2d(a, b, bins=bins, range=[[0, 1], [0, 1]])
    return float(stats.chisquare(counts.ravel()).pvalue)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda k: reference.uniform(k, 42, "pilot"), id="other-stream"),
        pytest.param(lambda k: reference.uniform(k, 43, "sample"), id="next-seed"),
        pytest.param(lambda k: reference.uniform(k + 1, 42, "sample"), id="next-key"),
    ],
)
def test_uniform_draws_are_independent(other):
    k = np.arange(1, 200_001)
    u = reference.uniform(k, 42, "sample")
    v = other(k)
    assert abs(np.corrcoef(u, v)[0, 1]) < 4 / np.sqrt(k.size)
    assert _grid_pvalue(u, v) > 1e-3


def test_affine_mixing_alone_would_fail_the_independence_check():
    """The check above can fail: a linear congruential map of the key leaves a lattice."""
    k = np.arange(1, 200_001)
    m = reference.MODULUS
    u = (k * 48271 % m) / m
    v = ((k + 1) * 48271 % m) / m
    assert _grid_pvalue(u, v) < 1e-6


def test_unknown_stream_is_rejected():
    with pytest.raises(ValueError, match="unknown stream 'pilots'"):
        reference.uniform(np.arange(3), 1, "pilots")


@pytest.mark.dbt
def test_seed_given_as_sql_expression_draws_the_same_bits(inline_env):
    """Many seeds in one query (one per replicate) give what each seed gives alone."""
    sql = compile_inline(
        "select k, s, {{ negsample.uniform('k', 's', 'sample') }} as u from keys",
        PROJECT_DIR,
        inline_env,
    )
    seeds = [42, 7, -3, 2**40]
    keys = np.arange(-500, 500, dtype=np.int64)
    with duckdb.connect() as con:
        con.execute(
            "create table keys as select k, s from unnest(?::bigint[]) a(k), "
            "unnest(?::bigint[]) b(s)",
            [keys.tolist(), seeds],
        )
        got = con.sql(sql).df()
    for seed in seeds:
        part = got[got["s"] == seed].sort_values("k")
        np.testing.assert_array_equal(
            part["u"], reference.uniform(part["k"].to_numpy(), seed, "sample")
        )


@pytest.mark.dbt
def test_a_text_id_is_keyed_by_the_first_15_hex_digits_of_its_md5(inline_env):
    """The key the uniform draws from for a text id: md5's first 60 bits, by hashlib."""
    import hashlib

    sql = compile_inline(
        "select k, {{ negsample._string_key('k') }} as key from ids", PROJECT_DIR, inline_env
    )
    ids = ["txn-1", "txn-2", "", "é", "a" * 300, "0", "NULL"]
    with duckdb.connect() as con:
        con.execute("create table ids as select unnest(?::varchar[]) as k", [ids])
        got = dict(con.sql(sql).fetchall())
    expected = {k: int(hashlib.md5(k.encode()).hexdigest()[:15], 16) for k in ids}
    assert got == expected
