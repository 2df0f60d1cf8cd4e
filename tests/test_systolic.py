"""The SCALE-Sim-compatible systolic model: hand calculations and recorded SCALE-Sim numbers.

Expected values are written as the hand calculation: folds * (cycles per fold) - 1 with
cycles per fold WS/IS ``2*Ar + Ac + T - 2`` and OS ``Ar + Ac + T - 2`` (module docstring of
hwsim/dataflow/systolic.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hwsim.config.accelerator_file import load_accelerator
from hwsim.dataflow.systolic import (
    DATAFLOWS,
    GemmShape,
    SystolicCost,
    conv_gemm,
    fc_gemm,
    layer_gemm,
    systolic_cost,
)
from hwsim.inputs import load_network
from hwsim.workload.layer import FC, Layer, TensorShape

REPO = Path(__file__).resolve().parent.parent


# Helpers only these tests use (moved here from hwsim/dataflow/systolic.py).

def systolic_layer_cost(layer: Layer, array_rows: int, array_cols: int,
                        dataflow: str) -> SystolicCost:
    """``systolic_cost`` of an hwsim ``conv`` or ``fc`` layer (see ``layer_gemm``)."""
    return systolic_cost(layer_gemm(layer), array_rows, array_cols, dataflow)


def compute_cycles(gemm: GemmShape, array_rows: int, array_cols: int, dataflow: str) -> int:
    """Compute cycles only (SCALE-Sim's ``Total Cycles`` without stalls)."""
    return systolic_cost(gemm, array_rows, array_cols, dataflow).compute_cycles


def compute_cycles_many(ofmap_pixels, window, filters, array_rows, array_cols, dataflow,
                        groups=1):
    """The closed form written again with numpy broadcasting (an independent check of
    ``systolic_cost``): an ``int64`` array of the broadcast shape."""
    import numpy as np

    assert dataflow in DATAFLOWS
    pq, rsc, k, ar, ac, g = (np.asarray(x, dtype=np.int64) for x in
                             (ofmap_pixels, window, filters, array_rows, array_cols, groups))
    if dataflow == "ws":
        sr, sc, t = rsc, k, pq
    elif dataflow == "os":
        sr, sc, t = pq, k, rsc
    else:
        sr, sc, t = rsc, pq, k
    fill = ar if dataflow != "os" else 0
    fold_cycles = fill + ar + ac + t - 2
    folds = (-(-sr // ar)) * (-(-sc // ac))
    return g * (folds * fold_cycles - 1)

# 4x4 ifmap, 1 channel, three 2x2 filters, stride 1: P*Q = 9, R*S*C = 4, K = 3.
TINY = conv_gemm(4, 4, 2, 2, 1, 3, 1)


# --- hand-worked tiny layers -------------------------------------------------------------

def test_tiny_gemm_dims():
    assert TINY == GemmShape(ofmap_pixels=3 * 3, window=2 * 2 * 1, filters=3)
    assert TINY.macs == 9 * 4 * 3


def test_tiny_ws_2x2_by_hand():
    cost = systolic_cost(TINY, 2, 2, "ws")
    # Sr = R*S*C = 4 over 2 rows, Sc = K = 3 over 2 columns, T = P*Q = 9 streamed.
    assert (cost.spatial_rows, cost.spatial_cols, cost.temporal) == (4, 3, 9)
    assert (cost.row_folds, cost.col_folds) == (2, 2)
    assert cost.cycles_per_fold == 2 * 2 + 2 + 9 - 2
    assert cost.compute_cycles == 2 * 2 * (2 * 2 + 2 + 9 - 2) - 1 == 51
    assert cost.ifmap_sram_reads == 2 * 9 * 4      # every window once per column fold
    assert cost.filter_sram_reads == 4 * 3         # each weight loaded once
    assert cost.ofmap_sram_writes == 2 * 9 * 3     # partial sums of both row folds
    assert cost.ofmap_elements == 9 * 3
    assert cost.partial_sum_writes == 9 * 3
    assert cost.mapping_efficiency == pytest.approx(4 * 3 / (4 * 2 * 2))
    assert cost.utilization == pytest.approx(108 / (51 * 4))


def test_tiny_os_2x2_by_hand():
    cost = systolic_cost(TINY, 2, 2, "os")
    # Sr = P*Q = 9 over rows, Sc = K = 3 over columns, T = R*S*C = 4.
    assert (cost.row_folds, cost.col_folds) == (5, 2)
    assert cost.compute_cycles == 5 * 2 * (2 + 2 + 4 - 2) - 1 == 59
    assert cost.ifmap_sram_reads == 2 * 9 * 4
    assert cost.filter_sram_reads == 5 * 4 * 3
    assert cost.ofmap_sram_writes == 9 * 3         # outputs finish in place: no partial sums
    assert cost.partial_sum_writes == 0


def test_tiny_is_2x2_by_hand():
    cost = systolic_cost(TINY, 2, 2, "is")
    # Sr = R*S*C = 4 over rows, Sc = P*Q = 9 over columns, T = K = 3.
    assert (cost.row_folds, cost.col_folds) == (2, 5)
    assert cost.compute_cycles == 2 * 5 * (2 * 2 + 2 + 3 - 2) - 1 == 69
    assert cost.ifmap_sram_reads == 9 * 4
    assert cost.filter_sram_reads == 5 * 4 * 3
    assert cost.ofmap_sram_writes == 2 * 9 * 3


def test_tiny_on_4x4_fits_in_one_fold():
    # Everything fits: one fold, only fill, stream and drain.
    assert compute_cycles(TINY, 4, 4, "ws") == 1 * (2 * 4 + 4 + 9 - 2) - 1 == 18
    assert compute_cycles(TINY, 4, 4, "os") == 3 * 1 * (4 + 4 + 4 - 2) - 1 == 29
    assert compute_cycles(TINY, 4, 4, "is") == 1 * 3 * (2 * 4 + 4 + 3 - 2) - 1 == 38


def test_strided_two_channel_layer_4x4():
    # 5x5x2 ifmap, five 3x3 filters, stride 2: 2x2 output, R*S*C = 18, K = 5.
    g = conv_gemm(5, 5, 3, 3, 2, 5, 2)
    assert (g.ofmap_pixels, g.window, g.filters) == (2 * 2, 3 * 3 * 2, 5)
    assert compute_cycles(g, 4, 4, "ws") == 5 * 2 * (2 * 4 + 4 + 4 - 2) - 1 == 139
    assert compute_cycles(g, 4, 4, "os") == 1 * 2 * (4 + 4 + 18 - 2) - 1 == 47
    assert compute_cycles(g, 4, 4, "is") == 5 * 1 * (2 * 4 + 4 + 5 - 2) - 1 == 74


def test_non_square_array_rows_and_columns_not_swapped():
    # 3 rows x 5 columns: Sr folds over 3, Sc over 5.
    assert compute_cycles(TINY, 3, 5, "ws") == 2 * 1 * (2 * 3 + 5 + 9 - 2) - 1 == 35
    assert compute_cycles(TINY, 3, 5, "is") == 2 * 2 * (2 * 3 + 5 + 3 - 2) - 1 == 47


def test_fc_is_a_1x1_conv_of_a_1x1_ifmap():
    g = fc_gemm(10, 7)
    assert g == conv_gemm(1, 1, 1, 1, 10, 7)
    # WS: R*S*C = 10 over 2 rows (5 folds), K = 7 over 2 columns (4 folds), T = 1.
    assert compute_cycles(g, 2, 2, "ws") == 5 * 4 * (2 * 2 + 2 + 1 - 2) - 1 == 99
    assert compute_cycles(g, 2, 2, "os") == 1 * 4 * (2 + 2 + 10 - 2) - 1 == 47
    assert compute_cycles(g, 2, 2, "is") == 5 * 1 * (2 * 2 + 2 + 7 - 2) - 1 == 54


def test_groups_run_one_gemm_after_another():
    # Depthwise 3x3 on 6x6x4, pad 1: 4 groups of (36 pixels, window 9, 1 filter).
    g = conv_gemm(6, 6, 3, 3, 4, 4, 1, padding=1, groups=4)
    assert g == GemmShape(ofmap_pixels=6 * 6, window=9, filters=1, groups=4)
    one = GemmShape(ofmap_pixels=36, window=9, filters=1)
    for df in DATAFLOWS:
        cost, single = systolic_cost(g, 4, 4, df), systolic_cost(one, 4, 4, df)
        assert cost.compute_cycles == 4 * single.compute_cycles
        assert cost.ifmap_sram_reads == 4 * single.ifmap_sram_reads
        assert cost.folds == 4 * single.folds
        assert cost.macs == 4 * 36 * 9
    assert compute_cycles(g, 4, 4, "ws") == 4 * (3 * 1 * (2 * 4 + 4 + 36 - 2) - 1)


def test_padding_is_the_padded_ifmap_scalesim_sees():
    assert conv_gemm(55, 55, 3, 3, 16, 64, 1, padding=1) == conv_gemm(57, 57, 3, 3, 16, 64, 1)
    assert conv_gemm(55, 55, 3, 3, 16, 64, 1).ofmap_pixels == 53 * 53


def test_vectorised_form_agrees_with_the_scalar_one():
    import numpy as np

    gemms = [TINY, conv_gemm(5, 5, 3, 3, 2, 5, 2), fc_gemm(10, 7),
             conv_gemm(6, 6, 3, 3, 4, 4, 1, padding=1, groups=4)]
    for df in DATAFLOWS:
        many = compute_cycles_many([g.ofmap_pixels for g in gemms], [g.window for g in gemms],
                                   [g.filters for g in gemms], 4, np.array([[2], [4]]), df,
                                   groups=[g.groups for g in gemms])
        assert many.shape == (2, 4)
        for i, cols in enumerate((2, 4)):
            assert list(many[i]) == [compute_cycles(g, 4, cols, df) for g in gemms]


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown systolic dataflow 'rs'"):
        systolic_cost(TINY, 4, 4, "rs")
    with pytest.raises(ValueError, match="array_rows must be a positive integer, got 0"):
        systolic_cost(TINY, 0, 4, "ws")
    with pytest.raises(ValueError, match="groups \\(3\\) must divide channels \\(4\\)"):
        conv_gemm(6, 6, 3, 3, 4, 6, 1, groups=3)
    with pytest.raises(ValueError, match="larger than the padded ifmap 2x2"):
        conv_gemm(2, 2, 3, 3, 1, 1)


# --- SCALE-Sim 3.0.0, recorded -----------------------------------------------------------
#
# Produced with SCALE-Sim 3.0.0 (pip install scalesim==3.0.0 'numpy<2.4', its own venv):
#   python -m scalesim.scale -t topo.csv -l layout.csv -c scale_<df>.cfg -p out -s N
# for <df> in ws, os, is, with topo.csv
#   Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
#     Strides,    <- (one header line, wrapped here)
#   alexnet_conv1, 227, 227, 11, 11, 3, 96, 4,
#   fire2_squeeze1x1, 55, 55, 1, 1, 96, 16, 1,
#   fire2_expand1x1, 55, 55, 1, 1, 16, 64, 1,
#   fire2_expand3x3, 57, 57, 3, 3, 16, 64, 1,      <- the 55x55 pad-1 layer, pre-padded
#   mobilenet_pw_14x14x512, 14, 14, 1, 1, 512, 512, 1,
# a header-only layout.csv ('Layer name,'), and scale_<df>.cfg: ArrayHeight 32, ArrayWidth 32,
# Ifmap/Filter/OfmapSramSzkB 6144,
# Dataflow <df>, InterfaceBandwidth CALC (the config benchmarks/scalesim_compare.py writes).
# Values: COMPUTE_REPORT.csv "Total Cycles" (Stall Cycles 0 for every row) and
# DETAILED_ACCESS_REPORT.csv "SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes".
# benchmarks/scalesim_compare.py reproduces them (benchmarks/README.md).

SCALESIM_LAYERS = {
    "alexnet_conv1": conv_gemm(227, 227, 11, 11, 3, 96, 4),
    "fire2_squeeze1x1": conv_gemm(55, 55, 1, 1, 96, 16, 1),
    "fire2_expand1x1": conv_gemm(55, 55, 1, 1, 16, 64, 1),
    "fire2_expand3x3": conv_gemm(55, 55, 3, 3, 16, 64, 1, padding=1),
    "mobilenet_pw_14x14x512": conv_gemm(14, 14, 1, 1, 512, 512, 1),
}

SCALESIM_TOTAL_CYCLES = {  # 32x32 array
    "ws": {"alexnet_conv1": 112283, "fire2_squeeze1x1": 9356, "fire2_expand1x1": 6237,
           "fire2_expand3x3": 31189, "mobilenet_pw_14x14x512": 74239},
    "os": {"alexnet_conv1": 121124, "fire2_squeeze1x1": 15009, "fire2_expand1x1": 14819,
           "fire2_expand3x3": 39139, "mobilenet_pw_14x14x512": 64287},
    "is": {"alexnet_conv1": 216599, "fire2_squeeze1x1": 31349, "fire2_expand1x1": 15009,
           "fire2_expand3x3": 75049, "mobilenet_pw_14x14x512": 67871},
}

# (SRAM IFMAP Reads, SRAM Filter Reads, SRAM OFMAP Writes), 32x32 array.
SCALESIM_SRAM = {
    "ws": {"alexnet_conv1": (3294225, 34848, 3484800), "fire2_squeeze1x1": (290400, 1536, 145200),
           "fire2_expand1x1": (96800, 1024, 193600), "fire2_expand3x3": (871200, 9216, 968000),
           "mobilenet_pw_14x14x512": (1605632, 262144, 1605632)},
    "os": {"alexnet_conv1": (3294225, 3310560, 308640),
           "fire2_squeeze1x1": (290400, 145920, 54480),
           "fire2_expand1x1": (96800, 97280, 205760), "fire2_expand3x3": (871200, 875520, 205760),
           "mobilenet_pw_14x14x512": (1605632, 1835008, 107520)},
    "is": {"alexnet_conv1": (1098075, 3310560, 3484800),
           "fire2_squeeze1x1": (290400, 145920, 145200),
           "fire2_expand1x1": (48400, 97280, 193600), "fire2_expand3x3": (435600, 875520, 968000),
           "mobilenet_pw_14x14x512": (100352, 1835008, 1605632)},
}


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("name", sorted(SCALESIM_LAYERS))
def test_compute_cycles_equal_scalesim_total_cycles(name, dataflow):
    got = compute_cycles(SCALESIM_LAYERS[name], 32, 32, dataflow)
    assert got == SCALESIM_TOTAL_CYCLES[dataflow][name], (name, dataflow)


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("name", sorted(SCALESIM_LAYERS))
def test_sram_counts_equal_scalesim(name, dataflow):
    cost = systolic_cost(SCALESIM_LAYERS[name], 32, 32, dataflow)
    ifmap, filt, ofmap = SCALESIM_SRAM[dataflow][name]
    assert (cost.ifmap_sram_reads, cost.filter_sram_reads) == (ifmap, filt)
    if dataflow == "os":
        # SCALE-Sim 3.0.0 adds Ar + Ac to its OS ofmap write count per fold; hwsim does not.
        assert ofmap == cost.ofmap_sram_writes + cost.folds * (32 + 32)
    else:
        assert ofmap == cost.ofmap_sram_writes


def test_alexnet_conv1_ws_by_hand():
    # 55*55 output pixels, window 11*11*3 = 363, 96 filters.
    assert compute_cycles(SCALESIM_LAYERS["alexnet_conv1"], 32, 32, "ws") == \
        12 * 3 * (2 * 32 + 32 + 55 * 55 - 2) - 1


def test_mapping_efficiency_and_utilization_as_scalesim_reports_them():
    # COMPUTE_REPORT.csv, AlexNet conv1: Mapping Efficiency 94.53125 % (WS), 99.50657894736842 %
    # (OS); Overall Util 91.68309650614964 % (WS), 84.99102675770285 % (OS).
    ws = systolic_cost(SCALESIM_LAYERS["alexnet_conv1"], 32, 32, "ws")
    os_ = systolic_cost(SCALESIM_LAYERS["alexnet_conv1"], 32, 32, "os")
    assert ws.mapping_efficiency * 100 == pytest.approx(94.53125)
    assert os_.mapping_efficiency * 100 == pytest.approx(99.50657894736842)
    assert ws.utilization * 100 == pytest.approx(91.68309650614964)
    assert os_.utilization * 100 == pytest.approx(84.99102675770285)


def test_scalesim_dp_layer_equals_hwsim_depthwise():
    # SCALE-Sim 3.0.0, WS, 32x32, topology row "DP_conv, 16, 16, 3, 3, 4, 1, 1," (expanded
    # into 4 one-channel layers) and "fc, 1, 1, 1, 1, 1024, 1000, 1,": Total Cycles 289 for
    # each of the 4 DP_convChannel_<i> rows, 97279 for fc (same command as above).
    dw = conv_gemm(14, 14, 3, 3, 4, 4, 1, padding=1, groups=4)
    assert compute_cycles(dw, 32, 32, "ws") == 4 * 289
    assert compute_cycles(fc_gemm(1024, 1000), 32, 32, "ws") == 97279


# --- hwsim layers and whole networks ----------------------------------------------------

def _conv(name, in_shape, out_shape, kernel, stride=1, pad=0, groups=1):
    return Layer(name=name, type="conv", inputs=("input",), in_shapes=(TensorShape(*in_shape),),
                 out_shape=TensorShape(*out_shape), kernel=(kernel, kernel),
                 stride=(stride, stride), padding=(pad,) * 4, groups=groups)


def test_layer_adapter_conv_fc_depthwise():
    expand3x3 = _conv("expand3x3", (16, 55, 55), (64, 55, 55), 3, pad=1)
    assert layer_gemm(expand3x3) == SCALESIM_LAYERS["fire2_expand3x3"]
    assert systolic_layer_cost(expand3x3, 32, 32, "ws").compute_cycles == 31189
    dw = _conv("dw", (512, 14, 14), (512, 14, 14), 3, pad=1, groups=512)
    assert layer_gemm(dw) == GemmShape(ofmap_pixels=14 * 14, window=3 * 3, filters=1, groups=512)
    fc = Layer(name="fc", type=FC, inputs=("input",), in_shapes=(TensorShape(1024, 1, 1),),
               out_shape=TensorShape(1000, 1, 1))
    assert layer_gemm(fc) == fc_gemm(1024, 1000)
    flat = Layer(name="fc6", type=FC, inputs=("input",), in_shapes=(TensorShape(256, 6, 6),),
                 out_shape=TensorShape(4096, 1, 1))
    assert layer_gemm(flat) == fc_gemm(256 * 6 * 6, 4096)
    assert systolic_layer_cost(flat, 32, 32, "os").macs == flat.macs
    pool = Layer(name="pool", type="maxpool", inputs=("input",),
                 in_shapes=(TensorShape(8, 4, 4),), out_shape=TensorShape(8, 2, 2),
                 kernel=(2, 2), stride=(2, 2))
    with pytest.raises(ValueError, match="'pool' of type 'maxpool' does not run on the systolic"):
        layer_gemm(pool)


def _network(name):
    return load_network(REPO / "networks" / f"{name}.yaml")


def test_bundled_networks_give_the_scalesim_numbers():
    """The acceptance layers as hwsim's own network files define them."""
    alexnet, squeezenet = _network("alexnet"), _network("squeezenet_v1.0")
    mobilenet = _network("mobilenet_v1")
    pointwise = next(layer for layer in mobilenet if layer.type == "conv"
                     and layer.kernel == (1, 1) and layer.in_shape == TensorShape(512, 14, 14)
                     and layer.out_channels == 512)
    layers = {"alexnet_conv1": alexnet.layer("conv1"),
              "fire2_squeeze1x1": squeezenet.layer("fire2/squeeze1x1"),
              "fire2_expand1x1": squeezenet.layer("fire2/expand1x1"),
              "fire2_expand3x3": squeezenet.layer("fire2/expand3x3"),
              "mobilenet_pw_14x14x512": pointwise}
    for name, layer in layers.items():
        assert layer_gemm(layer) == SCALESIM_LAYERS[name], name
        for df in DATAFLOWS:
            cost = systolic_layer_cost(layer, 32, 32, df)
            assert cost.compute_cycles == SCALESIM_TOTAL_CYCLES[df][name], (name, df)


def test_whole_networks_in_well_under_a_second():
    nets = [_network("squeezenet_v1.0"), _network("mobilenet_v1")]
    start = time.perf_counter()
    for net in nets:
        for df in DATAFLOWS:
            costs = [systolic_layer_cost(layer, 32, 32, df) for layer in net
                     if layer.type in ("conv", "fc")]
            assert sum(c.macs for c in costs) == net.macs  # MACs conserved
            assert all(0 < c.utilization <= 1 for c in costs)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.25, f"{elapsed:.3f} s for {len(nets)} networks x 3 dataflows"


def test_mobilenet_depthwise_layers_are_per_channel_gemms():
    dw = _network("mobilenet_v1").layer("conv3/depthwise")  # 56x56x128, stride 1, pad 1
    assert dw.is_depthwise
    cost = systolic_layer_cost(dw, 32, 32, "ws")
    # Per channel: window 3*3 = 9 rows (1 fold), 1 filter (1 fold), T = 56*56.
    assert cost.compute_cycles == 128 * (1 * 1 * (2 * 32 + 32 + 56 * 56 - 2) - 1)


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_bundled_scalesim_accelerators(dataflow):
    acc = load_accelerator(REPO / "accelerators" / f"scalesim_{dataflow}_32x32.yaml")
    assert (acc.microarchitecture, acc.dataflow) == ("systolic", dataflow)
    assert (acc.pe_array.rows, acc.pe_array.cols, acc.word_bytes) == (32, 32, 1)
    conv1 = _network("alexnet").layer("conv1")
    cost = systolic_layer_cost(conv1, acc.pe_array.rows, acc.pe_array.cols, acc.dataflow)
    assert cost.compute_cycles == SCALESIM_TOTAL_CYCLES[dataflow]["alexnet_conv1"]
