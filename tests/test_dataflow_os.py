"""Output-stationary mapping: closed-form cycles and accesses for tiny layers.

Pixel mapping, per (output block, channel group, input channel): preload the block (phases x
ceil(block pixels / input words per cycle)), then R*S x channels-in-group broadcasts
(x density when OS skips zero weights); per (block, channel group): write back
ceil(block pixels x channels / output words per cycle). Channel mapping, per output pixel
and fold of kb output channels: C/G x R x S broadcast inputs of max(ceil(kb / weight words
per cycle), ceil(kb / PEs)) cycles each, then ceil(kb / output words per cycle) write-back.
OS runs the faster of the two. See ``hwsim/dataflow/os.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hwsim
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.dataflow.os import OS, block_sizes
from hwsim.hardware import Accelerator, Buffer, PEArray, Sparsity

REPO = Path(__file__).resolve().parent.parent


def machine(rows: int, cols: int, acc: int, *, words_per_cycle: int = 32,
            skip: tuple[str, ...] = ()) -> MachineParams:
    a = Accelerator(pe_array=PEArray(rows, cols, acc),
                    buffer=Buffer(input_words_per_cycle=words_per_cycle,
                                  weight_words_per_cycle=words_per_cycle,
                                  psum_words_per_cycle=words_per_cycle,
                                  output_words_per_cycle=words_per_cycle),
                    sparsity=Sparsity(0.4, skip))
    return MachineParams.from_accelerator(a)


def conv(c, k, h, w, p, q, r=1, s=1, stride=1, groups=1) -> ConvShape:
    return ConvShape(c, k, h, w, p, q, r, s, stride, stride, 1, 1, groups, False, True)


def test_block_sizes():
    assert block_sizes(55, 16) == [(16, 3), (7, 1)]
    assert block_sizes(32, 16) == [(16, 2)]
    assert block_sizes(13, 16) == [(13, 1)]


def test_1x1_conv_on_a_2x2_array_with_2_accumulators():
    # 4x4 output = 4 blocks of 2x2; K=5 in channel groups of 2, 2 and 1; C=3.
    m = OS.map(conv(3, 5, 4, 4, 4, 4), machine(2, 2, 2, words_per_cycle=2))
    preload = 4 * 3 * 3 * 1 * math.ceil(4 / 2)          # blocks x groups x C x phases x cycles
    broadcast = 4 * 3 * 1 * 5                           # blocks x C x RS x K
    writeback = 4 * (2 * math.ceil(4 * 2 / 2) + math.ceil(4 * 1 / 2))
    assert m.array_cycles == preload + broadcast + writeback == 72 + 60 + 40
    assert m.writeback_cycles == 40
    assert m.spatial_utilization == pytest.approx(1.0)
    assert m.effective_macs == 5 * 16 * 3
    assert m.glb_output_writes == 5 * 16
    assert m.glb_weight_reads == 4 * 5 * 3              # every weight once per block
    assert m.glb_input_reads == 3 * 3 * 4 * 4           # groups x C x blocks x 2x2 footprint
    assert m.rf_accesses == 2 * 240 + 80                # accumulator read+write, read-out
    # 60 weight broadcasts (one bus transfer each), 3 groups x 3 channels x 16 preloaded
    # words, no shifts (1x1), 80 outputs leaving the array
    assert m.inter_pe_transfers == 60 + 3 * 3 * 16 + 0 + 80


def test_zero_weights_are_not_broadcast():
    shape = conv(3, 5, 4, 4, 4, 4)
    m = OS.map(shape, machine(2, 2, 2, words_per_cycle=2, skip=("os",)))
    assert m.array_cycles == math.ceil(72 + 60 * (1 - 0.4)) + 40
    assert m.effective_macs == pytest.approx(240 * (1 - 0.4))


def test_edge_blocks_leave_pes_idle():
    # 3x3 output on a 2x2 array: blocks 2x2, 2x1, 1x2, 1x1 cover 9 of 16 PE slots.
    m = OS.pixel_mapping(conv(1, 1, 3, 3, 3, 3), machine(2, 2, 1, words_per_cycle=1))
    assert m.spatial_utilization == pytest.approx(9 / 16)
    preload = 4 + 2 + 2 + 1                             # one word per cycle
    writeback = 4 + 2 + 2 + 1
    assert m.array_cycles == preload + 4 * 1 + writeback


def test_kernel_positions_are_broadcasts_inputs_shift():
    # 3x3 on a 4x4 output, one 4x4 block, 2 accumulators, K=2, C=1.
    m = OS.map(conv(1, 2, 6, 6, 4, 4, 3, 3), machine(4, 4, 2))
    assert m.array_cycles == math.ceil(16 / 32) + 9 * 2 + math.ceil(16 * 2 / 32)
    assert m.glb_input_reads == 6 * 6                   # block plus halo, read once
    # 9 x 2 broadcast weights (one bus transfer each, not one per PE), 16 preloaded words,
    # (9 - 1) x 16 shifts between neighbours, 2 x 16 outputs
    assert m.inter_pe_transfers == 9 * 2 + 16 + (9 - 1) * 16 + 2 * 16
    assert m.rf_accesses == 2 * (2 * 16 * 9) + 2 * 16  # accumulators per MAC, read-out


def test_stride_two_preloads_each_phase():
    # 3x3 stride 2: 4 phases hold kernel positions, each needs its own preload.
    m = OS.map(conv(1, 1, 9, 9, 4, 4, 3, 3, stride=2), machine(4, 4, 1, words_per_cycle=4))
    assert m.details["phases"] == 4
    assert m.array_cycles == 4 * math.ceil(16 / 4) + 9 + math.ceil(16 / 4)


def test_depthwise_has_one_output_channel_per_group():
    # 4 channels, groups 4, 3x3 pad 1 on 4x4: each channel is its own unit with 9 broadcasts.
    m = OS.map(conv(4, 4, 4, 4, 4, 4, 3, 3, groups=4), machine(4, 4, 8))
    assert m.array_cycles == 4 * (math.ceil(16 / 32) + 9) + 4 * math.ceil(16 / 32)
    assert m.k_unit == min(4, 8)                        # up to 8 single-channel groups a tile


def test_fc_pixel_mapping_uses_one_pe():
    m = OS.pixel_mapping(ConvShape(10, 4, 1, 1, 1, 1), machine(4, 4, 2))
    assert m.spatial_utilization == pytest.approx(1 / 16)
    assert m.array_cycles == 2 * 10 * (1 + 2) + 2 * 1   # preload 1, 2 broadcasts per channel


def test_fc_runs_on_the_channel_mapping_by_hand():
    """FC 64 -> 32 on a 4x4 array, 2 accumulators, 4 words per cycle (every path).

    Channel mapping: 32 output channels fit one fold (16 PEs x 2 accumulators); each of the 64
    broadcast inputs needs 32 weights through the preload path at 4 per cycle = 8 cycles (each
    PE does 32 / 16 = 2 MACs in them); then 32 results leave at 4 per cycle.
    Pixel mapping: one PE; 16 channel groups x 64 input channels x (1 preload + 2 broadcasts)
    + 16 write-backs of ceil(2 / 4) = 1 cycle.
    """
    shape = ConvShape(64, 32, 1, 1, 1, 1)
    mach = machine(4, 4, 2, words_per_cycle=4)
    assert OS.pixel_mapping(shape, mach).array_cycles == 16 * 64 * (1 + 2) + 16 == 3088
    m = OS.map(shape, mach)
    assert m.details["mapping"] == "channels"
    assert m.array_cycles == 64 * max(32 // 4, 32 // 16) + 32 // 4 == 520
    assert m.writeback_cycles == 8
    assert m.spatial_utilization == pytest.approx(1.0)        # all 16 PEs hold outputs
    assert m.effective_macs == 64 * 32
    assert m.rf_accesses == 2 * 2048 + 32                     # accumulator r+w per MAC, read-out
    assert m.inter_pe_transfers == 64 + 2048 + 32             # inputs on the bus, weights, outputs
    assert m.glb_input_reads == 64
    assert m.glb_weight_reads == 64 * 32                      # every weight once
    assert m.glb_output_writes == 32
    assert m.glb_psum_reads == m.glb_psum_writes == 0


def test_channel_mapping_folds_output_channels_beyond_the_array():
    # FC 64 -> 40: folds of 32 (16 PEs x 2) and 8 channels; the inputs are broadcast per fold.
    m = OS.map(ConvShape(64, 40, 1, 1, 1, 1), machine(4, 4, 2, words_per_cycle=4))
    assert m.details["channel_folds"] == 2
    assert m.array_cycles == 64 * (32 // 4) + 64 * max(8 // 4, 1) + 32 // 4 + 8 // 4 == 650
    assert m.glb_input_reads == 2 * 64
    assert m.inter_pe_transfers == 2 * 64 + 64 * 40 + 40


def test_channel_mapping_does_not_skip_zero_weights():
    # The preload path delivers weights dense: with OS skipping 40 % zeros the pixel mapping
    # gets faster, the channel mapping does not, and here it still wins.
    shape = ConvShape(64, 32, 1, 1, 1, 1)
    mach = machine(4, 4, 2, words_per_cycle=4, skip=("os",))
    assert OS.pixel_mapping(shape, mach).array_cycles == math.ceil(16 * 64 * (1 + 2 * 0.6)) + 16
    m = OS.map(shape, mach)
    assert m.array_cycles == 520
    assert m.effective_macs == 64 * 32


def test_os_takes_the_pixel_mapping_when_it_is_faster():
    # 3x3, 1 -> 2 channels on a 4x4 output: one block, 1 + 9 x 2 + 1 = 20 cycles; the channel
    # mapping would take 16 pixels x (9 inputs x 1 cycle + 1 write-back) = 160.
    shape = conv(1, 2, 6, 6, 4, 4, 3, 3)
    mach = machine(4, 4, 2)
    assert OS.channel_mapping(shape, mach).array_cycles == 16 * (9 + 1)
    m = OS.map(shape, mach)
    assert m.details["mapping"] == "pixels"
    assert m.array_cycles == 20


def test_alexnet_fc6_on_os_16x16_runs_at_its_dram_bound():
    """FC6 (9216 -> 4096): 2 folds of 2048 (256 PEs x 8); 9216 inputs x 2048 / 32 weights per
    cycle each, + 2 x 2048 / 32 write-back: below the DRAM time of its 9216 x 4096 weights
    (2 bytes at 16 bytes per cycle), so the layer takes its DRAM time."""
    net = hwsim.load_network(REPO / "networks" / "alexnet.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "os_16x16.yaml")
    layer = hwsim.simulate(net, acc, engine="analytic").layer("fc6")
    compute = 2 * 9216 * (2048 // 32) + 2 * (2048 // 32)
    assert layer.compute_cycles == compute == 1_179_776
    # DRAM-bound: the channel never rests; only the last tile's compute sticks out
    assert layer.memory_cycles <= layer.cycles <= layer.memory_cycles * 1.001
    assert layer.memory_cycles >= 100 + 9216 * 4096 * 2 / 16   # weights alone: 4.72 M cycles


def test_squeezenet_conv1_on_os_16x16():
    """7x7/2, 3 -> 96 channels, 111x111 output on 16x16 with 8 accumulators, 40 % skipped.

    Blocks: 36 of 16x16, 12 of 16x15 / 15x16 and one 15x15 (49); 12 channel groups; 3 input
    channels; 4 stride phases, each preload ceil(pixels / 32) = 8 cycles for every block size.
    """
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    m = OS.map(ConvShape.from_layer(net.layer("conv1")), machine(16, 16, 8, skip=("os",)))
    preload = 49 * 12 * 3 * 4 * 8
    broadcast = 49 * 3 * 49 * 96 * (1 - 0.4)            # 414,892.8: the lead's 415 K
    writeback = 12 * (36 * 256 * 8 // 32 + 12 * 240 * 8 // 32 + math.ceil(225 * 8 / 32))
    assert m.array_cycles == math.ceil(preload + broadcast) + writeback
    assert m.effective_macs == pytest.approx(96 * 111 * 111 * 3 * 49 * 0.6)
