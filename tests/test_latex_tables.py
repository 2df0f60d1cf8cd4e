"""The LaTeX tables fit the text width of a paper: compiled with pdflatex (where installed;
skipped elsewhere) in a two-column and a one-column article, measured, and checked for
overfull boxes. Every column kind and both environments (``table`` and ``table*``) are
covered here; the study's tables are compiled in test_experiments.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from latex_check import compile_table, requires_pdflatex
from tables_data import WIDE_COLUMNS, WIDE_RECORDS

from hwsim.cli.compare_cmd import simulate_grid
from hwsim.errors import InputError
from hwsim.report import compare, tables

REPO = Path(__file__).resolve().parents[1]
NETS = [str(REPO / "networks" / f) for f in ("squeezenet_v1.0.yaml", "sqnxt23v5.yaml")]
ACCS = [str(REPO / "accelerators" / f) for f in ("ws_16x16.yaml", "os_16x16.yaml",
                                                "squeezelerator.yaml")]


@pytest.fixture(scope="module")
def records():
    return compare.compare(simulate_grid(NETS, ACCS), "ws_16x16")


def test_latex_defaults_to_the_paper_columns_with_units_on_their_own_row(records):
    columns = compare.comparison_columns(records, fmt="latex")
    assert [c.key for c in columns] == list(compare.PAPER_COLUMNS)
    text = tables.to_latex(columns, records)
    lines = text.splitlines()
    header = lines.index(r"\toprule") + 1
    assert lines[header] == (r"network & accelerator & dataflow & latency & energy & util. & "
                             r"speed-up & energy ratio \\")
    assert lines[header + 1] == r" &  &  & (ms) & (G MAC-eq) & (\%) & ($\times$) & ($\times$) \\"
    assert r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%" in lines
    # every other format keeps every column; --columns picks
    assert len(compare.comparison_columns(records, fmt="md")) == 16
    picked = compare.comparison_columns(records, fmt="latex", keys=["network", "cycles"])
    assert [c.key for c in picked] == ["network", "cycles"]


def test_unknown_columns_are_refused_with_the_closest_key(records):
    with pytest.raises(InputError) as caught:
        compare.comparison_columns(records, fmt="latex", keys=["network", "latncy"])
    (problem,) = caught.value.problems
    assert problem.file == "--columns" and "did you mean 'latency_ms'?" in problem.message
    with pytest.raises(InputError, match="stands alone"):
        compare.comparison_columns(records, fmt="latex", keys=["all", "network"])


def test_a_table_wider_than_a_column_goes_page_wide():
    narrow = [tables.Column("a", "a"), tables.Column("b", "b", "ms", "float", 2)]
    assert tables.to_latex(narrow, [{"a": "x", "b": 1.0}]).count(r"\begin{table}[t]") == 1
    # 13 columns of five-digit numbers: 13 x (5 x 6 + 12) pt = 546 pt > 240 pt
    text = tables.to_latex(WIDE_COLUMNS, WIDE_RECORDS)
    assert r"\begin{table*}[t]" in text and text.rstrip().endswith(r"\end{table*}")


@requires_pdflatex
@pytest.mark.parametrize("twocolumn", [True, False])
def test_every_comparison_table_fits_the_line_width(records, tmp_path, twocolumn):
    for keys in (None, ["all"]):
        columns = compare.comparison_columns(records, fmt="latex", keys=keys)
        text = tables.to_latex(columns, records, caption="c", label="tab:c", comment="test")
        measured = compile_table(text, tmp_path / f"{keys}", twocolumn=twocolumn)
        assert measured.fits, measured
        assert measured.natural_pt is not None and measured.fitted_pt is not None
        # scaled down only when wider, never up
        assert measured.fitted_pt == pytest.approx(min(measured.natural_pt, measured.line_pt),
                                                   abs=0.5)
    # the paper columns fit a page (a one-column article's 345 pt, table* in two columns'
    # 470 pt) without being scaled at all
    columns = compare.comparison_columns(records, fmt="latex")
    measured = compile_table(tables.to_latex(columns, records), tmp_path / "p", twocolumn=twocolumn)
    if twocolumn:
        assert measured.fitted_pt == pytest.approx(measured.natural_pt, abs=0.5)


@requires_pdflatex
def test_every_column_kind_compiles_and_fits(tmp_path):
    text = tables.to_latex(WIDE_COLUMNS, WIDE_RECORDS, caption="50% of A & B_c",
                           comment="made by ~me")
    measured = compile_table(text, tmp_path)
    assert measured.fits, measured
    assert measured.natural_pt > measured.line_pt  # so it was scaled to fit


@requires_pdflatex
def test_the_measurement_catches_a_table_that_does_not_fit(tmp_path):
    # the same table without the \resizebox: the log must report the overflow
    text = tables.to_latex(WIDE_COLUMNS, WIDE_RECORDS)
    text = text.replace(r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%", "")
    text = text.replace(r"\end{tabular}}", r"\end{tabular}")
    measured = compile_table(text, tmp_path)
    assert measured.overfull and not measured.fits
