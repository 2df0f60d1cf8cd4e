"""Output-stationary (OS) mode of the study's broadcast array.

In OS mode each PE keeps its outputs' partial sums in its register file while operands
come to it. The array can place those outputs in two ways, and the mode uses, layer by
layer, the one with fewer array cycles (the pixel mapping on a tie): a machine property
(where outputs live is the mapper's choice; the PE, the broadcast buffer and the preload
path are the same), not a special case for FC layers.

Pixel mapping (the study's OS)
------------------------------
Each PE owns one output pixel of a ``rows x cols`` block of the output map and keeps up to
``accumulators`` partial sums, one per output channel of the current *channel group*. For
every input channel the block's inputs are preloaded into the array (``rows * cols`` words
at ``input_words_per_cycle``; a stride-s layer is split into its ``s x s`` phases, each
preloaded on its own). Then the broadcast buffer sends one weight per cycle to every PE:
for each of the ``R * S`` kernel positions, the weight of each output channel of the group;
each PE multiplies it by its input and adds it to that channel's register. Between kernel
positions the inputs shift to the neighbouring PE instead of being re-read. Zero weights
are not sent when OS skips them, so a unit of work takes

    preload + R * S * channels_in_group * (1 - zero_fraction)   cycles

per (output block, channel group, input channel). When all input channels are done, the
block's ``rows * cols * channels_in_group`` results are written back to the global buffer at
``output_words_per_cycle``: that time is not overlapped.

Consequences: 1x1 layers pay a full preload for only ``accumulators`` broadcasts (low
utilization); a feature map smaller than the array idles the rest (a 13x13 map on 16x16
uses 66 %); depthwise layers have one output channel per group so each preload serves only
R*S broadcasts; an FC layer (one output pixel) would use one PE, hence:

Channel mapping (output map smaller than the array, FC layers)
--------------------------------------------------------------
The output pixels are taken one after another; for the current pixel the array holds up to
``rows * cols * accumulators`` output channels (each PE one or more output channels of that
pixel). The broadcast buffer sends the pixel's ``C/G * R * S`` inputs, one word per cycle to
all PEs; the weights, one per MAC (an output neuron's weights are used once), come through
the preload path at ``weight_words_per_cycle``. One input word therefore takes

    step = max(ceil(kb / weight_words_per_cycle), ceil(kb / (rows * cols)))   cycles

for a fold of ``kb`` output channels, and a fold's ``kb`` results are written back at
``output_words_per_cycle`` (not overlapped). Assumptions: the preload path delivers weights
dense, so zero weights are not skipped here (only the broadcast buffer skips zeros, and here
it carries inputs); inputs are re-read per pixel and per fold (no reuse across neighbouring
windows). An FC layer thus runs at ``weights / weight_words_per_cycle`` cycles, below its
DRAM time on the bundled designs (FC6 of AlexNet: 9216 x 4096 / 32 = 1.18 M cycles against
4.72 M of DRAM time), where the pixel mapping took 27 M.

Accesses (words), counted once per action (Eyeriss method)
----------------------------------------------------------
*Register file* = the PE's accumulators: a read and a write per performed MAC, a read per
output at write-back. The input operand sits in the PE's input latch (behind the input-select
mux); its arrival is counted where it travels, not as an RF access.
*Array* (inter-PE and buffer-to-array transfers): one transfer per word put on a bus
(broadcast or preload path), however many PEs hear it; one per neighbour shift; one per
output leaving the array.
*Global buffer*: reads of what the array consumes and writes of its outputs (plus the DMA's
fills and drains, counted in ``hwsim.cost.model``).

=================  ===============================================  ==========================
count              pixel mapping                                    channel mapping
=================  ===============================================  ==========================
MACs (energy)      MACs x density (zero weights skipped)            MACs (dense)
RF                 2 x MACs x density + outputs                     2 x MACs + outputs
array              broadcasts (each non-zero weight once per        input broadcasts + MACs
                   output block) + preloaded words + shifts         (weights) + outputs
                   + outputs
GLB input reads    block footprint per (block, group, channel)      C/G x R x S per pixel, fold
GLB weight reads   non-zero weights once per output block           every weight once per pixel
GLB output writes  outputs                                          outputs
=================  ===============================================  ==========================

with ``shifts = (R*S - phases) x block pixels`` per unit and no partial sums leaving the array.

Worked example, pixel mapping (``tests/test_energy.py``): 3x3 conv, 1 -> 2 channels, 4x4 input,
2x2 output, on a 2x2 array with 2 accumulators and half the weights zero (skipped). One block,
one channel group, one input channel: 1 preload cycle, 9 x 2 x 0.5 = 9 broadcasts, 1
write-back cycle = 11 cycles (the channel mapping would take 4 pixels x (9 + 1) = 40).
MACs 2 x 4 x 9 = 72, performed 36; RF 2 x 36 + 8 = 80; array 9 broadcasts + 4 preloaded +
(9 - 1) x 4 shifts + 8 outputs = 53; GLB 16 input (the 4x4 footprint) + 9 weight reads + 8
output writes.

Worked example, channel mapping (``tests/test_dataflow_os.py``): FC 64 -> 32 on a 4x4 array,
2 accumulators, 4 words per cycle. One fold of 32 channels (16 PEs x 2); each input takes
max(32 / 4, 32 / 16) = 8 cycles: 64 x 8 = 512, + 32 / 4 = 8 write-back = 520 cycles (the pixel
mapping: 16 channel groups x 64 x (1 + 2) + 16 = 3,088). MACs 2,048; RF 2 x 2,048 + 32;
array 64 + 2,048 + 32; GLB 64 input, 2,048 weight reads, 32 output writes.

Legend: K output channels, C input channels, G groups, P x Q output, R x S kernel, s stride.
"""

