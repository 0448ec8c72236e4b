"""A self-contained HTML report of the diagnostics tables (``negsample report``).

Everything the report shows is read from the tables ``dbt build`` wrote; the
O(N) work (deciles, AUC, histogram) was done in the warehouse, so the report
reads a few dozen rows whatever the size of the source. Figures are drawn
with matplotlib's Agg renderer and embedded as base64 PNG, so the page needs
neither network nor files beside it. Every number in a table cell carries
its exact value in ``data-value`` so that tests (and scrapers) can compare
the page with the tables without parsing formatted text.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from matplotlib.figure import Figure

# The tables the report reads (a design's, named <design>_<kind>), in the order of the page.
TABLES = {
    "calibration": "diagnostics",
    "sampling_probs": "diagnostics_sampling_probs",
    "fit": "diagnostics_fit",
    "coefficients": "diagnostics_coefficients",
    "design": "design",
}
FIGURES = ("reliability", "sampling_probs", "sample_size")
COLORS = {"final": "#1f77b4", "uncorrected": "#d62728", "kept": "#2ca02c"}
DPI = 100


@dataclass(frozen=True)
class Diagnostics:
    """The diagnostics tables of one build, as read from the warehouse."""

    calibration: pd.DataFrame
    sample_size: dict[str, Any]
    sampling_probs: pd.DataFrame
    fit: pd.DataFrame
    coefficients: pd.DataFrame
    design: dict[str, Any]
    name: str = "negsample"  # the design's name, its tables' prefix


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def load_diagnostics(
    database: Path, schema: str = "main", design: str = "negsample"
) -> Diagnostics:
    """Read a design's diagnostics tables from a DuckDB file built by ``dbt build``."""
    if not Path(database).exists():
        raise FileNotFoundError(f"no DuckDB file at {database}: run `dbt build` first")
    order = {
        "calibration": "order by score, decile",
        "sampling_probs": "order by bin",
        "fit": "order by case model when 'pilot' then 0 else 1 end",
        "coefficients": "order by term_index, term, level",
    }
    frames: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for key, kind in TABLES.items():
            table = f"{design}_{kind}"
            sql = f"select * from {_quote(schema)}.{_quote(table)} {order.get(key, '')}"
            try:
                frames[key] = con.sql(sql).df()
            except duckdb.CatalogException as err:
                raise LookupError(
                    f"table {schema}.{table} not found in {database}: build the project "
                    "(`dbt build`) into it, or pass the schema dbt wrote to with --schema "
                    "and the design with --design"
                ) from err
    return Diagnostics(
        calibration=frames["calibration"],
        # The sample-size checks are columns of the design's row.
        sample_size=frames["design"].iloc[0].to_dict(),
        sampling_probs=frames["sampling_probs"],
        fit=frames["fit"],
        coefficients=frames["coefficients"],
        design=frames["design"].iloc[0].to_dict(),
        name=design,
    )


