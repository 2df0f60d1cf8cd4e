"""Figures: what is drawn (bar heights, points, roofs) and that the files are real images."""

from __future__ import annotations

import struct

import pytest
from result_builders import layer, result

from hwsim.report import plots
from hwsim.result import EnergyBreakdown as E


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = open(path, "rb").read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def two_runs():
    ws = result("NetA", "WS", [layer("conv1", 1000, 200, 0.2, mac_class="first_conv"),
                               layer("pool1", 0, 30, 0.0, type_="maxpool", mac_class="other"),
                               layer("conv2", 4000, 100, 0.9)])
    os_ = result("NetA", "OS", [layer("conv1", 1000, 100, 0.8, mac_class="first_conv"),
                                layer("pool1", 0, 30, 0.0, type_="maxpool", mac_class="other"),
                                layer("conv2", 4000, 400, 0.3)])
    return ws, os_


def bar_heights(ax):
    return [round(p.get_height(), 9) for p in ax.patches]


def test_layer_series_keeps_array_layers_unless_asked():
    ws, _ = two_runs()
    s = plots.layer_series(ws, "WS")
    assert s.layers == ("conv1", "conv2")
    assert s.cycles == (200.0, 100.0) and s.utilization == (0.2, 0.9)
    assert plots.layer_series(ws, include_vector=True).layers == ("conv1", "pool1", "conv2")
    assert plots.layer_series(ws).label == "NetA @ WS"


def test_per_layer_groups_series_with_the_same_layers(tmp_path):
    ws, os_ = two_runs()
    figure = plots.per_layer_figure([plots.layer_series(ws, "WS"), plots.layer_series(os_, "OS")])
    bar_axes = [ax for ax in figure.axes if ax.patches]
    assert len(bar_axes) == 1
    # two series x two layers, heights in cycles (max 400 < 1000: no K scaling)
    assert bar_heights(bar_axes[0]) == [200, 100, 100, 400]
    assert bar_axes[0].get_ylabel() == "time (cycles)"
    twin = [ax for ax in figure.axes if ax.get_ylabel() == "PE utilization (%)"][0]
    assert [list(line.get_ydata()) for line in twin.lines] == [[20.0, 90.0], [80.0, 30.0]]
    path = plots.save_figure(figure, tmp_path / "layers.png", dpi=100)
    width, height = png_size(path)
    assert 500 <= width <= 2000 and 250 <= height <= 1500


def test_per_layer_uses_panels_for_different_layer_lists():
    ws, _ = two_runs()
    other = result("NetB", "WS", [layer("a", 10, 5000, 0.5), layer("b", 10, 1000, 0.5),
                                  layer("c", 10, 3000, 0.5)])
    figure = plots.per_layer_figure([plots.layer_series(ws, "A"), plots.layer_series(other, "B")])
    bar_axes = [ax for ax in figure.axes if ax.patches]
    assert len(bar_axes) == 2
    # the largest value is 5000 cycles: both panels in K cycles
    assert bar_heights(bar_axes[0]) == [0.2, 0.1]
    assert bar_heights(bar_axes[1]) == [5.0, 1.0, 3.0]
    assert bar_axes[1].get_ylabel() == "time (K cycles)"
    assert [ax.get_title(loc="left") for ax in bar_axes] == ["A", "B"]
    # one legend for the figure, each series once, and a series keeps its colour
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()][:2] == ["A", "B"]
    assert bar_axes[0].patches[0].get_facecolor() != bar_axes[1].patches[0].get_facecolor()


def test_panels_reject_mixed_layer_lists():
    a = plots.LayerSeries("a", ("x", "y"), (1.0, 2.0))
    b = plots.LayerSeries("b", ("x",), (1.0,))
    with pytest.raises(ValueError):
        plots.per_layer_panels([("p", [a, b])])
    with pytest.raises(ValueError):
        plots.LayerSeries("bad", ("x",), (1.0, 2.0))


