"""Weight-stationary mapping: closed-form passes, cycles and accesses for tiny layers.

Every expected value is the hand calculation of the model in ``hwsim/dataflow/ws.py``:
rows = input channels, columns = output channels, kernel positions one after another, one
output pixel per cycle, plus loading each pass's weights at the weight bandwidth.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.dataflow.ws import WS
from hwsim.hardware import Accelerator, Buffer, PEArray, Sparsity

REPO = Path(__file__).resolve().parent.parent


def machine(rows: int, cols: int, *, words_per_cycle: int = 32, skip=(),
            pack_groups: bool = False) -> MachineParams:
    acc = Accelerator(pe_array=PEArray(rows, cols, 8, pack_groups),
                      buffer=Buffer(input_words_per_cycle=words_per_cycle,
                                    weight_words_per_cycle=words_per_cycle,
                                    psum_words_per_cycle=words_per_cycle,
                                    output_words_per_cycle=words_per_cycle),
                      sparsity=Sparsity(0.4, tuple(skip)))
    return MachineParams.from_accelerator(acc)


def conv(c, k, h, w, p, q, r=1, s=1, stride=1, groups=1) -> ConvShape:
    return ConvShape(c, k, h, w, p, q, r, s, stride, stride, 1, 1, groups, False, True)


def test_1x1_conv_folds_rows_and_columns_on_a_2x2_array():
    # C=3 on 2 rows -> 2 row folds, K=5 on 2 columns -> 3 column folds, 4x4 pixels each.
    m = WS.map(conv(3, 5, 4, 4, 4, 4), machine(2, 2))
    assert m.passes == 2 * 3 * 1
    assert m.array_cycles == 6 * (4 * 4 + 1)          # + ceil(2*2 / 32) weight-load cycle
    assert m.spatial_utilization == pytest.approx((5 * 16 * 3) / (6 * 16 * 2 * 2))
    assert m.effective_macs == 5 * 16 * 3
    assert m.glb_input_reads == 3 * 1 * 16 * 3          # column folds x RS x PQ x C
    assert m.glb_psum_reads == m.glb_psum_writes == (2 * 1 - 1) * 5 * 16
    assert m.glb_output_writes == 5 * 16
    assert m.glb_weight_reads == 5 * 3
    assert m.rf_accesses == 5 * 16 * 3 + 5 * 3          # weight register per MAC + loads
    # inputs on the row buses (3 column folds x 16 pixels x 3 channels), 15 weights loaded,
    # one partial-sum hop or exit per MAC, 80 partial sums back in for the second row fold
    assert m.inter_pe_transfers == 3 * 16 * 3 + 15 + 5 * 16 * 3 + (2 - 1) * 5 * 16


def test_3x3_kernel_positions_are_passes_of_their_own():
    # 4 -> 4 channels fill a 4x4 array; 5x5 input, pad 1 -> 5x5 output; 9 passes.
    m = WS.map(conv(4, 4, 5, 5, 5, 5, 3, 3), machine(4, 4))
    assert m.passes == 9
    assert m.array_cycles == 9 * (25 + 1)               # ceil(16 / 32) = 1 load cycle
    assert m.spatial_utilization == pytest.approx(1.0)
    # each output accumulates over 9 passes: 8 read-modify-writes of its partial sum
    assert m.glb_psum_reads == 8 * 4 * 25


def test_first_layer_with_three_channels_idles_most_rows():
    # 3 input channels on 16 rows: 3/16 = 18.75 % of the array (the paper's ~18 %).
    m = WS.map(conv(3, 16, 9, 9, 3, 3, 7, 7, 1), machine(16, 16))
    assert m.spatial_utilization == pytest.approx(3 / 16)


def test_depthwise_runs_one_channel_at_a_time_as_in_the_study():
    # 8 channels, groups 8, 3x3 pad 1 on 6x6: one PE per pass, 8 groups x 9 positions,
    # each 36 pixels + ceil(1/32) weight-load cycle.
    m = WS.map(conv(8, 8, 6, 6, 6, 6, 3, 3, groups=8), machine(4, 4))
    assert m.passes == 8 * 9
    assert m.array_cycles == 72 * (36 + 1)
    assert m.spatial_utilization == pytest.approx(1 / 16)


def test_depthwise_groups_can_share_the_array_block_diagonally():
    # With pack_groups: 4 groups per pass on a 4x4 array (diagonal), 2 group passes x 9
    # kernel positions, each 36 pixels + ceil(4*4/32) load cycle.
    m = WS.map(conv(8, 8, 6, 6, 6, 6, 3, 3, groups=8), machine(4, 4, pack_groups=True))
    assert m.passes == 2 * 9
    assert m.array_cycles == 18 * (36 + 1)
    assert m.spatial_utilization == pytest.approx((8 * 36 * 9) / (18 * 36 * 16))  # 4 of 16
    assert m.details["groups_per_pass"] == 4


def test_grouped_conv_larger_than_the_array_runs_group_by_group():
    # 2 groups of 8 -> 8 channels on a 4x4 array: per group 2 row x 2 column folds.
    m = WS.map(conv(16, 16, 3, 3, 3, 3, groups=2), machine(4, 4))
    assert m.passes == 2 * 2 * 2
    assert m.array_cycles == 8 * (9 + 1)


def test_fc_layer_is_one_pixel_per_pass():
    # FC 10 -> 3 on a 4x4 array: 3 row folds of one pixel, 4x3 weights per pass.
    m = WS.map(ConvShape(10, 3, 1, 1, 1, 1), machine(4, 4))
    assert m.passes == 3
    assert m.array_cycles == 3 * (1 + 1)               # ceil(4*3 / 32) = 1


def test_buffer_bandwidth_limits_the_stream():
    # 4 active rows but only 2 input words per cycle: 2 cycles per pixel; weights 16/2 = 8.
    m = WS.map(conv(4, 4, 5, 5, 5, 5), machine(4, 4, words_per_cycle=2))
    assert m.details["step_cycles"] == 2
    assert m.array_cycles == 1 * (25 * 2 + 8)


def test_zero_weights_save_energy_not_time_in_ws():
    shape = conv(4, 4, 5, 5, 5, 5)
    dense = WS.map(shape, machine(4, 4))
    skipping = WS.map(shape, machine(4, 4, skip=("ws",)))
    assert skipping.array_cycles == dense.array_cycles
    assert skipping.effective_macs == pytest.approx(4 * 25 * 4 * (1 - 0.4))


def test_squeezenet_layers_on_16x16_match_the_published_arithmetic():
    """The lead's observations: one input pixel per cycle, k*k positions one after another."""
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    m = machine(16, 16)
    conv10 = WS.map(ConvShape.from_layer(net.layer("conv10")), m)
    assert conv10.passes == 32 * 63                    # 512/16 row x ceil(1000/16) col folds
    assert conv10.array_cycles == 32 * 63 * (169 + 8)  # 340,704 streamed (339 K published)
    fire4 = WS.map(ConvShape.from_layer(net.layer("fire4/expand3x3")), m)
    assert fire4.array_cycles == 2 * 8 * 9 * (3025 + 8)  # 435,600 streamed (447 K published)
    conv1 = WS.map(ConvShape.from_layer(net.layer("conv1")), m)
    assert conv1.array_cycles == 1 * 6 * 49 * (12321 + 2)  # 3 x 16 weights: ceil(48/32) = 2