def reliability_figure(calibration: pd.DataFrame) -> Figure:
    """Observed rate against mean prediction per decile, corrected and uncorrected.

    Log-log axes: rare-event probabilities span decades and the uncorrected
    score sits an order of magnitude above the truth. The error bars are the
    tables' Wilson 95% intervals; a calibrated score crosses the diagonal
    within them. Each curve's line has ``gid`` set to its score so that its
    data can be read back from the figure.
    """
    fig = Figure(figsize=(6.4, 5.6), dpi=DPI)
    ax = fig.add_subplot()
    low = min(calibration["mean_predicted"].min(), calibration["observed_lower"].clip(1e-6).min())
    high = max(calibration["mean_predicted"].max(), calibration["observed_upper"].max())
    lims = (low / 1.5, min(1.0, high * 1.5))
    ax.plot(lims, lims, color="0.5", linestyle="--", linewidth=1, label="perfect calibration")
    for score, marker in (("final", "o"), ("uncorrected", "s")):
        part = calibration[calibration["score"] == score].sort_values("decile")
        observed = part["observed_rate"].to_numpy()
        yerr = [observed - part["observed_lower"], part["observed_upper"] - observed]
        container = ax.errorbar(
            part["mean_predicted"],
            observed,
            yerr=yerr,
            marker=marker,
            markersize=5,
            capsize=3,
            linewidth=1.2,
            color=COLORS[score],
            label=f"{score} ({'σ(θ̂·ẋ)' if score == 'final' else 'σ(θ̂·ẋ − ln π)'})",
        )
        container.lines[0].set_gid(score)
    ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="clip")
    ax.set_xlim(lims)
    ax.set_ylim(lims)
    ax.set_aspect("equal")
    ax.set_xlabel("mean predicted probability (decile of the score)")
    ax.set_ylabel("observed rate, with Wilson 95% interval")
    ax.set_title("Reliability diagram over every row of the source")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def sampling_prob_figure(histogram: pd.DataFrame, sample_size: dict[str, Any]) -> Figure:
    """Histogram of pi over the negatives on a log axis, with the floor and the cap marked."""
    fig = Figure(figsize=(7.2, 4.2), dpi=DPI)
    ax = fig.add_subplot()
    widths = histogram["bin_upper"] - histogram["bin_lower"]
    ax.bar(
        histogram["bin_lower"],
        histogram["n_negatives"],
        width=widths,
        align="edge",
        color=COLORS["final"],
        alpha=0.45,
        edgecolor="white",
        label="negatives",
        gid="negatives",
    )
    ax.bar(
        histogram["bin_lower"],
        histogram["n_kept"],
        width=widths,
        align="edge",
        color=COLORS["kept"],
        alpha=0.9,
        edgecolor="white",
        label="kept negatives",
        gid="kept",
    )
    floor_prob = float(sample_size["floor_prob"])
    if floor_prob > 0:
        ax.axvline(
            floor_prob,
            color="#9467bd",
            linestyle="--",
            label=f"floor {floor_prob:.3g} ({int(sample_size['n_floored'])} negatives)",
            gid="floor",
        )
    ax.axvline(
        1.0,
        color=COLORS["uncorrected"],
        linestyle="--",
        label=f"cap 1 ({int(sample_size['n_capped'])} negatives)",
        gid="cap",
    )
    ax.axvline(
        float(sample_size["sampling_rate"]),
        color="0.3",
        linestyle=":",
        label=f"sampling rate ρ = {float(sample_size['sampling_rate']):.3g}",
        gid="rate",
    )
    ax.set_xscale("log")
    ax.set_xlabel("sampling probability π(x)")
    ax.set_ylabel("negatives per bin")
    ax.set_title("Sampling probability over the negatives")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def sample_size_figure(sample_size: dict[str, Any]) -> Figure:
    """Kept against expected negatives (with the 95% range), and the IPW effective size."""
    fig = Figure(figsize=(7.2, 3.4), dpi=DPI)
    ax = fig.add_subplot()
    expected = float(sample_size["expected_negatives"])
    half_width = expected - float(sample_size["expected_negatives_lower"])
    labels = [
        "expected negatives",
        "kept negatives",
        "kept rows (all positives too)",
        "Kish effective size of IPW weights",
    ]
    values = [
        expected,
        float(sample_size["kept_negatives"]),
        float(sample_size["kept_rows"]),
        float(sample_size["ipw_effective_sample_size"]),
    ]
    colors = [COLORS["final"], COLORS["kept"], "0.6", "#ff7f0e"]
    ax.barh(labels, values, color=colors, gid="bars")
    ax.errorbar(expected, 0, xerr=half_width, color="black", capsize=5, gid="expected_range")
    for y, value in enumerate(values):
        right = value + (half_width if y == 0 else 0.0)
        ax.text(right, y, f"  {value:,.0f}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_xlabel("rows")
    ax.set_title(
        f"Kept vs expected negatives, z = {float(sample_size['kept_negatives_z']):.2f}"
        " (bar: 95% range)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def figure_png(fig: Figure, metadata: dict[str, str] | None = None) -> bytes:
    """The figure as PNG bytes, without the software-version tag so reruns give the same file.

    ``metadata`` adds PNG text chunks (e.g. a Description of the data drawn).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None, **(metadata or {})})
    return buffer.getvalue()


def figures(diag: Diagnostics) -> dict[str, Figure]:
    """Every figure of the report, by name (see FIGURES)."""
    return {
        "reliability": reliability_figure(diag.calibration),
        "sampling_probs": sampling_prob_figure(diag.sampling_probs, diag.sample_size),
        "sample_size": sample_size_figure(diag.sample_size),
    }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _cell(value: Any, fmt: Callable[[Any], str], column: str) -> str:
    if _is_missing(value):
        return f'<td data-column="{column}" data-value="">–</td>'
    if isinstance(value, bool):
        exact = "true" if value else "false"
    elif isinstance(value, int | float):
        exact = repr(float(value))
    else:
        exact = str(value)
    return (
        f'<td data-column="{column}" data-value="{html.escape(exact)}">'
        f"{html.escape(fmt(value))}</td>"
    )


def _text(value: Any) -> str:
    return str(value)


def _count(value: Any) -> str:
    return f"{float(value):,.0f}"


def _g4(value: Any) -> str:
    return f"{float(value):.4g}"


def _number(value: Any) -> str:
    # Counts read as counts, everything else to four significant digits.
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{number:,.0f}"
    return f"{number:.4g}"


def _f4(value: Any) -> str:
    return f"{float(value):.4f}"


def _table(
    table_id: str,
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Callable[[Any], str]]],
) -> str:
    """An HTML table of ``frame``: (column, header, formatter) per column."""
    head = "".join(f"<th>{html.escape(header)}</th>" for _, header, _ in columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = "".join(_cell(record[name], fmt, name) for name, _, fmt in columns)
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure(name: str, png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="figure-{name}"><img alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222;
       padding: 0 1em; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
.meta { color: #555; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td[data-column="score"], td[data-column="model"], td[data-column="term"],
td[data-column="level"], td[data-column="quantity"] { text-align: left; }
"""


def render_html(diag: Diagnostics, pngs: dict[str, bytes]) -> str:
    """The report page, with ``pngs`` (name -> PNG bytes, see FIGURES) embedded."""
    d = diag.design
    s = diag.sample_size
    corrected = diag.calibration[diag.calibration["score"] == "final"]
    inside = int(
        (
            (corrected["mean_predicted"] >= corrected["observed_lower"])
            & (corrected["mean_predicted"] <= corrected["observed_upper"])
        ).sum()
    )
    sample_rows = pd.DataFrame(
        [
            ("negatives in the source", s["n_negative"]),
            ("expected negatives (sum of π)", s["expected_negatives"]),
            ("95% range, lower", s["expected_negatives_lower"]),
            ("95% range, upper", s["expected_negatives_upper"]),
            ("kept negatives", s["kept_negatives"]),
            ("z of the kept count", s["kept_negatives_z"]),
            ("negatives capped (π = 1)", s["n_capped"]),
            ("negatives floored (π = floor)", s["n_floored"]),
            ("kept rows", s["kept_rows"]),
            ("Kish effective size of IPW weights", s["ipw_effective_sample_size"]),
            ("effective size / kept rows", s["ipw_effective_fraction"]),
        ],
        columns=["quantity", "value"],
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>negsample diagnostics</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>negsample diagnostics</h1>",
        '<p class="meta">',
        f"{_count(d['n_rows'])} rows, {_count(d['n_positive'])} positive; "
        f"score <code>{html.escape(str(d['score']))}</code>, "
        f"budget <code>{html.escape(str(d['budget']))}</code>, "
        f"sampling rate ρ = {float(d['sampling_rate']):.4g}, "
        f"floor {float(d['floor']):.4g}·ρ, seed {int(d['seed'])}.</p>",
        '<h2 id="calibration-section">Calibration</h2>',
        _figure(
            "reliability",
            pngs["reliability"],
            "Reliability diagram of the final fit and of the uncorrected score",
            f"Deciles of each score over every row of the source ({diag.name}_diagnostics). "
            f"The final fit's probability (before the intercept update) lies within the "
            f"95% interval in {inside} of {len(corrected)} deciles; the uncorrected "
            "sample-scale score σ(θ̂·ẋ − ln π) overstates the rate, as a model fitted on "
            "the kept rows without the offset does.",
        ),
        _table(
            "calibration",
            diag.calibration,
            [
                ("score", "score", _text),
                ("decile", "decile", _text),
                ("n_rows", "rows", _count),
                ("mean_predicted", "mean predicted", _g4),
                ("observed_rate", "observed rate", _g4),
                ("observed_lower", "95% lower", _g4),
                ("observed_upper", "95% upper", _g4),
            ],
        ),
        '<h2 id="sampling-section">Sampling probabilities</h2>',
        _figure(
            "sampling_probs",
            pngs["sampling_probs"],
            "Histogram of the sampling probability over the negatives",
            f"π(x) over the negatives ({diag.name}_diagnostics_sampling_probs), log scale, "
            "with the share the draw kept. Negatives at the floor are those the pilot "
            "finds least like positives; at the cap, every such negative is kept.",
        ),
        '<h2 id="sample-size-section">Sample size</h2>',
        _figure(
            "sample_size",
            pngs["sample_size"],
            "Kept against expected number of negatives",
            "Kept against expected negatives with the 95% range of the draw, and Kish's "
            f"effective sample size of the IPW weights ({diag.name}_design).",
        ),
        _table(
            "sample_size",
            sample_rows,
            [("quantity", "quantity", _text), ("value", "value", _number)],
        ),
        '<h2 id="fit-section">Fit over the full table</h2>',
        _table(
            "fit",
            diag.fit,
            [
                ("model", "model", _text),
                ("n_rows", "rows", _count),
                ("log_loss", "log loss", _f4),
                ("auc", "AUC", _f4),
                ("mean_predicted", "mean predicted", _g4),
                ("observed_rate", "observed rate", _g4),
            ],
        ),
        '<h2 id="coefficients-section">Coefficients</h2>',
        "<p>Population-scale log odds per unit of each feature: the pilot, the final "
        "log-odds corrected fit (the one the scores use) and the IPW fit on the same "
        f"rows, each with its standard error ({diag.name}_diagnostics_coefficients).</p>",
        _table(
            "coefficients",
            diag.coefficients,
            [
                ("term", "term", _text),
                ("level", "level", _text),
                ("pilot_estimate", "pilot", _g4),
                ("pilot_std_error", "pilot SE", _g4),
                ("final_estimate", "final", _g4),
                ("final_std_error", "final SE", _g4),
                ("final_z_value", "final z", _g4),
                ("ipw_estimate", "IPW", _g4),
                ("ipw_std_error", "IPW SE", _g4),
                ("ipw_to_final_se_ratio", "IPW SE / final SE", _g4),
            ],
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    database: Path,
    out_dir: Path,
    schema: str = "main",
    save_figures: bool = False,
    design: str = "negsample",
) -> Path:
    """Write ``out_dir/report.html`` for a design (and each figure as PNG with ``save_figures``)."""
    diag = load_diagnostics(database, schema, design)
    pngs = {name: figure_png(fig) for name, fig in figures(diag).items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    if save_figures:
        for name, png in pngs.items():
            (out_dir / f"{name}.png").write_bytes(png)
    path = out_dir / "report.html"
    path.write_text(render_html(diag, pngs), encoding="utf-8")
    return path
