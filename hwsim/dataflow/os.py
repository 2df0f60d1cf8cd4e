"""Output-stationary (OS) mode of the study's broadcast array.

The model in plain words
------------------------
Each PE owns one output pixel of a ``rows x cols`` block of the output map and keeps up to
``accumulators`` partial sums in its register file, one per output channel of the current
*channel group*. For every input channel the block's inputs are preloaded into the array
(``rows * cols`` words at ``input_words_per_cycle``; a stride-s layer is split into its
``s x s`` phases, each preloaded on its own). Then the broadcast buffer sends one weight
per cycle to every PE: for each of the ``R * S`` kernel positions, the weight of each output
channel of the group; each PE multiplies it by its input and adds it to that channel's
register. Between kernel positions the inputs shift to the neighbouring PE instead of being
re-read. Zero weights are not sent when OS skips them, so a unit of work takes

    preload + R * S * channels_in_group * (1 - zero_fraction)   cycles

per (output block, channel group, input channel). When all input channels are done, the
block's ``rows * cols * channels_in_group`` results are written back to the global buffer at
``output_words_per_cycle``: that time is not overlapped.

Consequences the model shows: 1x1 layers pay a full preload for only ``accumulators``
broadcasts (low utilization); a feature map smaller than the array idles the rest (a 13x13
map on 16x16 uses 66 %; edge blocks of a 55x55 map leave 26 % idle); depthwise layers have
one output channel per group so each preload serves only R*S broadcasts; FC layers have one
output pixel and use one PE.

Accesses per layer (words): each effective MAC reads and writes its accumulator (2 RF) and
receives one broadcast weight (inter-PE); preloaded inputs are written into the PE
registers and shift between neighbours ``R*S - phases`` times per unit; the global buffer
delivers each block's input footprint per (channel group, input channel), each non-zero
weight once per output block, and receives each output once.

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

    def map(self, s: ConvShape, m: MachineParams) -> Mapping:
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
        broadcast_cycles = G * blocks * Cg * RS * Kg * density
        preload_cycles = units * preload_sum
        writeback_cycles = G * writeback_per_group
        array_cycles = math.ceil(preload_cycles + broadcast_cycles) + writeback_cycles
        macs = s.macs
        effective = macs * density
        preload_words = units * phases * PQ
        shifts = units * max(0, RS - phases) * PQ
        outputs = s.output_words
        desc = (f"OS: {blocks} output block(s) of {m.rows}x{m.cols} over {P}x{Q}, "
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
            rf_accesses=2.0 * effective + preload_words + outputs,
            inter_pe_transfers=effective + shifts + preload_words + outputs,
            glb_input_reads=float(units * footprint_sum),
            glb_weight_reads=blocks * G * Kg * Cg * RS * density + (s.out_channels if s.bias else 0),
            glb_psum_reads=0.0,
            glb_psum_writes=0.0,
            glb_output_writes=float(outputs),
            k_unit=min(s.out_channels, acc if Kg >= acc else Kg * (acc // Kg)),
            p_unit=m.rows,
            c_unit=1,
            description=desc,
            details={"blocks": blocks, "channel_groups": n_kgroups, "phases": phases,
                     "preload_cycles": preload_cycles, "broadcast_cycles": broadcast_cycles,
                     "writeback_cycles": writeback_cycles, "density": density},
        )


OS = OutputStationary()

__all__ = ["OutputStationary", "OS", "block_sizes"]
