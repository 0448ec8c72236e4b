"""The efficiency benchmarks: their draw is the package's, and what they conclude holds in small.

bench/efficiency_draw.py draws many seeds at once with the package's
macros. The first test builds the package with `dbt build` on a small
table and holds that draw to <design>_sample bit for bit: the same ids
with the same sampling_prob, for several scores, budgets and reuse_pilot
(logit_optimal within 1e-12 relative: its matrix Sigma~^1/2 M~^-1 is
multiplied in the bench's SQL and in the package's NumPy, which round the
last bits differently). Both sides run DuckDB on one thread: the package sums doubles in SQL (the
matrix scores' forms, the exact budget's scale) in an order DuckDB chooses
by its thread count, and at several threads even run to run, so only one
thread gives one answer to hold the draw to.

The stats test is a small version of bench/efficiency.py: the ordering
the paper predicts must hold on both metrics. The rest check the
bookkeeping on made-up numbers.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from negsample.oracle import reference, simulations
from negsample.runtime.fit import make_design
from negsample.tools.settings import DEFAULTS
from tests.conftest import PROJECT_DIR, package_project, query, run_dbt

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import efficiency_draw as draw  # noqa: E402
import efficiency_scale  # noqa: E402
import efficiency_stats as stats  # noqa: E402

FEATURES = list(simulations.FEATURES)
# DuckDB on one thread (its `threads` setting; dbt's own threads are models
# built at once): the package's sums of doubles then have one order.
ONE_THREAD = """negsample:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{{ env_var('NEGSAMPLE_DUCKDB_PATH') }}"
      threads: 1
      settings:
        threads: 1
        preserve_insertion_order: false
