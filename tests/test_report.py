"""`negsample report`: the HTML report rendered from the demo build."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from scipy.stats import chi2

from negsample.tools import report
from tests.conftest import PROJECT_DIR, query

pytestmark = pytest.mark.dbt

NEGSAMPLE = str(Path(sys.executable).with_name("negsample"))


class ReportPage(HTMLParser):
    """The figures (id -> img src) and tables (id -> rows of data-column: data-value)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tables: dict[str, list[dict[str, str]]] = {}
        self._figure: str | None = None
        self._table: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "figure":
            self._figure = attr.get("id")
        elif tag == "img" and self._figure:
            self.figures[self._figure] = attr["src"]
        elif tag == "table":
            self._table = attr["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append({})
        elif tag == "td" and self._table:
            self.tables[self._table][-1][attr["data-column"]] = attr["data-value"]

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None
        elif tag == "table":
            # Drop the header row, which has no data cells.
            self.tables[self._table] = [row for row in self.tables[self._table] if row]
            self._table = None


@pytest.fixture(scope="module")
def rendered(demo_db, tmp_path_factory) -> Path:
    """report.html of the demo build, written by the installed `negsample` command."""
    out = tmp_path_factory.mktemp("report")
    proc = subprocess.run(
        [NEGSAMPLE, "report", "--database", str(demo_db), "--out", str(out), "--save-figures"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out / "report.html"


@pytest.fixture(scope="module")
def page(rendered) -> ReportPage:
    return ReportPage(rendered.read_text(encoding="utf-8"))


def png_bytes(src: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix) :])


def test_report_embeds_each_plot_and_needs_nothing_else(rendered, page):
    text = rendered.read_text(encoding="utf-8")
    assert set(page.figures) == {f"figure-{name}" for name in report.FIGURES}
    for name in report.FIGURES:
        png = png_bytes(page.figures[f"figure-{name}"])
        assert png == (rendered.parent / f"{name}.png").read_bytes()
        pixels = imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400
        colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
        assert len(colours) > 50, name  # a drawn plot, not an empty canvas
    # Self-contained: no scripts, stylesheets, images or fonts fetched from anywhere.
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", text)
    assert "<script" not in text and "<link" not in text and "url(" not in text


def test_the_histogram_and_the_sample_size_are_drawn_from_their_tables(demo_db):
    """The bars' heights and edges are the tables' numbers (read back from the figures)."""
    histogram = query(demo_db, "select * from negsample_diagnostics_sampling_probs order by bin")
    design = query(demo_db, "select * from negsample_design").iloc[0].to_dict()
    fig = report.sampling_prob_figure(histogram, design)
    (ax,) = fig.axes
    patches: dict[str, list] = {}
    for patch in ax.patches:
        patches.setdefault(patch.get_gid(), []).append(patch)
    heights = {gid: [p.get_height() for p in group] for gid, group in patches.items()}
    lefts = {gid: [p.get_x() for p in group] for gid, group in patches.items()}
    np.testing.assert_array_equal(heights["negatives"], histogram["n_negatives"])
    np.testing.assert_array_equal(heights["kept"], histogram["n_kept"])
    np.testing.assert_array_equal(lefts["negatives"], histogram["bin_lower"])
    lines = {line.get_gid(): line.get_xdata()[0] for line in ax.lines}
    assert lines["floor"] == design["floor_prob"] and lines["cap"] == 1.0
    assert lines["rate"] == design["sampling_rate"]
    fig = report.sample_size_figure(design)
    (ax,) = fig.axes
    widths = [p.get_width() for p in ax.patches if p.get_gid() == "bars"]
    assert widths == [
        design["expected_negatives"],
        design["kept_negatives"],
        design["kept_rows"],
        design["ipw_effective_sample_size"],
    ]


def cells(rows: list[dict[str, str]], column: str) -> np.ndarray:
    return np.array([float(row[column]) if row[column] else np.nan for row in rows])


def test_report_numbers_match_the_diagnostics_tables(demo_db, page):
    calibration = query(demo_db, "select * from negsample_diagnostics order by score, decile")
    rows = page.tables["calibration"]
    assert [row["score"] for row in rows] == list(calibration["score"])
    for column in ["decile", "n_rows", "mean_predicted", "observed_rate", "observed_lower"]:
        np.testing.assert_array_equal(cells(rows, column), calibration[column])

    fit = query(demo_db, "select * from negsample_diagnostics_fit order by model desc")
    rows = page.tables["fit"]
    assert [row["model"] for row in rows] == ["pilot", "final"] == list(fit["model"])
    for column in ["n_rows", "log_loss", "auc", "mean_predicted", "observed_rate"]:
        np.testing.assert_array_equal(cells(rows, column), fit[column])

    coefficients = query(
        demo_db, "select * from negsample_diagnostics_coefficients order by term_index, level"
    )
    rows = page.tables["coefficients"]
    assert [(row["term"], row["level"]) for row in rows] == [
        (term, "" if pd.isna(level) else level)
        for term, level in zip(coefficients["term"], coefficients["level"], strict=True)
    ]
    for model in ("pilot", "final", "ipw"):
        for column in (f"{model}_estimate", f"{model}_std_error"):
            np.testing.assert_array_equal(cells(rows, column), coefficients[column])

    size = query(demo_db, "select * from negsample_design").iloc[0]
    shown = {row["quantity"]: float(row["value"]) for row in page.tables["sample_size"]}
    assert shown["expected negatives (sum of π)"] == size["expected_negatives"]
    assert shown["kept negatives"] == size["kept_negatives"]
    assert shown["z of the kept count"] == size["kept_negatives_z"]
    assert shown["negatives capped (π = 1)"] == size["n_capped"]
    assert shown["negatives floored (π = floor)"] == size["n_floored"]
    assert shown["Kish effective size of IPW weights"] == size["ipw_effective_sample_size"]


def test_reliability_diagram_puts_corrected_on_the_diagonal_and_uncorrected_off(demo_db):
    calibration = query(demo_db, "select * from negsample_diagnostics")
    fig = report.reliability_figure(calibration)
    (ax,) = fig.axes
    curves = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    assert set(curves) == {"final", "uncorrected"}
    for score, line in curves.items():
        part = calibration[calibration["score"] == score].sort_values("decile")
        # The data behind the drawn curve is the table's, decile by decile.
        np.testing.assert_array_equal(line.get_xdata(), part["mean_predicted"])
        np.testing.assert_array_equal(line.get_ydata(), part["observed_rate"])
        predicted = np.asarray(line.get_xdata(), dtype=float)
        observed = np.asarray(line.get_ydata(), dtype=float)
        inside = (predicted >= part["observed_lower"]) & (predicted <= part["observed_upper"])
        # Hosmer-Lemeshow style: sum over deciles of squared standardised gaps.
        n = part["n_rows"].to_numpy()
        statistic = (((observed - predicted) ** 2) * n / (predicted * (1 - predicted))).sum()
        if score == "final":
            assert inside.sum() >= 8, part
            assert statistic < chi2.ppf(0.999, df=len(part)), statistic
        else:
            assert (predicted > part["observed_upper"]).all(), part
            assert statistic > 100 * chi2.ppf(0.999, df=len(part)), statistic


def test_report_command_explains_a_missing_build(tmp_path, demo_db):
    proc = subprocess.run(
        [NEGSAMPLE, "report", "--database", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "dbt build" in proc.stderr
    proc = subprocess.run(
        [NEGSAMPLE, "report", "--database", str(demo_db), "--out", str(tmp_path)]
        + ["--schema", "elsewhere"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "elsewhere.negsample_diagnostics" in proc.stderr
    assert not (tmp_path / "report.html").exists()


def find_chromium() -> str | None:
    override = os.environ.get("NEGSAMPLE_CHROMIUM")
    if override:
        return override
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_or_skip() -> str:
    """Chromium's path; without it a skip, or a failure where NEGSAMPLE_REQUIRE_BROWSER is set."""
    browser = find_chromium()
    if browser is None:
        reason = (
            "Chromium is not installed, so the report was not opened in a browser: "
            "`apt-get install chromium` (.ci/run does) or set NEGSAMPLE_CHROMIUM to its path"
        )
        # CI installs Chromium (.ci/run) and sets NEGSAMPLE_REQUIRE_BROWSER: there, fail.
        if os.environ.get("NEGSAMPLE_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return browser


def test_a_missing_chromium_fails_where_the_browser_is_required(monkeypatch, tmp_path):
    monkeypatch.delenv("NEGSAMPLE_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on it
    monkeypatch.delenv("NEGSAMPLE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium_or_skip()
    monkeypatch.setenv("NEGSAMPLE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        chromium_or_skip()


def test_ci_installs_chromium_and_requires_the_browser_test():
    """.ci/run installs Chromium (a failed install stops it) and runs the suite requiring it."""
    script = (PROJECT_DIR / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    assert "missing+=(chromium)" in script
    assert "command -v chromium" in script.split("missing+=(chromium)")[1]  # checked again
    tail = script.split("export NEGSAMPLE_REQUIRE_BROWSER=1", 1)[1]
    assert ".venv/bin/python -m pytest" in tail


@pytest.mark.browser
def test_report_renders_in_headless_chromium(rendered, tmp_path):
    browser = chromium_or_skip()
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                "--window-size=1200,1600",
                rendered.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert shot.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (1600, 1200)
    non_white = (pixels < 0.95).any(axis=-1).mean()
    assert non_white > 0.05, non_white
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    # The first screen holds the reliability diagram: its blue corrected
    # curve (an embedded image, not text) must have been painted.
    blue = np.array([0x1F, 0x77, 0xB4]) / 255
    assert (np.abs(pixels - blue).max(axis=-1) < 0.1).sum() > 200


def test_the_reference_shows_the_committed_reliability_diagram():
    reference = (PROJECT_DIR / "docs" / "reference.md").read_text()
    assert "](../bench/results/demo_reliability.png)" in reference
    pixels = imread(PROJECT_DIR / "bench" / "results" / "demo_reliability.png")
    # The size reliability_figure draws at, so the file is that figure.
    assert pixels.shape[:2] == (560, 640)
