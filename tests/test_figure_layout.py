"""Figures for papers (issue 16, part 2): at the column (3.5 in) and page (7 in) presets no
text overlaps another, nothing is clipped and legends stay inside the figure; plus each
figure's own fix, and fonts that conference checks accept (Type 42, SVG text as text)."""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pytest
from figure_layout import legend_boxes, overlaps, problems, render
from matplotlib.collections import PolyCollection

from hwsim.cli.main import build_parser
from hwsim.report import plots

REPO = Path(__file__).resolve().parents[1]
N = REPO / "networks"
A = REPO / "accelerators"
SQUEEZENET, SQNXT = str(N / "squeezenet_v1.0.yaml"), str(N / "sqnxt23v5.yaml")
WS, OS, HYBRID = (str(A / f"{n}.yaml") for n in ("ws_16x16", "os_16x16", "squeezelerator"))

CASES = {
    "layers, three designs": ["layers", SQUEEZENET, "--accel", WS, OS, HYBRID],
    "layers, two networks x two designs": ["layers", SQUEEZENET, SQNXT, "--accel", WS, HYBRID],
    "layers, all layers": ["layers", SQUEEZENET, "--accel", HYBRID, "--all-layers"],
    "energy, one run": ["energy", SQUEEZENET, "--accel", HYBRID],
    "energy, several runs": ["energy", SQUEEZENET, SQNXT, str(N / "alexnet.yaml"),
                             "--accel", WS, OS, HYBRID],
    "roofline": ["roofline", SQUEEZENET, "--accel", HYBRID, WS],
    "timeline": ["timeline", SQUEEZENET, "--accel", HYBRID],
}


@functools.cache
def _figure(argv: tuple[str, ...], size: str | None):
    extra = ["--size", size] if size else []
    args = build_parser().parse_args(["plot", *argv, "--out", "unused.png", *extra])
    return args.plot_kind.figure(args)


def figure_of(argv: list[str], size: str | None = None):
    """The figure ``hwsim plot ARGV --size SIZE`` draws (built once per module)."""
    return _figure(tuple(argv), size)


@pytest.mark.parametrize("size", ["column", "page"])
@pytest.mark.parametrize("case", list(CASES))
def test_no_overlapping_or_clipped_text_at_paper_widths(case, size):
    figure = figure_of(CASES[case], size)
    assert figure.get_figwidth() == plots.SIZES[size]
    assert problems(figure) == []


def test_the_layout_check_finds_overlaps_and_clipping():
    # a check that cannot fail proves nothing: two titles on top of each other, and a
    # label half outside the figure
    figure = plots._new_figure(3.5, 2.0)
    ax = figure.subplots()
    ax.set_title("a long title on the left of the axes", loc="left")
    ax.set_title("and another in the centre", loc="center")
    ax.set_xticks(range(40), [f"layer {i}" for i in range(40)])
    figure.text(0.98, 0.5, "sticks out of the figure")
    found = problems(figure)
    assert any("overlaps" in p and "title" in p for p in found)
    assert any("tick label" in p and "overlaps tick label" in p for p in found)
    assert any("is clipped" in p for p in found)


def test_energy_of_one_run_keeps_its_legend_off_the_bars():
    figure = figure_of(CASES["energy, one run"], "column")
    renderer = render(figure)
    (legend,) = legend_boxes(figure)
    ax = figure.axes[0]
    tallest = max(ax.patches, key=lambda p: p.get_y() + p.get_height())
    assert not any(overlaps(legend, p.get_window_extent(renderer)) for p in ax.patches)
    assert legend.y1 < tallest.get_window_extent(renderer).y0 + 1  # below the bars


def test_energy_of_several_runs_groups_the_bars_by_network():
    figure = figure_of(CASES["energy, several runs"], "column")
    panels = [ax for ax in figure.axes if ax.patches]
    # one panel per network, one bar per design in each (3 networks x 3 designs)
    assert [ax.get_title().replace("\n", " ") for ax in panels] == [
        "SqueezeNet v1.0", "1.0-SqNxt-23v5", "AlexNet"]
    for ax in panels:
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "ws_16x16", "os_16x16", "squeezelerator"]


def test_runs_with_the_same_layers_share_a_panel_and_keep_their_colour():
    figure = figure_of(CASES["layers, two networks x two designs"], "page")
    panels = [ax for ax in figure.axes if ax.patches]
    assert [ax.get_title(loc="left") for ax in panels] == ["SqueezeNet v1.0", "1.0-SqNxt-23v5"]
    for ax in panels:
        # two series per panel: the first bar of each is at x = -0.4 + 0.2 and -0.4 + 0.6
        assert sorted({round(p.get_x() + p.get_width() / 2, 6) for p in ax.patches})[:2] == [
            -0.2, 0.2]
    colour = [{p.get_x() < 0: p.get_facecolor() for p in ax.patches if p.get_x() < 0.5}
              for ax in panels]
    assert colour[0] == colour[1]  # ws_16x16 left of each layer, squeezelerator right
    (legend,) = figure.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["ws_16x16", "squeezelerator"] and len(texts) == 4  # + two lines