def test_energy_stacks_components_and_skips_zero_ones(tmp_path):
    bars = [("conv1", E(mac=1000, rf=500, dram=3000)), ("conv2", E(mac=4000, glb=600))]
    figure = plots.energy_figure(bars, "MAC-eq")
    ax = figure.axes[0]
    # the legend is the figure's, below the bars (never over them)
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["MAC", "register file", "global buffer", "DRAM"]
    # largest total 9100 -> K MAC-eq; patches in component order, two bars each
    assert bar_heights(ax) == [1.0, 4.0, 0.5, 0.0, 0.0, 0.6, 3.0, 0.0]
    assert ax.get_ylabel() == "energy (K MAC-eq)"
    # stacked: DRAM of conv1 sits on MAC + RF (1.0 + 0.5)
    assert ax.patches[6].get_y() == pytest.approx(1.5)
    assert png_size(plots.save_figure(figure, tmp_path / "e.png"))[0] > 300


def test_roofline_points_and_roof(tmp_path):
    run = result("N", "A", [
        layer("c1", 1000, 200, mac_class="first_conv", dram_read=100, dram_write=150),
        layer("c2", 4000, 100, dram_read=50, dram_write=0),
        layer("pool", 0, 10, type_="maxpool", mac_class="other")])
    points = plots.roofline_points(run)
    assert [(p.name, p.layer_class) for p in points] == [("c1", "first_conv"), ("c2", "conv1x1")]
    assert points[0].macs_per_byte == pytest.approx(1000 / (100 + 150))
    assert points[0].macs_per_cycle == pytest.approx(1000 / 200)
    assert points[1].macs_per_byte == pytest.approx(4000 / 50)
    roof = plots.Roof("A", peak_macs_per_cycle=16, dram_bytes_per_cycle=8)
    assert roof.ridge_macs_per_byte == 2
    assert roof.attainable(1) == 8 and roof.attainable(80) == 16
    figure = plots.roofline_figure([(roof, points)])
    ax = figure.axes[0]
    roof_line = ax.lines[0]
    assert max(roof_line.get_ydata()) == pytest.approx(16)
    scatter_offsets = sorted(tuple(o) for c in ax.collections for o in c.get_offsets())
    assert scatter_offsets == sorted([(4.0, 5.0), (80.0, 40.0)])
    for suffix, magic in ((".svg", b"<?xml"), (".pdf", b"%PDF")):
        path = plots.save_figure(figure, tmp_path / f"roof{suffix}")
        assert path.read_bytes()[:len(magic)] == magic
    with pytest.raises(ValueError):
        plots.Roof("bad", 0, 8)


def test_accuracy_and_ratio_figures(tmp_path):
    points = [plots.AccuracyPoint("small", 57.5, 1.0, 2e6, 1_000_000),
              plots.AccuracyPoint("big", 67.0, 3.0, 9e6, 4_000_000)]
    figure = plots.accuracy_figure(points, "MAC-eq")
    left, right = figure.axes[:2]
    assert [tuple(c.get_offsets()[0]) for c in left.collections] == [(1.0, 57.5), (3.0, 67.0)]
    assert [tuple(c.get_offsets()[0]) for c in right.collections] == [(2e6, 57.5), (9e6, 67.0)]
    sizes = [c.get_sizes()[0] for c in left.collections]
    assert sizes[1] > sizes[0]  # circle area grows with parameters
    figure = plots.ratio_figure(["n1", "n2"], {"vs WS": [2.0, 1.5], "vs OS": [1.2, None]}, "x")
    assert bar_heights(figure.axes[0]) == [2.0, 1.5, 1.2]  # the missing value is skipped
    assert png_size(plots.save_figure(figure, tmp_path / "r.png"))[1] > 200


def test_share_figure_stacks_to_100():
    figure = plots.share_figure([("n", {"a": 0.25, "b": 0.75})], ["a", "b"])
    widths = [p.get_width() for p in figure.axes[0].patches]
    assert widths == [25.0, 75.0]


def test_save_rejects_unknown_formats(tmp_path):
    figure = plots.share_figure([("n", {"a": 1.0})], ["a"])
    with pytest.raises(ValueError, match="unsupported figure format"):
        plots.save_figure(figure, tmp_path / "x.jpg")


def test_same_inputs_give_the_same_png(tmp_path):
    ws, os_ = two_runs()
    series = [plots.layer_series(ws, "WS"), plots.layer_series(os_, "OS")]
    a = plots.save_figure(plots.per_layer_figure(series), tmp_path / "a.png", dpi=60).read_bytes()
    b = plots.save_figure(plots.per_layer_figure(series), tmp_path / "b.png", dpi=60).read_bytes()
    assert a == b