"""
PIN_ROWS, PIN_RATE, PIN_SEED, PIN_SCALE_SAMPLE = 20_000, 0.05, 11, 5_000


@pytest.fixture(scope="module")
def templates() -> draw.Templates:
    return draw.Templates((len(FEATURES),))


@pytest.fixture(scope="module")
def pinned_project(tmp_path_factory: pytest.TempPathFactory):
    """A project that installs the package, with a heavy-tailed table as its source."""
    root = tmp_path_factory.mktemp("pin")
    table = draw.simulated("t2", PIN_ROWS, seed=7)
    variables = {
        "negsample:source": "bench_events",
        "negsample:numeric_features": FEATURES,
        "negsample:categorical_features": [],
        "negsample:sampling_rate": PIN_RATE,
        "negsample:seed": PIN_SEED,
        # A scale sample of a quarter of the negatives: rho0 < rho_s < 1.
        "negsample:scale_sample_size": PIN_SCALE_SAMPLE,
    }
    extra = "    bench_events:\n      +column_types: {id: bigint, label: integer}\n"
    project = package_project(root, "pin", variables, demo_seed=1, profiles=ONE_THREAD, extra=extra)
    table.frame.to_csv(project / "seeds" / "bench_events.csv", index=False)
    database = root / "pin.duckdb"
    run_dbt(["deps"], database, project_dir=project)
    run_dbt(["seed"], database, project_dir=project, threads=1)
    return project, database


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("score", "budget", "reuse"),
    [
        ("a_optimal", "paper", True),
        ("logit_optimal", "exact", True),
        ("l_optimal", "exact", False),
        ("p", "paper", False),
        ("uniform", "paper", True),
    ],
)
def test_the_bench_draw_is_the_packages_sample_bit_for_bit(
    pinned_project, templates, score, budget, reuse
):
    project, database = pinned_project
    settings = {
        "negsample:score": score,
        "negsample:budget": budget,
        "negsample:reuse_pilot": reuse,
    }
    build = ["build", "--select", "+negsample_sample", "--exclude", "resource_type:seed"]
    run_dbt(build, database, variables=settings, project_dir=project, threads=1)
    package = query(database, "select id, sampling_prob from negsample_sample order by id")
    frame = query(database, "select * from bench_events order by id")
    bench = draw.Bench(
        draw.Table("pin", frame, None, ""), templates, PIN_SCALE_SAMPLE, full_fit=False
    )
    bench.pilots([PIN_SEED])
    bench.score()
    kept, scale = bench.draw(draw.Cell(draw.Setting(score, budget), PIN_RATE))
    bench.close()
    mine = kept if reuse else kept[kept["is_main"]]
    column = "sampling_prob" if reuse else "main_sampling_prob"
    np.testing.assert_array_equal(mine["id"].to_numpy(), package["id"].to_numpy())
    # Bit for bit: equal as doubles, not merely close.
    gap = np.abs(mine[column].to_numpy() / package["sampling_prob"].to_numpy() - 1.0)
    # Bit for bit except where the two multiply a matrix differently (above).
    allowed = 1e-12 if score == "logit_optimal" else 0.0
    assert float(gap.max()) <= allowed, (int((gap > 0).sum()), float(gap.max()))
    stored = query(database, "select w, sampling_scale from negsample_sampling_scale")
    for name in ("w", "sampling_scale"):
        assert abs(scale[name].iloc[0] / stored[name].iloc[0] - 1.0) <= allowed, name


def default_setting() -> draw.Setting:
    return draw.Setting(DEFAULTS["score"], DEFAULTS["budget"], float(DEFAULTS["floor"]))


REPLICATES = 30


@pytest.mark.stats
@pytest.mark.dbt
@pytest.mark.parametrize(("design", "margin"), [("normal", 1.5), ("t3", 2.0)])
def test_default_beats_uniform_and_correction_beats_weighting(templates, design, margin):
    table = draw.simulated(design, 200_000)
    bench = draw.Bench(table, templates)
    uniform, default = draw.Setting("uniform"), default_setting()
    cells = [draw.Cell(uniform, 0.005), draw.Cell(default, 0.005)]
    records, _ = draw.run(bench, [100 + r for r in range(REPLICATES)], cells, auto=False)
    records.insert(0, "table", design)
    metas = {
        design: {
            "trace_full": bench.trace_full,
            "logit_baseline": bench.logit_baseline,
            "n_negative": bench.n_negative,
        }
    }
    bench.close()
    assert stats.check_failures(records, design) <= 2
    summary = stats.summarise(records, metas).set_index(["setting", "method"])
    # Theorem 5: under uniform sampling the corrected likelihood beats IPW.
    uniform_ipw = summary.loc[("uniform", "ipw"), "slopes"]
    assert uniform_ipw > 1.5 * summary.loc[("uniform", "lcl"), "slopes"]
    for metric in stats.METRICS:
        for setting in (uniform.name, default.name):
            gap = stats.paired(records, metas, (setting, "lcl"), (setting, "ipw"), metric)
            # On the same draws, correction is never worse than weighting beyond 2 SE.
            assert (gap["z"] <= 2).all(), (setting, metric, gap)
        # Non-uniform sampling beats uniform sampling at the same expected size,
        # by a margin on the excess error, and beyond 2 SE on the same seeds.
        excess = summary[metric] - 1
        worse, better = excess[("uniform", "lcl_reuse")], excess[(default.name, "lcl_reuse")]
        assert worse > margin * better, (metric, worse, better)
        pair = (("uniform", "lcl_reuse"), (default.name, "lcl_reuse"))
        assert (stats.paired(records, metas, *pair, metric)["z"] > 2).all(), metric


def test_sigma_is_assembled_as_the_reference_weighs_the_logit():
    data = simulations.simulate("t3", 20_000, 3)
    design = make_design(data, FEATURES, [])
    x = design.matrix(data)
    label = data["label"].to_numpy()
    prob = reference.sigmoid(x @ simulations.true_coefficients("t3"))
    scale_rate = 0.3
    w = np.where(label == 1, 1.0, 1.0 / scale_rate)
    moments = (x * w[:, None]).T @ x
    information = (x * (w * prob * (1 - prob))[:, None]).T @ x
    assembled = draw.assemble_second_moment(moments, w.sum(), information)
    expected = reference.logit_weight(x, label, prob, scale_rate)
    np.testing.assert_allclose(assembled, expected, rtol=1e-9, atol=1e-12)


def records_of(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = []
    for (setting, method), errors in values.items():
        for replicate, error in enumerate(errors):
            rows.append(
                {
                    "table": "t",
                    "rate": 0.01,
                    "replicate": replicate,
                    "setting": setting,
                    "method": method,
                    "excess_slopes": error,
                    "excess_logit": error,
                    "failed": False,
                }
            )
    return pd.DataFrame(rows)


def test_paired_differences_and_their_z():
    metas = {"t": {"trace_full": 2.0, "logit_baseline": 1.0}}
    records = records_of({("a", "lcl"): [1.0, 2.0, 3.0, 4.0], ("b", "lcl"): [0.5, 1.0, 2.5, 3.0]})
    gap = stats.paired(records, metas, ("a", "lcl"), ("b", "lcl"), "slopes").iloc[0]
    diff = np.array([0.5, 1.0, 0.5, 1.0]) / 2.0
    assert gap["diff"] == pytest.approx(diff.mean())
    assert gap["se"] == pytest.approx(diff.std(ddof=1) / 2.0)
    same = stats.paired(records, metas, ("a", "lcl"), ("a", "lcl"), "logit").iloc[0]
    assert same["diff"] == 0 and same["z"] == 0


def test_auto_takes_the_fits_of_the_score_it_chose():
    records = records_of({("p paper floor=0.1", "lcl"): [1.0, 2.0], ("uniform", "lcl"): [5.0, 6.0]})
    records["score"] = records["setting"].str.split().str[0]
    records["budget"], records["floor"] = "paper", 0.1
    choices = pd.DataFrame(
        {
            "replicate": [0, 1, 0, 1],
            "rate": 0.01,
            "budget": ["paper", "paper", "exact", "exact"],
            "objective": "scores",
            "chosen": ["p", "uniform", "uniform", "uniform"],
        }
    )
    auto = stats.with_auto(records, choices)
    paper = auto[auto["setting"] == stats.auto_name("scores", "paper")].sort_values("replicate")
    assert paper["excess_slopes"].tolist() == [1.0, 6.0]
    # Uniform's pi is rho under either budget: its one cell serves both.
    exact = auto[auto["setting"] == stats.auto_name("scores", "exact")]
    assert sorted(exact["excess_slopes"]) == [5.0, 6.0]


def test_too_many_failed_fits_stop_the_bench():
    def runs(failed: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "rate": 0.01,
                "setting": "s",
                "method": "lcl",
                "failed": [True] * failed + [False] * (100 - failed),
            }
        )

    assert stats.check_failures(runs(5), "cell") == 5
    with pytest.raises(RuntimeError, match="6%"):
        stats.check_failures(runs(6), "cell")


def test_a_kept_count_is_inside_when_within_its_stated_range():
    records = pd.DataFrame(
        {
            "kept_union": [100, 140, 60],
            "union_expected": [100.0, 100.0, 100.0],
            "union_binomial": [300.0, 300.0, 300.0],
            "union_estimate": [100.0, 100.0, 100.0],
        }
    )
    # sd = 20: 140 is 2 sd away, beyond 1.96; 60 likewise.
    assert efficiency_scale.inside(records, "union").tolist() == [True, False, False]


def test_the_stated_range_from_sums_is_the_reference_from_rows():
    pi = np.random.default_rng(1).beta(0.5, 20.0, 3_000)
    figures = efficiency_scale.stated_range(
        pi.mean(), (pi * (1 - pi)).mean(), pi.var(ddof=1), pi.size, 60_000, 0.05
    )
    expected = reference.scale_estimates(pi, 60_000, 0.05)
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value, rel=1e-12)


def test_auto_at_the_solved_scales_is_score_criteria():
    data = simulations.simulate("t3", 30_000, 4)
    design = make_design(data, FEATURES, [])
    x, label = design.matrix(data), data["label"].to_numpy()
    prob = reference.sigmoid(x @ simulations.true_coefficients("t3"))
    weights = np.where(label == 1, 1.0, 1.0 / 0.5)
    inverse = np.linalg.inv((x * (weights * prob * (1 - prob))[:, None]).T @ x / weights.sum())
    weight = reference.logit_weight(x, label, prob, 0.5)
    rate, floor, rho0 = 0.01, 0.1, 0.02
    scales = {
        mode: reference.sampling_probability(
            reference.scores(prob, x, mode, inverse, weight), label == 0, rate, floor, "exact"
        )[1]
        for mode in reference.SCORE_MODES
    }
    both = reference.score_criteria_at_scales(
        x, label, prob, 0.5, inverse, scales, floor * rate, True, rho0, weight
    )
    for objective in ("scores", "coefficients"):
        alone = reference.score_criteria(
            x, label, prob, 0.5, inverse, rate, floor, "exact", True, rho0, objective, weight
        )
        for mode, value in alone.items():
            assert both[objective][mode] == pytest.approx(value, rel=1e-12)


def test_the_benchs_intercept_update_is_the_references():
    rng = np.random.default_rng(2)
    logit = rng.normal(-4.0, 1.5, 50_000)
    label = (rng.random(50_000) < reference.sigmoid(logit + 0.1)).astype(int)
    assert draw.intercept_update(logit, label) == pytest.approx(
        reference.intercept_update(logit, label), rel=1e-12
    )