from __future__ import annotations

import math

from hwsim.dataflow.base import ConvShape, MachineParams, Mapping
from hwsim.hardware.names import Dataflow
from hwsim.workload.layer import ceil_div


def block_sizes(length: int, block: int) -> list[tuple[int, int]]:
    """[(size, count)] of the blocks covering ``length``: full blocks, then the remainder."""
    full, rem = divmod(length, block)
    out = [(block, full)] if full else []
    if rem:
        out.append((rem, 1))
    return out


class OutputStationary:
    """The OS strategy (see the module docstring).

    ``map`` is one straight run of the docstring's formulas (blocks, channel groups,
    preloads, broadcasts, write-back, accesses) into one record; split, its parts would only
    pass the same dozen local values around.
    """

    name: str = Dataflow.OS

    def pixel_mapping(self, s: ConvShape, m: MachineParams) -> Mapping:
        """Each PE one output pixel of a block; weights broadcast (see the module docstring).

        Over 60 lines on purpose: it is the module docstring's cycle formula and access table
        for the pixel mapping read top to bottom, one count per line beside its row of the
        table (a third of it is the :class:`Mapping` it fills); split up, the formula would
        no longer read as one."""
        G = s.groups
        Cg, Kg = s.c_per_group, s.k_per_group
        R, S = s.kernel_h, s.kernel_w
        RS = R * S
        P, Q = s.out_height, s.out_width
        PQ = P * Q
        acc = m.accumulators
        density = m.density(self.name)
        phases = min(s.stride_h, R) * min(s.stride_w, S)
        groups_k = [(acc, Kg // acc)] if Kg >= acc else []
        if Kg % acc:
            groups_k.append((Kg % acc, 1))
        n_kgroups = ceil_div(Kg, acc)
        r_eff = s.dilation_h * (R - 1) + 1
        s_eff = s.dilation_w * (S - 1) + 1
        blocks = 0
        preload_sum = 0           # sum over blocks of preload cycles of one unit
        footprint_sum = 0         # sum over blocks of input words one unit reads
        writeback_per_group = 0   # sum over blocks and channel groups of write-back cycles
        for h, nh in block_sizes(P, m.rows):
            for w, nw in block_sizes(Q, m.cols):
                n = nh * nw
                blocks += n
                preload_sum += n * phases * ceil_div(h * w, m.input_words_per_cycle)
                footprint_sum += n * ((h - 1) * s.stride_h + r_eff) * ((w - 1) * s.stride_w + s_eff)
                for a, count in groups_k:
                    writeback_per_group += n * count * ceil_div(h * w * a, m.output_words_per_cycle)
        units = G * n_kgroups * Cg  # per block
        broadcasts = G * blocks * Cg * RS * Kg * density   # one weight on the bus per cycle
        preload_cycles = units * preload_sum
        writeback_cycles = G * writeback_per_group
        array_cycles = math.ceil(preload_cycles + broadcasts) + writeback_cycles
        effective = s.macs * density
        preload_words = units * phases * PQ
        shifts = units * max(0, RS - phases) * PQ
        outputs = s.output_words
        desc = (f"OS (pixels): {blocks} output block(s) of {m.rows}x{m.cols} over {P}x{Q}, "
                f"{n_kgroups} channel group(s) of <= {acc} x {Cg} input channels"
                f"{f' x {G} groups' if G > 1 else ''}; per unit {phases} preload(s) + "
                f"{RS}x{min(acc, Kg)} broadcasts x {density:.2f} non-zero")
        return Mapping(
            dataflow=self.name,
            array_cycles=array_cycles,
            writeback_cycles=writeback_cycles,
            passes=G * blocks * n_kgroups,
            spatial_utilization=min(1.0, PQ / (blocks * m.rows * m.cols)),
            effective_macs=effective,
            rf_accesses=2.0 * effective + outputs,
            inter_pe_transfers=broadcasts + preload_words + shifts + outputs,
            glb_input_reads=float(units * footprint_sum),
            glb_weight_reads=broadcasts + (s.out_channels if s.bias else 0),
            glb_psum_reads=0.0,
            glb_psum_writes=0.0,
            glb_output_writes=float(outputs),
            k_unit=min(s.out_channels, acc if Kg >= acc else Kg * (acc // Kg)),
            p_unit=m.rows,
            c_unit=1,
            # a tile of fewer output rows than the array's leaves PE rows idle for the whole
            # block; fewer output channels than a group only saves broadcasts (no waste)
            whole_passes=(False, True, False),
            description=desc,
            details={"mapping": "pixels", "blocks": blocks, "channel_groups": n_kgroups,
                     "phases": phases, "preload_cycles": preload_cycles,
                     "broadcast_cycles": broadcasts, "shifts": shifts,
                     "writeback_cycles": writeback_cycles, "density": density},
        )

    def channel_mapping(self, s: ConvShape, m: MachineParams) -> Mapping:
        """Each PE owns output channels of one output pixel; inputs broadcast, weights
        through the preload path (see the module docstring)."""
        G = s.groups
        Cg, Kg = s.c_per_group, s.k_per_group
        RS = s.kernel_h * s.kernel_w
        PQ = s.out_height * s.out_width
        pes = m.rows * m.cols
        fold = min(Kg, pes * m.accumulators)          # output channels held at once
        folds = block_sizes(Kg, fold)
        n_folds = sum(count for _, count in folds)
        compute_per_pixel = 0
        writeback_per_pixel = 0
        busy_pes = 0
        for kb, count in folds:
            step = max(ceil_div(kb, m.weight_words_per_cycle), ceil_div(kb, pes))
            compute_per_pixel += count * Cg * RS * step
            writeback_per_pixel += count * ceil_div(kb, m.output_words_per_cycle)
            busy_pes += count * min(kb, pes)
        writeback_cycles = G * PQ * writeback_per_pixel
        array_cycles = G * PQ * compute_per_pixel + writeback_cycles
        macs = s.macs
        outputs = s.output_words
        input_broadcasts = G * PQ * n_folds * Cg * RS
        desc = (f"OS (channels): {PQ} output pixel(s) one after another, {n_folds} fold(s) of "
                f"<= {fold} of {Kg} output channels over {pes} PEs"
                f"{f' x {G} groups' if G > 1 else ''}; {Cg * RS} inputs broadcast per fold, "
                f"weights at {m.weight_words_per_cycle} words/cycle")
        return Mapping(
            dataflow=self.name,
            array_cycles=array_cycles,
            writeback_cycles=writeback_cycles,
            passes=G * PQ * n_folds,
            spatial_utilization=min(1.0, busy_pes / (n_folds * pes)),
            effective_macs=float(macs),
            rf_accesses=2.0 * macs + outputs,
            inter_pe_transfers=float(input_broadcasts + macs + outputs),
            glb_input_reads=float(input_broadcasts),
            glb_weight_reads=float(macs + (outputs if s.bias else 0)),
            glb_psum_reads=0.0,
            glb_psum_writes=0.0,
            glb_output_writes=float(outputs),
            k_unit=min(s.out_channels, fold),
            p_unit=1,
            c_unit=1,
            description=desc,
            details={"mapping": "channels", "channel_folds": n_folds, "fold_channels": fold,
                     "input_broadcasts": input_broadcasts,
                     "writeback_cycles": writeback_cycles},
        )

    def map(self, s: ConvShape, m: MachineParams) -> Mapping:
        """The faster of the pixel and the channel mapping (the pixel one on a tie)."""
        pixels = self.pixel_mapping(s, m)
        channels = self.channel_mapping(s, m)
        return channels if channels.array_cycles < pixels.array_cycles else pixels

OS = OutputStationary()

__all__ = ["OutputStationary", "OS", "block_sizes"]
