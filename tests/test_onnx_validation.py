"""Issue 15, ONNX: imported layers are checked like a YAML file's layers (attributes of 0 or
below are errors naming the node and the ONNX attribute), weights that do not fit the input
are errors, and a name that is not UTF-8 is an error, not a traceback."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")
from onnx import helper  # noqa: E402
from test_onnx_import import Graph  # noqa: E402

from hwsim.cli.main import main  # noqa: E402


def info_fails(capsys, path, *fragments):
    status = main(["info", str(path)])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err, err
    for fragment in fragments:
        assert f"{path}: {fragment}" in err, (fragment, err)


@pytest.mark.parametrize("attrs, fragment", [
    ({"strides": [0, 0]}, "strides: expected a positive integer or [height, width], got 0"),
    ({"strides": [-1, -1]}, "strides: expected a positive integer or [height, width], got -1"),
    ({"strides": [2, 0]}, "strides: expected a positive integer or [height, width], got [2, 0]"),
    ({"dilations": [0, 0]}, "dilations: expected a positive integer or [height, width], got 0"),
    ({"kernel_shape": [0, 0]}, "kernel_shape: expected a positive integer or [height, width], "
                               "got 0"),
])
def test_conv_attributes_of_zero_or_below_are_errors(tmp_path, capsys, attrs, fragment):
    g = Graph(3, 8, 8, weights="input")
    g.weight("w", [4, 3, 3, 3])
    node_attrs = {"kernel_shape": [3, 3], "strides": [1, 1], "dilations": [1, 1],
                  "pads": [0, 0, 0, 0], **attrs}
    g.nodes.append(helper.make_node("Conv", ["data", "w"], ["y"], name="/c/Conv", **node_attrs))
    info_fails(capsys, g.save(tmp_path / "bad.onnx", outputs=["y"]),
               f"node '/c/Conv' (Conv): {fragment}")


def test_pool_stride_of_zero_is_an_error(tmp_path, capsys):
    g = Graph(3, 8, 8)
    g.maxpool("/p/MaxPool", "data", 2, 0)
    info_fails(capsys, g.save(tmp_path / "pool.onnx"), "node '/p/MaxPool' (MaxPool): strides: "
               "expected a positive integer or [height, width], got 0")


def test_gemm_without_transb_on_transposed_weights_is_an_error(tmp_path, capsys):
    g = Graph(512, 1, 1, weights="input")
    x = g.flatten("/flatten/Flatten", "data")
    g.weight("/fc.weight", [10, 512])  # stored (out, in), as exported with transB=1 ...
    g.nodes.append(helper.make_node("Gemm", [x, "/fc.weight"], ["y"], name="/fc/Gemm"))
    # ... but transB is missing: read as (in, out) = (10 inputs, 512 outputs)
    info_fails(capsys, g.save(tmp_path / "gemm.onnx", outputs=["y"]),
               "layer 'fc' (node '/fc/Gemm' (Gemm)): its input has 512 features, but the "
               "weights are for 10 (is transB right?)")


def test_a_name_that_is_not_utf8_is_an_error(tmp_path, capsys):
    g = Graph(3, 8, 8)
    g.conv("/cnameX/Conv", "data", 4, 3)
    raw = g.model().SerializeToString().replace(b"/cnameX/Conv", b"/cname\xff/Conv")
    path = tmp_path / "names.onnx"
    path.write_bytes(raw)
    info_fails(capsys, path, "graph.node[0].name: is not UTF-8 text (b'/cname\\xff/Conv')")