def test_utilization_breaks_at_vector_layers_instead_of_dropping_to_zero():
    figure = figure_of(CASES["layers, all layers"], "page")
    bar_ax = next(ax for ax in figure.axes if ax.patches)
    names = [t.get_text() for t in bar_ax.get_xticklabels()]
    (line,) = next(ax for ax in figure.axes if ax.lines and not ax.patches).lines
    ys = list(line.get_ydata())
    assert math.isnan(ys[names.index("pool1")]) and math.isnan(ys[names.index("pool10")])
    assert ys[names.index("conv1")] > 0  # the array layers keep their utilization


def test_timeline_has_a_legend_and_tells_loads_from_stores():
    figure = figure_of(CASES["timeline"], "page")
    (legend,) = figure.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert {"DRAM load", "DRAM store", "PE array", "vector unit"} <= set(texts)
    handles = dict(zip(texts, legend.legend_handles))
    assert handles["DRAM load"].get_facecolor() != handles["DRAM store"].get_facecolor()
    ax = figure.axes[0]
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    colours = {tuple(round(v, 3) for v in c.get_facecolor()[0][:3]) for c in bars}
    assert len(colours) >= 6  # layer greys, loads, stores, array, write-back, vector ...


@pytest.mark.parametrize("suffix", [".pdf", ".svg"])
def test_saved_figures_embed_fonts_a_paper_checker_accepts(tmp_path, suffix):
    figure = plots.energy_figure([("conv1", plots_energy())], "MAC-eq", title="Energy")
    data = plots.save_figure(figure, tmp_path / f"f{suffix}").read_bytes()
    if suffix == ".pdf":
        assert b"/FontType 3" not in data  # Type 3 fonts are rejected by IEEE and ACM
        assert re.search(rb"/Subtype\s*/(TrueType|Type0)", data)
    else:
        assert b"<text" in data and b"Energy" in data  # text stays text, not paths


def plots_energy():
    from hwsim.result import EnergyBreakdown

    return EnergyBreakdown(mac=1.0, dram=2.0)


# --- sweep figures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep_csv(tmp_path_factory):
    import hwsim

    out = tmp_path_factory.mktemp("sweep") / "r.csv"
    hwsim.sweep({"name": "layout", "accelerator": HYBRID, "networks": [SQUEEZENET, SQNXT],
                 "axes": [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
                           "values": [8, 16]},
                          {"name": "glb_kib", "path": "buffer.global_kib",
                           "values": [64, 128, 256]},
                          {"path": "dataflow", "values": ["ws", "os"]}]}, out=out)
    return str(out)


SWEEP_CASES = {
    "scatter": [],
    "scatter, one network": ["--network", "squeezenet_v1.0"],
    "heat map": ["--heatmap", "array", "glb_kib", "--value", "energy_total"],
}


@pytest.mark.parametrize("size", ["column", "page"])
@pytest.mark.parametrize("case", list(SWEEP_CASES))
def test_sweep_figures_fit_paper_widths(sweep_csv, case, size):
    figure = figure_of(["sweep", sweep_csv, *SWEEP_CASES[case]], size)
    assert problems(figure) == []
    assert figure._suptitle is not None and figure._suptitle.get_text()  # a title, always
    for ax in figure.axes:  # no '1e10' offset note beside a title: values are scaled
        assert not ax.xaxis.get_offset_text().get_text() and not ax.yaxis.get_offset_text().get_text()


def test_sweep_scatter_scales_energy_into_its_label(sweep_csv):
    figure = figure_of(["sweep", sweep_csv], "page")
    ax = figure.axes[0]
    assert ax.get_ylabel() == "energy (G MAC-eq)" and ax.get_xlabel() == "latency (ms)"
    values = [y for c in ax.collections for _, y in c.get_offsets()]
    assert 1 < max(values) < 100  # SqueezeNet's energy is a few G MAC-eq


def test_heat_map_has_one_colour_scale_units_and_fixed_decimals(sweep_csv):
    figure = figure_of(["sweep", sweep_csv, *SWEEP_CASES["heat map"]], "page")
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == 2  # one per network
    assert len({ax.images[0].get_clim() for ax in panels}) == 1  # one shared scale
    assert len(figure.axes) == len(panels) + 1  # and one colour bar
    assert panels[0].get_ylabel() == "glb (KiB)" and panels[0].get_xlabel() == "array"
    cells = [t.get_text() for ax in panels for t in ax.texts]
    assert len({len(c.split(".")[1]) if "." in c else 0 for c in cells}) == 1
